import type { InvitationRow } from './invitations-repo.ts';
import type { MemberRow, WorkspaceWithRole } from './repo.ts';
import type { Invitation, Member, Workspace } from './schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function presentWorkspace(w: WorkspaceWithRole): Workspace {
  return { id: w.id, slug: w.slug, name: w.name, role: w.role, createdAt: iso(w.created_at), updatedAt: iso(w.updated_at) };
}

export function presentMember(m: MemberRow): Member {
  return { userId: m.user_id, handle: m.handle, displayName: m.display_name, role: m.role, joinedAt: iso(m.created_at) };
}

export function presentInvitation(i: InvitationRow): Invitation {
  return { id: i.id, email: i.email, role: i.role, invitedBy: i.invited_by, createdAt: iso(i.created_at), expiresAt: iso(i.expires_at) };
}

/** A keyset page: fetch `limit + 1` rows, return `limit` and the cursor when more exist. */
export function pageOf<R, T>(rows: R[], limit: number, cursorOf: (row: R) => string, present: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(present), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
