import { hash } from 'node:crypto';
import type { Context } from 'hono';
import { ipBucket, parseIp } from '../lib/ip.ts';
import type { AppEnv } from './env.ts';
import type { KeyKind } from './rate-limit-rules.ts';

/**
 * What a request is counted by under a rule. Null: the rule does not apply to this request
 * (e.g. no login identifier in the body; the route's validation refuses it anyway, and the
 * per-IP rules still count it).
 */
export type KeyFn = (c: Context<AppEnv>) => string | null | Promise<string | null>;

export interface KeyFunctions {
  /** The client IP (an IPv6 client by its network prefix). */
  ip: KeyFn;
  /** `c.var.userId` once authentication set it; the client IP before that. */
  user: KeyFn;
  /**
   * `c.var.userId`, or null (not counted) for an anonymous request: the default of the
   * `api:user` rule, so anonymous callers are not given a second per-IP budget on top of
   * `api:ip`.
   */
  signedInUser: KeyFn;
  /** `c.var.apiKeyId` once API-key auth set it; else the presented key, hashed; else the IP. */
  apiKey: KeyFn;
  /** The calling API key's project, or null (not counted) for a request without a key. */
  project: KeyFn;
  /** A string field of the JSON body, trimmed and lower-cased, hashed. */
  bodyField(field: string): KeyFn;
}

// Identifiers and keys are hashed so the limiter's store never holds e-mails or secrets.
const digest = (value: string): string => hash('sha256', value, 'base64url').slice(0, 32);

function presentedApiKey(c: Context<AppEnv>): string | undefined {
  const header = c.req.header('x-api-key')?.trim();
  if (header) return header;
  const auth = c.req.header('authorization');
  const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  return bearer?.startsWith('bsk_') ? bearer : undefined;
}

async function jsonField(c: Context<AppEnv>, field: string): Promise<string | null> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().includes('json')) return null;
  let body: unknown;
  try {
    // Hono caches the body text, so the route's validator reads it again unharmed.
    body = await c.req.json();
  } catch {
    return null;
  }
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') return null;
  const normalized = value.trim().toLowerCase();
  return normalized === '' ? null : normalized;
}

export function createKeyFunctions(options: { ipv6Prefix: number }): KeyFunctions {
  const ip: KeyFn = (c) => {
    const text = c.get('clientIp');
    // clientIp is canonical already; only IPv6 needs grouping by prefix.
    if (!text.includes(':')) return `ip:${text}`;
    const parsed = parseIp(text);
    return `ip:${parsed ? ipBucket(parsed, options.ipv6Prefix) : text}`;
  };
  return {
    ip,
    user: (c) => {
      const userId = c.get('userId');
      return userId ? `user:${userId}` : ip(c);
    },
    signedInUser: (c) => {
      const userId = c.get('userId');
      return userId ? `user:${userId}` : null;
    },
    apiKey: (c) => {
      const id = c.get('apiKeyId');
      if (id) return `key:${id}`;
      const presented = presentedApiKey(c);
      return presented ? `key:h:${digest(presented)}` : ip(c);
    },
    project: (c) => {
      const projectId = c.get('apiKey')?.projectId;
      return projectId ? `project:${projectId}` : null;
    },
    bodyField: (field) => async (c) => {
      const value = await jsonField(c, field);
      return value === null ? null : `${field}:${digest(value)}`;
    },
  };
}

/** The default key function of each kind of rule. */
export function keyFor(kind: KeyKind, keys: KeyFunctions): KeyFn {
  switch (kind) {
    case 'ip':
      return keys.ip;
    case 'user':
      return keys.signedInUser;
    case 'api_key':
      return keys.apiKey;
    case 'project':
      return keys.project;
    case 'login':
      return keys.bodyField('login');
    case 'email':
      return keys.bodyField('email');
  }
}
