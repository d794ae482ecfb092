import type { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '../errors/index.ts';
import { BODY_METHODS, bodyLimit } from '../http/body-limit.ts';
import type { AppEnv } from '../http/env.ts';
import { errorHandler } from '../http/error-mapper.ts';
import { requestContext } from '../http/request-context.ts';
import { createRouter } from '../http/router.ts';
import { mailRoutes } from '../modules/mail/routes.ts';
import { docsRoutes } from '../modules/platform/docs.ts';
import { platformRoutes } from '../modules/platform/routes.ts';
import { credentials, credentialsStep } from '../http/credentials.ts';
import { apiKeysRoutes } from '../modules/api-keys/routes.ts';
import { projectsRoutes } from '../modules/projects/routes.ts';
import { MAX_INGEST_BYTES } from '../modules/logs/ingest-body.ts';
import { logsRoutes } from '../modules/logs/routes.ts';
import { invitationRoutes } from '../modules/workspaces/invitation-routes.ts';
import { workspacesRoutes } from '../modules/workspaces/routes.ts';
import { accountsRoutes } from '../modules/accounts/routes.ts';
import { adminRoutes } from '../modules/admin/routes.ts';
import { emailChangeRoutes } from '../modules/email-change/routes.ts';
import { passwordsRoutes } from '../modules/passwords/routes.ts';
import { sessionsRoutes } from '../modules/sessions/routes.ts';
import { magicLinkRoutes } from '../modules/magic-link/routes.ts';
import { totpRoutes } from '../modules/totp/routes.ts';
import { oauthRoutes } from '../modules/oauth/routes.ts';
import { eventsRoutes } from '../modules/events/routes.ts';
import { postsRoutes } from '../modules/posts/routes.ts';
import { searchRoutes } from '../modules/search/routes.ts';
import { filesRoutes } from '../modules/files/routes.ts';
import { consoleRoutes } from '../modules/console/routes.ts';
import { providersFromConfig } from '../modules/oauth/providers.ts';
import type { Container } from './container.ts';
import { buildServices, type Services } from './services.ts';

export interface AppOptions {
  /** Extra routes mounted before the catch-all (tests use this for fault injection). */
  extend?: (app: OpenAPIHono<AppEnv>, container: Container, services: Services) => void;
  /** Services built by the caller (tests share them with the app); built here otherwise. */
  services?: Services;
}

/** The HTTP application: middleware, every module's routes, the OpenAPI document. */
export function createApp(container: Container, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const { config, logger, sql, kv, metrics, guards } = container;
  const app = createRouter();

  const onError = errorHandler({ exposeInternals: config.NODE_ENV === 'development' });
  // Every layer here costs each request an await: steps that need none run inside the
  // request context, switched-off limits are not mounted, and the body limit is mounted only
  // for the methods that carry a body.
  const services = options.services ?? buildServices(container);
  const authenticate = credentialsStep(services.sessions, services.apiKeys);
  // An IP limit must refuse a flood before authentication costs anything; without one,
  // authentication runs inside the request context (an oversized body is then refused after
  // bad credentials are, rather than before).
  const ipLimits = guards.enabled('api:ip');
  const authInContext = ipLimits.length === 0;
  app.use('*', requestContext({ logger, metrics, clientIp: guards.clientIpStep(), onError, credentials: authInContext ? { prefix: '/v1', step: authenticate } : undefined }));
  for (const limit of ipLimits) app.use('/v1/*', limit);
  // Uploads stream and enforce MAX_UPLOAD_BYTES themselves (src/modules/files).
  app.on(BODY_METHODS, '*', bodyLimit({ maxBytes: config.BODY_LIMIT_BYTES, overrides: [{ prefix: '/v1/files', maxBytes: 'stream' }, { prefix: '/v1/logs', maxBytes: MAX_INGEST_BYTES }] }));
  if (!authInContext) app.use('/v1/*', credentials(authenticate));
  for (const limit of guards.enabled('api:user')) app.use('/v1/*', limit);

  app.route(
    '/',
    platformRoutes({
      metrics,
      probes: [
        { name: 'sql', check: () => sql.ping() },
        { name: 'kv', check: () => kv.ping() },
      ],
    }),
  );
  app.route('/', docsRoutes());
  // The mailbox shows live tokens: development only, absent (404) everywhere else.
  if (config.NODE_ENV === 'development') app.route('/', mailRoutes({ mailbox: container.mailbox }));
  const cookie = { secure: config.NODE_ENV === 'production', maxAgeSeconds: config.SESSION_ABSOLUTE_LIFETIME_SECONDS };
  app.route('/', accountsRoutes({ accounts: services.accounts, guards }));
  app.route('/', sessionsRoutes({ sessions: services.sessions, guards, cookie }));
  app.route('/', totpRoutes({ totp: services.totp, sessions: services.sessions, guards, cookie }));
  app.route('/', magicLinkRoutes({ magicLink: services.magicLink, sessions: services.sessions, guards, cookie }));
  app.route('/', oauthRoutes({ oauth: services.oauth, sessions: services.sessions, guards, cookie, stateTtlSeconds: config.OAUTH_STATE_TTL_SECONDS }));
  app.route('/', passwordsRoutes({ passwords: services.passwords, guards }));
  app.route('/', emailChangeRoutes({ emailChange: services.emailChange }));
  app.route('/', adminRoutes({ admin: services.admin, passwords: services.passwords }));
  app.route('/', workspacesRoutes({ workspaces: services.workspaces }));
  app.route('/', invitationRoutes({ invitations: services.invitations }));
  app.route('/', projectsRoutes({ projects: services.projects }));
  app.route(
    '/',
    logsRoutes({
      logs: services.logs,
      projects: services.projects,
      guards,
      tailHeartbeatMs: config.LOG_TAIL_HEARTBEAT_SECONDS * 1000,
      apiKeys: services.apiKeys,
      sessionActive: async (id) => (await services.sessionStore.get(id)) !== null,
      tailRecheckMs: config.LOG_TAIL_RECHECK_SECONDS * 1000,
    }),
  );
  app.route('/', apiKeysRoutes({ apiKeys: services.apiKeys }));
  app.route('/', eventsRoutes({ events: services.events, heartbeatMs: config.EVENTS_HEARTBEAT_SECONDS * 1000 }));
  app.route('/', postsRoutes({ posts: services.posts }));
  app.route('/', searchRoutes({ search: services.search }));
  app.route('/', filesRoutes({ files: services.files }));
  options.extend?.(app, container, services);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Basalt API',
      version: '0.1.0',
      description: 'Every response is an envelope: `{success, data, error, meta}`. Error codes: see `/errors`.',
    },
    servers: [{ url: config.PUBLIC_URL }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });

  // The console (web/dist) last: it answers every other GET outside the API's own prefixes.
  app.route('/', consoleRoutes({ config: { appName: config.APP_NAME, devMailbox: config.NODE_ENV === 'development', oauthProviders: [...providersFromConfig(config).keys()] } }));

  app.notFound(() => {
    throw new AppError('system:not_found');
  });
  app.onError(onError);
  return app;
}
