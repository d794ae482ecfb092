import { AppError } from '../../errors/index.ts';
import { sha256 } from '../../lib/crypto.ts';
import type { KvStore } from '../../ports/kv.ts';

export interface LockoutPolicy {
  /** Failures within the window that lock the account. */
  threshold: number;
  windowMs: number;
  lockMs: number;
}

/**
 * Per-account sign-in lockout: failed password and TOTP steps count against the account
 * (a fixed window started by the first failure); at the threshold, sign-in is refused with
 * 429 for `lockMs`. Logins that match no account count against the login string itself, so
 * an unknown address locks exactly like a real one and the 429 is no existence oracle.
 */
export class SignInLockout {
  constructor(
    private readonly kv: KvStore,
    private readonly policy: LockoutPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lockout subject for a login string that matched no account. */
  static unknownLogin(login: string): string {
    return `login:${sha256(login.trim().toLowerCase())}`;
  }

  private failuresKey(subject: string): string {
    return `lockout:fail:${subject}`;
  }

  private lockKey(subject: string): string {
    return `lockout:until:${subject}`;
  }

  /** Throws 429 rate_limit:exceeded with Retry-After while the subject is locked. */
  async assertOpen(subject: string): Promise<void> {
    const until = await this.kv.get(this.lockKey(subject));
    if (until === null) return;
    const leftMs = Number(until) - this.now();
    if (leftMs <= 0) return;
    throw new AppError('rate_limit:exceeded', {
      message: 'Too many failed sign-in attempts; try again later',
      headers: { 'Retry-After': String(Math.ceil(leftMs / 1000)) },
    });
  }

  /** Counts one failure; the one that reaches the threshold locks the subject. */
  async recordFailure(subject: string): Promise<void> {
    const count = await this.kv.increment(this.failuresKey(subject), 1, this.policy.windowMs);
    if (count >= this.policy.threshold) {
      await this.kv.set(this.lockKey(subject), String(this.now() + this.policy.lockMs), { ttlMs: this.policy.lockMs });
      await this.kv.delete(this.failuresKey(subject));
    }
  }

  /** A completed sign-in or a password reset: failures and any lock are forgotten. */
  async clear(subject: string): Promise<void> {
    await Promise.all([this.kv.delete(this.failuresKey(subject)), this.kv.delete(this.lockKey(subject))]);
  }
}
