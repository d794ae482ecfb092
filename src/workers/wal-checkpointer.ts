import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/logger.ts';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

export interface WalCheckpointerOptions {
  /** The SQLite database file. */
  path: string;
  intervalMs?: number;
  /** A WAL past this size is checkpointed and truncated even if that makes writers wait. */
  truncateBytes?: number;
  logger?: Logger;
  /** Called if the thread ends on its own: the writer must checkpoint again itself. */
  onExit?: () => void;
}

// Plain CommonJS, evaluated: this thread loads no TypeScript loader and none of Basalt's
// modules, so it costs a few MB rather than the tens a tsx thread takes.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
let timer;
let failures = 0;
function run() {
  try {
    let size = 0;
    try { size = statSync(workerData.path + '-wal').size; } catch {}
    db.pragma(size > workerData.truncateBytes ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (err) {
    if (failures++ === 0) parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) });
  }
  timer = setTimeout(run, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearTimeout(timer);
  db.close();
  parentPort.postMessage({ type: 'closed' });
  parentPort.close();
});
timer = setTimeout(run, workerData.intervalMs);
parentPort.postMessage({ type: 'ready' });
`;

type Message = { type: 'ready' } | { type: 'closed' } | { type: 'error'; message: string };

/**
 * Checkpoints a SQLite database's WAL from a thread of its own, so the connection that
 * writes (the log writer, with wal_autocheckpoint=0) never stops to copy pages back into
 * the database file and fsync it. PASSIVE checkpoints never block that writer; only a WAL
 * grown past `truncateBytes` (readers holding it back) is forced down.
 */
export class WalCheckpointer {
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger | undefined,
  ) {}

  static async start(options: WalCheckpointerOptions): Promise<WalCheckpointer> {
    const worker = new Worker(SOURCE, {
      eval: true,
      name: 'basalt-wal-checkpointer',
      workerData: { module: BETTER_SQLITE3, path: options.path, intervalMs: options.intervalMs ?? 200, truncateBytes: options.truncateBytes ?? 512 * 1024 * 1024 },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err as Error))])) as [Message];
    if (first.type !== 'ready') throw new Error('WAL checkpointer did not start');
    const checkpointer = new WalCheckpointer(worker, options.logger);
    worker.on('message', (m: Message) => {
      if (m.type === 'error') options.logger?.warn({ message: m.message, path: options.path }, 'WAL checkpoint failed');
    });
    worker.on('error', (err) => options.logger?.error({ err, path: options.path }, 'WAL checkpointer failed'));
    worker.once('exit', () => {
      if (!checkpointer.closing) options.onExit?.();
    });
    worker.unref();
    return checkpointer;
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (m: Message) => m.type === 'closed' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage('close');
    await closed;
    await this.worker.terminate().catch((err: unknown) => this.logger?.warn({ err }, 'WAL checkpointer did not stop'));
  }
}
