import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import type { Config } from '../config/index.ts';
import type { QueuedLogBatch } from '../ports/log-queue.ts';
import { startLogWriterHost, type WriterHost } from './log-writer-host.ts';
import type { IndexStats, WriteCycleStats } from './log-writer.ts';

/**
 * The log writer's thread (LOG_WRITER=thread, the default): the SQL writes, full-text
 * indexing and hot-cache updates run here, on their own core, while the API's thread parses
 * and queues. It talks to its parent only through these messages.
 */
export interface WriterThreadData {
  config: Config;
  sqlSchema?: string | undefined;
  walCheckpointed?: boolean | undefined;
}

export type WriterThreadRequest =
  | { type: 'interest'; projects: string[]; version: number }
  | { type: 'retention'; id: number }
  | { type: 'stop' };

export type WriterThreadMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'log'; line: string }
  | { type: 'tail'; batch: QueuedLogBatch }
  | { type: 'cycle'; stats: WriteCycleStats }
  | { type: 'index'; stats: IndexStats }
  | { type: 'interest-ack'; version: number }
  | { type: 'retention-done'; id: number; deleted?: number; error?: string }
  | { type: 'stopped' };

const port = parentPort;
if (!port) throw new Error('log-writer-thread runs as a worker thread');
const { config, sqlSchema, walCheckpointed } = workerData as WriterThreadData;
const send = (m: WriterThreadMessage) => port.postMessage(m);

// Log lines go to the parent, which writes them with its own logger (one stream, one format).
const logger = pino({ level: config.LOG_LEVEL, base: { component: 'log-writer' } }, { write: (line: string) => send({ type: 'log', line }) });
// Only batches of projects someone tails here cross to the API's thread.
let tailed = new Set<string>();

let host: WriterHost | undefined;
try {
  host = await startLogWriterHost({
    config,
    sqlSchema,
    walCheckpointed,
    logger,
    localTail: {
      emit: (batch) => {
        if (tailed.has(batch.projectId)) send({ type: 'tail', batch });
      },
    },
    onCycle: (stats) => send({ type: 'cycle', stats }),
    onIndex: (stats) => send({ type: 'index', stats }),
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}

port.on('message', (m: WriterThreadRequest) => {
  if (m.type === 'interest') {
    tailed = new Set(m.projects);
    // From here on every batch of these projects is forwarded; earlier ones are in the store.
    send({ type: 'interest-ack', version: m.version });
  } else if (m.type === 'retention') {
    if (!host) return send({ type: 'retention-done', id: m.id, error: 'writer not running' });
    host.retention.runOnce().then(
      (deleted) => send({ type: 'retention-done', id: m.id, deleted }),
      (err: unknown) => send({ type: 'retention-done', id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  } else if (m.type === 'stop') {
    void (async () => {
      await host?.close();
      send({ type: 'stopped' });
      port.close();
    })();
  }
});
