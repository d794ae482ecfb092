import { connect, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../../lib/logger.ts';
import type { KvStore } from '../../ports/kv.ts';
import type { QueuedLogBatch } from '../../ports/log-queue.ts';
import type { LogTailHub, TailSink } from '../../modules/logs/tail.ts';

export interface NatsLogTailOptions {
  url: string;
  /** Subject prefix: batches go out on `<prefix>.tail.<projectId>`. */
  prefix: string;
  /** Shared with every instance: which projects someone is tailing. */
  kv: KvStore;
  logger: Logger;
  connectTimeoutMs?: number;
}

const interestKey = (projectId: string) => `logs:tail-interest:${projectId}`;
/** How stale a writer's view of who tails what may be; `interestSettledMs` waits past it. */
const INTEREST_REFRESH_MS = 500;
const INTEREST_TTL_MS = 30_000;
const INTEREST_RENEW_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The live tail across instances: the writer that stored a batch publishes it on a NATS core
 * subject (fire and forget: a tail is live, not durable; a client that missed something
 * resumes from the store by Last-Event-ID), and every instance with a subscriber to that
 * project receives it. Writers publish only projects someone tails, as recorded in the
 * shared KV store, so untailed volume never crosses the wire.
 */
export class NatsLogTail {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly interest = new Map<string, { at: number; on: boolean }>();
  private renewTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsLogTailOptions,
  ) {}

  static async connect(options: NatsLogTailOptions): Promise<NatsLogTail> {
    const nc = await connect({ servers: options.url, timeout: options.connectTimeoutMs ?? 5_000, name: 'basalt-log-tail' });
    return new NatsLogTail(nc, options);
  }

  /** After a subscriber registers interest, this long until every writer publishes for it. */
  static readonly interestSettledMs = INTEREST_REFRESH_MS + 100;

  /** The writer's side. */
  sink(): TailSink {
    return {
      emit: async (batch: QueuedLogBatch) => {
        if (!(await this.interested(batch.projectId))) return;
        const body = JSON.stringify({ projectId: batch.projectId, seq: batch.seq, receivedAt: batch.receivedAt, payload: decoder.decode(batch.payload) });
        try {
          this.nc.publish(`${this.options.prefix}.tail.${batch.projectId}`, encoder.encode(body));
        } catch (err) {
          this.options.logger.warn({ err }, 'log tail: publish failed');
        }
      },
    };
  }

  /** The reader's side: feeds `hub` with the batches of the projects it has subscribers for. */
  attach(hub: LogTailHub): void {
    hub.onInterest((projects) => this.follow(hub, projects));
    this.renewTimer = setInterval(() => this.renew(hub.projects()), INTEREST_RENEW_MS);
    this.renewTimer.unref();
  }

  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const s of this.subscriptions.values()) s.unsubscribe();
    this.subscriptions.clear();
    await this.nc.drain().catch(() => {});
  }

  /** Whether anyone tails the project, as of at most INTEREST_REFRESH_MS ago. */
  private async interested(projectId: string): Promise<boolean> {
    const known = this.interest.get(projectId);
    if (known && Date.now() - known.at < INTEREST_REFRESH_MS) return known.on;
    let on = known?.on ?? false;
    try {
      on = (await this.options.kv.get(interestKey(projectId))) !== null;
    } catch (err) {
      this.options.logger.warn({ err }, 'log tail: interest unknown');
    }
    this.interest.set(projectId, { at: Date.now(), on });
    return on;
  }

  private follow(hub: LogTailHub, projects: string[]): void {
    const wanted = new Set(projects);
    for (const [p, sub] of this.subscriptions) {
      if (!wanted.has(p)) {
        sub.unsubscribe();
        this.subscriptions.delete(p);
      }
    }
    for (const p of wanted) {
      if (this.subscriptions.has(p)) continue;
      const sub = this.nc.subscribe(`${this.options.prefix}.tail.${p}`, {
        callback: (err, msg) => {
          if (err) return;
          try {
            {
              const b = JSON.parse(decoder.decode(msg.data)) as Omit<QueuedLogBatch, 'payload'> & { payload: string };
              hub.deliverBatch({ ...b, payload: Buffer.from(b.payload) });
            }
          } catch (e) {
            this.options.logger.warn({ err: e }, 'log tail: undecodable message skipped');
          }
        },
      });
      this.subscriptions.set(p, sub);
    }
    this.renew(projects);
  }

  private renew(projects: string[]): void {
    for (const p of projects) {
      this.options.kv.set(interestKey(p), '1', { ttlMs: INTEREST_TTL_MS }).catch((err: unknown) => this.options.logger.warn({ err }, 'log tail: interest not recorded'));
    }
  }
}
