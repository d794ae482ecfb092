import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import type { KvSetOptions, KvStore, KvWrite } from '../../ports/kv.ts';

const SCHEMA = `
  create table if not exists kv (key text primary key, value text not null, expires_at integer) without rowid;
  create table if not exists kv_set (key text not null, member text not null, expires_at integer, primary key (key, member)) without rowid;
  create table if not exists kv_set_ttl (key text primary key, expires_at integer not null) without rowid;
  create table if not exists kv_list (key text not null, seq integer not null, value text not null, expires_at integer, primary key (key, seq)) without rowid;
  create index if not exists kv_expires on kv (expires_at) where expires_at is not null;
`;

// `expires_at is null or expires_at > now` reads as "live" throughout.
const LIVE = '(expires_at is null or expires_at > @now)';

// Version 1: a set's one lifetime is a row of kv_set_ttl, not a copy on every member (which
// made each TTL'd add rewrite every member: a sign-in cost grew with the user's sessions).
const SETS_WITH_ONE_TTL = 1;
const MIGRATE_SET_TTLS = `
  insert or replace into kv_set_ttl (key, expires_at) select key, max(expires_at) from kv_set where expires_at is not null group by key;
  update kv_set set expires_at = null where expires_at is not null;
`;

export interface SqliteKvOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** How often expired rows are deleted; reads ignore them regardless. */
  sweepIntervalMs?: number;
}

/**
 * KV on a SQLite file of its own (so sessions survive restarts). Each operation is one
 * statement or one IMMEDIATE transaction, which SQLite serialises across processes.
 */
export class SqliteKvStore implements KvStore {
  readonly backend = 'sqlite' as const;
  private readonly conn: SQLite.Database;
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly stmt;

  readonly path: string;

  constructor(options: SqliteKvOptions) {
    this.path = options.path;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.conn = new SQLite(options.path);
    this.conn.pragma('journal_mode = WAL');
    this.conn.pragma('busy_timeout = 5000');
    this.conn.pragma('synchronous = NORMAL');
    this.conn.exec(SCHEMA);
    this.conn
      .transaction(() => {
        if ((this.conn.pragma('user_version', { simple: true }) as number) >= SETS_WITH_ONE_TTL) return;
        this.conn.exec(MIGRATE_SET_TTLS);
        this.conn.pragma(`user_version = ${SETS_WITH_ONE_TTL}`);
      })
      .immediate();
    const c = this.conn;
    this.stmt = {
      // Positional and plucked: the read on every authenticated request binds no object and
      // builds no row.
      get: c.prepare<[string, number], string>('select value from kv where key = ? and (expires_at is null or expires_at > ?)').pluck(),
      upsert: c.prepare(`insert into kv (key, value, expires_at) values (@key, @value, @exp)
        on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`),
      insertIfAbsent: c.prepare(`insert into kv (key, value, expires_at) values (@key, @value, @exp)
        on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at
        where kv.expires_at is not null and kv.expires_at <= @now`),
      // Deleting starts a write transaction even when nothing matches; a read first spares
      // that for absent keys (most deletes: lockout counters, revoked sessions).
      exists: c.prepare<[string], number>('select 1 from kv where key = ?').pluck(),
      del: c.prepare<[string], number | null>('delete from kv where key = ? returning expires_at').pluck(),
      take: c.prepare<{ key: string; now: number }, { value: string }>(`delete from kv where key = @key and ${LIVE} returning value`),
      incr: c.prepare<{ key: string; by: number; exp: number | null; now: number }, { value: string }>(
        // better-sqlite3 binds JS numbers as REAL; without the integer casts a counter reads
        // back as '3.0' where Redis says '3'.
        `insert into kv (key, value, expires_at) values (@key, cast(cast(@by as integer) as text), @exp)
         on conflict (key) do update set
           value = case when kv.expires_at is not null and kv.expires_at <= @now then cast(cast(@by as integer) as text)
                        else cast(cast(kv.value as integer) + cast(@by as integer) as text) end,
           expires_at = case when kv.expires_at is not null and kv.expires_at <= @now then @exp else kv.expires_at end
         returning value`,
      ),
      ttl: c.prepare<{ key: string; now: number }, { expires_at: number | null }>(`select expires_at from kv where key = @key and ${LIVE}`),
      // Members share the set's one lifetime (kv_set_ttl), as in Redis: a member added without
      // a TTL lives as long as the set, and a TTL given resets the set's, in one row.
      setAdd: c.prepare<{ key: string; member: string }>('insert into kv_set (key, member, expires_at) values (@key, @member, null) on conflict (key, member) do nothing'),
      setTtl: c.prepare<[string], number>('select expires_at from kv_set_ttl where key = ?').pluck(),
      setTtlPut: c.prepare<{ key: string; exp: number }>('insert into kv_set_ttl (key, expires_at) values (@key, @exp) on conflict (key) do update set expires_at = excluded.expires_at'),
      setClear: [c.prepare<[string]>('delete from kv_set where key = ?'), c.prepare<[string]>('delete from kv_set_ttl where key = ?')],
      setRemove: c.prepare<{ key: string; member: string }>('delete from kv_set where key = @key and member = @member'),
      // A set emptied by removals no longer exists (Redis): it forgets its lifetime.
      setForgetIfEmpty: c.prepare<[string, string]>('delete from kv_set_ttl where key = ? and not exists (select 1 from kv_set where key = ?)'),
      setMembers: c.prepare<{ key: string; now: number }, { member: string }>(
        'select member from kv_set where key = @key and not exists (select 1 from kv_set_ttl where key = @key and expires_at <= @now)',
      ),
      listPurgeExpired: c.prepare('delete from kv_list where key = @key and expires_at is not null and expires_at <= @now'),
      listHead: c.prepare<{ key: string }, { seq: number | null; expires_at: number | null }>(
        'select seq, expires_at from kv_list where key = @key order by seq desc limit 1',
      ),
      listInsert: c.prepare('insert into kv_list (key, seq, value, expires_at) values (@key, @seq, @value, @exp)'),
      listTouch: c.prepare('update kv_list set expires_at = @exp where key = @key'),
      listTrim: c.prepare('delete from kv_list where key = @key and seq <= @cut'),
      listRange: c.prepare<{ key: string; now: number; limit: number }, { value: string }>(
        `select value from kv_list where key = @key and ${LIVE} order by seq desc limit @limit`,
      ),
      sweep: [
        c.prepare('delete from kv where expires_at is not null and expires_at <= @now'),
        c.prepare('delete from kv_set where key in (select key from kv_set_ttl where expires_at <= @now)'),
        c.prepare('delete from kv_set_ttl where expires_at <= @now'),
        c.prepare('delete from kv_list where expires_at is not null and expires_at <= @now'),
      ],
    };
    const interval = options.sweepIntervalMs ?? 60_000;
    this.sweeper = setInterval(() => this.sweep(), interval);
    this.sweeper.unref();
  }

  private exp(ttlMs: number | undefined, now: number): number | null {
    return ttlMs === undefined ? null : now + ttlMs;
  }

  /** Deletes expired rows; returns how many. Runs on a timer, callable for tests. */
  sweep(): number {
    const now = Date.now();
    return this.stmt.sweep.reduce((n, s) => n + s.run({ now }).changes, 0);
  }

  async get(key: string): Promise<string | null> {
    return this.stmt.get.get(key, Date.now()) ?? null;
  }

  async set(key: string, value: string, options: KvSetOptions = {}): Promise<boolean> {
    const now = Date.now();
    const params = { key, value, exp: this.exp(options.ttlMs, now), now };
    if (!options.ifAbsent) {
      this.stmt.upsert.run(params);
      return true;
    }
    return this.stmt.insertIfAbsent.run(params).changes === 1;
  }

  async delete(key: string): Promise<boolean> {
    return this.deleteNow(key, Date.now());
  }

  /** Removes the key (expired or not); true when it was live. */
  private deleteNow(key: string, now: number): boolean {
    if (this.stmt.exists.get(key) === undefined) return false;
    const rows = this.stmt.del.all(key);
    if (rows.length === 0) return false;
    const expiresAt = rows[0] as number | null;
    return expiresAt === null || expiresAt > now;
  }

  async getAndDelete(key: string): Promise<string | null> {
    return this.stmt.take.get({ key, now: Date.now() })?.value ?? null;
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    const now = Date.now();
    const row = this.stmt.incr.get({ key, by, exp: this.exp(ttlMs, now), now });
    return Number(row?.value);
  }

  async ttl(key: string): Promise<number | null> {
    const now = Date.now();
    const row = this.stmt.ttl.get({ key, now });
    if (!row) return null;
    return row.expires_at === null ? Infinity : row.expires_at - now;
  }

  async setAdd(key: string, members: string[], ttlMs?: number): Promise<void> {
    const now = Date.now();
    this.conn.transaction(() => this.setAddNow(key, members, ttlMs, now)).immediate();
  }

  private setAddNow(key: string, members: string[], ttlMs: number | undefined, now: number): void {
    const expiresAt = this.stmt.setTtl.get(key);
    // An expired set is gone (the sweeper may not have got to it yet): it starts again empty.
    if (expiresAt !== undefined && expiresAt <= now) for (const s of this.stmt.setClear) s.run(key);
    for (const member of members) this.stmt.setAdd.run({ key, member });
    if (ttlMs !== undefined) this.stmt.setTtlPut.run({ key, exp: now + ttlMs });
  }

  async setRemove(key: string, members: string[]): Promise<void> {
    this.conn.transaction(() => this.setRemoveNow(key, members))();
  }

  private setRemoveNow(key: string, members: string[]): void {
    for (const member of members) this.stmt.setRemove.run({ key, member });
    this.stmt.setForgetIfEmpty.run(key, key);
  }

  async batch(writes: readonly KvWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const now = Date.now();
    this.conn
      .transaction(() => {
        for (const w of writes) {
          if (w.op === 'set') this.stmt.upsert.run({ key: w.key, value: w.value, exp: this.exp(w.ttlMs, now), now });
          else if (w.op === 'delete') this.deleteNow(w.key, now);
          else if (w.op === 'setAdd') this.setAddNow(w.key, w.members, w.ttlMs, now);
          else this.setRemoveNow(w.key, w.members);
        }
      })
      .immediate();
  }

  async setMembers(key: string): Promise<string[]> {
    return this.stmt.setMembers.all({ key, now: Date.now() }).map((r) => r.member);
  }

  async listPush(key: string, values: string[], options: { maxLength: number; ttlMs?: number }): Promise<void> {
    if (values.length === 0) return;
    const now = Date.now();
    const exp = this.exp(options.ttlMs, now);
    this.conn
      .transaction(() => {
        this.stmt.listPurgeExpired.run({ key, now });
        const head = this.stmt.listHead.get({ key });
        let seq = head?.seq ?? 0;
        // Without a TTL, new items join the list's current lifetime (as in Redis), not outlive it.
        const itemExp = options.ttlMs === undefined ? (head?.expires_at ?? null) : exp;
        // Only the newest maxLength can survive the trim; skip writing the rest.
        for (const value of values.slice(-options.maxLength)) this.stmt.listInsert.run({ key, seq: ++seq, value, exp: itemExp });
        if (options.ttlMs !== undefined) this.stmt.listTouch.run({ key, exp });
        this.stmt.listTrim.run({ key, cut: seq - options.maxLength });
      })
      .immediate();
  }

  async listRange(key: string, limit: number): Promise<string[]> {
    return this.stmt.listRange.all({ key, now: Date.now(), limit }).map((r) => r.value);
  }

  async ping(): Promise<void> {
    this.conn.prepare('select 1').get();
  }

  /** From now on the WAL checkpointer thread checkpoints this file (src/workers/wal-checkpointer.ts). */
  checkpointExternally(): void {
    this.conn.pragma('wal_autocheckpoint = 0');
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.conn.open) this.conn.close();
  }
}
