import { logId } from '../../ports/log-queue.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const LEVEL_NUMBERS: ReadonlyMap<string, number> = new Map(LOG_LEVELS.map((l, i) => [l, i]));

/** 0 (trace) … 5 (fatal): stored as a number so "warn and above" is a range. */
export function levelNumber(level: string): number | undefined {
  return LEVEL_NUMBERS.get(level);
}

export function levelName(n: number): LogLevel {
  return LOG_LEVELS[n] ?? 'info';
}

export type Attributes = Record<string, unknown>;

/**
 * One entry as the queue carries it (a JSON array of these is a batch's payload) and the
 * SQL writers read it: `[ts (epoch ms), level (0–5), message, service, traceId, attributes]`.
 * Positional, so the writer's SQL reads fields by index (`value->>0`) without keys.
 */
export type EntryTuple = [ts: number, level: number, message: string, service: string | null, traceId: string | null, attributes: Attributes | null];

/** A stored entry, as the query side, the hot cache and the tail handle it. */
export interface StoredEntry {
  id: number;
  ts: number;
  level: number;
  message: string;
  service: string | null;
  traceId: string | null;
  attributes: Attributes | null;
  receivedAt: number;
}

/** A log entry as the API returns it. */
export interface LogEntry {
  id: string;
  timestamp: string;
  level: LogLevel;
  message: string;
  service: string | null;
  traceId: string | null;
  attributes: Attributes | null;
  receivedAt: string;
}

export function presentEntry(e: StoredEntry): LogEntry {
  return {
    id: String(e.id),
    timestamp: new Date(e.ts).toISOString(),
    level: levelName(e.level),
    message: e.message,
    service: e.service,
    traceId: e.traceId,
    attributes: e.attributes,
    receivedAt: new Date(e.receivedAt).toISOString(),
  };
}

const utf8 = new TextDecoder();

/** A queued batch's payload (UTF-8 JSON) as its text. */
export function payloadText(payload: Uint8Array): string {
  return utf8.decode(payload);
}

export function parsePayload(payload: Uint8Array): EntryTuple[] {
  return JSON.parse(payloadText(payload)) as EntryTuple[];
}

/** The entries of one queued batch, with the ids their place in the queue gives them. */
export function batchEntries(seq: number, payload: Uint8Array, receivedAt: number): StoredEntry[] {
  const tuples = parsePayload(payload);
  return tuples.map((t, i) => ({ id: logId(seq, i), ts: t[0], level: t[1], message: t[2], service: t[3], traceId: t[4], attributes: t[5], receivedAt }));
}

/** The hot cache keeps entries compact: `[id, ts, level, message, service, traceId, attributes, receivedAt]`. */
export function encodeCached(e: StoredEntry): string {
  return JSON.stringify([e.id, e.ts, e.level, e.message, e.service, e.traceId, e.attributes, e.receivedAt]);
}

export function decodeCached(value: string): StoredEntry | undefined {
  try {
    const t = JSON.parse(value) as [number, number, number, string, string | null, string | null, Attributes | null, number];
    if (!Array.isArray(t) || typeof t[0] !== 'number') return undefined;
    return { id: t[0], ts: t[1], level: t[2], message: t[3], service: t[4], traceId: t[5], attributes: t[6], receivedAt: t[7] };
  } catch {
    return undefined;
  }
}
