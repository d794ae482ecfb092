import { sql, type Kysely } from 'kysely';
import type { SqlCapabilities } from '../../db/database.ts';
import type { Database } from '../../db/schema.ts';
import type { LogCursor } from './cursor.ts';
import type { StoredEntry } from './entry.ts';
import { matcher, type LogFilter } from './filter.ts';
import { conditions, fts5Match, intDiv, where, type Condition } from './query-sql.ts';
import { MINUTE_MS } from './store.ts';

interface Row {
  id: number;
  ts: number;
  level: number;
  service: string | null;
  trace_id: string | null;
  message: string;
  attributes: string | Record<string, unknown> | null;
  received_at: number;
}

const COLUMNS = sql.raw('l.id, l.ts, l.level, l.service, l.trace_id, l.message, l.attributes, l.received_at');

function toEntry(r: Row): StoredEntry {
  return {
    id: Number(r.id),
    ts: Number(r.ts),
    level: Number(r.level),
    message: r.message,
    service: r.service,
    traceId: r.trace_id,
    // SQLite returns the JSON text; PostgreSQL's jsonb arrives parsed.
    attributes: typeof r.attributes === 'string' ? (JSON.parse(r.attributes) as Record<string, unknown>) : r.attributes,
    receivedAt: Number(r.received_at),
  };
}

/** Newest first: ts descending, then id descending. */
const newestFirst = (a: StoredEntry, b: StoredEntry) => b.ts - a.ts || b.id - a.id;

export interface BucketCount {
  /** Bucket index: floor(ts / interval). */
  bucket: number;
  level: number;
  n: number;
}

/** The query side of the log store (the writer's side is store-*.ts). */
export class LogsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: SqlCapabilities,
  ) {}

  async maxId(): Promise<number> {
    const r = await this.db.selectFrom('logs').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(r?.id ?? 0);
  }

  /** Up to `limit` entries, newest first, after the cursor. */
  async list(projectId: string, filter: LogFilter, cursor: LogCursor | undefined, limit: number): Promise<StoredEntry[]> {
    const dialect = this.capabilities.dialect;
    if (dialect === 'sqlite' && filter.terms) return this.listFullText(projectId, filter, cursor, limit);
    const parts = conditions(dialect, projectId, filter, { alias: 'l', terms: true, cursor });
    const r = await sql<Row>`select ${COLUMNS} from ${this.rows(projectId, filter)} where ${where(parts)} order by l.ts desc, l.id desc limit ${limit}`.execute(this.db);
    return r.rows.map(toEntry);
  }

  /**
   * The rows a statement reads, as `l`: all of `logs`, or on SQLite with a trace id only
   * the rows its trace pairs name, plus the matching rows of ranges not yet indexed (the
   * pairs are filled after the rows: migration 0008). One statement, one snapshot, so a
   * range moving from pending to indexed meanwhile is read exactly once.
   */
  private rows(projectId: string, filter: LogFilter): Condition {
    if (this.capabilities.dialect !== 'sqlite' || filter.traceId === undefined) return sql`logs l`;
    return sql`(select t.id from log_traces t where t.trace_id = ${filter.traceId}
      union all select x.id from log_index_pending p cross join logs x on x.id between p.lo and p.hi where x.trace_id = ${filter.traceId} and x.project_id = ${projectId}) ids
      cross join logs l on l.id = ids.id`;
  }

  /**
   * Full text on SQLite, newest first by timestamp. FTS5 walks its matches in id order
   * cheaply but cannot sort them by time, and "every match, then sort" is slow for common
   * words. Ids follow arrival, which tracks time closely, so: read the matches of the newest
   * id window, then of older, growing windows, keeping the best `limit`, and stop once no
   * row older than the window can sort before them — the newest timestamp among the
   * project's remaining rows (an index probe) is no newer than the last one kept. A time
   * range narrows the ids to search first, from the per-minute counts' id bounds.
   * Exact for any data; fast when timestamps roughly follow arrival, as logs' do.
   */
  private async listFullText(projectId: string, filter: LogFilter, cursor: LogCursor | undefined, limit: number): Promise<StoredEntry[]> {
    const match = fts5Match(filter.terms ?? []);
    const parts = conditions('sqlite', projectId, filter, { alias: 'l', terms: false, cursor });
    const rest = conditions('sqlite', projectId, { ...filter, terms: undefined, service: undefined, traceId: undefined, attributes: [] }, { alias: 'l', terms: false, cursor });
    const ids = await this.idRange(projectId, filter);
    if (!ids) return [];
    let hi = Math.min(cursor ? cursor.snapshot : Number.MAX_SAFE_INTEGER, ids.max) + 1;
    let size = 8192;
    let best: StoredEntry[] = [];
    while (hi > ids.min) {
      const lo = Math.max(ids.min, hi - size);
      // CROSS JOIN keeps FTS5 outside: matches in the id window first, then their rows by key.
      const r = await sql<Row>`select ${COLUMNS} from logs_fts f cross join logs l on l.id = f.rowid
        where f.logs_fts match ${match} and f.rowid >= ${lo} and f.rowid < ${hi} and ${where(parts)}`.execute(this.db);
      if (r.rows.length > 0) best = [...best, ...r.rows.map(toEntry)].sort(newestFirst).slice(0, limit);
      const worst = best[limit - 1];
      if (worst) {
        const next = await sql<{ ts: number }>`select l.ts from logs l where ${where(rest)} and l.id < ${lo} order by l.ts desc limit 1`.execute(this.db);
        const bound = next.rows[0];
        if (!bound || Number(bound.ts) <= worst.ts) return best;
      }
      hi = lo;
      size *= 4;
    }
    return best;
  }

  /** Ids that rows matching the filter's time range and levels can have (from the counts); undefined: none. */
  private async idRange(projectId: string, filter: LogFilter): Promise<{ min: number; max: number } | undefined> {
    if (filter.from === undefined && filter.to === undefined) {
      const max = await this.maxId();
      return max > 0 ? { min: 0, max } : undefined;
    }
    const parts = [sql`c.project_id = ${projectId}`];
    if (filter.from !== undefined) parts.push(sql`c.minute >= ${Math.floor(filter.from / MINUTE_MS)}`);
    if (filter.to !== undefined) parts.push(sql`c.minute <= ${Math.floor((filter.to - 1) / MINUTE_MS)}`);
    if (filter.levels) parts.push('min' in filter.levels ? sql`c.level >= ${filter.levels.min}` : sql`c.level in (${sql.join(filter.levels.in)})`);
    const r = await sql<{ lo: number | null; hi: number | null }>`select min(c.min_id) as lo, max(c.max_id) as hi from log_counts c where ${where(parts)}`.execute(this.db);
    const row = r.rows[0];
    return row?.lo === null || row?.lo === undefined || row.hi === null ? undefined : { min: Number(row.lo), max: Number(row.hi) };
  }

  /** Entries stored after `afterId` (id order): the live tail's replay. */
  async after(projectId: string, filter: LogFilter, afterId: number, limit: number): Promise<StoredEntry[]> {
    if (this.capabilities.dialect === 'sqlite' && filter.terms) return this.afterFullText(projectId, filter, afterId, limit);
    const parts = conditions(this.capabilities.dialect, projectId, filter, { alias: 'l', terms: true });
    const r = await sql<Row>`select ${COLUMNS} from ${this.rows(projectId, filter)} where ${where(parts)} and l.id > ${afterId} order by l.id limit ${limit}`.execute(this.db);
    return r.rows.map(toEntry);
  }

  /**
   * The replay with full text on SQLite: a tail must not skip entries stored but not yet
   * indexed, so those (the pending ranges) are matched here in memory, the rest by FTS5.
   * Pending first: a range indexed between the two reads is then seen twice (and kept
   * once), never missed.
   */
  private async afterFullText(projectId: string, filter: LogFilter, afterId: number, limit: number): Promise<StoredEntry[]> {
    const plain = conditions('sqlite', projectId, { ...filter, terms: undefined }, { alias: 'l', terms: false });
    const pending = await sql<Row>`select ${COLUMNS} from log_index_pending p cross join logs l on l.id between p.lo and p.hi
      where ${where(plain)} and l.id > ${afterId}`.execute(this.db);
    const match = matcher(filter);
    const fresh = pending.rows.map(toEntry).filter(match);
    const parts = conditions('sqlite', projectId, filter, { alias: 'l', terms: true });
    const indexed = await sql<Row>`select ${COLUMNS} from ${this.rows(projectId, filter)} where ${where(parts)} and l.id > ${afterId} order by l.id limit ${limit}`.execute(this.db);
    const byId = new Map<number, StoredEntry>();
    for (const e of [...indexed.rows.map(toEntry), ...fresh]) byId.set(e.id, e);
    return [...byId.values()].sort((a, b) => a.id - b.id).slice(0, limit);
  }

  /** Counts per bucket (floor(ts / intervalMs)) and level, over rows. */
  async countRows(projectId: string, filter: LogFilter, intervalMs: number): Promise<BucketCount[]> {
    const dialect = this.capabilities.dialect;
    const parts = conditions(dialect, projectId, filter, { alias: 'l', terms: true });
    const bucket = intDiv(dialect, sql`l.ts`, intervalMs);
    const r = await sql<BucketCount>`select ${bucket} as bucket, l.level as level, count(*) as n from ${this.rows(projectId, filter)} where ${where(parts)} group by 1, 2`.execute(this.db);
    return r.rows.map((x) => ({ bucket: Number(x.bucket), level: Number(x.level), n: Number(x.n) }));
  }

  /**
   * Counts per bucket and level from the per-minute counts, for whole minutes
   * [fromMinute, toMinute); `intervalMs` is a whole number of minutes.
   */
  async countMinutes(projectId: string, levels: LogFilter['levels'], fromMinute: number, toMinute: number, intervalMs: number): Promise<BucketCount[]> {
    const dialect = this.capabilities.dialect;
    const parts = [sql`c.project_id = ${projectId}`, sql`c.minute >= ${fromMinute}`, sql`c.minute < ${toMinute}`];
    if (levels) parts.push('min' in levels ? sql`c.level >= ${levels.min}` : sql`c.level in (${sql.join(levels.in)})`);
    const bucket = intDiv(dialect, sql`c.minute`, intervalMs / MINUTE_MS);
    const r = await sql<BucketCount>`select ${bucket} as bucket, c.level as level, sum(c.n) as n from log_counts c where ${where(parts)} group by 1, 2`.execute(this.db);
    return r.rows.map((x) => ({ bucket: Number(x.bucket), level: Number(x.level), n: Number(x.n) }));
  }

  async retentionDays(projectId: string): Promise<number | undefined> {
    const r = await this.db.selectFrom('log_settings').select('retention_days').where('project_id', '=', projectId).executeTakeFirst();
    return r?.retention_days;
  }

  async setRetentionDays(projectId: string, days: number, now: number): Promise<void> {
    await this.db
      .insertInto('log_settings')
      .values({ project_id: projectId, retention_days: days, updated_at: now })
      .onConflict((oc) => oc.column('project_id').doUpdateSet({ retention_days: days, updated_at: now }))
      .execute();
  }
}
