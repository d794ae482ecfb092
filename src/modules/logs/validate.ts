import { LOG_LEVELS, levelNumber, type Attributes, type EntryTuple } from './entry.ts';

/** Per-entry limits (docs/logs.md). */
export const ENTRY_LIMITS = {
  maxEntryBytes: 64 * 1024,
  maxFieldLength: 128,
  maxAttributeDepth: 5,
  maxAttributeKeys: 100,
  maxAttributeKeyLength: 128,
} as const;

// Timestamps before this are refused: an epoch in seconds would otherwise land in 1970.
const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_FUTURE_MS = 24 * 3600 * 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export interface EntryIssue {
  field: string;
  issue: string;
}

export type Normalized = { ok: true; tuple: EntryTuple } | { ok: false; problem: EntryIssue };

const fail = (field: string, issue: string): Normalized => ({ ok: false, problem: { field, issue } });

/** Epoch ms from an epoch number in ms, µs or ns (told apart by magnitude). */
function fromEpoch(n: number): number {
  if (n >= 1e17) return Math.floor(n / 1e6);
  if (n >= 1e14) return Math.floor(n / 1e3);
  return Math.floor(n);
}

/** Epoch ms, or undefined when `value` is not a timestamp Basalt reads. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? fromEpoch(value) : undefined;
  if (typeof value !== 'string') return undefined;
  // Nanoseconds do not fit a JSON number exactly; senders often pass them as digit strings.
  if (/^\d{1,20}$/.test(value)) return value.length >= 18 ? Number(BigInt(value) / 1_000_000n) : fromEpoch(Number(value));
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Walks attribute values: depth and key count bounded; undefined when within the limits, else the issue. */
function checkAttributes(value: Attributes): string | undefined {
  let keys = 0;
  const walk = (v: unknown, depth: number): string | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    if (depth > ENTRY_LIMITS.maxAttributeDepth) return `nested deeper than ${ENTRY_LIMITS.maxAttributeDepth} levels`;
    if (Array.isArray(v)) {
      for (const item of v) {
        const issue = walk(item, depth + 1);
        if (issue) return issue;
      }
      return undefined;
    }
    for (const k in v as Attributes) {
      keys++;
      if (keys > ENTRY_LIMITS.maxAttributeKeys) return `more than ${ENTRY_LIMITS.maxAttributeKeys} keys`;
      if (k.length > ENTRY_LIMITS.maxAttributeKeyLength) return `a key longer than ${ENTRY_LIMITS.maxAttributeKeyLength} characters`;
      const issue = walk((v as Attributes)[k], depth + 1);
      if (issue) return issue;
    }
    return undefined;
  };
  return walk(value, 1);
}

function optionalText(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > ENTRY_LIMITS.maxFieldLength) return undefined;
  return value;
}

/**
 * One raw entry (parsed JSON) → the queue's tuple, or the first problem found. Unknown
 * fields are ignored. Hand-written rather than a schema: it runs for every entry of every
 * batch, at hundreds of thousands per second.
 */
export function normalizeEntry(raw: unknown, receivedAt: number): Normalized {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('(entry)', 'must be a JSON object');
  const e = raw as Record<string, unknown>;
  const message = e.message;
  if (typeof message !== 'string' || message.length === 0) return fail('message', 'required: a non-empty string');
  const level = typeof e.level === 'string' ? levelNumber(e.level.toLowerCase()) : undefined;
  if (level === undefined) return fail('level', `must be one of ${LOG_LEVELS.join(', ')}`);
  let ts = receivedAt;
  if (e.timestamp !== undefined && e.timestamp !== null) {
    const parsed = parseTimestamp(e.timestamp);
    if (parsed === undefined) return fail('timestamp', 'must be an RFC 3339 date-time or epoch milliseconds / nanoseconds');
    if (parsed < MIN_TS || parsed > receivedAt + MAX_FUTURE_MS) return fail('timestamp', 'out of range (after 2000-01-01, at most a day ahead)');
    ts = parsed;
  }
  const service = optionalText(e.service);
  if (service === undefined) return fail('service', `must be a string of 1–${ENTRY_LIMITS.maxFieldLength} characters`);
  const traceId = optionalText(e.traceId);
  if (traceId === undefined) return fail('traceId', `must be a string of 1–${ENTRY_LIMITS.maxFieldLength} characters`);
  let attributes: Attributes | null = null;
  if (e.attributes !== undefined && e.attributes !== null) {
    if (typeof e.attributes !== 'object' || Array.isArray(e.attributes)) return fail('attributes', 'must be a JSON object');
    const issue = checkAttributes(e.attributes as Attributes);
    if (issue) return fail('attributes', issue);
    attributes = e.attributes as Attributes;
  }
  return { ok: true, tuple: [ts, level, message, service, traceId, attributes] };
}

/** UTF-8 size of `text`, computed only when its length alone does not settle the limit. */
export function exceedsBytes(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  if (text.length > limit) return true;
  return Buffer.byteLength(text) > limit;
}
