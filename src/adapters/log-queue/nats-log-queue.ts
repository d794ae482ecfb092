import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  headers as natsHeaders,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { batchBytes, LogQueueFullError, type LogBatchInput, type LogQueue, type LogQueueStats, type QueuedLogBatch, type TakeOptions } from '../../ports/log-queue.ts';

export interface NatsLogQueueOptions {
  url: string;
  /** JetStream stream name (subject `<stream>.batches`); tests use a run id. */
  stream: string;
  /** Sequences start at least here (see `seqAbove` in the port). */
  minSeq: number;
  /** The stream's max_bytes: beyond it the server refuses new batches. */
  maxBytes: number;
  /** How long a taken batch may stay unacknowledged before JetStream redelivers it. */
  ackWaitMs?: number;
  retryAfterMs?: number;
  connectTimeoutMs?: number;
}

const H_PROJECT = 'Basalt-Project';
const H_COUNT = 'Basalt-Count';
const H_RECEIVED = 'Basalt-Received-At';
// Re-reading the stream's size for every enqueue would cost a round trip each.
const STATS_REFRESH_MS = 200;

/**
 * The scale-out log queue: one JetStream message per batch in a work-queue stream (file
 * storage, de-duplicated by a per-batch message id), drained through one durable pull
 * consumer that every writer instance shares, so each batch goes to one writer at a time.
 * A batch's sequence is its stream sequence. The stream's `max_bytes` with DiscardNew is
 * the bound, enforced by the server for every instance at once.
 *
 * Durability: the server acknowledges a publish once the message is stored; with a single
 * NATS server, JetStream flushes to disk on its own schedule (`sync_interval`), so a
 * Basalt crash loses nothing but a NATS host power cut may; run a cluster (R3) or
 * `sync_interval: always` where that matters (docs/logs.md).
 */
export class NatsLogQueue implements LogQueue {
  readonly backend = 'nats' as const;
  private messages: ConsumerMessages | undefined;
  private readonly buffer: JsMsg[] = [];
  private readonly unacked = new Map<number, JsMsg>();
  private waiter: (() => void) | undefined;
  private cachedStats: { at: number; stats: LogQueueStats } | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsLogQueueOptions,
  ) {}

  static async connect(options: NatsLogQueueOptions): Promise<NatsLogQueue> {
    const nc = await connect({ servers: options.url, timeout: options.connectTimeoutMs ?? 5_000, name: 'basalt-logs' });
    try {
      const jsm = await nc.jetstreamManager();
      const config: Partial<StreamConfig> = {
        name: options.stream,
        subjects: [`${options.stream}.batches`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        max_bytes: options.maxBytes,
        duplicate_window: nanos(120_000),
      };
      let info;
      try {
        info = await jsm.streams.info(options.stream);
      } catch {
        info = undefined;
      }
      if (info) await jsm.streams.update(options.stream, config);
      else info = await jsm.streams.add(config);
      // A new stream (or one deleted and made again) starts its sequence at 1: move an empty
      // one past every id already stored. Purging up to a sequence beyond the last one does
      // that on every server version (`first_seq` needs 2.10).
      if (info.state.messages === 0 && info.state.last_seq + 1 < options.minSeq) await jsm.streams.purge(options.stream, { seq: options.minSeq });
      await jsm.consumers.add(options.stream, {
        durable_name: `${options.stream}_writer`,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(options.ackWaitMs ?? 60_000),
        deliver_policy: DeliverPolicy.All,
        max_deliver: -1,
      });
      return new NatsLogQueue(nc, nc.jetstream(), jsm, options);
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  /** NATS refuses messages over the server's max_payload; the service splits batches below this. */
  get maxBatchBytes(): number {
    return this.nc.info?.max_payload ? this.nc.info.max_payload - 4096 : 1 << 20;
  }

  async enqueue(batch: LogBatchInput): Promise<{ seq: number }> {
    this.assertOpen();
    const bytes = batchBytes(batch);
    const known = this.cachedStats && Date.now() - this.cachedStats.at < STATS_REFRESH_MS ? this.cachedStats.stats : undefined;
    if (known && known.bytes + bytes > this.options.maxBytes) throw new LogQueueFullError(this.options.retryAfterMs ?? 2_000);
    const h = natsHeaders();
    h.set(H_PROJECT, batch.projectId);
    h.set(H_COUNT, String(batch.count));
    h.set(H_RECEIVED, String(batch.receivedAt));
    const publish = this.js.publish(`${this.options.stream}.batches`, batch.payload, { msgID: randomUUID(), headers: h });
    this.inFlight.add(publish);
    try {
      const ack = await publish;
      return { seq: ack.seq };
    } catch (err) {
      // Under DiscardNew the server refuses with "maximum bytes exceeded" (err_code 10077).
      const apiError = (err as { api_error?: { description?: string } }).api_error;
      if (/maximum (bytes|messages)/i.test(`${apiError?.description ?? ''} ${(err as Error).message}`)) throw new LogQueueFullError(this.options.retryAfterMs ?? 2_000);
      throw err;
    } finally {
      this.inFlight.delete(publish);
    }
  }

  async take(options: TakeOptions): Promise<QueuedLogBatch[]> {
    this.assertOpen();
    await this.startConsuming();
    if (this.buffer.length === 0 && options.waitMs > 0 && !options.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          options.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, options.waitMs);
        this.waiter = done;
        options.signal?.addEventListener('abort', done);
      });
    }
    const out: QueuedLogBatch[] = [];
    let entries = 0;
    while (this.buffer.length > 0) {
      const m = this.buffer[0] as JsMsg;
      const b = this.decode(m);
      if (out.length > 0 && entries + b.count > options.maxEntries) break;
      this.buffer.shift();
      this.unacked.set(b.seq, m);
      out.push(b);
      entries += b.count;
    }
    return out;
  }

  async ack(batches: readonly Pick<QueuedLogBatch, 'seq'>[]): Promise<void> {
    const confirmations: Promise<boolean>[] = [];
    for (const b of batches) {
      const m = this.unacked.get(b.seq);
      this.unacked.delete(b.seq);
      // Confirmed acks: once this resolves, the batch is gone from the stream (and its bytes
      // from the bound), not merely on its way to the server.
      if (m) confirmations.push(m.ackAck());
    }
    await Promise.all(confirmations);
  }

  async stats(): Promise<LogQueueStats> {
    const info = await this.jsm.streams.info(this.options.stream);
    const stats = { batches: info.state.messages, bytes: info.state.bytes };
    this.cachedStats = { at: Date.now(), stats };
    return stats;
  }

  /** Removes the stream (tests clean up their run's stream). */
  async deleteStream(): Promise<void> {
    await this.jsm.streams.delete(this.options.stream);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.messages?.stop();
    // Hand back what this instance holds: JetStream redelivers it now, not after ack_wait.
    for (const m of [...this.buffer, ...this.unacked.values()]) m.nak();
    this.buffer.length = 0;
    this.unacked.clear();
    this.waiter?.();
    await this.nc.drain().catch(() => {});
  }

  private async startConsuming(): Promise<void> {
    if (this.messages) return;
    const consumer = await this.js.consumers.get(this.options.stream, `${this.options.stream}_writer`);
    const messages = await consumer.consume({ max_messages: 64 });
    this.messages = messages;
    void (async () => {
      for await (const m of messages) {
        if (this.closed) {
          m.nak();
          continue;
        }
        this.buffer.push(m);
        this.waiter?.();
      }
    })();
  }

  private decode(m: JsMsg): QueuedLogBatch {
    return {
      seq: m.seq,
      projectId: m.headers?.get(H_PROJECT) ?? '',
      count: Number(m.headers?.get(H_COUNT) ?? 0),
      receivedAt: Number(m.headers?.get(H_RECEIVED) ?? 0),
      payload: m.data,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('log queue is closed');
  }
}
