import { AppError } from '../../errors/index.ts';
import type { SearchIndex, SearchKind } from '../../ports/search-index.ts';
import { presentProfile } from '../accounts/present.ts';
import type { UsersRepo } from '../accounts/repo.ts';
import type { PublicProfile } from '../accounts/schemas.ts';
import type { Post } from '../posts/schemas.ts';

export interface SearchDeps {
  index: SearchIndex;
  posts: { visible(ids: readonly string[], viewerId: string | undefined): Promise<Post[]> };
  users: UsersRepo;
}

export interface SearchItem {
  type: SearchKind;
  id: string;
  score: number;
  snippet: string;
  post?: Post;
  user?: PublicProfile;
}

/** Full-text search over posts and users; results re-checked against the live rows. */
export class SearchService {
  constructor(private readonly deps: SearchDeps) {}

  async search(input: { q: string; type: SearchKind; viewerId: string | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: SearchItem[]; nextCursor: string | null }> {
    let result;
    try {
      result = await this.deps.index.search({ kind: input.type, q: input.q, viewerId: input.viewerId, limit: input.limit, cursor: input.cursor });
    } catch (cause) {
      throw new AppError('meilisearch:query_failed', { cause });
    }
    const ids = result.hits.map((h) => h.id);
    // The index may lag a delete or a visibility change: only rows the viewer may see now.
    if (input.type === 'posts') {
      const posts = new Map((await this.deps.posts.visible(ids, input.viewerId)).map((p) => [p.id, p]));
      return { items: result.hits.flatMap((h) => { const post = posts.get(h.id); return post ? [{ type: 'posts' as const, id: h.id, score: h.score, snippet: h.snippet, post }] : []; }), nextCursor: result.nextCursor };
    }
    const users = await Promise.all(ids.map((id) => this.deps.users.findById(id)));
    const items = result.hits.flatMap((h, i) => { const u = users[i]; return u ? [{ type: 'users' as const, id: h.id, score: h.score, snippet: h.snippet, user: presentProfile(u) }] : []; });
    return { items, nextCursor: result.nextCursor };
  }
}
