import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, OAuthConnectionsTable } from '../../db/schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors/index.ts';
import { uniqueViolation, type UserRow } from '../accounts/repo.ts';

export type ConnectionRow = Selectable<OAuthConnectionsTable>;

/** Which of the connection table's unique rules an insert broke, if any. */
function connectionConflict(err: unknown): 'account' | 'user_provider' | null {
  if (!(err instanceof Error)) return null;
  const { code, constraint } = err as { code?: string; constraint?: string };
  if (code === '23505') return constraint === 'oauth_conn_account_uq' ? 'account' : constraint === 'oauth_conn_user_provider_uq' ? 'user_provider' : null;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
    if (err.message.includes('oauth_connections.provider_user_id')) return 'account';
    if (err.message.includes('oauth_connections.user_id')) return 'user_provider';
  }
  return null;
}

function conflictError(kind: 'account' | 'user_provider', provider: string): AppError {
  return kind === 'account'
    ? new AppError('oauth:account_already_linked')
    : new AppError('oauth:account_already_linked', { message: `This account already has a ${provider} connection; remove it first` });
}

/** OAuth connections. The unique constraints decide races; their violations become codes here. */
export class ConnectionsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly rowLocks: boolean,
  ) {}

  findByAccount(provider: string, providerUserId: string): Promise<ConnectionRow | undefined> {
    return this.db.selectFrom('oauth_connections').selectAll().where('provider', '=', provider).where('provider_user_id', '=', providerUserId).executeTakeFirst();
  }

  listForUser(userId: string, db: Kysely<Database> | Transaction<Database> = this.db): Promise<ConnectionRow[]> {
    return db.selectFrom('oauth_connections').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('oauth_connections').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  async insert(row: ConnectionRow): Promise<void> {
    try {
      await this.db.insertInto('oauth_connections').values(row).execute();
    } catch (err) {
      const conflict = connectionConflict(err);
      if (conflict) throw conflictError(conflict, row.provider);
      throw err;
    }
  }

  /** A first OAuth sign-up: the account and its connection, both or neither. */
  async createUserWithConnection(user: UserRow, connection: ConnectionRow): Promise<void> {
    await withTransaction(this.db, async (trx) => {
      try {
        await trx.insertInto('users').values(user).execute();
        await trx.insertInto('oauth_connections').values(connection).execute();
      } catch (err) {
        const column = uniqueViolation(err);
        if (column === 'email') throw new AppError('oauth:email_already_exists', { details: [{ field: 'email', issue: 'already registered' }] });
        if (column === 'handle') throw new AppError('user:handle_already_exists', { details: [{ field: 'handle', issue: 'already taken' }] });
        const conflict = connectionConflict(err);
        if (conflict) throw conflictError(conflict, connection.provider);
        throw err;
      }
    });
  }

  /**
   * Removes a connection after `check` approves what would remain. On PostgreSQL the user row
   * is locked first, so two concurrent unlinks cannot each leave the other as the last
   * method and together remove both; SQLite runs one write transaction at a time anyway.
   */
  async deleteChecked(userId: string, provider: string, check: (user: UserRow, connections: ConnectionRow[]) => void): Promise<void> {
    await withTransaction(this.db, async (trx) => {
      let userQuery = trx.selectFrom('users').selectAll().where('id', '=', userId);
      if (this.rowLocks) userQuery = userQuery.forUpdate();
      const user = await userQuery.executeTakeFirst();
      if (!user) throw new AppError('session:not_found');
      check(user, await this.listForUser(userId, trx));
      await trx.deleteFrom('oauth_connections').where('user_id', '=', userId).where('provider', '=', provider).execute();
    });
  }
}
