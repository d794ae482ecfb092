import { AppError } from '../../errors/index.ts';
import type { EventPublisher } from '../../ports/events.ts';
import type { JwtCodec, JwtPayload } from '../../lib/jwt.ts';
import { burnPasswordVerify, verifyPassword } from '../../lib/password-hash.ts';
import { isBanned, presentUser } from '../accounts/present.ts';
import type { UserRow, UsersRepo } from '../accounts/repo.ts';
import type { User } from '../accounts/schemas.ts';
import { SessionStore, type SessionRecord } from './session-store.ts';
import { VerifiedTokenCache, type AccessClaims as CachedClaims } from './verified-token-cache.ts';

export interface Actor {
  kind: 'user';
  userId: string;
  sessionId: string;
}

/** `tokenExpiresAt`: when the access token that authenticated the request expires (epoch ms). */
export type AuthenticatedUser = Actor & { session: SessionRecord; tokenExpiresAt: number };

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A second factor the password step hands over to (TOTP; see src/modules/totp). */
export interface SecondFactor {
  isEnabled(userId: string): Promise<boolean>;
  challenge(userId: string): Promise<{ tempToken: string; expiresIn: number }>;
}

/** Per-account failure counting across sign-in steps (see src/modules/totp/lockout.ts). */
export interface SignInGuard {
  assertOpen(subject: string): Promise<void>;
  recordFailure(subject: string): Promise<void>;
  clear(subject: string): Promise<void>;
}

export type LoginOutcome =
  | { totpRequired: true; tempToken: string; expiresIn: number }
  | { totpRequired: false; tokens: TokenPair; user: User; sessionId: string };

export interface SessionsDeps {
  users: UsersRepo;
  secondFactor?: SecondFactor;
  lockout?: SignInGuard;
  /** The lockout subject for a login that matches no account (so unknown logins lock alike). */
  unknownLoginSubject?: (login: string) => string;
  store: SessionStore;
  jwt: JwtCodec;
  accessTtlSeconds: number;
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  /** Domain events (session.created); see src/ports/events.ts. */
  events?: EventPublisher;
  now?: () => number;
}

type AccessClaims = JwtPayload & { sub: string; sid: string; typ: 'access' };

const USER_ID = /^usr_[0-9a-f]{28}$/;
// Written at most once a minute: a session's last-seen time, not a request log.
const TOUCH_EVERY_MS = 60_000;
// Verified access tokens kept for at most a minute, and no more than this many at once.
const TOKEN_CACHE = { maxEntries: 10_000, maxAgeMs: 60_000 };

export class SessionsService {
  private readonly now: () => number;
  private readonly verifiedTokens = new VerifiedTokenCache(TOKEN_CACHE);

  constructor(private readonly deps: SessionsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Password sign-in by e-mail or handle. Unknown logins burn an argon2 verify so they cost
   * what a wrong password costs, and answer exactly like one.
   */
  async verifyCredentials(login: string, password: string): Promise<UserRow> {
    return this.checkPassword(await this.findByLogin(login), password);
  }

  private findByLogin(login: string): Promise<UserRow | undefined> {
    const key = login.trim().toLowerCase();
    return key.includes('@') ? this.deps.users.findByEmail(key) : this.deps.users.findByHandle(key);
  }

  /**
   * The password sign-in: a locked account (too many failed password or TOTP steps) is
   * refused before the password is checked; a wrong password counts toward the lock. With
   * 2FA on, the answer is a temporary token for POST /v1/auth/login/totp, not a session.
   */
  async login(login: string, password: string, client: ClientInfo): Promise<LoginOutcome> {
    const user = await this.findByLogin(login);
    const { lockout } = this.deps;
    const subject = user?.id ?? this.deps.unknownLoginSubject?.(login) ?? `login:${login.trim().toLowerCase()}`;
    await lockout?.assertOpen(subject);
    let verified: UserRow;
    try {
      verified = await this.checkPassword(user, password);
    } catch (err) {
      if (err instanceof AppError && err.code === 'user:invalid_password') await lockout?.recordFailure(subject);
      throw err;
    }
    if (await this.deps.secondFactor?.isEnabled(verified.id)) {
      return { totpRequired: true, ...(await (this.deps.secondFactor as SecondFactor).challenge(verified.id)) };
    }
    await lockout?.clear(verified.id);
    return { totpRequired: false, ...(await this.startSession(verified, client)) };
  }

  private async checkPassword(user: UserRow | undefined, password: string): Promise<UserRow> {
    if (!user) {
      await burnPasswordVerify(password);
      throw new AppError('user:invalid_password');
    }
    if (user.password_hash === null) {
      await burnPasswordVerify(password);
      throw new AppError('user:password_not_set');
    }
    if (!(await verifyPassword(user.password_hash, password))) throw new AppError('user:invalid_password');
    if (isBanned(user, this.now())) throw new AppError('user:banned');
    return user;
  }

  /** Opens a session for a user who has proved who they are. */
  async startSession(user: UserRow, client: ClientInfo): Promise<{ tokens: TokenPair; user: User; sessionId: string }> {
    if (isBanned(user, this.now())) throw new AppError('user:banned');
    const { record, refreshToken } = await this.deps.store.create({ userId: user.id, ip: client.ip, userAgent: client.userAgent, now: this.now() });
    await this.deps.events?.publish({ type: 'session.created', audience: { userIds: [user.id] }, data: { sessionId: record.id, ip: client.ip, userAgent: client.userAgent } });
    return { tokens: this.pair(record, refreshToken), user: presentUser(user), sessionId: record.id };
  }

  private pair(record: SessionRecord, refreshToken: string): TokenPair {
    let accessToken: string;
    try {
      accessToken = this.deps.jwt.sign({ sub: record.userId, sid: record.id, typ: 'access' }, this.deps.accessTtlSeconds, this.now());
    } catch (cause) {
      throw new AppError('system:token_creation_error', { cause });
    }
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.deps.accessTtlSeconds };
  }

  /**
   * Rotates a refresh token. `fromCookie` picks the code for an unusable token: a browser's
   * cookie session is `user:invalid_session`, a token in the body `user:invalid_token`.
   */
  async refresh(token: string | undefined, fromCookie: boolean): Promise<TokenPair> {
    if (!token) throw new AppError('user:no_refresh_token');
    const unusable = fromCookie ? 'user:invalid_session' : 'user:invalid_token';
    const parsed = SessionStore.parseRefreshToken(token);
    if (!parsed) throw new AppError(unusable);
    const record = await this.liveSession(parsed.id);
    const now = this.now();
    const result = await this.deps.store.rotate(token, now);
    if (result.status === 'invalid') throw new AppError(unusable);
    if (result.status === 'not_found') throw new AppError('session:not_found');
    if (result.status === 'reused') {
      // A rotated token replayed after the grace window: someone else may hold it. End the session.
      await this.deps.store.revoke(record.id, record.userId);
      throw new AppError(unusable, { message: 'Refresh token was already used; the session has been ended' });
    }
    await this.touch(record, now, true);
    return this.pair(record, result.refreshToken);
  }

  /** The session behind a session id, or the precise reason it cannot be used. */
  private async liveSession(sessionId: string): Promise<SessionRecord> {
    const record = await this.deps.store.get(sessionId);
    if (!record) throw new AppError('session:not_found');
    if (typeof record.userId !== 'string' || !USER_ID.test(record.userId)) throw new AppError('session:invalid_user_id');
    const now = this.now();
    if (this.expired(record, now)) {
      await this.deps.store.revoke(record.id, record.userId);
      throw new AppError('session:expired');
    }
    return record;
  }

  /** Past its absolute lifetime, or idle too long. */
  private expired(record: SessionRecord, now: number): boolean {
    return now - record.createdAt > this.deps.absoluteLifetimeMs || now - record.lastSeenAt > this.deps.idleTimeoutMs;
  }

  private async touch(record: SessionRecord, now: number, force = false): Promise<void> {
    if (!force && now - record.lastSeenAt < TOUCH_EVERY_MS) return;
    await this.deps.store.save({ ...record, lastSeenAt: now }, now);
  }

  /** The claims of a well-signed, unexpired access token; 401 otherwise. */
  private accessClaims(accessToken: string, now: number): CachedClaims {
    let claims = this.verifiedTokens.get(accessToken, now);
    if (claims === undefined) {
      const verified = this.deps.jwt.verify<AccessClaims>(accessToken, now);
      if (!verified.ok) throw new AppError(verified.reason === 'expired' ? 'user:token_expired' : 'user:invalid_token');
      const { sub, sid, typ, exp } = verified.payload;
      if (typ !== 'access' || typeof sub !== 'string' || typeof sid !== 'string') throw new AppError('user:invalid_token');
      claims = { sub, sid, expiresAt: exp * 1000 };
      this.verifiedTokens.set(accessToken, claims, now);
    } else if (claims.expiresAt <= now) {
      throw new AppError('user:token_expired');
    }
    return claims;
  }

  /**
   * Access token → actor. The token's signature check may come from a short-lived cache;
   * the session is read on every request, so revocation is seen on the next one, not at
   * token expiry. When the session is in this process's short cache, needs no touch and
   * is plainly usable (nearly every request), the answer is a value, not a promise: no
   * await on the request path. Anything else takes the full path, which also finds the
   * precise reason a session cannot be used.
   */
  authenticate(accessToken: string): AuthenticatedUser | Promise<AuthenticatedUser> {
    const now = this.now();
    const claims = this.accessClaims(accessToken, now);
    const record = this.deps.store.cached(claims.sid);
    if (
      record !== undefined &&
      record.userId === claims.sub &&
      now - record.lastSeenAt < TOUCH_EVERY_MS &&
      !this.expired(record, now)
    ) {
      return { kind: 'user', userId: claims.sub, sessionId: claims.sid, session: record, tokenExpiresAt: claims.expiresAt };
    }
    return this.authenticateFully(claims, now);
  }

  private async authenticateFully({ sub, sid, expiresAt }: CachedClaims, now: number): Promise<AuthenticatedUser> {
    let record: SessionRecord;
    try {
      record = await this.liveSession(sid);
    } catch (err) {
      // A ban ends every session; tell the banned user why rather than "session not found".
      if (err instanceof AppError && err.code === 'session:not_found') {
        const user = await this.deps.users.findById(sub);
        if (user && isBanned(user, this.now())) throw new AppError('user:banned');
      }
      throw err;
    }
    if (record.userId !== sub) throw new AppError('user:invalid_token');
    if (now - record.lastSeenAt >= TOUCH_EVERY_MS) await this.touch(record, now);
    return { kind: 'user', userId: sub, sessionId: sid, session: record, tokenExpiresAt: expiresAt };
  }

  async logout(actor: Actor): Promise<void> {
    await this.deps.store.revoke(actor.sessionId, actor.userId);
  }

  async list(actor: Actor): Promise<Array<{ id: string; current: boolean; createdAt: string; lastSeenAt: string; ip: string | null; userAgent: string | null }>> {
    const records = await this.deps.store.list(actor.userId);
    return records
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
      .map((r) => ({
        id: r.id,
        current: r.id === actor.sessionId,
        createdAt: new Date(r.createdAt).toISOString(),
        lastSeenAt: new Date(r.lastSeenAt).toISOString(),
        ip: r.ip,
        userAgent: r.userAgent,
      }));
  }

  async revoke(actor: Actor, sessionId: string): Promise<void> {
    const record = await this.deps.store.get(sessionId);
    // Another user's session id reads as unknown: ids are not an oracle.
    if (!record || record.userId !== actor.userId) throw new AppError('system:not_found', { message: 'Session not found' });
    await this.deps.store.revoke(sessionId, actor.userId);
  }

  async revokeOthers(actor: Actor): Promise<number> {
    return this.deps.store.revokeAll(actor.userId, actor.sessionId);
  }

  async revokeAllFor(userId: string, keep?: string): Promise<number> {
    return this.deps.store.revokeAll(userId, keep);
  }
}
