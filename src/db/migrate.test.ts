import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgSchema, serviceUrl, tempDir } from '../../test/helpers/backends.ts';
import { openSqlStore, type SqlStore } from './database.ts';
import { SchemaTooNewError, migrateToLatest } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';

type Opened = { store: SqlStore; cleanup(): Promise<void> };

const backends: Array<[string, () => Promise<Opened>]> = [
  [
    'sqlite',
    async () => {
      const dir = tempDir();
      const store = openSqlStore({ sqlitePath: join(dir.path, 'basalt.db') });
      return { store, cleanup: async () => { await store.close(); dir.remove(); } };
    },
  ],
];
const pgUrl = serviceUrl('DATABASE_URL');
if (pgUrl) {
  backends.push([
    'postgres',
    async () => {
      const schema = await createPgSchema(pgUrl);
      const store = openSqlStore({ url: pgUrl, sqlitePath: '', schema: schema.schema });
      return { store, cleanup: async () => { await store.close(); await schema.drop(); } };
    },
  ]);
}

describe.each(backends)('migrations (%s)', (_name, open) => {
  let opened: Opened | undefined;
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });

  it('applies every migration once, reporting each, and is safe to run twice', async () => {
    opened = await open();
    const lines: string[] = [];
    const first = await migrateToLatest(opened.store.db, (l) => lines.push(l));
    expect(first.applied).toEqual(Object.keys(MIGRATIONS));
    expect(lines).toEqual(Object.keys(MIGRATIONS).map((m) => `migrated ${m}`));
    const second = await migrateToLatest(opened.store.db);
    expect(second).toEqual({ applied: [], alreadyApplied: Object.keys(MIGRATIONS).length });
    // The schema is usable through the typed query builder.
    await opened.store.db.insertInto('basalt_instance').values({ key: 'k', value: 'v', updated_at: Date.now() }).execute();
    const row = await opened.store.db.selectFrom('basalt_instance').selectAll().executeTakeFirst();
    expect(row?.value).toBe('v');
  });

  it('two migrators racing leave one consistent schema', async () => {
    opened = await open();
    const [a, b] = await Promise.all([migrateToLatest(opened.store.db), migrateToLatest(opened.store.db)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(Object.keys(MIGRATIONS).sort());
  });

  it('refuses a database migrated by a newer Basalt', async () => {
    opened = await open();
    await migrateToLatest(opened.store.db);
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(opened.store.db);
    const err = await migrateToLatest(opened.store.db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toContain('9999-from-the-future');
  });

  it('answers ping', async () => {
    opened = await open();
    await expect(opened.store.ping()).resolves.toBeUndefined();
  });
});
