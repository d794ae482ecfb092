import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../errors/index.ts';
import { isDatabaseError } from './errors.ts';

/**
 * Runs `fn` in one transaction. Domain errors pass through untouched; a database fault
 * inside the transaction (including the commit) becomes system:transaction_error.
 */
export async function withTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(fn);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isDatabaseError(err)) throw new AppError('system:transaction_error', { cause: err });
    throw err;
  }
}
