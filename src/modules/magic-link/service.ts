import { AppError } from '../../errors/index.ts';
import type { Logger } from '../../lib/logger.ts';
import type { EmailTokens } from '../accounts/email-tokens.ts';
import type { UserRow, UsersRepo } from '../accounts/repo.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { SecondFactor } from '../sessions/service.ts';

export interface MagicLinkDeps {
  users: UsersRepo;
  tokens: EmailTokens;
  mailer: Mailer;
  logger: Logger;
  secondFactor: SecondFactor;
  ttlSeconds: number;
  now?: () => number;
}

/** A proven user, or (2FA on) the temporary token for the TOTP step. */
export type SignInStep = { kind: 'user'; user: UserRow } | { kind: 'totp'; tempToken: string; expiresIn: number };

/**
 * Passwordless sign-in by a mailed link. Links go only to existing accounts: an unknown
 * address gets no mail and the same answer (sign-up needs a handle and goes through
 * /v1/auth/register). The token is single-use, hashed at rest (email_tokens), 15 minutes.
 */
export class MagicLinkService {
  private readonly now: () => number;

  constructor(private readonly deps: MagicLinkDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Same answer and timing whatever the address: the lookup is the only work before the
   * reply; the token and mail happen in the background, and a failed send is only logged.
   */
  async request(email: string): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (!user) return;
    void this.mailLink(user).catch((err: unknown) => this.deps.logger.warn({ err, userId: user.id }, 'magic link mail not sent'));
  }

  private async mailLink(user: UserRow): Promise<void> {
    const now = this.now();
    // A new link retires the older ones.
    await this.deps.tokens.revokeAll(user.id, 'magic_link', now);
    const token = await this.deps.tokens.issue({ userId: user.id, purpose: 'magic_link', email: user.email, ttlSeconds: this.deps.ttlSeconds, now });
    await this.deps.mailer.send('magic_link', user.email, { token });
  }

  /** Consumes the link (one concurrent caller wins); using it proves, so verifies, the address. */
  async verify(token: string): Promise<SignInStep> {
    const now = this.now();
    const result = await this.deps.tokens.consume('magic_link', token, now);
    if (result.status === 'invalid') throw new AppError('token:invalid_magic_link');
    if (result.status === 'expired') throw new AppError('token:expired_magic_link');
    const found = await this.deps.users.findById(result.token.user_id);
    // The address changed since the link was sent: the link no longer proves the account's mailbox.
    if (!found || found.email !== result.token.email) throw new AppError('token:invalid_magic_link');
    const user = found.email_verified_at === null ? ((await this.deps.users.update(found.id, { email_verified_at: now, updated_at: now })) ?? found) : found;
    if (await this.deps.secondFactor.isEnabled(user.id)) return { kind: 'totp', ...(await this.deps.secondFactor.challenge(user.id)) };
    return { kind: 'user', user };
  }
}
