import type { Kysely, Selectable } from 'kysely';
import type { Database, WorkspaceInvitationsTable } from '../../db/schema.ts';

export type InvitationRow = Selectable<WorkspaceInvitationsTable>;

/** Workspace invitations. Tokens are looked up by their SHA-256; the secret is never stored. */
export class InvitationsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  withDb(db: Kysely<Database>): InvitationsRepo {
    return new InvitationsRepo(db);
  }

  async insert(row: WorkspaceInvitationsTable): Promise<void> {
    await this.db.insertInto('workspace_invitations').values(row).execute();
  }

  /** Revokes the pending invitations of one address (a new invitation replaces them). */
  async revokePendingFor(workspaceId: string, email: string, now: number): Promise<void> {
    await this.db
      .updateTable('workspace_invitations')
      .set({ revoked_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', email)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Pending (not accepted, revoked or expired), keyset by id. */
  listPending(workspaceId: string, now: number, options: { after?: string | undefined; limit: number }): Promise<InvitationRow[]> {
    let q = this.db
      .selectFrom('workspace_invitations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('id')
      .limit(options.limit);
    if (options.after) q = q.where('id', '>', options.after);
    return q.execute();
  }

  /** Revokes a pending invitation of this workspace; false when there is none by that id. */
  async revoke(workspaceId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('workspace_invitations')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  findByHash(tokenHash: string): Promise<InvitationRow | undefined> {
    return this.db.selectFrom('workspace_invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  /**
   * Marks the invitation accepted if it is still pending: the single-use step. Of N
   * concurrent callers exactly one updates the row; the rest see false.
   */
  async consume(id: string, userId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('workspace_invitations')
      .set({ accepted_at: now, accepted_by: userId })
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
