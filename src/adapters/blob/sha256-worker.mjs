// The thread of src/adapters/blob/file-digest.ts: SHA-256 of files being written, read back
// from the page cache behind the writer. Plain JavaScript on purpose: worker threads do not
// inherit tsx's loader, and this file needs nothing but Node.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

if (parentPort === null) throw new Error('sha256-worker.mjs runs as a worker thread');
const port = parentPort;

// Reads of 1 MiB: few system calls, and a slice still in the CPU cache when it is hashed.
const buffer = Buffer.allocUnsafe(1024 * 1024);
/** @type {Map<number, { fd: number, hash: import('node:crypto').Hash, hashed: number }>} */
const files = new Map();

/** Hashes the file up to `upTo` bytes; the writer has reported them written. */
function catchUp(file, upTo) {
  while (file.hashed < upTo) {
    const n = readSync(file.fd, buffer, 0, Math.min(buffer.length, upTo - file.hashed), file.hashed);
    if (n === 0) throw new Error(`the file ends at ${file.hashed} bytes, ${upTo} were reported written`);
    file.hash.update(buffer.subarray(0, n));
    file.hashed += n;
  }
}

function forget(id) {
  const file = files.get(id);
  if (file === undefined) return;
  files.delete(id);
  closeSync(file.fd);
}

port.on('message', (message) => {
  const { op, id } = message;
  try {
    if (op === 'open') {
      files.set(id, { fd: openSync(message.path, 'r'), hash: createHash('sha256'), hashed: 0 });
    } else if (op === 'written') {
      const file = files.get(id);
      if (file !== undefined) catchUp(file, message.upTo);
    } else if (op === 'end') {
      const file = files.get(id);
      if (file === undefined) throw new Error('no such file is being followed');
      catchUp(file, message.size);
      const sha256 = file.hash.digest('hex');
      forget(id);
      port.postMessage({ id, ok: true, sha256 });
    } else if (op === 'drop') {
      forget(id);
    }
  } catch (err) {
    try {
      forget(id);
    } catch {
      // Already closed: the error below is the one to report.
    }
    port.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
