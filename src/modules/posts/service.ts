import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors/index.ts';
import { newId } from '../../lib/crypto.ts';
import type { TransactionalEventPublisher } from '../../ports/events.ts';
import type { Transaction } from 'kysely';
import type { UsersRepo } from '../accounts/repo.ts';
import type { FileRow, FilesRepo } from '../files/repo.ts';
import { renderMarkdown } from './markdown.ts';
import type { PostsRepo, PostWithAuthor } from './repo.ts';
import type { CreatePostInput, Post, UpdatePostInput } from './schemas.ts';

export interface PostsDeps {
  db: Kysely<Database>;
  posts: PostsRepo;
  files: FilesRepo;
  users: UsersRepo;
  accounts: { requireVerified(userId: string, action: string): Promise<void> };
  events: TransactionalEventPublisher<Transaction<Database>>;
  now?: () => number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Posts: Markdown bodies with file attachments; public or visible to the author only. */
export class PostsService {
  private readonly now: () => number;

  constructor(private readonly deps: PostsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async create(userId: string, input: CreatePostInput): Promise<Post> {
    await this.deps.accounts.requireVerified(userId, 'posts.create');
    const attachments = await this.ownedFiles(userId, input.attachments);
    const now = this.now();
    const id = newId('pst');
    await withTransaction(this.deps.db, async (trx) => {
      await this.deps.posts.withDb(trx).insert({
        id,
        author_id: userId,
        title: input.title ?? null,
        body: input.body,
        visibility: input.visibility,
        attachments: JSON.stringify(attachments.map((f) => f.id)),
        created_at: now,
        updated_at: now,
      });
      await this.deps.events.within(trx).publish({ type: 'post.created', audience: { userIds: [userId] }, data: { postId: id, authorId: userId, visibility: input.visibility } });
    });
    return this.get(id, userId);
  }

  /** A post the viewer may see (public, or their own), else post:not_found. */
  async get(id: string, viewerId: string | undefined): Promise<Post> {
    const row = await this.deps.posts.findById(id);
    if (!row || (row.visibility !== 'public' && row.author_id !== viewerId)) throw new AppError('post:not_found');
    return (await this.present([row]))[0] as Post;
  }

  async update(userId: string, id: string, patch: UpdatePostInput): Promise<Post> {
    const row = await this.editable(userId, id);
    const attachments = patch.attachments === undefined ? undefined : await this.ownedFiles(row.author_id, patch.attachments);
    await withTransaction(this.deps.db, async (trx) => {
      await this.deps.posts.withDb(trx).update(id, {
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.body !== undefined ? { body: patch.body } : {}),
        ...(patch.visibility !== undefined ? { visibility: patch.visibility } : {}),
        ...(attachments ? { attachments: JSON.stringify(attachments.map((f) => f.id)) } : {}),
        updated_at: this.now(),
      });
      await this.deps.events.within(trx).publish({ type: 'post.updated', audience: { userIds: [row.author_id] }, data: { postId: id, authorId: row.author_id, updatedBy: userId } });
    });
    return this.get(id, row.author_id);
  }

  async delete(userId: string, id: string): Promise<void> {
    const row = await this.editable(userId, id);
    await withTransaction(this.deps.db, async (trx) => {
      if (!(await this.deps.posts.withDb(trx).delete(id))) throw new AppError('post:not_found');
      await this.deps.events.within(trx).publish({ type: 'post.deleted', audience: { userIds: [row.author_id] }, data: { postId: id, authorId: row.author_id, deletedBy: userId } });
    });
  }

  /** A user's posts, newest first; their private ones only to themselves. */
  async byAuthor(handle: string, viewerId: string | undefined, page: { cursor?: string | undefined; limit: number }): Promise<Page<Post>> {
    const author = await this.deps.users.findByHandle(handle.toLowerCase());
    if (!author) throw new AppError('user:not_found');
    return this.page({ authorId: author.id, includePrivate: author.id === viewerId }, page);
  }

  /** Every public post, newest first. */
  feed(page: { cursor?: string | undefined; limit: number }): Promise<Page<Post>> {
    return this.page({ includePrivate: false }, page);
  }

  /** Posts by id for search results, in the given order, dropping those the viewer may not see. */
  async visible(ids: readonly string[], viewerId: string | undefined): Promise<Post[]> {
    const rows = new Map((await this.deps.posts.findMany(ids)).map((r) => [r.id, r]));
    const ordered = ids.map((id) => rows.get(id)).filter((r): r is PostWithAuthor => !!r && (r.visibility === 'public' || r.author_id === viewerId));
    return this.present(ordered);
  }

  private async page(filter: { authorId?: string; includePrivate: boolean }, page: { cursor?: string | undefined; limit: number }): Promise<Page<Post>> {
    const rows = await this.deps.posts.list({ ...filter, before: page.cursor, limit: page.limit + 1 });
    const more = rows.length > page.limit;
    const items = await this.present(rows.slice(0, page.limit));
    return { items, nextCursor: more ? (items[items.length - 1]?.id ?? null) : null };
  }

  /** Author or admin; a post the caller cannot see is not_found, one they can see but not edit is refused. */
  private async editable(userId: string, id: string): Promise<PostWithAuthor> {
    const row = await this.deps.posts.findById(id);
    if (row && row.author_id === userId) return row;
    const caller = await this.deps.users.findById(userId);
    if (row && caller?.role === 'admin') return row;
    if (!row || row.visibility !== 'public') throw new AppError('post:not_found');
    throw new AppError('user:permission_insufficient', { message: 'Only the author or an admin can change this post' });
  }

  private async ownedFiles(userId: string, ids: readonly string[]): Promise<FileRow[]> {
    const unique = [...new Set(ids)];
    const rows = new Map((await this.deps.files.findMany(unique)).map((f) => [f.id, f]));
    const missing = unique.filter((id) => rows.get(id)?.owner_id !== userId);
    // Another user's file answers exactly like a missing one: ids reveal nothing.
    if (missing.length > 0) throw new AppError('file:not_found', { details: missing.map((id) => ({ field: 'attachments', issue: `unknown file ${id}` })) });
    return unique.map((id) => rows.get(id) as FileRow);
  }

  private async present(rows: PostWithAuthor[]): Promise<Post[]> {
    const fileIds = rows.flatMap((r) => JSON.parse(r.attachments) as string[]);
    const files = new Map((await this.deps.files.findMany([...new Set(fileIds)])).map((f) => [f.id, f]));
    return rows.map((r) => ({
      id: r.id,
      author: { id: r.author_id, handle: r.author_handle },
      title: r.title,
      body: r.body,
      html: renderMarkdown(r.body),
      visibility: r.visibility,
      // A deleted file drops out of the post rather than breaking it.
      attachments: (JSON.parse(r.attachments) as string[]).flatMap((id) => {
        const f = files.get(id);
        return f ? [{ id: f.id, name: f.name, size: f.size, contentType: f.content_type, width: f.width, height: f.height }] : [];
      }),
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }
}
