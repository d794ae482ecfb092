/**
 * Every scope an API key can carry: one list, so adding a scope is adding a line here (the
 * request schema, the docs and the checks all read it).
 */
export const API_KEY_SCOPES = ['logs:write', 'logs:read', 'posts:read', 'posts:write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A verified API key, as routes see it (`c.var.apiKey`): what it may do and where. */
export interface ApiKeyActor {
  keyId: string;
  projectId: string;
  workspaceId: string;
  name: string;
  prefix: string;
  scopes: readonly ApiKeyScope[];
  /** Epoch ms, or null for a key that does not expire. */
  expiresAt: number | null;
  /** Canonical CIDRs, or null when any address may use the key. */
  allowedIps: readonly string[] | null;
  createdAt: number;
}

export function hasScope(actor: ApiKeyActor, scope: ApiKeyScope): boolean {
  return actor.scopes.includes(scope);
}
