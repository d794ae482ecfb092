import type { AudienceFilter, EventListener, EventStream, EventSubscription, PublishedEvent, SubscribeOptions } from '../../ports/events.ts';
import { Fanout, type FanoutOptions } from './fanout.ts';

/**
 * The embedded event stream: one process, delivery in memory. Retention for resume is the
 * in-memory window (primed from the outbox at start-up, so a restart keeps it).
 */
export class MemoryEventStream implements EventStream {
  readonly backend = 'memory' as const;
  private readonly fanout: Fanout;
  private closed = false;

  constructor(options: FanoutOptions) {
    this.fanout = new Fanout(options);
  }

  prime(events: readonly PublishedEvent[]): void {
    this.fanout.prime(events);
  }

  async publish(events: readonly PublishedEvent[]): Promise<void> {
    this.assertOpen();
    for (const e of events) this.fanout.deliver(e);
  }

  async subscribe(filter: AudienceFilter, listener: EventListener, options: SubscribeOptions = {}): Promise<EventSubscription> {
    this.assertOpen();
    const { resumed, detach } = this.fanout.attach(filter, listener, options.after);
    return { resumed, close: async () => detach() };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fanout.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event stream is closed');
  }
}
