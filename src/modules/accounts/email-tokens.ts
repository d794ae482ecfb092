import type { Kysely, Selectable } from 'kysely';
import type { Database, EmailTokenPurpose, EmailTokensTable } from '../../db/schema.ts';
import { randomToken, sha256 } from '../../lib/crypto.ts';

export type EmailTokenRow = Selectable<EmailTokensTable>;

export type ConsumeResult = { status: 'ok'; token: EmailTokenRow } | { status: 'invalid' } | { status: 'expired' };

/**
 * Single-use tokens mailed to users. The plaintext leaves only in the e-mail; the table holds
 * its SHA-256. `consume` marks a token used with one conditional UPDATE, so of N concurrent
 * callers exactly one succeeds and the rest see `invalid`.
 */
export class EmailTokens {
  constructor(private readonly db: Kysely<Database>) {}

  async issue(input: { userId: string; purpose: EmailTokenPurpose; email: string; previousEmail?: string; ttlSeconds: number; now: number }): Promise<string> {
    const token = randomToken(32);
    await this.db
      .insertInto('email_tokens')
      .values({
        token_hash: sha256(token),
        user_id: input.userId,
        purpose: input.purpose,
        email: input.email,
        previous_email: input.previousEmail ?? null,
        expires_at: input.now + input.ttlSeconds * 1000,
        used_at: null,
        created_at: input.now,
      })
      .execute();
    return token;
  }

  async consume(purpose: EmailTokenPurpose, token: string, now: number): Promise<ConsumeResult> {
    const hash = sha256(token);
    const row = await this.db
      .selectFrom('email_tokens')
      .selectAll()
      .where('token_hash', '=', hash)
      .where('purpose', '=', purpose)
      .executeTakeFirst();
    if (!row || row.used_at !== null) return { status: 'invalid' };
    if (row.expires_at <= now) return { status: 'expired' };
    const claimed = await this.db
      .updateTable('email_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1 ? { status: 'ok', token: { ...row, used_at: now } } : { status: 'invalid' };
  }

  /** Invalidates a user's unused tokens of one purpose (a new reset link retires old ones). */
  async revokeAll(userId: string, purpose: EmailTokenPurpose, now: number): Promise<void> {
    await this.db
      .updateTable('email_tokens')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute();
  }
}
