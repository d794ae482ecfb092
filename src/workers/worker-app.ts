import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors/index.ts';
import { accessLog } from '../http/access-log.ts';
import { bodyLimit } from '../http/body-limit.ts';
import type { AppEnv } from '../http/env.ts';
import { ok } from '../http/envelope.ts';
import { errorHandler } from '../http/error-mapper.ts';
import { errorResponses, jsonResponse } from '../http/openapi.ts';
import { requestId } from '../http/request-id.ts';
import { createRouter } from '../http/router.ts';
import { safeEqual } from '../lib/crypto.ts';
import type { Logger } from '../lib/logger.ts';
import type { Mailer } from '../modules/mail/mailer.ts';
import { MailJobResultSchema, MailJobSchema } from '../modules/mail/schemas.ts';

export interface WorkerAppDeps {
  /** The in-process mailer: the worker is where mail is actually rendered and sent. */
  mailer: Mailer;
  logger: Logger;
  /** WORKER_TOKEN; when absent every caller is let in (allowed outside production only). */
  token: string | undefined;
  exposeInternals: boolean;
}

function requireToken(token: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (token !== undefined) {
      const header = c.req.header('authorization') ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!safeEqual(given, token)) throw new AppError('user:unauthorized', { message: 'Invalid worker token' });
    }
    await next();
  };
}

/**
 * The worker process's HTTP face: the API posts jobs here (RemoteMailer). Answers in the
 * same envelope as the API, so a `worker:*` code travels back unchanged.
 */
export function createWorkerApp(deps: WorkerAppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.use('*', requestId(deps.logger));
  app.use('*', accessLog());
  app.use('*', bodyLimit({ maxBytes: 64 * 1024 }));

  app.get('/health', (c) => ok(c, { status: 'ok' as const }));

  app.use('/jobs/*', requireToken(deps.token));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/mail',
      summary: 'Render and send one templated e-mail now',
      request: { body: { required: true, content: { 'application/json': { schema: MailJobSchema } } } },
      responses: { 200: jsonResponse(MailJobResultSchema, 'Accepted by the mail transport'), ...errorResponses(400, 401, 502, 503) },
    }),
    async (c) => {
      const job = c.req.valid('json');
      await deps.mailer.send(job.template, job.to, job.data);
      return ok(c, { sent: true as const });
    },
  );

  app.notFound(() => {
    throw new AppError('system:not_found');
  });
  app.onError(errorHandler({ exposeInternals: deps.exposeInternals }));
  return app;
}
