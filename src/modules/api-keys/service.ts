import { AppError, type FieldIssue } from '../../errors/index.ts';
import { newId, randomToken, sha256 } from '../../lib/crypto.ts';
import { serializeOnce } from '../../lib/serialize-once.ts';
import { formatCidr, ipMatcher, parseCidr, parseIp, type Cidr } from '../../lib/ip.ts';
import type { ProjectsService } from '../projects/service.ts';
import { pageOf } from '../workspaces/present.ts';
import type { Page } from '../workspaces/schemas.ts';
import { publishNowhere, type PublishTeamEvent } from '../workspaces/team-events.ts';
import type { ApiKeyCache, VerifiedKey } from './key-cache.ts';
import type { LastUsedTracker } from './last-used.ts';
import type { ApiKeyRow, ApiKeysRepo, ApiKeyWithWorkspace } from './repo.ts';
import type { ApiKey, CreateApiKeyInput, CreatedApiKey, CurrentApiKey } from './schemas.ts';
import type { ApiKeyActor, ApiKeyScope } from './scopes.ts';

export const API_KEY_PREFIX = 'bsk_';
// 38 random bytes: 304 bits, of which the displayed prefix shows 48, leaving 256 secret.
const SECRET_BYTES = 38;
const DISPLAY_CHARS = API_KEY_PREFIX.length + 8;
// Anything else is refused before hashing or touching the database.
const KEY_FORMAT = /^bsk_[A-Za-z0-9_-]{20,200}$/;

export interface ApiKeysDeps {
  keys: ApiKeysRepo;
  projects: Pick<ProjectsService, 'access'>;
  cache: ApiKeyCache;
  lastUsed: LastUsedTracker;
  publish?: PublishTeamEvent;
  now?: () => number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parseJsonList<T extends string>(text: string | null): T[] | null {
  return text === null ? null : (JSON.parse(text) as T[]);
}

/** Normalised CIDRs; `general:invalid_ip_address` naming every entry that is not an IP or CIDR. */
export function parseAllowedIps(entries: readonly string[]): string[] {
  const issues: FieldIssue[] = [];
  const out: string[] = [];
  entries.forEach((entry, i) => {
    const cidr = parseCidr(entry);
    if (cidr) out.push(formatCidr(cidr));
    else issues.push({ field: `allowedIps.${i}`, issue: `not an IP address or CIDR range: "${entry.slice(0, 64)}"` });
  });
  if (issues.length > 0) throw new AppError('general:invalid_ip_address', { details: issues });
  return [...new Set(out)];
}

function toActor(row: ApiKeyWithWorkspace): ApiKeyActor {
  return {
    keyId: row.id,
    projectId: row.project_id,
    workspaceId: row.workspace_id,
    name: row.name,
    prefix: row.prefix,
    scopes: parseJsonList<ApiKeyScope>(row.scopes) ?? [],
    expiresAt: row.expires_at,
    allowedIps: parseJsonList<string>(row.allowed_ips),
    createdAt: row.created_at,
  };
}

function toVerified(row: ApiKeyWithWorkspace): VerifiedKey {
  const actor = toActor(row);
  const cidrs = actor.allowedIps?.map((c) => parseCidr(c)).filter((c): c is Cidr => c !== null);
  return { actor, allows: cidrs ? ipMatcher(cidrs) : null };
}

/**
 * Project API keys: `bsk_` + 304 random bits, shown once, stored as SHA-256. Management
 * needs a workspace admin. Authentication looks the key up by its hash (no secret is ever
 * compared, so there is nothing to time), through a short cache of verified keys.
 */
export class ApiKeysService {
  private readonly now: () => number;
  private readonly publish: PublishTeamEvent;
  // Key-authenticated clients call `current` to check themselves; the answer changes only with the key.
  private readonly shownKeys = new WeakMap<ApiKeyActor, CurrentApiKey>();

  constructor(private readonly deps: ApiKeysDeps) {
    this.now = deps.now ?? Date.now;
    this.publish = deps.publish ?? publishNowhere;
  }

  async create(userId: string, projectId: string, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const project = await this.deps.projects.access(userId, projectId, 'admin');
    const now = this.now();
    const allowedIps = input.allowedIps ? parseAllowedIps(input.allowedIps) : null;
    const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
    if (expiresAt !== null && expiresAt <= now) throw new AppError('general:validation_error', { details: [{ field: 'expiresAt', issue: 'must be in the future' }] });
    const secret = `${API_KEY_PREFIX}${randomToken(SECRET_BYTES)}`;
    const scopes = [...new Set(input.scopes)];
    const row: ApiKeyRow = {
      id: newId('key'),
      project_id: project.id,
      name: input.name,
      prefix: secret.slice(0, DISPLAY_CHARS),
      key_hash: sha256(secret),
      scopes: JSON.stringify(scopes),
      allowed_ips: allowedIps ? JSON.stringify(allowedIps) : null,
      expires_at: expiresAt,
      created_by: userId,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    await this.deps.keys.insert(row);
    this.publish({ type: 'apikey.created', workspaceId: project.workspace_id, projectId: project.id, keyId: row.id, scopes, createdBy: userId });
    return { ...this.present(row), secret };
  }

  async list(userId: string, projectId: string, page: Page): Promise<{ items: ApiKey[]; nextCursor: string | null }> {
    const project = await this.deps.projects.access(userId, projectId, 'admin');
    const rows = await this.deps.keys.listActive(project.id, { after: page.cursor, limit: page.limit + 1 });
    return pageOf(rows, page.limit, (r) => r.id, (r) => this.present(r));
  }

  /** Takes effect at once in this process; other processes within the cache TTL. */
  async revoke(userId: string, projectId: string, keyId: string): Promise<void> {
    const project = await this.deps.projects.access(userId, projectId, 'admin');
    if (!(await this.deps.keys.revoke(project.id, keyId, this.now()))) throw new AppError('apikey:not_found');
    this.deps.cache.forgetKey(keyId);
    this.deps.lastUsed.forget(keyId);
    this.publish({ type: 'apikey.revoked', workspaceId: project.workspace_id, projectId: project.id, keyId, revokedBy: userId });
  }

  /**
   * The key a request presents, or `apikey:invalid` (unknown, malformed, expired, revoked)
   * or `apikey:ip_not_allowed` (the client address is outside its allowlist). A key in the
   * verified-key cache (nearly every request) is answered at once, as a value, not a promise:
   * no await on the request path; a refusal is then thrown, not rejected.
   */
  authenticate(secret: string, clientIp: string): ApiKeyActor | Promise<ApiKeyActor> {
    if (!KEY_FORMAT.test(secret)) throw new AppError('apikey:invalid');
    const hash = sha256(secret);
    const cached = this.deps.cache.get(hash);
    if (cached !== undefined) return this.admit(cached, clientIp);
    return this.deps.cache.getOrLoad(hash, () => this.load(hash)).then((key) => this.admit(key, clientIp));
  }

  /** The checks a verified key passes on every request: expiry, allowlist; then its use is noted. */
  private admit(key: VerifiedKey, clientIp: string): ApiKeyActor {
    const now = this.now();
    if (key.actor.expiresAt !== null && key.actor.expiresAt <= now) throw new AppError('apikey:invalid');
    if (key.allows) {
      const ip = parseIp(clientIp);
      if (!ip || !key.allows(ip)) throw new AppError('apikey:ip_not_allowed');
    }
    this.deps.lastUsed.record(key.actor.keyId, now);
    return key.actor;
  }

  /** The calling key's own metadata; a key of another project gets `project:not_found`. */
  current(actor: ApiKeyActor, projectId: string): CurrentApiKey {
    if (actor.projectId !== projectId) throw new AppError('project:not_found');
    let shown = this.shownKeys.get(actor);
    if (shown === undefined) this.shownKeys.set(actor, (shown = serializeOnce(presentCurrent(actor))));
    return shown;
  }

  /** Writes pending last-used times (tests; a clean shutdown). */
  flushLastUsed(): Promise<void> {
    return this.deps.lastUsed.flush();
  }

  private async load(hash: string): Promise<VerifiedKey> {
    const row = await this.deps.keys.findByHash(hash);
    if (!row || row.revoked_at !== null) throw new AppError('apikey:invalid');
    return toVerified(row);
  }

  private present(row: ApiKeyRow): ApiKey {
    const seen = this.deps.lastUsed.seen(row.id);
    const lastUsed = Math.max(row.last_used_at ?? -1, seen ?? -1);
    return {
      id: row.id,
      projectId: row.project_id,
      name: row.name,
      prefix: row.prefix,
      scopes: parseJsonList<ApiKeyScope>(row.scopes) ?? [],
      allowedIps: parseJsonList<string>(row.allowed_ips),
      expiresAt: iso(row.expires_at),
      createdAt: new Date(row.created_at).toISOString(),
      lastUsedAt: lastUsed < 0 ? null : new Date(lastUsed).toISOString(),
      createdBy: row.created_by,
    };
  }
}

/** What GET /v1/projects/:id/keys/current shows, made once per verified key (its actor never changes). */
function presentCurrent(actor: ApiKeyActor): CurrentApiKey {
  return {
    id: actor.keyId,
    projectId: actor.projectId,
    workspaceId: actor.workspaceId,
    name: actor.name,
    prefix: actor.prefix,
    scopes: [...actor.scopes],
    allowedIps: actor.allowedIps ? [...actor.allowedIps] : null,
    expiresAt: iso(actor.expiresAt),
    createdAt: new Date(actor.createdAt).toISOString(),
  };
}
