import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, PostsTable } from '../../db/schema.ts';

export type PostRow = Selectable<PostsTable>;
export type PostWithAuthor = PostRow & { author_handle: string };

export class PostsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  withDb(db: Kysely<Database>): PostsRepo {
    return new PostsRepo(db);
  }

  async insert(row: PostsTable): Promise<void> {
    await this.db.insertInto('posts').values(row).execute();
  }

  private withAuthor() {
    return this.db.selectFrom('posts as p').innerJoin('users as u', 'u.id', 'p.author_id').selectAll('p').select('u.handle as author_handle');
  }

  findById(id: string): Promise<PostWithAuthor | undefined> {
    return this.withAuthor().where('p.id', '=', id).executeTakeFirst();
  }

  findMany(ids: readonly string[]): Promise<PostWithAuthor[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.withAuthor().where('p.id', 'in', ids).execute();
  }

  async update(id: string, patch: Updateable<PostsTable>): Promise<void> {
    await this.db.updateTable('posts').set(patch).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('posts').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /** Newest first, keyset by id (ids sort by creation). */
  list(options: { authorId?: string; includePrivate: boolean; before?: string | undefined; limit: number }): Promise<PostWithAuthor[]> {
    let q = this.withAuthor().orderBy('p.id', 'desc').limit(options.limit);
    if (options.authorId) q = q.where('p.author_id', '=', options.authorId);
    if (!options.includePrivate) q = q.where('p.visibility', '=', 'public');
    if (options.before) q = q.where('p.id', '<', options.before);
    return q.execute();
  }
}
