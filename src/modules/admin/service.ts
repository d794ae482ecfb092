import { AppError } from '../../errors/index.ts';
import { presentUser, isBanned } from '../accounts/present.ts';
import type { UserRow, UsersRepo } from '../accounts/repo.ts';
import type { User } from '../accounts/schemas.ts';
import type { UserRole } from '../../db/schema.ts';
import type { SessionStore } from '../sessions/session-store.ts';

export interface AdminUser extends User {
  banned: boolean;
  banReason: string | null;
  banExpiresAt: string | null;
}

function presentAdminUser(row: UserRow, now: number): AdminUser {
  return {
    ...presentUser(row),
    banned: isBanned(row, now),
    banReason: row.ban_reason,
    banExpiresAt: row.ban_expires_at === null ? null : new Date(row.ban_expires_at).toISOString(),
  };
}

export class AdminService {
  private readonly now: () => number;

  constructor(private readonly deps: { users: UsersRepo; sessions: SessionStore; now?: () => number }) {
    this.now = deps.now ?? Date.now;
  }

  /** 403 user:permission_insufficient unless the caller is an admin. */
  async assertAdmin(userId: string): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    if (user.role !== 'admin') throw new AppError('user:permission_insufficient');
  }

  async list(options: { q?: string | undefined; role?: UserRole | undefined; cursor?: string | undefined; limit: number }): Promise<{ users: AdminUser[]; nextCursor: string | null }> {
    const rows = await this.deps.users.list({
      limit: options.limit + 1,
      ...(options.q ? { q: options.q } : {}),
      ...(options.role ? { role: options.role } : {}),
      ...(options.cursor ? { after: options.cursor } : {}),
    });
    const page = rows.slice(0, options.limit);
    const now = this.now();
    return { users: page.map((r) => presentAdminUser(r, now)), nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null };
  }

  async setRole(adminId: string, userId: string, role: UserRole): Promise<AdminUser> {
    const user = await this.mustFind(userId);
    if (user.id === adminId && role !== 'admin') throw new AppError('FORBIDDEN', { message: 'Admins cannot demote themselves' });
    const updated = await this.deps.users.update(user.id, { role, updated_at: this.now() });
    return presentAdminUser(updated ?? user, this.now());
  }

  /** Bans and ends every session at once: the next request with any old token is refused. */
  async ban(adminId: string, userId: string, input: { reason?: string | undefined; expiresAt?: string | undefined }): Promise<AdminUser> {
    const user = await this.mustFind(userId);
    if (user.id === adminId) throw new AppError('FORBIDDEN', { message: 'Admins cannot ban themselves' });
    const now = this.now();
    const expires = input.expiresAt ? Date.parse(input.expiresAt) : null;
    if (expires !== null && expires <= now) throw new AppError('general:validation_error', { details: [{ field: 'expiresAt', issue: 'must be in the future' }] });
    const updated = await this.deps.users.update(user.id, { banned_at: now, ban_reason: input.reason ?? null, ban_expires_at: expires, updated_at: now });
    await this.deps.sessions.revokeAll(user.id);
    return presentAdminUser(updated ?? user, now);
  }

  async unban(userId: string): Promise<AdminUser> {
    const user = await this.mustFind(userId);
    const updated = await this.deps.users.update(user.id, { banned_at: null, ban_reason: null, ban_expires_at: null, updated_at: this.now() });
    return presentAdminUser(updated ?? user, this.now());
  }

  private async mustFind(userId: string): Promise<UserRow> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('user:not_found');
    return user;
  }
}
