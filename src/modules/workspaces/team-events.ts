import type { AssignableRole, WorkspaceRole } from './roles.ts';

/**
 * The domain events the teams modules raise. The event port (src/ports/events.ts, issue 7)
 * does not exist yet: services call `publish`, which the composition root will point at
 * that port; until then it is a no-op. Publishing never fails the action that raised it.
 */
export type TeamEvent =
  | { type: 'workspace.member_added'; workspaceId: string; userId: string; role: WorkspaceRole | AssignableRole; via: 'create' | 'invitation' }
  | { type: 'apikey.created'; workspaceId: string; projectId: string; keyId: string; scopes: string[]; createdBy: string }
  | { type: 'apikey.revoked'; workspaceId: string; projectId: string; keyId: string; revokedBy: string };

export type PublishTeamEvent = (event: TeamEvent) => void;

export const publishNowhere: PublishTeamEvent = () => {};
