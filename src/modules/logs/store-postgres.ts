import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { MAX_BATCH_ENTRIES, type QueuedLogBatch } from '../../ports/log-queue.ts';
import { payloadText } from './entry.ts';
import { MINUTE_MS, type LogStoreWriter, type WriteOutcome } from './store.ts';

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The PostgreSQL writer. One statement per batch: PostgreSQL parses the payload
 * (`jsonb_array_elements`), inserts the rows (the tsvector column and its GIN index follow),
 * skipping ids already stored, and adds per-minute counts for exactly the rows it inserted
 * (a data-modifying CTE), so a redelivery racing the first delivery on another instance
 * still counts every row once. Each statement commits on its own.
 */
export class PostgresLogStoreWriter implements LogStoreWriter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly close_: () => Promise<void> = async () => {},
  ) {}

  async write(batches: readonly QueuedLogBatch[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    for (const b of batches) out.push(await this.writeOne(b));
    return out;
  }

  private async writeOne(b: QueuedLogBatch): Promise<WriteOutcome> {
    const base = b.seq * MAX_BATCH_ENTRIES;
    try {
      const r = await sql<{ inserted: number; project: number }>`
        with ins as (
          insert into logs (id, project_id, ts, level, message, service, trace_id, attributes, received_at)
          select ${base}::bigint + (t.ord - 1), ${b.projectId}, (t.e->>0)::bigint, (t.e->>1)::smallint, t.e->>2, t.e->>3, t.e->>4,
                 nullif(t.e->5, 'null'::jsonb), ${b.receivedAt}::bigint
          from jsonb_array_elements(${payloadText(b.payload)}::jsonb) with ordinality as t(e, ord)
          where exists (select 1 from projects where id = ${b.projectId})
          on conflict (id) do nothing
          returning id, ts, level
        ), counts as (
          insert into log_counts (project_id, minute, level, n, min_id, max_id)
          select ${b.projectId}, ts / ${MINUTE_MS}, level, count(*), min(id), max(id) from ins group by 2, 3
          on conflict (project_id, minute, level) do update
            set n = log_counts.n + excluded.n, min_id = least(log_counts.min_id, excluded.min_id), max_id = greatest(log_counts.max_id, excluded.max_id)
        )
        select (select count(*) from ins)::int as inserted, (select count(*) from projects where id = ${b.projectId})::int as project`.execute(this.db);
      const row = r.rows[0];
      if (!row || row.project === 0) return 'orphaned';
      return row.inserted > 0 ? 'written' : 'duplicate';
    } catch (err) {
      // The project was deleted between the check and the insert.
      if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) return 'orphaned';
      throw err;
    }
  }

  /** Each statement commits durably on its own. */
  async sync(): Promise<void> {}

  async maxId(): Promise<number> {
    const r = await this.db.selectFrom('logs').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(r?.id ?? 0);
  }

  async retentionPlan(defaultDays: number): Promise<Array<{ projectId: string; days: number }>> {
    const rows = await this.db
      .selectFrom('projects as p')
      .leftJoin('log_settings as s', 's.project_id', 'p.id')
      .select(['p.id as projectId', 's.retention_days'])
      .execute();
    return rows.map((r) => ({ projectId: r.projectId, days: r.retention_days ?? defaultDays }));
  }

  async deleteOlder(projectId: string, cutoff: number, limit: number): Promise<number> {
    const r = await sql`delete from logs where id in (select id from logs where project_id = ${projectId} and ts < ${cutoff} limit ${limit})`.execute(this.db);
    const n = Number(r.numAffectedRows ?? 0);
    if (n < limit) {
      await this.db.deleteFrom('log_counts').where('project_id', '=', projectId).where('minute', '<', Math.floor(cutoff / MINUTE_MS)).execute();
    }
    return n;
  }

  async close(): Promise<void> {
    await this.close_();
  }
}
