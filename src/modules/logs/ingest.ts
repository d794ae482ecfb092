import { AppError, type FieldIssue } from '../../errors/index.ts';
import { LogQueueFullError, MAX_BATCH_ENTRIES, type LogQueue } from '../../ports/log-queue.ts';
import { ENTRY_LIMITS, exceedsBytes, normalizeEntry } from './validate.ts';

/** Entries per request at most (more → 413). */
export const MAX_ENTRIES_PER_REQUEST = 1000;

/** An ingest body, decoded from HTTP (ingest-body.ts): parsed JSON, or NDJSON lines. */
export type IngestBody = { kind: 'json'; value: unknown } | { kind: 'ndjson'; lines: string[] };

export interface Rejected {
  index: number;
  issue: string;
}

export interface IngestResult {
  accepted: number;
  rejected: Rejected[];
}

/** The raw entries of a body: one entry, `{entries: [...]}`, a bare array, or NDJSON lines. */
function rawEntries(body: IngestBody): Array<{ value: unknown } | { problem: string }> {
  if (body.kind === 'ndjson') {
    return body.lines.map((line) => {
      if (exceedsBytes(line, ENTRY_LIMITS.maxEntryBytes)) return { problem: `larger than ${ENTRY_LIMITS.maxEntryBytes / 1024} KB` };
      try {
        return { value: JSON.parse(line) as unknown };
      } catch {
        return { problem: 'not valid JSON' };
      }
    });
  }
  const v = body.value;
  const list = Array.isArray(v) ? v : v !== null && typeof v === 'object' && Array.isArray((v as { entries?: unknown }).entries) ? (v as { entries: unknown[] }).entries : [v];
  return list.map((value) => ({ value }));
}

interface Chunk {
  indexes: number[];
  json: string[];
  /** UTF-8 bytes of `[` + the entries + their commas + `]`. */
  bytes: number;
}

interface Prepared {
  jobs: Array<{ indexes: number[]; payload: Uint8Array }>;
  rejected: Rejected[];
}

/** A chunk's entries as the queue's payload: a JSON array, written straight into bytes (no joined string). */
function toPayload(chunk: Chunk): Uint8Array {
  const out = Buffer.allocUnsafe(chunk.bytes);
  let at = 0;
  out[at++] = 0x5b;
  chunk.json.forEach((json, i) => {
    if (i > 0) out[at++] = 0x2c;
    at += out.write(json, at);
  });
  out[at++] = 0x5d;
  return out.subarray(0, at);
}

/**
 * Validates a body's entries and queues the valid ones durably, split into batches the queue
 * can carry. Resolves once every batch is durable or refused; each entry is then either
 * accepted (durable) or listed in `rejected` with the reason, so a client retries exactly
 * the rejected ones. Not async itself: the parsed body is dropped before the wait for the
 * queue, so requests waiting on a commit hold only their payloads.
 */
export function ingestEntries(queue: LogQueue, projectId: string, body: IngestBody, receivedAt: number): Promise<IngestResult> {
  let prepared: Prepared;
  try {
    prepared = prepare(body, receivedAt, Math.min(queue.maxBatchBytes, 16 * 1024 * 1024));
  } catch (err) {
    return Promise.reject(err);
  }
  return enqueueAll(queue, projectId, prepared, receivedAt);
}

function prepare(body: IngestBody, receivedAt: number, maxChunkBytes: number): Prepared {
  const raw = rawEntries(body);
  if (raw.length > MAX_ENTRIES_PER_REQUEST) throw new AppError('FILE_TOO_LARGE', { message: `At most ${MAX_ENTRIES_PER_REQUEST} entries per request` });
  const rejected: Rejected[] = [];
  const details: FieldIssue[] = [];
  const reject = (index: number, field: string, issue: string) => {
    rejected.push({ index, issue: field === '(entry)' ? issue : `${field}: ${issue}` });
    details.push({ field: `entries[${index}]${field === '(entry)' ? '' : `.${field}`}`, issue });
  };
  const jobs: Prepared['jobs'] = [];
  let chunk: Chunk = { indexes: [], json: [], bytes: 2 };
  const close = () => jobs.push({ indexes: chunk.indexes, payload: toPayload(chunk) });
  raw.forEach((r, index) => {
    if ('problem' in r) return reject(index, '(entry)', r.problem);
    const n = normalizeEntry(r.value, receivedAt);
    if (!n.ok) return reject(index, n.problem.field, n.problem.issue);
    const json = JSON.stringify(n.tuple);
    const size = Buffer.byteLength(json);
    if (size > ENTRY_LIMITS.maxEntryBytes) return reject(index, '(entry)', `larger than ${ENTRY_LIMITS.maxEntryBytes / 1024} KB`);
    const bytes = size + 1;
    if (chunk.indexes.length > 0 && (chunk.indexes.length >= MAX_BATCH_ENTRIES || chunk.bytes + bytes > maxChunkBytes)) {
      close();
      chunk = { indexes: [], json: [], bytes: 2 };
    }
    chunk.indexes.push(index);
    chunk.json.push(json);
    chunk.bytes += bytes;
  });
  if (chunk.indexes.length > 0) close();
  if (jobs.length === 0) {
    if (details.length === 0) details.push({ field: 'entries', issue: 'at least one entry is required' });
    throw new AppError('general:validation_error', { details: details.slice(0, 100) });
  }
  return { jobs, rejected };
}

async function enqueueAll(queue: LogQueue, projectId: string, prepared: Prepared, receivedAt: number): Promise<IngestResult> {
  const { jobs, rejected } = prepared;
  const indexes = jobs.map((j) => j.indexes);
  const queued = jobs.map((j) => queue.enqueue({ projectId, count: j.indexes.length, payload: j.payload, receivedAt }));
  // The payloads are the queue's now: not held here while the commit is awaited.
  jobs.length = 0;
  const outcomes = await Promise.allSettled(queued);
  let accepted = 0;
  let failure: unknown;
  outcomes.forEach((o, i) => {
    const job = indexes[i] as number[];
    if (o.status === 'fulfilled') {
      accepted += job.length;
      return;
    }
    failure ??= o.reason;
    for (const index of job) rejected.push({ index, issue: 'not queued (ingest over capacity or unavailable): send it again' });
  });
  if (accepted === 0) throw queueError(failure);
  rejected.sort((a, b) => a.index - b.index);
  return { accepted, rejected };
}

function queueError(err: unknown): AppError {
  if (err instanceof LogQueueFullError) {
    return new AppError('logs:queue_full', { headers: { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) } });
  }
  return new AppError('logs:queue_unavailable', { cause: err, headers: { 'Retry-After': '5' } });
}
