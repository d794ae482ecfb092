import { createHmac } from 'node:crypto';
import { JwtCodec } from '../lib/jwt.ts';
import { EmailTokens } from '../modules/accounts/email-tokens.ts';
import { UsersRepo } from '../modules/accounts/repo.ts';
import { AccountsService } from '../modules/accounts/service.ts';
import { AdminService } from '../modules/admin/service.ts';
import { EmailChangeService } from '../modules/email-change/service.ts';
import { PasswordsService } from '../modules/passwords/service.ts';
import { SessionsService } from '../modules/sessions/service.ts';
import { SessionStore } from '../modules/sessions/session-store.ts';
import type { ApiKeysService } from '../modules/api-keys/service.ts';
import type { ProjectsService } from '../modules/projects/service.ts';
import type { InvitationsService } from '../modules/workspaces/invitations.ts';
import type { WorkspacesService } from '../modules/workspaces/service.ts';
import { buildTeams } from '../modules/workspaces/teams.ts';
import { WorkspacesRepo } from '../modules/workspaces/repo.ts';
import { EventsService } from '../modules/events/service.ts';
import { FilesRepo } from '../modules/files/repo.ts';
import { FilesService } from '../modules/files/service.ts';
import { PostsRepo } from '../modules/posts/repo.ts';
import { PostsService } from '../modules/posts/service.ts';
import { SearchService } from '../modules/search/service.ts';
import { teamDomainEvent } from '../modules/events/team-events.ts';
import { SignInLockout } from '../modules/totp/lockout.ts';
import type { TotpService } from '../modules/totp/service.ts';
import { buildSignInMethods } from '../modules/totp/sign-in-methods.ts';
import type { MagicLinkService } from '../modules/magic-link/service.ts';
import type { OAuthService } from '../modules/oauth/service.ts';
import type { Container } from './container.ts';
import { loadSigningKey } from './secrets.ts';
import { LogsRepo } from '../modules/logs/repo.ts';
import { LogsService } from '../modules/logs/service.ts';

export interface Services {
  users: UsersRepo;
  accounts: AccountsService;
  sessions: SessionsService;
  sessionStore: SessionStore;
  passwords: PasswordsService;
  emailChange: EmailChangeService;
  admin: AdminService;
  workspaces: WorkspacesService;
  invitations: InvitationsService;
  projects: ProjectsService;
  apiKeys: ApiKeysService;
  /** Live feeds of domain events (GET /v1/events). */
  events: EventsService;
  posts: PostsService;
  search: SearchService;
  files: FilesService;
  /** Sign-in methods (docs/sign-in.md): TOTP 2FA, the per-account lockout, magic links, OAuth. */
  totp: TotpService;
  lockout: SignInLockout;
  magicLink: MagicLinkService;
  oauth: OAuthService;
  /** Log ingest, queries, histogram, live tail, retention settings (docs/logs.md). */
  logs: LogsService;
}

/** Module services wired from the container's adapters; no adapter is built here. */
export function buildServices(container: Container): Services {
  const { config, sql, kv, mailer, logger } = container;
  const signingKey = loadSigningKey(config);
  const sessionCacheTtlMs = config.SESSION_CACHE_TTL_SECONDS * 1000;
  const users = new UsersRepo(sql.db, { cacheTtlMs: sessionCacheTtlMs });
  const tokens = new EmailTokens(sql.db);
  const absoluteLifetimeMs = config.SESSION_ABSOLUTE_LIFETIME_SECONDS * 1000;
  const sessionStore = new SessionStore(kv, {
    absoluteLifetimeMs,
    graceMs: config.REFRESH_REUSE_GRACE_SECONDS * 1000,
    // A separate key for refresh-token derivation, so the JWT key never signs anything else.
    rotationKey: createHmac('sha256', signingKey).update('basalt refresh rotation').digest(),
    cacheTtlMs: sessionCacheTtlMs,
  });
  const signIn = buildSignInMethods({ config, db: sql.db, rowLocks: sql.capabilities.rowLocks, kv, users, tokens, mailer, logger, signingKey });
  const sessions = new SessionsService({
    users,
    secondFactor: signIn.totp,
    lockout: signIn.lockout,
    unknownLoginSubject: SignInLockout.unknownLogin,
    store: sessionStore,
    jwt: new JwtCodec(signingKey),
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    idleTimeoutMs: config.SESSION_IDLE_TIMEOUT_SECONDS * 1000,
    absoluteLifetimeMs,
    events: container.events,
  });
  const accounts = new AccountsService({
    users,
    tokens,
    sessions: sessionStore,
    mailer,
    logger,
    verificationTtlSeconds: config.VERIFICATION_TOKEN_TTL_SECONDS,
    requireVerifiedFor: config.REQUIRE_VERIFIED_EMAIL_FOR,
    events: container.events,
    // Bound late: teams are built below, from these accounts.
    beforeDelete: (userId) => teams.workspaces.releaseOwned(userId),
  });
  const files = new FilesRepo(sql.db);
  const posts = new PostsService({ db: sql.db, posts: new PostsRepo(sql.db), files, users, accounts, events: container.events });
  const content = {
    posts,
    search: new SearchService({ index: container.search, posts, users }),
    files: new FilesService({ db: sql.db, files, blobs: container.blobs, accounts, events: container.events, logger, maxUploadBytes: config.MAX_UPLOAD_BYTES, quotaBytes: config.UPLOAD_QUOTA_BYTES }),
  };
  const teams = buildTeams({
    db: sql.db,
    users,
    accounts,
    mailer,
    logger,
    apiKeyCacheTtlSeconds: config.API_KEY_CACHE_TTL_SECONDS,
    apiKeyLastUsedIntervalSeconds: config.API_KEY_LAST_USED_INTERVAL_SECONDS,
    // Teams events never fail the action that raised them: a record that cannot be written is logged.
    publish: (event) => {
      container.events.publish(teamDomainEvent(event)).catch((err: unknown) => logger.warn({ err, type: event.type }, 'team event not recorded'));
    },
  });
  const built: Omit<Services, 'logs'> = {
    users,
    sessionStore,
    sessions,
    accounts,
    passwords: new PasswordsService({ users, tokens, sessions: sessionStore, mailer, logger, resetTtlSeconds: config.RESET_TOKEN_TTL_SECONDS, lockout: signIn.lockout }),
    ...signIn,
    emailChange: new EmailChangeService({ users, tokens, mailer, logger, ttlSeconds: config.EMAIL_CHANGE_TOKEN_TTL_SECONDS }),
    admin: new AdminService({ users, sessions: sessionStore }),
    ...teams,
    events: new EventsService({
      stream: container.eventStream,
      workspaceIdsOf: workspaceIdsOf(new WorkspacesRepo(sql.db)),
      // An open event stream ends when its session is revoked: checked once per heartbeat interval.
      sessionActive: async (sessionId) => (await sessionStore.get(sessionId)) !== null,
      sessionCheckMs: config.EVENTS_HEARTBEAT_SECONDS * 1000,
    }),
    ...content,
  };
  const { logs } = container;
  return {
    ...built,
    logs: new LogsService({
      queue: logs.queue,
      repo: new LogsRepo(sql.db, sql.capabilities),
      hotCache: logs.hotCache,
      hub: logs.hub,
      tailSettled: (projectId) => logs.tailSettled(projectId),
      projects: built.projects,
      defaultRetentionDays: config.LOG_RETENTION_DAYS,
    }),
  };
}

/** A user's workspace ids, for the event feed's audience (every membership, not one page). */
function workspaceIdsOf(repo: WorkspacesRepo) {
  return async (userId: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await repo.listForUser(userId, { after, limit: 500 });
      ids.push(...page.map((w) => w.id));
      if (page.length < 500) return ids;
      after = page[page.length - 1]?.id;
    }
  };
}
