import { AppError } from '../../errors/index.ts';
import type { Logger } from '../../lib/logger.ts';
import { verifyPassword } from '../../lib/password-hash.ts';
import type { EmailTokens } from '../accounts/email-tokens.ts';
import { presentUser } from '../accounts/present.ts';
import { uniqueViolation, type UsersRepo } from '../accounts/repo.ts';
import type { User } from '../accounts/schemas.ts';
import type { Mailer } from '../mail/mailer.ts';

export interface EmailChangeDeps {
  users: UsersRepo;
  tokens: EmailTokens;
  mailer: Mailer;
  logger: Logger;
  ttlSeconds: number;
  now?: () => number;
}

export class EmailChangeService {
  private readonly now: () => number;

  constructor(private readonly deps: EmailChangeDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Re-authenticates with the password, then mails a confirmation link to the new address. */
  async request(userId: string, input: { newEmail: string; password: string }): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    if (user.password_hash === null) throw new AppError('password:cannot_update_oauth_only', { message: 'Set a password before changing the e-mail address' });
    if (!(await verifyPassword(user.password_hash, input.password))) throw new AppError('password:incorrect', { details: [{ field: 'password', issue: 'incorrect' }] });
    if (input.newEmail === user.email) throw new AppError('general:validation_error', { details: [{ field: 'newEmail', issue: 'is already your address' }] });
    if (await this.deps.users.findByEmail(input.newEmail)) throw new AppError('user:email_already_exists', { details: [{ field: 'newEmail', issue: 'already registered' }] });
    const now = this.now();
    await this.deps.tokens.revokeAll(user.id, 'email_change', now);
    const token = await this.deps.tokens.issue({ userId: user.id, purpose: 'email_change', email: input.newEmail, previousEmail: user.email, ttlSeconds: this.deps.ttlSeconds, now });
    await this.deps.mailer.send('email_change', input.newEmail, { handle: user.handle, token, newEmail: input.newEmail });
  }

  /** Applies the change (the token proves the new address) and tells the old address. */
  async confirm(userId: string, token: string): Promise<User> {
    const now = this.now();
    const result = await this.deps.tokens.consume('email_change', token, now);
    if (result.status !== 'ok' || result.token.user_id !== userId) throw new AppError('token:invalid_email_change');
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('token:invalid_email_change');
    // The address changed some other way after this link was sent.
    if (result.token.previous_email !== user.email) throw new AppError('token:email_mismatch');
    let updated;
    try {
      updated = await this.deps.users.update(user.id, { email: result.token.email, email_verified_at: now, updated_at: now });
    } catch (err) {
      if (uniqueViolation(err) === 'email') throw new AppError('user:email_already_exists', { details: [{ field: 'newEmail', issue: 'already registered' }] });
      throw err;
    }
    await this.deps.mailer.send('email_changed_notice', user.email, { handle: user.handle, newEmail: result.token.email }).catch((err: unknown) => {
      this.deps.logger.warn({ err, userId: user.id }, 'e-mail change notice not sent to the old address');
    });
    return presentUser(updated ?? user);
  }
}
