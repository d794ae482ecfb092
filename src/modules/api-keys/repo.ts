import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../../db/schema.ts';

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ApiKeyWithWorkspace = ApiKeyRow & { workspace_id: string };

export class ApiKeysRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ApiKeysTable): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  /** The key whose secret hashes to `keyHash`, with its workspace (one indexed lookup). */
  findByHash(keyHash: string): Promise<ApiKeyWithWorkspace | undefined> {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('projects as p', 'p.id', 'k.project_id')
      .selectAll('k')
      .select('p.workspace_id')
      .where('k.key_hash', '=', keyHash)
      .executeTakeFirst();
  }

  /** Keys not revoked (expired ones included, so their owners see them), keyset by id. */
  listActive(projectId: string, options: { after?: string | undefined; limit: number }): Promise<ApiKeyRow[]> {
    let q = this.db.selectFrom('api_keys').selectAll().where('project_id', '=', projectId).where('revoked_at', 'is', null).orderBy('id').limit(options.limit);
    if (options.after) q = q.where('id', '>', options.after);
    return q.execute();
  }

  /** Revokes a live key of this project; false when there is none by that id. */
  async revoke(projectId: string, keyId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', keyId)
      .where('project_id', '=', projectId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Moves last-used forward only (writes from several processes may arrive out of order). */
  async touch(keyId: string, at: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('id', '=', keyId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .execute();
  }
}
