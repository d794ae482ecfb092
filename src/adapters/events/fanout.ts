import { audienceMatches, type AudienceFilter, type EventListener, type PublishedEvent } from '../../ports/events.ts';

export interface FanoutOptions {
  retentionMs: number;
  /** Retained events kept at most (oldest dropped first), whatever their age. */
  maxRetained: number;
  now?: () => number;
}

interface Subscriber {
  filter: AudienceFilter;
  listener: EventListener;
}

/**
 * One process's delivery core, shared by the in-process and NATS adapters: a retention
 * buffer (for resume) and the local subscribers. Everything here is synchronous, so a
 * subscribe-with-replay can never miss or repeat an event delivered in between.
 */
export class Fanout {
  private readonly retained: PublishedEvent[] = [];
  private readonly ids = new Set<string>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly now: () => number;

  constructor(private readonly options: FanoutOptions) {
    this.now = options.now ?? Date.now;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Adds to the buffer without delivering (history loaded at start-up). */
  prime(events: readonly PublishedEvent[]): void {
    for (const e of events) this.remember(e);
  }

  /** Retains and delivers; an id already seen is ignored (at-least-once upstream). */
  deliver(event: PublishedEvent): void {
    if (!this.remember(event)) return;
    for (const s of this.subscribers) {
      if (audienceMatches(event.audience, s.filter)) s.listener(event);
    }
  }

  /** Replays retained events after `after`, then attaches; returns whether `after` was found. */
  attach(filter: AudienceFilter, listener: EventListener, after?: string): { resumed: boolean; detach: () => void } {
    let resumed = true;
    if (after !== undefined) {
      this.expire();
      const index = this.retained.findIndex((e) => e.id === after);
      resumed = index >= 0;
      // Unknown or expired id: everything retained that sorts after it (ids are time-sortable).
      const replay = resumed ? this.retained.slice(index + 1) : this.retained.filter((e) => e.id > after);
      for (const e of replay) if (audienceMatches(e.audience, filter)) listener(e);
    }
    const sub: Subscriber = { filter, listener };
    this.subscribers.add(sub);
    return { resumed, detach: () => void this.subscribers.delete(sub) };
  }

  clear(): void {
    this.subscribers.clear();
    this.retained.length = 0;
    this.ids.clear();
  }

  private remember(event: PublishedEvent): boolean {
    if (this.ids.has(event.id)) return false;
    this.ids.add(event.id);
    this.retained.push(event);
    this.expire();
    return true;
  }

  private expire(): void {
    const cutoff = this.now() - this.options.retentionMs;
    let drop = Math.max(0, this.retained.length - this.options.maxRetained);
    while (drop < this.retained.length && (this.retained[drop]?.occurredAt ?? 0) < cutoff) drop++;
    if (drop === 0) return;
    for (const e of this.retained.splice(0, drop)) this.ids.delete(e.id);
  }
}
