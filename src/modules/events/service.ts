import type { EventStream, PublishedEvent } from '../../ports/events.ts';

/** A user's workspace ids (wired to the workspace membership repo). */
export type WorkspaceIdsOf = (userId: string) => Promise<readonly string[]>;

export interface EventsDeps {
  stream: EventStream;
  workspaceIdsOf: WorkspaceIdsOf;
  /** Whether a session still exists (not revoked, not ended by a ban); checked every `sessionCheckMs`. */
  sessionActive?: (sessionId: string) => Promise<boolean>;
  /** How often an open feed re-reads the user's workspaces (joins and leaves). */
  refreshMs?: number;
  sessionCheckMs?: number;
  now?: () => number;
}

/** Who is listening: the signed-in user, their session, and when their access token expires. */
export interface Viewer {
  userId: string;
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Why the service ended a feed: the client must sign in again (or refresh) before reconnecting. */
export type FeedEnd = 'token_expired' | 'session_ended';

export interface FeedHandlers {
  /** Called synchronously per event, first with the resume replay (before `open` resolves). */
  event(event: PublishedEvent): void;
  /** Called at most once; no event follows it. */
  end(reason: FeedEnd): void;
}

export interface LiveFeed {
  /** False when the Last-Event-ID was unknown or past the retention window. */
  resumed: boolean;
  close(): Promise<void>;
}

// Membership changes that concern the subscriber: re-read their workspaces at once.
const MEMBERSHIP = /^workspace\.member_/;
// setTimeout's ceiling (~24.8 days); a later expiry re-arms.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The live feed of events a user may see: their account's and their workspaces'. A feed lasts
 * as long as the access token that opened it: it ends when the token expires, and when the
 * session is revoked (seen within `sessionCheckMs`).
 */
export class EventsService {
  private readonly now: () => number;

  constructor(private readonly deps: EventsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async open(viewer: Viewer, lastEventId: string | undefined, handlers: FeedHandlers): Promise<LiveFeed> {
    const { userId } = viewer;
    const workspaceIds = new Set(await this.deps.workspaceIdsOf(userId));
    let closed = false;
    const refresh = async (): Promise<void> => {
      const now = await this.deps.workspaceIdsOf(userId).catch(() => null);
      if (!now || closed) return;
      workspaceIds.clear();
      for (const id of now) workspaceIds.add(id);
    };
    const subscription = await this.deps.stream.subscribe(
      { userIds: new Set([userId]), workspaceIds },
      (event) => {
        if (closed) return;
        handlers.event(event);
        if (MEMBERSHIP.test(event.type) && event.audience.userIds?.includes(userId)) void refresh();
      },
      lastEventId ? { after: lastEventId } : {},
    );
    const timers: NodeJS.Timeout[] = [];
    const close = async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      await subscription.close();
    };
    const end = (reason: FeedEnd) => {
      if (closed) return;
      void close();
      handlers.end(reason);
    };
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      timers.push(t);
    };
    every(this.deps.refreshMs ?? 30_000, () => void refresh());
    const { sessionActive } = this.deps;
    if (sessionActive) {
      every(this.deps.sessionCheckMs ?? 15_000, () => {
        // A store that does not answer is not a revocation: the token's expiry still bounds the feed.
        void sessionActive(viewer.sessionId).then((active) => active || end('session_ended'), () => {});
      });
    }
    const expire = () => {
      const left = viewer.expiresAt - this.now();
      if (left <= 0) {
        end('token_expired');
        return;
      }
      const t = setTimeout(expire, Math.min(left, MAX_TIMER_MS));
      t.unref();
      timers.push(t);
    };
    expire();
    return { resumed: subscription.resumed, close };
  }
}
