import { z } from '@hono/zod-openapi';
import { IdParam, NameSchema } from '../workspaces/schemas.ts';
import { API_KEY_SCOPES } from './scopes.ts';

export const ScopeSchema = z.enum(API_KEY_SCOPES);

export const ApiKeySchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the secret, for recognising a key' }),
    scopes: z.array(ScopeSchema),
    allowedIps: z.array(z.string()).nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    createdBy: z.string().nullable(),
  })
  .openapi('ApiKey');

export const CreatedApiKeySchema = ApiKeySchema.extend({
  secret: z.string().openapi({ description: 'The key itself: shown this once, stored only as a SHA-256 hash' }),
}).openapi('CreatedApiKey');

export const CurrentApiKeySchema = ApiKeySchema.omit({ lastUsedAt: true, createdBy: true }).extend({ workspaceId: z.string() }).openapi('CurrentApiKey');

export const CreateApiKeyBody = z.object({
  name: NameSchema,
  scopes: z.array(ScopeSchema).min(1, { error: 'Give at least one scope' }).max(API_KEY_SCOPES.length * 2),
  expiresAt: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time' }).nullable().optional(),
  // Entries are parsed by the service: a bad one is general:invalid_ip_address, naming it.
  allowedIps: z.array(z.string().max(100)).min(1, { error: 'Omit allowedIps to allow any address' }).max(50).nullable().optional(),
});

export const KeyParams = z.object({ id: IdParam, keyId: IdParam });

export type ApiKey = z.infer<typeof ApiKeySchema>;
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;
export type CurrentApiKey = z.infer<typeof CurrentApiKeySchema>;
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyBody>;
