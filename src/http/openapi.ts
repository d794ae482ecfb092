import { z } from '@hono/zod-openapi';
import { ERROR_TYPES } from '../errors/types.ts';

export const MetaSchema = z
  .object({ timestamp: z.string().openapi({ example: '2026-03-07T12:00:00.000Z' }), nextCursor: z.string().nullable().optional() })
  .openapi('Meta');

export const ErrorEnvelopeSchema = z
  .object({
    success: z.literal(false),
    data: z.null(),
    error: z.object({
      code: z.string().openapi({ example: 'general:validation_error', description: 'Stable code; see /errors' }),
      type: z.enum(ERROR_TYPES),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), issue: z.string() })).optional(),
      requestId: z.string().openapi({ example: 'req_3f2a…' }),
    }),
    meta: MetaSchema,
  })
  .openapi('ErrorEnvelope');

/** The success envelope around a route's data schema. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data, error: z.null(), meta: MetaSchema });
}

/** A JSON response in the success envelope, for a route definition's `responses`. */
export function jsonResponse<T extends z.ZodType>(data: T, description: string) {
  return { description, content: { 'application/json': { schema: envelope(data) } } };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (general:validation_error, general:bad_request, …)',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  429: 'Rate limited',
  500: 'Server fault',
  503: 'A dependency is unavailable',
};

/** Error responses for a route definition, all in the error envelope. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: ERROR_DESCRIPTIONS[s] ?? 'Error', content: { 'application/json': { schema: ErrorEnvelopeSchema } } }]),
  );
}
