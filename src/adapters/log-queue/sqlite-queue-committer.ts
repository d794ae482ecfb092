import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { openQueueFile, raiseSequence, wakeChannelName } from './sqlite-queue-file.ts';

/**
 * The embedded queue's committer thread (started by SqliteLogQueue). An fsync'd commit
 * takes milliseconds; here it blocks only this thread. Batches that arrive while one commit
 * runs go into the next one together (group commit): one fsync for all of them.
 */
export interface CommitterData {
  path: string;
  minSeq: number;
}

export type CommitterRequest =
  | { type: 'enqueue'; id: number; projectId: string; count: number; bytes: number; payload: string; receivedAt: number }
  | { type: 'close' };

export type CommitterReply =
  | { type: 'ready' }
  | { type: 'done'; results: Array<{ id: number; seq: number }> }
  | { type: 'failed'; ids: number[]; message: string }
  | { type: 'closed' };

const port = parentPort;
if (!port) throw new Error('sqlite-queue-committer runs as a worker thread');
const data = workerData as CommitterData;
const db = openQueueFile(data.path, { durable: true });
raiseSequence(db, data.minSeq);
const insert = db.prepare<[string, number, number, string, number]>(
  'insert into log_queue (project_id, count, bytes, payload, received_at) values (?, ?, ?, ?, ?)',
);
const wake = new BroadcastChannel(wakeChannelName(data.path));
wake.unref();

type Enqueue = Extract<CommitterRequest, { type: 'enqueue' }>;
let pending: Enqueue[] = [];
let scheduled = false;

const commit = db.transaction((items: Enqueue[]) =>
  items.map((m) => ({ id: m.id, seq: Number(insert.run(m.projectId, m.count, m.bytes, m.payload, m.receivedAt).lastInsertRowid) })),
);

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const items = pending;
  pending = [];
  try {
    const results = commit(items);
    port?.postMessage({ type: 'done', results } satisfies CommitterReply);
    wake.postMessage('new');
  } catch (err) {
    port?.postMessage({ type: 'failed', ids: items.map((m) => m.id), message: err instanceof Error ? err.message : String(err) } satisfies CommitterReply);
  }
}

port.on('message', (m: CommitterRequest) => {
  if (m.type === 'enqueue') {
    pending.push(m);
    if (!scheduled) {
      scheduled = true;
      // After the messages already waiting in the port: they join this commit.
      setImmediate(flush);
    }
    return;
  }
  flush();
  wake.close();
  db.close();
  port.postMessage({ type: 'closed' } satisfies CommitterReply);
  port.close();
});
port.postMessage({ type: 'ready' } satisfies CommitterReply);
