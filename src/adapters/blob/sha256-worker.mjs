// The thread of src/adapters/blob/stream-digest.ts: SHA-256 of streams being stored, from the
// chunks moved here. Plain JavaScript on purpose: worker threads do not inherit tsx's loader,
// and this file needs nothing but Node.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

if (parentPort === null) throw new Error('sha256-worker.mjs runs as a worker thread');
const port = parentPort;

/** @type {Map<number, import('node:crypto').Hash>} */
const hashes = new Map();

function hashOf(id) {
  let hash = hashes.get(id);
  if (hash === undefined) hashes.set(id, (hash = createHash('sha256')));
  return hash;
}

port.on('message', (message) => {
  const { op, id } = message;
  try {
    if (op === 'update') {
      const hash = hashOf(id);
      let bytes = 0;
      for (const chunk of message.chunks) {
        hash.update(new Uint8Array(chunk));
        bytes += chunk.byteLength;
      }
      // The memory goes back with the acknowledgement: it is garbage there, and the event loop,
      // which allocates all the time, collects it within milliseconds; this thread allocates
      // almost nothing, so its garbage would wait for tens of MiB to pile up first.
      port.postMessage({ id, op: 'hashed', bytes, chunks: message.chunks }, message.chunks);
    } else if (op === 'end') {
      const sha256 = hashOf(id).digest('hex');
      hashes.delete(id);
      port.postMessage({ id, op: 'digest', sha256 });
    } else if (op === 'drop') {
      hashes.delete(id);
    }
  } catch (err) {
    hashes.delete(id);
    port.postMessage({ id, op: 'failed', error: err instanceof Error ? err.message : String(err) });
  }
});
