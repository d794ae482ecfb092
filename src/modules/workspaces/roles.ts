import { AppError } from '../../errors/index.ts';
import type { WorkspaceRole } from '../../db/schema.ts';

export type { WorkspaceRole };

/** The roles an invitation or a role change can grant: ownership moves only by transfer. */
export const ASSIGNABLE_ROLES = ['admin', 'member'] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

const RANK: Record<WorkspaceRole, number> = { member: 1, admin: 2, owner: 3 };

/** owner > admin > member. */
export function hasRole(role: WorkspaceRole, atLeast: WorkspaceRole): boolean {
  return RANK[role] >= RANK[atLeast];
}

/**
 * Refuses a member below `atLeast`. The caller is already known to be a member (non-members
 * got a 404 before this); ownership-only actions other than transfer say "Insufficient role".
 */
export function assertRole(role: WorkspaceRole, atLeast: WorkspaceRole): void {
  if (!hasRole(role, atLeast)) throw new AppError('workspace:role_insufficient');
}
