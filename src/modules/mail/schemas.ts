import { z } from '@hono/zod-openapi';
import type { MailJob } from './mailer.ts';

const text = z.string().min(1).max(1_000);
const token = z.string().min(1).max(512);
const email = z.string().min(3).max(320);

/** The worker's job payload: one template with its data, checked field by field. */
export const MailJobSchema: z.ZodType<MailJob> = z
  .discriminatedUnion('template', [
    z.object({ template: z.literal('verification'), to: email, data: z.object({ handle: text, token }) }),
    z.object({ template: z.literal('password_reset'), to: email, data: z.object({ handle: text, token }) }),
    z.object({ template: z.literal('email_change'), to: email, data: z.object({ handle: text, token, newEmail: email }) }),
    z.object({ template: z.literal('email_changed_notice'), to: email, data: z.object({ handle: text, newEmail: email }) }),
    z.object({ template: z.literal('magic_link'), to: email, data: z.object({ token }) }),
    z.object({
      template: z.literal('invitation'),
      to: email,
      data: z.object({ token, workspaceName: text, inviterHandle: text, role: z.string().min(1).max(64) }),
    }),
  ])
  .openapi('MailJob');

export const MailJobResultSchema = z.object({ sent: z.literal(true) }).openapi('MailJobResult');

const MailboxSummaryFields = {
  id: z.string(),
  template: z.string(),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  createdAt: z.string().openapi({ example: '2026-03-07T12:00:00.000Z' }),
};

export const MailboxEntrySchema = z.object(MailboxSummaryFields).openapi('MailboxEntry');
export const MailboxMessageSchema = z.object({ ...MailboxSummaryFields, html: z.string() }).openapi('MailboxMessage');

export const MailboxQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(100).optional(),
});
