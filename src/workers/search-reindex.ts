import type { UsersRepo } from '../modules/accounts/repo.ts';
import type { PostsRepo } from '../modules/posts/repo.ts';
import type { SearchIndex } from '../ports/search-index.ts';
import { postDocument, userDocument } from './search-indexer.ts';

export interface ReindexResult {
  posts: number;
  users: number;
}

/**
 * Writes every post and user into the search index from the current rows, in pages. The
 * index follows events (search-indexer.ts); this repairs what events cannot: a new search
 * backend, an index file lost, an indexer down for longer than the event retention. Upserts
 * are idempotent, so running it while the server runs (and indexes) is safe; documents of
 * rows since deleted stay until their next event, and search drops them anyway (results are
 * re-checked against the live rows).
 */
export async function reindexSearch(deps: { index: SearchIndex; posts: PostsRepo; users: UsersRepo; batchSize?: number; onProgress?: (r: ReindexResult) => void }): Promise<ReindexResult> {
  const size = deps.batchSize ?? 500;
  const done: ReindexResult = { posts: 0, users: 0 };
  for (let before: string | undefined; ; ) {
    const rows = await deps.posts.list({ includePrivate: true, before, limit: size });
    if (rows.length === 0) break;
    await deps.index.upsert(rows.map(postDocument));
    done.posts += rows.length;
    deps.onProgress?.(done);
    before = rows[rows.length - 1]?.id;
  }
  for (let after: string | undefined; ; ) {
    const rows = await deps.users.list({ after, limit: size });
    if (rows.length === 0) break;
    await deps.index.upsert(rows.map(userDocument));
    done.users += rows.length;
    deps.onProgress?.(done);
    after = rows[rows.length - 1]?.id;
  }
  return done;
}
