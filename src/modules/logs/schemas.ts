import { z } from '@hono/zod-openapi';
import { LOG_LEVELS } from './entry.ts';

export const LogEntrySchema = z
  .object({
    id: z.string().openapi({ description: 'Assigned at ingest; sorts by arrival. The SSE event id of the live tail.' }),
    timestamp: z.string().openapi({ example: '2026-03-07T12:00:00.000Z' }),
    level: z.enum(LOG_LEVELS),
    message: z.string(),
    service: z.string().nullable(),
    traceId: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()).nullable(),
    receivedAt: z.string(),
  })
  .openapi('LogEntry');

export const IngestResultSchema = z
  .object({
    accepted: z.number().int().openapi({ description: 'Entries durably queued' }),
    rejected: z.array(z.object({ index: z.number().int(), issue: z.string() })).openapi({ description: 'Entries not taken, by position in the request, with the reason' }),
  })
  .openapi('LogIngestResult');

const filterFields = {
  from: z.string().max(40).optional().openapi({ description: 'RFC 3339 or epoch ms, inclusive' }),
  to: z.string().max(40).optional().openapi({ description: 'RFC 3339 or epoch ms, exclusive' }),
  level: z.string().max(100).optional().openapi({ description: 'A minimum level (`warn`: warn, error, fatal) or a comma-separated list (`warn,error`)' }),
  q: z.string().max(500).optional().openapi({ description: 'Full text over the message: every word must occur; `word*` matches a prefix' }),
  service: z.string().max(128).optional(),
  traceId: z.string().max(128).optional(),
};

const ATTR_DESCRIPTION = 'Also `attr.<key>=<value>` (dotted keys reach nested attributes): attribute equality, up to 10.';

// Loose: `attr.*` parameters are read by name in the handler.
export const LogQuerySchema = z.looseObject({
  source: z.string().max(10).optional().openapi({ description: '`d1` (the SQL store, default) or `kv` (the hot cache of recent entries)' }),
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
}).openapi({ description: ATTR_DESCRIPTION });

export const HistogramQuerySchema = z.looseObject({
  source: z.string().max(10).optional(),
  ...filterFields,
  interval: z.string().max(10).optional().openapi({ description: 'Bucket width (`30s`, `5m`, `1h`, `1d`); chosen from the range when absent. The range defaults to the last 24 hours.' }),
}).openapi({ description: ATTR_DESCRIPTION });

export const TailQuerySchema = z.looseObject(filterFields).openapi({ description: ATTR_DESCRIPTION });

export const HistogramSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    interval: z.string(),
    intervalMs: z.number().int(),
    total: z.number().int(),
    buckets: z.array(z.object({ start: z.string(), count: z.number().int(), levels: z.record(z.string(), z.number().int()) })),
  })
  .openapi('LogHistogram');

export const LogSettingsSchema = z.object({ retentionDays: z.number().int() }).openapi('LogSettings');
export const LogSettingsBody = z.object({
  retentionDays: z.number().int().min(1, { error: 'At least 1 day' }).max(3650, { error: 'At most 3650 days' }),
});

/** `attr.<path>` query parameters, without the prefix. */
export function attributeParams(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (k.startsWith('attr.') && typeof v === 'string') out[k.slice(5)] = v;
  }
  return out;
}
