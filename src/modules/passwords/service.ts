import { AppError } from '../../errors/index.ts';
import type { Logger } from '../../lib/logger.ts';
import { hashPassword, verifyPassword } from '../../lib/password-hash.ts';
import type { EmailTokens } from '../accounts/email-tokens.ts';
import { assertPasswordAcceptable } from '../accounts/password-policy.ts';
import type { UserRow, UsersRepo } from '../accounts/repo.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { SessionStore } from '../sessions/session-store.ts';

export interface PasswordsDeps {
  users: UsersRepo;
  tokens: EmailTokens;
  sessions: SessionStore;
  mailer: Mailer;
  logger: Logger;
  resetTtlSeconds: number;
  /** The sign-in lockout (src/modules/totp/lockout.ts): a reset lifts it. */
  lockout?: { clear(subject: string): Promise<void> };
  now?: () => number;
}

export class PasswordsService {
  private readonly now: () => number;

  constructor(private readonly deps: PasswordsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Change with the current password; every other session ends. */
  async change(userId: string, sessionId: string, input: { currentPassword?: string | undefined; newPassword?: string | undefined }): Promise<{ otherSessionsRevoked: number }> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    if (user.password_hash === null) throw new AppError('password:cannot_update_oauth_only');
    if (!input.currentPassword) throw new AppError('password:required_for_update', { details: [{ field: 'currentPassword', issue: 'required' }] });
    if (!input.newPassword) throw new AppError('password:new_password_missing', { details: [{ field: 'newPassword', issue: 'required' }] });
    assertPasswordAcceptable(input.newPassword, 'newPassword');
    if (!(await verifyPassword(user.password_hash, input.currentPassword))) throw new AppError('password:incorrect', { details: [{ field: 'currentPassword', issue: 'incorrect' }] });
    await this.deps.users.update(user.id, { password_hash: await hashPassword(input.newPassword), updated_at: this.now() });
    return { otherSessionsRevoked: await this.deps.sessions.revokeAll(user.id, sessionId) };
  }

  /** First password for an account that signed up with OAuth. */
  async set(userId: string, newPassword: string): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    if (user.password_hash !== null) throw new AppError('password:already_set');
    assertPasswordAcceptable(newPassword, 'newPassword');
    const hash = await hashPassword(newPassword);
    if (!(await this.deps.users.setFirstPassword(user.id, hash, this.now()))) throw new AppError('password:already_set');
  }

  /**
   * Always resolves the same way, whether or not the address has an account: the lookup is
   * the only work done before answering, and the token and mail happen after, in the
   * background. A failed send is logged, never reported (that would reveal the account).
   */
  async forgot(email: string): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (!user) return;
    void this.mailResetLink(user).catch((err: unknown) => this.deps.logger.warn({ err, userId: user.id }, 'password reset mail not sent'));
  }

  /**
   * An admin sends a user a reset link. Unlike `forgot`, a failed send is reported
   * (502 worker:password_reset_email_send_failed): the admin already knows the account exists.
   */
  async sendResetLink(userId: string): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('user:not_found');
    await this.mailResetLink(user);
  }

  private async mailResetLink(user: UserRow): Promise<void> {
    const now = this.now();
    // A new link retires the old ones.
    await this.deps.tokens.revokeAll(user.id, 'reset_password', now);
    const token = await this.deps.tokens.issue({ userId: user.id, purpose: 'reset_password', email: user.email, ttlSeconds: this.deps.resetTtlSeconds, now });
    await this.deps.mailer.send('password_reset', user.email, { handle: user.handle, token });
  }

  /** Sets a new password from a mailed token (single use, atomically) and ends every session. */
  async reset(token: string, newPassword: string): Promise<void> {
    assertPasswordAcceptable(newPassword);
    const now = this.now();
    const result = await this.deps.tokens.consume('reset_password', token, now);
    if (result.status === 'invalid') throw new AppError('token:invalid_reset');
    if (result.status === 'expired') throw new AppError('token:expired_reset');
    const user = await this.deps.users.findById(result.token.user_id);
    if (!user || user.email !== result.token.email) throw new AppError('token:invalid_reset');
    // Receiving the link proves the address too.
    await this.deps.users.update(user.id, { password_hash: await hashPassword(newPassword), email_verified_at: user.email_verified_at ?? now, updated_at: now });
    await this.deps.sessions.revokeAll(user.id);
    // Whoever guessed at the old password, the owner has just proved the mailbox: sign-in reopens.
    await this.deps.lockout?.clear(user.id);
  }
}
