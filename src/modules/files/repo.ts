import type { Kysely, Selectable } from 'kysely';
import type { Database, FilesTable } from '../../db/schema.ts';

export type FileRow = Selectable<FilesTable>;

export class FilesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  withDb(db: Kysely<Database>): FilesRepo {
    return new FilesRepo(db);
  }

  async insert(row: FilesTable): Promise<void> {
    await this.db.insertInto('files').values(row).execute();
  }

  findById(id: string): Promise<FileRow | undefined> {
    return this.db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Those of `ids` that exist (any owner); callers check ownership. */
  async findMany(ids: readonly string[]): Promise<FileRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('files').selectAll().where('id', 'in', ids).execute();
  }

  /** A user's files, newest first (ids sort by creation); `before`: the last id of the previous page. */
  listByOwner(ownerId: string, page: { before?: string | undefined; limit: number }): Promise<FileRow[]> {
    let query = this.db.selectFrom('files').selectAll().where('owner_id', '=', ownerId).orderBy('id', 'desc').limit(page.limit);
    if (page.before !== undefined) query = query.where('id', '<', page.before);
    return query.execute();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('files').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /** Bytes stored by a user (the quota). */
  async usedBytes(ownerId: string): Promise<number> {
    const r = await this.db.selectFrom('files').select((eb) => eb.fn.sum<number | string | null>('size').as('total')).where('owner_id', '=', ownerId).executeTakeFirst();
    return Number(r?.total ?? 0);
  }
}

/** Is the file attached to a post the viewer may see (public, or their own)? `fileId` must be a well-formed id. */
export async function attachedToVisiblePost(db: Kysely<Database>, fileId: string, viewerId: string): Promise<boolean> {
  const row = await db
    .selectFrom('posts')
    .select('id')
    .where('attachments', 'like', `%"${fileId}"%`)
    .where((eb) => eb.or([eb('visibility', '=', 'public'), eb('author_id', '=', viewerId)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
