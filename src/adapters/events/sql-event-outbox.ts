import { secureRandomBytes } from '../../lib/crypto.ts';
import type { Kysely, Transaction } from 'kysely';
import type { Database, EventOutboxTable } from '../../db/schema.ts';
import { AppError } from '../../errors/index.ts';
import type { DomainEvent, EventPublisher, PublishedEvent, TransactionalEventPublisher } from '../../ports/events.ts';

let lastMs = 0;
let seq = 0;

/**
 * `evt_` + 12 hex ms + 4 hex sequence + 12 hex random: time-sortable like newId, and strictly
 * increasing within one process even inside one millisecond, so resume-after-id never skips
 * a sibling recorded in the same millisecond.
 */
export function newEventId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (++seq > 0xffff) {
    lastMs += 1;
    seq = 0;
  }
  return `evt_${lastMs.toString(16).padStart(12, '0')}${seq.toString(16).padStart(4, '0')}${secureRandomBytes(6).toString('hex')}`;
}

/** The time an event id was minted (epoch ms). */
export function eventIdTime(id: string): number | null {
  const m = /^evt_([0-9a-f]{12})[0-9a-f]{16}$/.exec(id);
  return m?.[1] ? Number.parseInt(m[1], 16) : null;
}

export function rowToEvent(row: EventOutboxTable): PublishedEvent {
  return {
    id: row.id,
    type: row.type,
    audience: JSON.parse(row.audience) as PublishedEvent['audience'],
    data: JSON.parse(row.data) as Record<string, unknown>,
    occurredAt: row.created_at,
  };
}

export interface SqlEventOutboxOptions {
  /** Called after a record is written, so the relay can publish without waiting for its poll. */
  onRecorded?: () => void;
  now?: () => number;
}

/**
 * The outbox: services record events into the SQL store (in their own transaction when
 * they have one); the relay (outbox-relay.ts) publishes them to the event stream.
 */
export class SqlEventOutbox implements TransactionalEventPublisher<Transaction<Database>> {
  private readonly now: () => number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: SqlEventOutboxOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  publish<T extends Record<string, unknown>>(event: DomainEvent<T>): Promise<PublishedEvent<T>> {
    return this.write(this.db, event);
  }

  within(tx: Transaction<Database>): EventPublisher {
    return { publish: (event) => this.write(tx, event) };
  }

  private async write<T extends Record<string, unknown>>(db: Kysely<Database>, event: DomainEvent<T>): Promise<PublishedEvent<T>> {
    const occurredAt = this.now();
    const published: PublishedEvent<T> = { id: newEventId(occurredAt), type: event.type, audience: event.audience, data: event.data, occurredAt };
    try {
      await db
        .insertInto('event_outbox')
        .values({ id: published.id, type: event.type, audience: JSON.stringify(event.audience), data: JSON.stringify(event.data), created_at: occurredAt, published_at: null })
        .execute();
    } catch (cause) {
      throw new AppError('eventstream:publish_failed', { cause });
    }
    this.options.onRecorded?.();
    return published;
  }

  /** Oldest unpublished records first. */
  async pending(db: Kysely<Database>, limit: number, lock: boolean): Promise<PublishedEvent[]> {
    let q = db.selectFrom('event_outbox').selectAll().where('published_at', 'is', null).orderBy('id').limit(limit);
    if (lock) q = q.forUpdate().skipLocked();
    return (await q.execute()).map(rowToEvent);
  }

  async markPublished(db: Kysely<Database>, ids: readonly string[], at: number): Promise<void> {
    if (ids.length > 0) await db.updateTable('event_outbox').set({ published_at: at }).where('id', 'in', ids).execute();
  }

  /** Published events recorded at or after `since`, oldest first (to prime an in-process stream). */
  async retained(since: number, limit: number): Promise<PublishedEvent[]> {
    const rows = await this.db.selectFrom('event_outbox').selectAll().where('published_at', 'is not', null).where('created_at', '>=', since).orderBy('id', 'desc').limit(limit).execute();
    return rows.reverse().map(rowToEvent);
  }

  /** Drops published records older than the retention window. */
  async sweep(before: number): Promise<number> {
    const r = await this.db.deleteFrom('event_outbox').where('published_at', 'is not', null).where('created_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
