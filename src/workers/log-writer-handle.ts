import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { LogTailHub } from '../modules/logs/tail.ts';
import { startLogWriterHost } from './log-writer-host.ts';
import type { IndexStats, WriteCycleStats } from './log-writer.ts';
import type { WriterThreadMessage, WriterThreadRequest } from './log-writer-thread.ts';
import { compileThread, startCompiledThread, startTsThread, type CompiledThread } from './thread.ts';

/** The API process's handle on its log writer, wherever that runs. */
export interface LogWriterHandle {
  /** One retention pass now; resolves with the entries deleted. */
  runRetention(): Promise<number>;
  /** Resolves once the writer forwards the batches of every project subscribed so far. */
  interestSettled(): Promise<void>;
  stop(): Promise<void>;
}

export interface WriterHandleOptions {
  config: Config;
  sqlSchema?: string | undefined;
  walCheckpointed?: boolean | undefined;
  logger: Logger;
  hub: LogTailHub;
  onCycle?: (stats: WriteCycleStats) => void;
  onIndex?: (stats: IndexStats) => void;
}

const PINO_LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function relayLog(logger: Logger, line: string): void {
  try {
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(line) as Record<string, unknown>;
    logger[PINO_LEVELS[Number(level)] ?? 'info'](fields, String(msg ?? ''));
  } catch {
    logger.info(line.trim());
  }
}

// A writer thread that dies (a bug, an out-of-memory) is started again after this long; what
// it had taken and not acknowledged is still queued, so nothing is lost meanwhile.
const RESTART_DELAY_MS = 1_000;

const THREAD_MODULE = new URL('./log-writer-thread.ts', import.meta.url);

/**
 * LOG_WRITER=thread: the writer in a worker thread of this process, kept running: a thread
 * that exits unexpectedly is logged and started again.
 */
class WriterThread implements LogWriterHandle {
  private worker: Worker | undefined;
  private readonly retentions = new Map<number, { resolve: (n: number) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private interestVersion = 0;
  private interestAcked = 0;
  private projects: string[] = [];
  private readonly interestWaiters = new Set<{ version: number; resolve: () => void }>();
  private stopped: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private unfollow: (() => void) | undefined;
  /** The thread's modules as JavaScript, compiled once (restarts reuse them); undefined: boot through tsx. */
  private compiled: Promise<CompiledThread | undefined> | undefined;

  constructor(private readonly options: WriterHandleOptions) {}

  private compile(): Promise<CompiledThread | undefined> {
    this.compiled ??= compileThread(THREAD_MODULE, join(this.options.config.DATA_DIR, '.threads')).catch((err: unknown) => {
      this.options.logger.warn({ err }, 'log writer: thread not compiled; it boots through tsx (more memory)');
      return undefined;
    });
    return this.compiled;
  }

  /** Resolves once the first thread runs. */
  async start(): Promise<void> {
    // Sent from the start: the thread may already be writing batches of a tailed project.
    this.unfollow = this.options.hub.onInterest((projects) => {
      this.projects = projects;
      this.sendInterest();
    });
    try {
      await this.spawn();
    } catch (err) {
      this.unfollow();
      throw err;
    }
  }

  private async spawn(): Promise<void> {
    const { logger } = this.options;
    const compiled = await this.compile();
    if (this.stopping) return;
    const data = { config: this.options.config, sqlSchema: this.options.sqlSchema, walCheckpointed: this.options.walCheckpointed };
    // Its live data is one cycle's batches, whose payloads are bytes outside the heap: small
    // generations keep its heap (and the process's memory) from growing with the ingest rate.
    const limits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };
    const worker = compiled ? startCompiledThread(compiled, data, 'basalt-log-writer', limits) : startTsThread(THREAD_MODULE, data, 'basalt-log-writer', limits);
    this.worker = worker;
    this.sendInterest();
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: WriterThreadMessage) => {
        if (m.type === 'ready') {
          ready = true;
          resolve();
        } else if (m.type === 'failed') {
          reject(new Error(`log writer did not start: ${m.message}`));
        } else {
          this.onMessage(m);
        }
      });
      worker.on('error', (err) => logger.error({ err }, 'log writer thread failed'));
      worker.once('exit', (code) => {
        if (!ready) return reject(new Error(`log writer thread exited (${code})`));
        if (this.stopping) return this.stopped?.();
        logger.error({ code }, 'log writer thread exited; starting it again');
        this.failPending(new Error('log writer thread exited'));
        setTimeout(() => {
          if (!this.stopping) this.spawn().catch((err: unknown) => logger.error({ err }, 'log writer thread did not start again'));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  private onMessage(m: WriterThreadMessage): void {
    switch (m.type) {
      case 'log':
        return relayLog(this.options.logger, m.line);
      case 'tail':
        return this.options.hub.deliverBatch(m.batch);
      case 'cycle':
        return this.options.onCycle?.(m.stats);
      case 'index':
        return this.options.onIndex?.(m.stats);
      case 'interest-ack':
        this.interestAcked = Math.max(this.interestAcked, m.version);
        for (const w of this.interestWaiters) {
          if (w.version > this.interestAcked) continue;
          this.interestWaiters.delete(w);
          w.resolve();
        }
        return;
      case 'retention-done': {
        const r = this.retentions.get(m.id);
        this.retentions.delete(m.id);
        if (m.error !== undefined) r?.reject(new Error(m.error));
        else r?.resolve(m.deleted ?? 0);
        return;
      }
      case 'stopped':
        return this.stopped?.();
    }
  }

  private sendInterest(): void {
    this.worker?.postMessage({ type: 'interest', projects: this.projects, version: ++this.interestVersion } satisfies WriterThreadRequest);
  }

  interestSettled(): Promise<void> {
    const version = this.interestVersion;
    if (this.interestAcked >= version) return Promise.resolve();
    return new Promise<void>((resolve) => this.interestWaiters.add({ version, resolve }));
  }

  runRetention(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const id = this.nextId++;
      this.retentions.set(id, { resolve, reject });
      this.worker?.postMessage({ type: 'retention', id } satisfies WriterThreadRequest);
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unfollow?.();
      const worker = this.worker;
      if (worker) {
        const done = new Promise<void>((resolve) => {
          this.stopped = resolve;
          worker.once('exit', () => resolve());
        });
        worker.postMessage({ type: 'stop' } satisfies WriterThreadRequest);
        await done;
        await worker.terminate();
      }
      (await this.compiled)?.dispose();
      this.failPending(new Error('log writer stopped'));
    })();
    return this.stopping;
  }

  private failPending(err: Error): void {
    for (const r of this.retentions.values()) r.reject(err);
    this.retentions.clear();
    for (const w of this.interestWaiters) w.resolve();
    this.interestWaiters.clear();
  }
}

export async function startWriterThread(options: WriterHandleOptions): Promise<LogWriterHandle> {
  const thread = new WriterThread(options);
  await thread.start();
  return thread;
}

/** LOG_WRITER=inline: the writer on this thread (tests, small deployments). */
export async function startInlineWriter(options: WriterHandleOptions): Promise<LogWriterHandle> {
  const host = await startLogWriterHost({
    config: options.config,
    sqlSchema: options.sqlSchema,
    walCheckpointed: options.walCheckpointed,
    logger: options.logger,
    localTail: options.hub.sink(),
    ...(options.onCycle ? { onCycle: options.onCycle } : {}),
    ...(options.onIndex ? { onIndex: options.onIndex } : {}),
  });
  return { runRetention: () => host.retention.runOnce(), interestSettled: async () => {}, stop: () => host.close() };
}
