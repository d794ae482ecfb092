import type { DomainEvent, EventAudience } from '../../ports/events.ts';

/** A teams event as the workspaces module raises it (src/modules/workspaces/team-events.ts). */
export interface RaisedTeamEvent {
  type: string;
  workspaceId: string;
  userId?: string;
}

/**
 * Audience for a teams event: the workspace, plus the member it is about (so a user who was
 * just added hears of it, and their open feed starts following the workspace).
 */
export function teamDomainEvent(event: RaisedTeamEvent): DomainEvent {
  const { type, ...data } = event;
  const audience: EventAudience = { workspaceIds: [event.workspaceId], ...(event.userId ? { userIds: [event.userId] } : {}) };
  return { type, audience, data };
}
