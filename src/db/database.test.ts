import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgSchema, serviceUrl, tempDir } from '../../test/helpers/backends.ts';
import { cachingDatabase, openSqlStore, precompiled, type SqlStore } from './database.ts';
import { migrateToLatest } from './migrate.ts';

describe('cachingDatabase (SQLite statements reused by SQL text)', () => {
  let conn: SQLite.Database;
  beforeAll(() => {
    conn = new SQLite(':memory:');
    conn.exec('create table t (id integer primary key, v text)');
  });
  afterAll(() => conn.close());

  it('hands out the same prepared statement for the same SQL, and keeps reader semantics', () => {
    const db = cachingDatabase(conn);
    const insert = db.prepare('insert into t (v) values (?)');
    expect(insert.reader).toBe(false);
    expect(db.prepare('insert into t (v) values (?)')).toBe(insert);
    insert.run(['a']);
    insert.run(['b']);
    const select = db.prepare('select v from t order by id');
    expect(select.reader).toBe(true);
    expect(select.all([])).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('drops the oldest statement past its bound', () => {
    const db = cachingDatabase(conn, 2);
    const a = db.prepare('select 1 as a');
    const b = db.prepare('select 2 as b');
    db.prepare('select 3 as c'); // evicts a
    expect(db.prepare('select 2 as b')).toBe(b);
    expect(db.prepare('select 1 as a')).not.toBe(a);
  });

  it('never hands out a statement that is still iterating', () => {
    const db = cachingDatabase(conn);
    const first = db.prepare('select v from t order by id');
    const rows = first.iterate([]);
    rows.next();
    const second = db.prepare('select v from t order by id');
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ v: 'a' }, { v: 'b' }]);
    rows.return?.();
    expect(db.prepare('select v from t order by id')).toBe(first);
  });
});

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

describe.each(backends)('precompiled queries (%s)', (_name, open) => {
  let opened: Opened | undefined;
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });

  it('runs a query compiled once with each call’s values, constants kept, inside transactions too', async () => {
    opened = await open();
    const { db } = opened.store;
    await migrateToLatest(db, () => {});
    const now = Date.now();
    for (const [id, handle, role] of [['usr_a', 'alice', 'admin'], ['usr_b', 'bob', 'user'], ['usr_c', 'carol', 'admin']] as const) {
      await db.insertInto('users').values({ id, email: `${handle}@example.test`, handle, role, created_at: now, updated_at: now }).execute();
    }
    let built = 0;
    const adminByHandle = precompiled(db, (handle: string) => {
      built += 1;
      return db.selectFrom('users').select(['id', 'handle']).where('handle', '=', handle).where('role', '=', 'admin');
    });
    expect(await adminByHandle('alice')).toEqual([{ id: 'usr_a', handle: 'alice' }]);
    expect(await adminByHandle('bob')).toEqual([]); // the constant 'admin' still applies
    expect(await adminByHandle('carol')).toEqual([{ id: 'usr_c', handle: 'carol' }]);
    expect(built).toBe(1);

    const two = precompiled(db, (first: string, second: string) => db.selectFrom('users').select('id').where((eb) => eb.or([eb('id', '=', first), eb('id', '=', second)])).orderBy('id'));
    expect(await two('usr_c', 'usr_a')).toEqual([{ id: 'usr_a' }, { id: 'usr_c' }]);

    // Called on the store while a transaction is open, it never reads the transaction's
    // uncommitted changes (on SQLite it waits for the single connection).
    let outside: Promise<Array<{ id: string; handle: string }>> | undefined;
    await db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('users').set({ role: 'user' }).where('id', '=', 'usr_a').execute();
        outside = adminByHandle('alice');
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await outside).toEqual([{ id: 'usr_a', handle: 'alice' }]);

    // A query made with the transaction runs on the transaction's connection.
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ role: 'user' }).where('id', '=', 'usr_c').execute();
      const inTrx = precompiled(trx, (handle: string) => trx.selectFrom('users').select('role').where('handle', '=', handle));
      expect(await inTrx('carol')).toEqual([{ role: 'user' }]);
    });
  });

  it('refuses a placeholder that is not a parameter of the compiled query', async () => {
    opened = await open();
    const { db } = opened.store;
    const bad = precompiled(db, (_unused: string) => db.selectFrom('users').select('id').where(sql<boolean>`1 = 1`));
    await expect(bad('x')).rejects.toThrow(/placeholder is not a parameter/);
  });
});
