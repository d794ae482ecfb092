import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../errors/index.ts';
import { ok } from '../../http/envelope.ts';
import { errorResponses, jsonResponse } from '../../http/openapi.ts';
import { createRouter } from '../../http/router.ts';
import type { OutboxMessage, OutboxReader } from '../../ports/mail-transport.ts';
import { MailboxEntrySchema, MailboxMessageSchema, MailboxQuerySchema } from './schemas.ts';

export interface MailRoutesDeps {
  mailbox: OutboxReader;
}

const tags = ['development'];

function summary(m: OutboxMessage) {
  return { id: m.id, template: m.template, from: m.from, to: m.to, subject: m.subject, text: m.text, createdAt: new Date(m.createdAt).toISOString() };
}

/**
 * The development mailbox: what the outbox transport stored, newest first. create-app mounts
 * these only when NODE_ENV=development, because the messages carry live sign-in tokens.
 */
export function mailRoutes(deps: MailRoutesDeps) {
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/dev/mailbox',
      tags,
      summary: 'Development mailbox: outbox messages, newest first',
      request: { query: MailboxQuerySchema },
      responses: { 200: jsonResponse(z.array(MailboxEntrySchema), 'Messages; `meta.nextCursor` pages on'), ...errorResponses(400) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await deps.mailbox.list({ limit, before: cursor });
      return ok(c, page.messages.map(summary), 200, { nextCursor: page.nextCursor });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/dev/mailbox/{id}',
      tags,
      summary: 'Development mailbox: one message with its HTML body',
      request: { params: z.object({ id: z.string().min(1).max(100) }) },
      responses: { 200: jsonResponse(MailboxMessageSchema, 'The message'), ...errorResponses(404) },
    }),
    async (c) => {
      const message = await deps.mailbox.get(c.req.valid('param').id);
      if (!message) throw new AppError('system:not_found', { message: 'Message not found' });
      return ok(c, { ...summary(message), html: message.html });
    },
  );

  return app;
}
