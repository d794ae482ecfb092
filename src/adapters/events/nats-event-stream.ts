import { connect, DeliverPolicy, DiscardPolicy, JSONCodec, nanos, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { Logger } from '../../lib/logger.ts';
import type { AudienceFilter, EventListener, EventStream, EventSubscription, PublishedEvent, SubscribeOptions } from '../../ports/events.ts';
import { Fanout } from './fanout.ts';

export interface NatsEventStreamOptions {
  url: string;
  /** JetStream stream name (subjects `<stream>.<event type>`); tests use a run id. */
  stream: string;
  retentionMs: number;
  maxRetained: number;
  logger: Logger;
  connectTimeoutMs?: number;
}

const codec = JSONCodec<PublishedEvent>();

/**
 * The scale-out event stream: events live in a JetStream stream (max age = retention,
 * de-duplicated by event id), and each instance runs one ordered consumer feeding its local
 * fan-out. At start the consumer replays the retention window, so a client may resume on
 * any instance. One consumer per instance, not per SSE client: a thousand clients cost the
 * NATS server nothing extra.
 */
export class NatsEventStream implements EventStream {
  readonly backend = 'nats' as const;
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly messages: ConsumerMessages,
    private readonly fanout: Fanout,
    private readonly options: NatsEventStreamOptions,
  ) {}

  static async connect(options: NatsEventStreamOptions): Promise<NatsEventStream> {
    const nc = await connect({ servers: options.url, timeout: options.connectTimeoutMs ?? 5_000, name: 'basalt-events' });
    try {
      const jsm = await nc.jetstreamManager();
      const config = {
        name: options.stream,
        subjects: [`${options.stream}.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: nanos(options.retentionMs),
        duplicate_window: nanos(Math.min(options.retentionMs, 120_000)),
      };
      try {
        await jsm.streams.info(options.stream);
        await jsm.streams.update(options.stream, config);
      } catch {
        await jsm.streams.add(config);
      }
      const js = nc.jetstream();
      const fanout = new Fanout({ retentionMs: options.retentionMs, maxRetained: options.maxRetained });
      const consumer = await js.consumers.get(options.stream, {
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(Date.now() - options.retentionMs).toISOString(),
      });
      const messages = await consumer.consume();
      const stream = new NatsEventStream(nc, js, jsm, messages, fanout, options);
      await stream.pump(consumer);
      return stream;
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Feeds the fan-out; resolves once the retained window has been replayed locally. Counted in
   * this consumer's own sequence (messages delivered to it), not the stream's: a stream whose
   * messages have all aged out still has a last sequence, which no message will ever reach
   * (a start after an hour without events waited for it forever).
   */
  private async pump(consumer: { info(cached?: boolean): Promise<{ num_pending: number; delivered: { consumer_seq: number } }> }): Promise<void> {
    let handled = 0;
    let caughtUp: (() => void) | undefined;
    let target = Number.POSITIVE_INFINITY;
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    void (async () => {
      for await (const m of this.messages) {
        try {
          this.fanout.deliver(codec.decode(m.data));
        } catch (err) {
          this.options.logger.warn({ err, seq: m.seq }, 'event stream: undecodable message skipped');
        }
        handled = m.info.deliverySequence;
        if (handled >= target) caughtUp?.();
      }
    })();
    // The replay is done when nothing is pending and every delivered message was handled.
    for (;;) {
      const info = await consumer.info();
      if (info.num_pending === 0) {
        target = info.delivered.consumer_seq;
        if (handled >= target) caughtUp?.();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await ready;
  }

  async publish(events: readonly PublishedEvent[]): Promise<void> {
    this.assertOpen();
    // Sent back to back on one connection, so JetStream stores them in this order.
    await Promise.all(events.map((e) => this.js.publish(`${this.options.stream}.${e.type}`, codec.encode(e), { msgID: e.id })));
  }

  async subscribe(filter: AudienceFilter, listener: EventListener, options: SubscribeOptions = {}): Promise<EventSubscription> {
    this.assertOpen();
    const { resumed, detach } = this.fanout.attach(filter, listener, options.after);
    return { resumed, close: async () => detach() };
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.nc.flush();
  }

  /** Removes the JetStream stream (tests clean up their run's stream). */
  async deleteStream(): Promise<void> {
    await this.jsm.streams.delete(this.options.stream);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fanout.clear();
    this.messages.stop();
    await this.nc.drain().catch(() => {});
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event stream is closed');
  }
}
