import type { Logger } from '../lib/logger.ts';
import type { UserRow, UsersRepo } from '../modules/accounts/repo.ts';
import type { PostsRepo } from '../modules/posts/repo.ts';
import type { EventStream, EventSubscription, PublishedEvent } from '../ports/events.ts';
import type { KvStore } from '../ports/kv.ts';
import type { SearchDocument, SearchIndex } from '../ports/search-index.ts';

const CHECKPOINT_EVERY_MS = 1000;

/** A post as the index holds it. */
export function postDocument(p: { id: string; title: string | null; body: string; visibility: 'public' | 'private'; author_id: string; created_at: number }): SearchDocument {
  return { kind: 'posts', id: p.id, title: p.title ?? '', body: p.body, visibility: p.visibility, ownerId: p.author_id, createdAt: p.created_at };
}

/** A user (handle, display name, bio) as the index holds it. */
export function userDocument(u: UserRow): SearchDocument {
  return { kind: 'users', id: u.id, title: [u.handle, u.display_name].filter(Boolean).join(' '), body: u.bio ?? '', visibility: 'public', ownerId: u.id, createdAt: u.created_at };
}

export interface SearchIndexerDeps {
  stream: EventStream;
  index: SearchIndex;
  posts: PostsRepo;
  users: UsersRepo;
  kv: KvStore;
  logger: Logger;
  /** KV key of the last event handled, so a restart resumes within the retention window. */
  checkpointKey?: string;
}

/**
 * Keeps the search index following the data, through domain events: each event names a
 * post or user; the indexer reads its CURRENT row and upserts it (or removes it when gone).
 * Reading the row, not the event payload, makes replays and duplicates harmless and lets
 * events arrive out of order. Events are handled one at a time, in arrival order.
 */
export class SearchIndexer {
  private subscription: EventSubscription | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private checkpointedAt = 0;
  private readonly key: string;

  constructor(private readonly deps: SearchIndexerDeps) {
    this.key = deps.checkpointKey ?? 'search-indexer:checkpoint';
  }

  async start(): Promise<void> {
    const after = (await this.deps.kv.get(this.key)) ?? undefined;
    this.subscription = await this.deps.stream.subscribe({ all: true }, (e) => this.enqueue(e), after ? { after } : {});
    if (after && !this.subscription.resumed) this.deps.logger.warn({ after }, 'search indexer: checkpoint past the event retention window; some changes may be missing from the index');
  }

  /** Resolves once every event received so far is handled (tests, benches). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.chain;
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.idle();
  }

  private enqueue(event: PublishedEvent): void {
    const target = this.target(event);
    if (!target) return;
    this.pending += 1;
    this.chain = this.chain
      .then(() => this.apply(target))
      .then(() => this.checkpoint(event.id))
      .catch((err: unknown) => this.deps.logger.error({ err, eventId: event.id, type: event.type }, 'search indexer: event not applied'))
      .finally(() => {
        this.pending -= 1;
      });
  }

  /**
   * Remembers the last event handled: once a burst is done (nothing queued behind it), and at
   * least once a second while events keep coming. A restart then replays at most that second,
   * which is harmless (apply reads current rows), instead of costing a KV write per event.
   */
  private async checkpoint(eventId: string): Promise<void> {
    const now = Date.now();
    if (this.pending > 1 && now - this.checkpointedAt < CHECKPOINT_EVERY_MS) return;
    this.checkpointedAt = now;
    await this.deps.kv.set(this.key, eventId);
  }

  private target(event: PublishedEvent): { kind: 'posts' | 'users'; id: string } | null {
    const d = event.data;
    if (event.type.startsWith('post.') && typeof d.postId === 'string') return { kind: 'posts', id: d.postId };
    if (event.type.startsWith('user.') && typeof d.userId === 'string') return { kind: 'users', id: d.userId };
    return null;
  }

  private async apply(t: { kind: 'posts' | 'users'; id: string }): Promise<void> {
    const { index } = this.deps;
    if (t.kind === 'posts') {
      const p = await this.deps.posts.findById(t.id);
      if (!p) return index.remove('posts', [t.id]);
      return index.upsert([postDocument(p)]);
    }
    const u = await this.deps.users.findById(t.id);
    if (!u) return index.remove('users', [t.id]);
    return index.upsert([userDocument(u)]);
  }
}
