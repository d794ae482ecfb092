import type { Kysely, Selectable } from 'kysely';
import type { Database, TotpSecretsTable } from '../../db/schema.ts';
import { precompiled } from '../../db/database.ts';
import { withTransaction } from '../../db/transaction.ts';

export type TotpRow = Selectable<TotpSecretsTable>;

/** TOTP secrets and backup codes. Every "use once" is a conditional UPDATE: one caller wins. */
export class TotpRepo {
  // Every password sign-in asks whether 2FA is on: built and compiled once (see precompiled).
  private readonly byUser: (userId: string) => Promise<TotpRow[]>;

  constructor(private readonly db: Kysely<Database>) {
    this.byUser = precompiled(db, (userId: string) => db.selectFrom('totp_secrets').selectAll().where('user_id', '=', userId));
  }

  async find(userId: string): Promise<TotpRow | undefined> {
    return (await this.byUser(userId))[0];
  }

  /** A new pending secret, replacing any earlier pending one; never one that is enabled. */
  async savePending(userId: string, sealed: string, now: number): Promise<boolean> {
    return withTransaction(this.db, async (trx) => {
      const existing = await trx.selectFrom('totp_secrets').select('enabled_at').where('user_id', '=', userId).executeTakeFirst();
      if (existing?.enabled_at != null) return false;
      if (existing) {
        await trx.updateTable('totp_secrets').set({ secret_ciphertext: sealed, last_used_step: null, updated_at: now }).where('user_id', '=', userId).execute();
      } else {
        await trx.insertInto('totp_secrets').values({ user_id: userId, secret_ciphertext: sealed, enabled_at: null, last_used_step: null, created_at: now, updated_at: now }).execute();
      }
      return true;
    });
  }

  /**
   * Records `step` as used if it is newer than the last used one: a code is accepted once,
   * and an older code is refused after a newer one was used. `enable` also turns 2FA on.
   */
  async claimStep(userId: string, step: number, now: number, options: { enable?: boolean; sealed?: string } = {}): Promise<boolean> {
    let query = this.db
      .updateTable('totp_secrets')
      .set({ last_used_step: step, updated_at: now, ...(options.enable ? { enabled_at: now } : {}) })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]));
    if (options.enable) query = query.where('enabled_at', 'is', null);
    // Enabling claims the very secret the code was checked against, not one a concurrent setup replaced.
    if (options.sealed !== undefined) query = query.where('secret_ciphertext', '=', options.sealed);
    const r = await query.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async replaceBackupCodes(userId: string, hashes: string[], now: number): Promise<void> {
    await withTransaction(this.db, async (trx) => {
      await trx.deleteFrom('totp_backup_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('totp_backup_codes')
        .values(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null, created_at: now })))
        .execute();
    });
  }

  async unusedBackupCodes(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('totp_backup_codes')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async useBackupCode(userId: string, hash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('totp_backup_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(userId: string): Promise<void> {
    await withTransaction(this.db, async (trx) => {
      await trx.deleteFrom('totp_backup_codes').where('user_id', '=', userId).execute();
      await trx.deleteFrom('totp_secrets').where('user_id', '=', userId).execute();
    });
  }
}
