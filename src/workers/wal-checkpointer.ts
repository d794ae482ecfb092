import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/logger.ts';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * A SQLite file an adapter writes through a connection of its own (the KV store, the rate
 * limiter, the search index), whose checkpoints the checkpointer thread can take over.
 */
export interface CheckpointableFile {
  /** The database file; ':memory:' has no WAL to checkpoint. */
  readonly path: string;
  /** Stops this adapter's connection checkpointing inside its own commits (wal_autocheckpoint = 0). */
  checkpointExternally(): void;
}

export function isCheckpointable<T extends object>(value: T): value is T & CheckpointableFile {
  return 'checkpointExternally' in value && typeof value.checkpointExternally === 'function' && 'path' in value && typeof value.path === 'string';
}

export interface WalCheckpointerOptions {
  /** The SQLite database files to checkpoint. */
  paths: string[];
  intervalMs?: number;
  /** A WAL past this size is checkpointed and truncated even if that makes writers wait. */
  truncateBytes?: number;
  logger?: Logger;
}

// Plain CommonJS, evaluated: this thread loads no TypeScript loader and none of Basalt's
// modules, so it costs a few MB rather than the tens a tsx thread takes.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.module);
const files = workerData.paths.map((path) => {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  return { path, db, failing: false };
});
let timer;
function run() {
  for (const f of files) {
    try {
      let size = 0;
      try { size = statSync(f.path + '-wal').size; } catch {}
      f.db.pragma(size > workerData.truncateBytes ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)');
      f.failing = false;
    } catch (err) {
      if (!f.failing) parentPort.postMessage({ type: 'error', path: f.path, message: String((err && err.message) || err) });
      f.failing = true;
    }
  }
  timer = setTimeout(run, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearTimeout(timer);
  for (const f of files) f.db.close();
  parentPort.postMessage({ type: 'closed' });
  parentPort.close();
});
timer = setTimeout(run, workerData.intervalMs);
parentPort.postMessage({ type: 'ready' });
`;

type Message = { type: 'ready' } | { type: 'closed' } | { type: 'error'; path: string; message: string };

// A thread that ends on its own (it should not) is started again after this long.
const RESTART_DELAY_MS = 1_000;

/**
 * Checkpoints SQLite databases' WALs from one thread of its own, so the connections that
 * write them (the log writer, the log queue's producer, the API's store connection: all
 * with wal_autocheckpoint=0) never stop to copy pages back into the database file and
 * fsync it. PASSIVE checkpoints never block a writer; only a WAL grown past
 * `truncateBytes` (readers holding it back) is forced down.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private closing = false;

  private constructor(private readonly options: WalCheckpointerOptions) {}

  static async start(options: WalCheckpointerOptions): Promise<WalCheckpointer> {
    const checkpointer = new WalCheckpointer(options);
    await checkpointer.spawn();
    return checkpointer;
  }

  private async spawn(): Promise<void> {
    const { logger } = this.options;
    const worker = new Worker(SOURCE, {
      eval: true,
      name: 'basalt-wal-checkpointer',
      workerData: { module: BETTER_SQLITE3, paths: this.options.paths, intervalMs: this.options.intervalMs ?? 200, truncateBytes: this.options.truncateBytes ?? 512 * 1024 * 1024 },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err as Error))])) as [Message];
    if (first.type !== 'ready') throw new Error('WAL checkpointer did not start');
    this.worker = worker;
    worker.on('message', (m: Message) => {
      if (m.type === 'error') logger?.warn({ path: m.path, message: m.message }, 'WAL checkpoint failed');
    });
    worker.on('error', (err) => logger?.error({ err }, 'WAL checkpointer failed'));
    worker.once('exit', () => {
      if (this.closing) return;
      logger?.error('WAL checkpointer exited; starting it again');
      setTimeout(() => {
        if (!this.closing) this.spawn().catch((err: unknown) => logger?.error({ err }, 'WAL checkpointer did not start again'));
      }, RESTART_DELAY_MS).unref();
    });
    worker.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    // Unreferenced while it runs; referenced again here, or a process with nothing else left
    // to do would exit before the 'closed' answer arrives (and a top-level await never settle).
    worker.ref();
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (m: Message) => m.type === 'closed' && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage('close');
    await closed;
    await worker.terminate().catch((err: unknown) => this.options.logger?.warn({ err }, 'WAL checkpointer did not stop'));
  }
}
