import { AppError } from '../../errors/index.ts';
import type { LogQueue } from '../../ports/log-queue.ts';
import { afterCursor, decodeCursor, encodeCursor, type LogCursor } from './cursor.ts';
import { presentEntry, type LogEntry, type StoredEntry } from './entry.ts';
import { matcher, parseFilter, type FilterInput, type LogFilter } from './filter.ts';
import { histogram, type Histogram, type HistogramInput } from './histogram.ts';
import type { LogHotCache } from './hot-cache.ts';
import { ingestEntries, type IngestBody, type IngestResult } from './ingest.ts';
import type { LogsRepo } from './repo.ts';
import type { LogTailHub } from './tail.ts';

export type LogSource = 'd1' | 'kv';

export interface QueryInput extends FilterInput {
  source?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface LogsPage {
  items: LogEntry[];
  nextCursor: string | null;
}

export interface LogSettings {
  retentionDays: number;
}

/** An open live tail (see `openTail`). */
export interface TailFeed {
  close(): void;
}

export interface LogsServiceDeps {
  queue: LogQueue;
  repo: LogsRepo;
  hotCache: LogHotCache;
  hub: LogTailHub;
  /** Resolves once every writer delivers the project's new batches here. */
  tailSettled(projectId: string): Promise<void>;
  /** Admin checks for settings (ProjectsService.access). */
  projects: { access(userId: string, projectId: string, atLeast?: 'member' | 'admin' | 'owner'): Promise<unknown> };
  defaultRetentionDays: number;
  now?: () => number;
}

/** Entries replayed at most when a tail resumes (older ones: query the store). */
const REPLAY_LIMIT = 1000;

function parseSource(source: string | undefined): LogSource {
  if (source === undefined || source === '' || source === 'd1') return 'd1';
  if (source === 'kv') return 'kv';
  throw new AppError('logs:invalid_source');
}

/**
 * Logs: ingest (validate, queue durably), queries over the SQL store (`d1`) or the hot cache
 * (`kv`), histograms, the live tail and per-project retention. Callers have already checked
 * that the caller may touch `projectId` (routes: API key scopes or membership).
 */
export class LogsService {
  private readonly now: () => number;

  constructor(private readonly deps: LogsServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  ingest(projectId: string, body: IngestBody): Promise<IngestResult> {
    return ingestEntries(this.deps.queue, projectId, body, this.now());
  }

  async query(projectId: string, input: QueryInput): Promise<LogsPage> {
    const source = parseSource(input.source);
    const filter = parseFilter(input);
    const cursor = input.cursor ? decodeCursor(input.cursor) : undefined;
    const snapshot = cursor?.snapshot ?? (source === 'd1' ? await this.deps.repo.maxId() : Number.MAX_SAFE_INTEGER);
    const rows =
      source === 'd1'
        ? await this.deps.repo.list(projectId, filter, cursor, input.limit + 1)
        : this.fromCache(await this.deps.hotCache.read(projectId, this.now()), filter, cursor, input.limit + 1);
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    const nextCursor: LogCursor | undefined = rows.length > input.limit && last ? { ts: last.ts, id: last.id, snapshot } : undefined;
    return { items: page.map(presentEntry), nextCursor: nextCursor ? encodeCursor(nextCursor) : null };
  }

  private fromCache(entries: StoredEntry[], filter: LogFilter, cursor: LogCursor | undefined, limit: number): StoredEntry[] {
    const match = matcher(filter);
    return entries
      .filter((e) => match(e) && afterCursor(cursor, e.ts, e.id))
      .sort((a, b) => b.ts - a.ts || b.id - a.id)
      .slice(0, limit);
  }

  async histogram(projectId: string, input: HistogramInput & { source?: string | undefined }): Promise<Histogram> {
    const source = parseSource(input.source);
    const filter = parseFilter(input);
    const cached = source === 'kv' ? await this.deps.hotCache.read(projectId, this.now()) : undefined;
    return histogram({ repo: this.deps.repo, projectId, filter, input, now: this.now(), cached });
  }

  /**
   * Streams entries matching the filter as the writer stores them. With `lastEventId`,
   * first replays what was stored after it (up to REPLAY_LIMIT); otherwise starts now. An
   * entry is delivered once, replayed or live. `listener` gets entries in batches.
   */
  async openTail(projectId: string, input: FilterInput, lastEventId: string | undefined, listener: (entries: LogEntry[]) => void): Promise<TailFeed> {
    const filter = parseFilter(input);
    let after: number | undefined;
    if (lastEventId !== undefined && lastEventId !== '') {
      after = Number(lastEventId);
      if (!Number.isSafeInteger(after) || after < 0) throw new AppError('general:validation_error', { details: [{ field: 'Last-Event-ID', issue: 'not a log id' }] });
    }
    const match = matcher(filter);
    // Everything stored after this id reaches the client: replayed from the store or live.
    const startId = after ?? (await this.deps.repo.maxId());
    let buffered: StoredEntry[] | undefined = [];
    const seen = new Set<number>();
    const emit = (entries: StoredEntry[]) => {
      const fresh = entries.filter((e) => !seen.has(e.id));
      for (const e of fresh) seen.add(e.id);
      // Only the catch-up can overlap with live batches; afterwards a batch is announced once.
      if (seen.size > 4 * REPLAY_LIMIT) seen.clear();
      if (fresh.length > 0) listener(fresh.map(presentEntry));
    };
    const unsubscribe = this.deps.hub.subscribe(projectId, (entries) => {
      const hits = entries.filter(match);
      if (hits.length === 0) return;
      if (buffered) buffered.push(...hits);
      else emit(hits);
    });
    try {
      await this.deps.tailSettled(projectId);
      // Batches stored before this thread heard of the subscriber are in the store: catch up.
      emit(await this.deps.repo.after(projectId, filter, startId, REPLAY_LIMIT));
      const pending = buffered;
      buffered = undefined;
      emit(pending.sort((a, b) => a.id - b.id));
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return { close: unsubscribe };
  }

  async settings(projectId: string): Promise<LogSettings> {
    return { retentionDays: (await this.deps.repo.retentionDays(projectId)) ?? this.deps.defaultRetentionDays };
  }

  /** Workspace admins only. */
  async updateSettings(userId: string, projectId: string, input: LogSettings): Promise<LogSettings> {
    await this.deps.projects.access(userId, projectId, 'admin');
    await this.deps.repo.setRetentionDays(projectId, input.retentionDays, this.now());
    return { retentionDays: input.retentionDays };
  }
}
