import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../../db/database.ts';
import type { LogCursor } from './cursor.ts';
import type { LogFilter, Term } from './filter.ts';

export type Condition = RawBuilder<unknown>;

/** FTS5 query text: every term as a quoted string (prefix terms starred), implicitly ANDed. */
export function fts5Match(terms: readonly Term[]): string {
  return terms.map((t) => `"${t.text.replaceAll('"', '""')}"${t.prefix ? '*' : ''}`).join(' ');
}

/** PostgreSQL tsquery text for to_tsquery('simple', …): terms are letters and digits only. */
export function tsQuery(terms: readonly Term[]): string {
  return terms.map((t) => `${t.text}${t.prefix ? ':*' : ''}`).join(' & ');
}

function attributeCondition(dialect: Dialect, path: string[], value: string, alias: string): Condition {
  const column = sql.ref(`${alias}.attributes`);
  if (dialect === 'postgres') return sql`(${column} #>> ${`{${path.join(',')}}`}::text[]) = ${value}`;
  // Booleans come out of json_extract as 1 / 0: compare them by their JSON spelling instead.
  const p = `$.${path.map((k) => `"${k}"`).join('.')}`;
  return sql`(case json_type(${column}, ${p}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${column}, ${p}) as text) end) = ${value}`;
}

export interface ConditionOptions {
  /** Table alias of `logs` in the statement. */
  alias: string;
  /**
   * Whether the terms become a condition here (PostgreSQL's tsvector, or SQLite's
   * `id in (FTS5 match)`); false when the statement already joins the FTS5 table.
   */
  terms: boolean;
  cursor?: LogCursor | undefined;
}

/** The filter (and the cursor) as SQL conditions on `logs`, for either dialect. */
export function conditions(dialect: Dialect, projectId: string, f: LogFilter, o: ConditionOptions): Condition[] {
  const c = (name: string) => sql.ref(`${o.alias}.${name}`);
  const out: Condition[] = [sql`${c('project_id')} = ${projectId}`];
  if (f.from !== undefined) out.push(sql`${c('ts')} >= ${f.from}`);
  if (f.to !== undefined) out.push(sql`${c('ts')} < ${f.to}`);
  if (f.levels) {
    out.push('min' in f.levels ? sql`${c('level')} >= ${f.levels.min}` : sql`${c('level')} in (${sql.join(f.levels.in)})`);
  }
  if (f.service !== undefined) out.push(sql`${c('service')} = ${f.service}`);
  if (f.traceId !== undefined) out.push(sql`${c('trace_id')} = ${f.traceId}`);
  for (const a of f.attributes) out.push(attributeCondition(dialect, a.path, a.value, o.alias));
  if (o.terms && f.terms) {
    out.push(
      dialect === 'postgres'
        ? sql`${c('tsv')} @@ to_tsquery('simple', ${tsQuery(f.terms)})`
        : sql`${c('id')} in (select rowid from logs_fts where logs_fts match ${fts5Match(f.terms)})`,
    );
  }
  if (o.cursor) {
    const { ts, id, snapshot } = o.cursor;
    out.push(sql`${c('id')} <= ${snapshot}`, sql`(${c('ts')} < ${ts} or (${c('ts')} = ${ts} and ${c('id')} < ${id}))`);
  }
  return out;
}

export function where(parts: Condition[]): Condition {
  return sql.join(parts, sql` and `);
}

/** `floor(expr / divisor)` as an integer, for non-negative `expr` (SQLite binds numbers as REAL). */
export function intDiv(dialect: Dialect, expr: Condition, divisor: number): Condition {
  return dialect === 'postgres' ? sql`(${expr}) / ${divisor}::bigint` : sql`cast((${expr}) / ${divisor} as integer)`;
}
