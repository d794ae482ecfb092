import { createHmac } from 'node:crypto';
import { randomToken, safeEqual, sha256 } from '../../lib/crypto.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';
import type { KvStore } from '../../ports/kv.ts';

/** What a session knows about itself; kept in the KV store (SQLite-backed or Redis). */
export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** Last time the user proved who they are (password, link, OAuth): gates sensitive actions. */
  authenticatedAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** Refresh-token state, in its own key so request-time `touch` never races a rotation. */
interface RefreshState {
  hash: string;
  generation: number;
  previousHash: string | null;
  rotatedAt: number | null;
}

export type RotateResult =
  | { status: 'rotated'; refreshToken: string }
  | { status: 'reused' }
  | { status: 'not_found' }
  | { status: 'invalid' };

export interface SessionStoreOptions {
  absoluteLifetimeMs: number;
  graceMs: number;
  /** Derives each rotation's successor, so a replay inside the grace window gets the same one. */
  rotationKey: Buffer;
  /**
   * How long a session record read from the KV store is reused in this process (0: never).
   * Revocation here takes effect at once; revocation by another process within this time.
   */
  cacheTtlMs?: number;
}

const sessKey = (id: string) => `sess:${id}`;
const refreshKey = (id: string) => `sess:${id}:refresh`;
const userSetKey = (userId: string) => `usess:${userId}`;

/**
 * Sessions in the KV store. A refresh token is `<sessionId>.<secret>`; only SHA-256(secret)
 * is stored. Rotation is deterministic: successor = HMAC(rotationKey, id.generation.secret).
 * Concurrent refreshes with one token therefore compute and store the same successor (no
 * lock needed), and a replay inside the grace window receives that same successor instead
 * of logging the user out; a replay after it revokes the session.
 */
export class SessionStore {
  // Every authenticated request reads its session: a KV round trip (a Redis hop, or a SQLite
  // read transaction with its file locks) saved on all but the first within the TTL.
  private readonly cache: TtlCache<string, SessionRecord>;

  constructor(private readonly kv: KvStore, private readonly options: SessionStoreOptions) {
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs ?? 0 });
  }

  private ttlFor(record: SessionRecord, now: number): number {
    // Kept until the absolute lifetime ends (plus a minute), so expiry can be told apart from revocation.
    return Math.max(1, record.createdAt + this.options.absoluteLifetimeMs - now + 60_000);
  }

  private successor(id: string, generation: number, secret: string): string {
    return createHmac('sha256', this.options.rotationKey).update(`${id}.${generation}.${secret}`).digest('base64url');
  }

  async create(input: { userId: string; ip: string | null; userAgent: string | null; now: number }): Promise<{ record: SessionRecord; refreshToken: string }> {
    const id = `ses_${randomToken(18)}`;
    const secret = randomToken(32);
    const record: SessionRecord = { id, userId: input.userId, createdAt: input.now, lastSeenAt: input.now, authenticatedAt: input.now, ip: input.ip, userAgent: input.userAgent };
    const refresh: RefreshState = { hash: sha256(secret), generation: 0, previousHash: null, rotatedAt: null };
    const ttlMs = this.ttlFor(record, input.now);
    // One write (one transaction / MULTI) instead of three: a sign-in's largest KV cost.
    await this.kv.batch([
      { op: 'set', key: sessKey(id), value: JSON.stringify(record), ttlMs },
      { op: 'set', key: refreshKey(id), value: JSON.stringify(refresh), ttlMs },
      { op: 'setAdd', key: userSetKey(input.userId), members: [id], ttlMs: this.options.absoluteLifetimeMs + 60_000 },
    ]);
    return { record, refreshToken: `${id}.${secret}` };
  }

  /** The raw record, or null. Parsing failures read as null: a corrupt record is no session. */
  /** The record if this process holds it in its short cache; undefined means "ask `get`". */
  cached(id: string): SessionRecord | undefined {
    return this.cache.get(id);
  }

  get(id: string): Promise<SessionRecord | null> {
    return this.cache.getOrLoad(id, () => this.read(id));
  }

  private async read(id: string): Promise<SessionRecord | null> {
    const raw = await this.kv.get(sessKey(id));
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as SessionRecord;
    } catch {
      return null;
    }
  }

  async save(record: SessionRecord, now: number): Promise<void> {
    await this.kv.set(sessKey(record.id), JSON.stringify(record), { ttlMs: this.ttlFor(record, now) });
    this.cache.delete(record.id);
  }

  /** Splits `<sessionId>.<secret>`; null when the shape is wrong. */
  static parseRefreshToken(token: string): { id: string; secret: string } | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot === token.length - 1) return null;
    const id = token.slice(0, dot);
    const secret = token.slice(dot + 1);
    return /^ses_[A-Za-z0-9_-]{24}$/.test(id) && /^[A-Za-z0-9_-]{43}$/.test(secret) ? { id, secret } : null;
  }

  async rotate(token: string, now: number): Promise<RotateResult> {
    const parsed = SessionStore.parseRefreshToken(token);
    if (!parsed) return { status: 'invalid' };
    const raw = await this.kv.get(refreshKey(parsed.id));
    if (raw === null) return { status: 'not_found' };
    const state = JSON.parse(raw) as RefreshState;
    const hash = sha256(parsed.secret);
    if (safeEqual(hash, state.hash)) {
      const next = this.successor(parsed.id, state.generation + 1, parsed.secret);
      const updated: RefreshState = { hash: sha256(next), generation: state.generation + 1, previousHash: hash, rotatedAt: now };
      const ttl = await this.kv.ttl(refreshKey(parsed.id));
      await this.kv.set(refreshKey(parsed.id), JSON.stringify(updated), ttl === null || ttl === Infinity ? {} : { ttlMs: Math.max(1, ttl) });
      return { status: 'rotated', refreshToken: `${parsed.id}.${next}` };
    }
    if (state.previousHash !== null && safeEqual(hash, state.previousHash) && state.rotatedAt !== null && now - state.rotatedAt <= this.options.graceMs) {
      return { status: 'rotated', refreshToken: `${parsed.id}.${this.successor(parsed.id, state.generation, parsed.secret)}` };
    }
    return { status: 'reused' };
  }

  async list(userId: string): Promise<SessionRecord[]> {
    const ids = await this.kv.setMembers(userSetKey(userId));
    const records = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => records[i] === null);
    if (gone.length > 0) await this.kv.setRemove(userSetKey(userId), gone);
    return records.filter((r): r is SessionRecord => r !== null && r.userId === userId);
  }

  async revoke(id: string, userId?: string): Promise<void> {
    await this.kv.batch([
      { op: 'delete', key: sessKey(id) },
      { op: 'delete', key: refreshKey(id) },
      ...(userId ? [{ op: 'setRemove' as const, key: userSetKey(userId), members: [id] }] : []),
    ]);
    this.cache.delete(id);
  }

  /** Revokes every session of a user, except `keep` if given. Returns how many ended. */
  async revokeAll(userId: string, keep?: string): Promise<number> {
    const ids = (await this.kv.setMembers(userSetKey(userId))).filter((id) => id !== keep);
    if (ids.length > 0) {
      await this.kv.batch([...ids.flatMap((id) => [{ op: 'delete' as const, key: sessKey(id) }, { op: 'delete' as const, key: refreshKey(id) }]), { op: 'setRemove', key: userSetKey(userId), members: ids }]);
    }
    // After the delete, so a read racing it cannot put a record back (TtlCache's generation);
    // by user, so records cached for sessions the set no longer lists go too.
    this.cache.deleteWhere((record) => record.userId === userId && record.id !== keep);
    return ids.length;
  }
}
