import { Migrator, sql, type Kysely, type MigrationProvider } from 'kysely';
import { MIGRATIONS } from './migrations/index.ts';

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export class SchemaTooNewError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `The database schema is newer than this version of Basalt knows (unknown migrations: ${unknown.join(', ')}). ` +
        'Run a Basalt version at least as new as the one that migrated this database.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  // Read the table directly rather than introspecting: on PostgreSQL, introspection lists
  // every schema's tables, while this query sees only the search path's.
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return rows.rows.map((r) => r.name);
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    if (code === '42P01' || /no such table/i.test(message ?? '')) return [];
    throw err;
  }
}

/**
 * On PostgreSQL, the schema the search path resolves to. Kysely's migrator otherwise finds its
 * lock table in any schema (another deployment's, or a parallel test run's) and skips creating
 * its own. SQLite has no schemas: the query fails and nothing is passed.
 */
async function currentPgSchema(db: Kysely<unknown>): Promise<{ migrationTableSchema?: string }> {
  try {
    const row = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const schema = row.rows[0]?.schema;
    return schema ? { migrationTableSchema: schema } : {};
  } catch {
    return {};
  }
}

/**
 * Applies pending migrations one at a time, reporting each. Safe to run twice and from two
 * processes at once (Kysely takes a lock). Refuses a database migrated by a newer Basalt.
 */
export async function migrateToLatest<DB>(database: Kysely<DB>, onProgress: (line: string) => void = () => {}): Promise<MigrateResult> {
  // Migrations see no table types: the schema they build is the source of those types.
  const db = database as unknown as Kysely<unknown>;
  const known = new Set(Object.keys(MIGRATIONS));
  const before = await appliedMigrations(db);
  const unknown = before.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new SchemaTooNewError(unknown);

  const migrator = new Migrator({ db, provider, ...(await currentPgSchema(db)) });
  const applied: string[] = [];
  for (;;) {
    const { error, results } = await migrator.migrateUp();
    const done = results?.filter((r) => r.direction === 'Up') ?? [];
    for (const r of done) {
      if (r.status === 'Success') {
        applied.push(r.migrationName);
        onProgress(`migrated ${r.migrationName}`);
      } else if (r.status === 'Error') onProgress(`failed ${r.migrationName}`);
    }
    if (error) throw error instanceof Error ? error : new Error(String(error));
    if (done.length === 0) break;
  }
  return { applied, alreadyApplied: before.length };
}
