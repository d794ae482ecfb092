import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import type { UsersRepo } from '../accounts/repo.ts';
import { ApiKeyCache } from '../api-keys/key-cache.ts';
import { LastUsedTracker } from '../api-keys/last-used.ts';
import { ApiKeysRepo } from '../api-keys/repo.ts';
import { ApiKeysService } from '../api-keys/service.ts';
import type { Mailer } from '../mail/mailer.ts';
import { ProjectsRepo } from '../projects/repo.ts';
import { ProjectsService } from '../projects/service.ts';
import { InvitationsRepo } from './invitations-repo.ts';
import { InvitationsService } from './invitations.ts';
import { WorkspacesRepo } from './repo.ts';
import { WorkspacesService } from './service.ts';
import type { PublishTeamEvent } from './team-events.ts';

export interface TeamsServices {
  workspaces: WorkspacesService;
  invitations: InvitationsService;
  projects: ProjectsService;
  apiKeys: ApiKeysService;
}

export interface TeamsDeps {
  db: Kysely<Database>;
  users: UsersRepo;
  accounts: { requireVerified(userId: string, action: string): Promise<void> };
  mailer: Mailer;
  logger: Logger;
  apiKeyCacheTtlSeconds: number;
  apiKeyLastUsedIntervalSeconds: number;
  /** Where domain events go (the event port, once it exists); nowhere by default. */
  publish?: PublishTeamEvent;
}

/** Workspaces, invitations, projects and API keys, wired to each other (called by buildServices). */
export function buildTeams(deps: TeamsDeps): TeamsServices {
  const { db, logger } = deps;
  const publish = deps.publish ? { publish: deps.publish } : {};
  const workspacesRepo = new WorkspacesRepo(db);
  const keysRepo = new ApiKeysRepo(db);
  const keyCache = new ApiKeyCache({ ttlMs: deps.apiKeyCacheTtlSeconds * 1000 });
  const lastUsed = new LastUsedTracker({ intervalMs: deps.apiKeyLastUsedIntervalSeconds * 1000, write: (id, at) => keysRepo.touch(id, at), logger });
  const workspaces = new WorkspacesService({ db, workspaces: workspacesRepo, accounts: deps.accounts, keyCache, ...publish });
  const invitations = new InvitationsService({ db, invitations: new InvitationsRepo(db), workspaces: workspacesRepo, access: workspaces, users: deps.users, mailer: deps.mailer, logger, ...publish });
  const projects = new ProjectsService({ projects: new ProjectsRepo(db), workspaces, keyCache });
  const apiKeys = new ApiKeysService({ keys: keysRepo, projects, cache: keyCache, lastUsed, ...publish });
  return { workspaces, invitations, projects, apiKeys };
}
