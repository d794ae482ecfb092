import { randomToken, sha256 } from '../../lib/crypto.ts';
import type { KvStore } from '../../ports/kv.ts';

export type TicketResult<T> = { status: 'ok'; payload: T; expiresAt: number } | { status: 'invalid' } | { status: 'expired' };

interface Stored<T> {
  payload: T;
  expiresAt: number;
}

// Kept this long past expiry so a late caller hears "expired" rather than "unknown".
const EXPIRED_MEMORY_MS = 60 * 60 * 1000;

/**
 * Short-lived single-use bearer tokens in the KV store (OAuth state, pending OAuth sign-ups,
 * TOTP temporary login tokens). The key is the token's SHA-256, so the store never holds a
 * usable token. `consume` is the KV's getAndDelete: of concurrent callers exactly one wins.
 */
export class Tickets<T> {
  constructor(
    private readonly kv: KvStore,
    private readonly prefix: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private key(token: string): string {
    return `${this.prefix}:${sha256(token)}`;
  }

  async issue(payload: T): Promise<{ token: string; expiresAt: number }> {
    const token = randomToken(32);
    const expiresAt = this.now() + this.ttlMs;
    await this.kv.set(this.key(token), JSON.stringify({ payload, expiresAt } satisfies Stored<T>), { ttlMs: this.ttlMs + EXPIRED_MEMORY_MS });
    return { token, expiresAt };
  }

  async consume(token: string): Promise<TicketResult<T>> {
    if (token.length === 0 || token.length > 512) return { status: 'invalid' };
    const raw = await this.kv.getAndDelete(this.key(token));
    if (raw === null) return { status: 'invalid' };
    const stored = JSON.parse(raw) as Stored<T>;
    if (stored.expiresAt <= this.now()) return { status: 'expired' };
    return { status: 'ok', payload: stored.payload, expiresAt: stored.expiresAt };
  }

  /**
   * Puts a consumed ticket back, unchanged and with its original expiry (a mistyped TOTP
   * code or a taken handle should not send the user back to the start). Only the caller
   * that consumed it can do this, so it stays single-use under concurrency.
   */
  async restore(token: string, payload: T, expiresAt: number): Promise<void> {
    const left = expiresAt - this.now();
    if (left <= 0) return;
    await this.kv.set(this.key(token), JSON.stringify({ payload, expiresAt } satisfies Stored<T>), { ttlMs: left + EXPIRED_MEMORY_MS });
  }
}
