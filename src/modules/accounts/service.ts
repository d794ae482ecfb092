import { AppError } from '../../errors/index.ts';
import { newId } from '../../lib/crypto.ts';
import type { Logger } from '../../lib/logger.ts';
import { serializeOnce } from '../../lib/serialize-once.ts';
import { hashPassword, verifyPassword } from '../../lib/password-hash.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { EventPublisher } from '../../ports/events.ts';
import type { SessionStore } from '../sessions/session-store.ts';
import type { EmailTokens } from './email-tokens.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import { presentProfile, presentUser } from './present.ts';
import { uniqueViolation, type UserRow, type UsersRepo } from './repo.ts';
import type { ProfilePatch, PublicProfile, User } from './schemas.ts';

export interface AccountsDeps {
  users: UsersRepo;
  tokens: EmailTokens;
  sessions: SessionStore;
  mailer: Mailer;
  logger: Logger;
  verificationTtlSeconds: number;
  /** Actions (e.g. "posts.create") that need a verified e-mail. */
  requireVerifiedFor: readonly string[];
  /** Domain events (user.registered, user.verified); see src/ports/events.ts. */
  events?: EventPublisher;
  /** Runs before an account is deleted; may refuse (e.g. it owns a shared workspace). */
  beforeDelete?: (userId: string) => Promise<void>;
  /** How recent a sign-in must be to delete the account without the password. */
  recentAuthMs?: number;
  now?: () => number;
}

export class AccountsService {
  private readonly now: () => number;
  private readonly shownUsers = new WeakMap<UserRow, User>();

  constructor(private readonly deps: AccountsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async register(input: { email: string; handle: string; password: string }): Promise<{ user: User; verificationEmailSent: boolean }> {
    assertPasswordAcceptable(input.password);
    // Cheap uniqueness checks first, so a taken handle costs no argon2 run; the unique
    // indexes still decide races.
    if (await this.deps.users.findByEmail(input.email)) throw new AppError('user:email_already_exists', { details: [{ field: 'email', issue: 'already registered' }] });
    if (await this.deps.users.findByHandle(input.handle)) throw new AppError('user:handle_already_exists', { details: [{ field: 'handle', issue: 'already taken' }] });
    const passwordHash = await hashPassword(input.password);
    const now = this.now();
    const row: UserRow = {
      id: newId('usr'),
      email: input.email,
      email_verified_at: null,
      handle: input.handle,
      password_hash: passwordHash,
      role: 'user',
      display_name: null,
      bio: null,
      avatar_url: null,
      banned_at: null,
      ban_reason: null,
      ban_expires_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.deps.users.insert(row);
    } catch (err) {
      const column = uniqueViolation(err);
      if (column === 'email') throw new AppError('user:email_already_exists', { details: [{ field: 'email', issue: 'already registered' }] });
      if (column === 'handle') throw new AppError('user:handle_already_exists', { details: [{ field: 'handle', issue: 'already taken' }] });
      throw err;
    }
    await this.deps.events?.publish({ type: 'user.registered', audience: { userIds: [row.id] }, data: { userId: row.id, handle: row.handle } });
    // The account exists whatever the mail does; a failed send is logged and can be retried
    // with /verify-email/resend, which reports the failure.
    const verificationEmailSent = await this.sendVerification(row).then(
      () => true,
      (err: unknown) => {
        this.deps.logger.warn({ err, userId: row.id }, 'verification mail not sent at registration');
        return false;
      },
    );
    return { user: presentUser(row), verificationEmailSent };
  }

  private async sendVerification(user: UserRow): Promise<void> {
    const token = await this.deps.tokens.issue({ userId: user.id, purpose: 'verify_email', email: user.email, ttlSeconds: this.deps.verificationTtlSeconds, now: this.now() });
    await this.deps.mailer.send('verification', user.email, { handle: user.handle, token });
  }

  async verifyEmail(token: string): Promise<User> {
    const now = this.now();
    const result = await this.deps.tokens.consume('verify_email', token, now);
    if (result.status === 'invalid') throw new AppError('token:invalid_verification');
    if (result.status === 'expired') throw new AppError('token:expired_verification');
    const user = await this.deps.users.findById(result.token.user_id);
    if (!user) throw new AppError('token:invalid_verification');
    if (user.email !== result.token.email) throw new AppError('token:email_mismatch');
    const updated = user.email_verified_at === null ? await this.deps.users.update(user.id, { email_verified_at: now, updated_at: now }) : user;
    if (user.email_verified_at === null) await this.deps.events?.publish({ type: 'user.verified', audience: { userIds: [user.id] }, data: { userId: user.id } });
    return presentUser(updated ?? user);
  }

  async resendVerification(userId: string): Promise<void> {
    const user = await this.mustFind(userId);
    if (user.email_verified_at !== null) throw new AppError('email:already_verified');
    await this.deps.tokens.revokeAll(user.id, 'verify_email', this.now());
    await this.sendVerification(user);
  }

  async me(userId: string): Promise<User> {
    const row = await this.mustFind(userId, true);
    // Rows come from a short cache (UsersRepo.findForDisplay): present each one once.
    let shown = this.shownUsers.get(row);
    if (shown === undefined) this.shownUsers.set(row, (shown = serializeOnce(presentUser(row))));
    return shown;
  }

  async updateProfile(userId: string, patch: ProfilePatch): Promise<User> {
    await this.mustFind(userId);
    const updated = await this.deps.users.update(userId, {
      ...(patch.displayName !== undefined ? { display_name: patch.displayName || null } : {}),
      ...(patch.bio !== undefined ? { bio: patch.bio } : {}),
      ...(patch.avatarUrl !== undefined ? { avatar_url: patch.avatarUrl } : {}),
      updated_at: this.now(),
    });
    await this.deps.events?.publish({ type: 'user.updated', audience: { userIds: [userId] }, data: { userId } });
    return presentUser(updated ?? (await this.mustFind(userId)));
  }

  /**
   * Deletes the account and everything personal (tokens cascade; sessions end). Needs the
   * password, or a sign-in within the last few minutes for accounts without one.
   */
  async deleteAccount(userId: string, proof: { password?: string | undefined; authenticatedAt: number }): Promise<void> {
    const user = await this.mustFind(userId);
    const recent = this.now() - proof.authenticatedAt <= (this.deps.recentAuthMs ?? 5 * 60_000);
    if (proof.password !== undefined) {
      if (user.password_hash === null || !(await verifyPassword(user.password_hash, proof.password))) throw new AppError('password:incorrect');
    } else if (!recent) {
      throw new AppError('password:required_for_update', { message: 'Confirm with your password or sign in again to delete the account', details: [{ field: 'password', issue: 'required' }] });
    }
    await this.deps.beforeDelete?.(user.id);
    await this.deps.sessions.revokeAll(user.id);
    await this.deps.users.delete(user.id);
    await this.deps.events?.publish({ type: 'user.deleted', audience: { userIds: [user.id] }, data: { userId: user.id } });
  }

  async publicProfile(handle: string): Promise<PublicProfile> {
    const user = await this.deps.users.findByHandle(handle.toLowerCase());
    if (!user) throw new AppError('user:not_found');
    return presentProfile(user);
  }

  /** Refuses an action listed in REQUIRE_VERIFIED_EMAIL_FOR for an unverified account. */
  async requireVerified(userId: string, action: string): Promise<void> {
    if (!this.deps.requireVerifiedFor.includes(action)) return;
    const user = await this.mustFind(userId, true);
    if (user.email_verified_at === null) throw new AppError('user:not_verified');
  }

  /** `forDisplay`: the short-cached read (UsersRepo.findForDisplay), for showing the user and the verified gate. */
  private async mustFind(userId: string, forDisplay = false): Promise<UserRow> {
    const user = forDisplay ? await this.deps.users.findForDisplay(userId) : await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    return user;
  }
}
