import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import { precompiled } from '../../db/database.ts';
import type { Database, UserRole, UsersTable } from '../../db/schema.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';

export type UserRow = Selectable<UsersTable>;

/** Is this a unique-constraint violation (SQLite or PostgreSQL), and on which column? */
export function uniqueViolation(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const { code, constraint } = err as { code?: string; constraint?: string };
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return /\.(\w+)$/.exec(err.message)?.[1] ?? 'unknown';
  }
  if (code === '23505') return /_(\w+?)_key$/.exec(constraint ?? '')?.[1] ?? constraint ?? 'unknown';
  return null;
}

export class UsersRepo {
  // The lookups behind every authenticated request that shows the user and every sign-in:
  // compiled once (see precompiled in src/db/database.ts).
  private byId: ((id: string) => Promise<UserRow[]>) | undefined;
  private byEmail: ((email: string) => Promise<UserRow[]>) | undefined;
  private byHandle: ((handle: string) => Promise<UserRow[]>) | undefined;

  // Rows shown to their signed-in owner (GET /v1/me) on every page load; every write below drops the entry.
  private readonly shown: TtlCache<string, UserRow>;

  /** `cacheTtlMs`: how long `findForDisplay` may answer from memory (another process's writes show within it). */
  constructor(private readonly db: Kysely<Database>, options: { cacheTtlMs?: number } = {}) {
    this.shown = new TtlCache({ ttlMs: options.cacheTtlMs ?? 0 });
  }

  async insert(row: UsersTable): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  async findById(id: string): Promise<UserRow | undefined> {
    this.byId ??= precompiled(this.db, (userId: string) => this.db.selectFrom('users').selectAll().where('id', '=', userId));
    return (await this.byId(id))[0];
  }

  /**
   * The row to show, through a short cache. Only for display and for gates where a second's
   * staleness opens no hole (an e-mail verified in another process counts a moment later);
   * credentials, bans and 2FA are always read with `findById`.
   */
  findForDisplay(id: string): Promise<UserRow | undefined> {
    return this.shown.getOrLoad(id, () => this.findById(id));
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    this.byEmail ??= precompiled(this.db, (value: string) => this.db.selectFrom('users').selectAll().where('email', '=', value));
    return (await this.byEmail(email))[0];
  }

  async findByHandle(handle: string): Promise<UserRow | undefined> {
    this.byHandle ??= precompiled(this.db, (value: string) => this.db.selectFrom('users').selectAll().where('handle', '=', value));
    return (await this.byHandle(handle))[0];
  }

  async update(id: string, patch: Updateable<UsersTable>): Promise<UserRow | undefined> {
    await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
    this.shown.delete(id);
    return this.findById(id);
  }

  /** Sets the password only if none is set yet: two concurrent "set password" calls, one wins. */
  async setFirstPassword(id: string, passwordHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', id)
      .where('password_hash', 'is', null)
      .executeTakeFirst();
    this.shown.delete(id);
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('users').where('id', '=', id).execute();
    this.shown.delete(id);
  }

  /** Keyset page ordered by id (ids sort by creation); `q` matches handle or e-mail prefix. */
  list(options: { q?: string; role?: UserRole; after?: string; limit: number }): Promise<UserRow[]> {
    let query = this.db.selectFrom('users').selectAll().orderBy('id').limit(options.limit);
    if (options.after) query = query.where('id', '>', options.after);
    if (options.role) query = query.where('role', '=', options.role);
    if (options.q) {
      const pattern = `${options.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      // An explicit ESCAPE: SQLite's LIKE has no default escape character.
      query = query.where(sql<boolean>`(handle like ${pattern} escape '\\' or email like ${pattern} escape '\\')`);
    }
    return query.execute();
  }
}
