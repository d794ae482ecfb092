/**
 * Domain events: `user.registered`, `post.created`, `workspace.member_added`, … Services
 * record them through an {@link EventPublisher}; the {@link EventStream} carries recorded
 * events to subscribers (the SSE endpoint, the search indexer) on every instance.
 *
 * Embedded: an SQL outbox + an in-process bus. Scale-out: the same outbox, relayed to NATS
 * JetStream (`NATS_URL`), so every instance sees every event.
 *
 * Delivery and concurrency rules every adapter guarantees:
 * - Recording: `publish` resolves once the event is durably recorded (the outbox row is
 *   written); `within(tx).publish` writes it in the caller's transaction, so the event exists
 *   exactly when the change commits. A record that cannot be written rejects with
 *   AppError `eventstream:publish_failed` (503); nothing is half-recorded.
 * - Delivery is at least once: a relay moves recorded events to the stream and retries until
 *   the stream accepts them. Subscribers may see a duplicate (same `id`) after a crash or a
 *   relay race; they de-duplicate by id when it matters (the indexer's writes are idempotent).
 * - Order: events reach one subscriber in the order the stream received them, which is id
 *   order for events recorded by one process. Ids are time-sortable strings (`evt_…`).
 * - Audience: a subscriber receives an event when the event names one of its user ids or one
 *   of its workspace ids. Events with an empty audience reach only `all` subscribers
 *   (system consumers). The filter's sets are read at delivery time: a caller may change
 *   them while subscribed (e.g. after joining a workspace).
 * - Resume: `subscribe({after: id})` first replays retained events recorded after `id`, then
 *   live ones, with no gap and no event twice from the stream itself. Events are retained for
 *   a window (EVENTS_RETENTION_SECONDS); an id older than the window or unknown replays what
 *   is retained and reports `resumed: false`, so a client knows it may have missed events.
 * - A listener is called synchronously per event and must not throw; a slow listener (an SSE
 *   client) buffers on its own side, never blocking the stream or other subscribers.
 * - `close` ends every subscription; calls after it reject.
 */

export interface EventAudience {
  userIds?: readonly string[];
  workspaceIds?: readonly string[];
}

export interface DomainEvent<T = Record<string, unknown>> {
  /** Dotted name, `<module>.<what happened>`: "post.created". */
  type: string;
  /** Who may see it. */
  audience: EventAudience;
  /** JSON-serialisable payload; never secrets. */
  data: T;
}

export interface PublishedEvent<T = Record<string, unknown>> extends DomainEvent<T> {
  /** Time-sortable id; the SSE `id:` field and the `Last-Event-ID` to resume from. */
  id: string;
  /** Epoch ms the event was recorded. */
  occurredAt: number;
}

/** What services depend on: record a domain event (see the rules above). */
export interface EventPublisher {
  publish<T extends Record<string, unknown>>(event: DomainEvent<T>): Promise<PublishedEvent<T>>;
}

/** A publisher that can also write into a caller's SQL transaction (`Tx`). */
export interface TransactionalEventPublisher<Tx> extends EventPublisher {
  /** A publisher whose records commit or roll back with `tx`. */
  within(tx: Tx): EventPublisher;
}

/** Whom a subscription is for. Sets are read at delivery time, so they may change. */
export interface AudienceFilter {
  userIds?: ReadonlySet<string>;
  workspaceIds?: ReadonlySet<string>;
  /** Every event, whatever its audience (system consumers only: indexer, relays). */
  all?: boolean;
}

export interface SubscribeOptions {
  /** Replay retained events recorded after this id before live ones. */
  after?: string;
}

export interface EventSubscription {
  /** False when `after` was given but is older than the retention window or unknown. */
  readonly resumed: boolean;
  close(): Promise<void>;
}

export type EventListener = (event: PublishedEvent) => void;

/** The transport: recorded events in, matching events out, on every instance. */
export interface EventStream {
  readonly backend: 'memory' | 'nats';
  /** Hands recorded events to the stream; resolves once the stream holds them. Idempotent by id. */
  publish(events: readonly PublishedEvent[]): Promise<void>;
  subscribe(filter: AudienceFilter, listener: EventListener, options?: SubscribeOptions): Promise<EventSubscription>;
  /** Throws when the stream does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Does `event` reach a subscriber with `filter`? The one audience rule every adapter applies. */
export function audienceMatches(audience: EventAudience, filter: AudienceFilter): boolean {
  if (filter.all) return true;
  if (filter.userIds && audience.userIds?.some((id) => filter.userIds?.has(id))) return true;
  if (filter.workspaceIds && audience.workspaceIds?.some((id) => filter.workspaceIds?.has(id))) return true;
  return false;
}
