import type { UserRow } from './repo.ts';
import type { PublicProfile, User } from './schemas.ts';

/** The account as its owner sees it: never the hash. */
export function presentUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified_at !== null,
    handle: row.handle,
    role: row.role,
    displayName: row.display_name,
    bio: row.bio,
    avatarUrl: row.avatar_url,
    hasPassword: row.password_hash !== null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function presentProfile(row: UserRow): PublicProfile {
  return { handle: row.handle, displayName: row.display_name, bio: row.bio, avatarUrl: row.avatar_url, createdAt: new Date(row.created_at).toISOString() };
}

/** A ban is in force when set and not past its expiry. */
export function isBanned(row: UserRow, now: number): boolean {
  return row.banned_at !== null && (row.ban_expires_at === null || row.ban_expires_at > now);
}
