// One argon2 thread of src/lib/password-hash.ts's pool. Plain JavaScript on purpose: worker
// threads do not inherit tsx's loader, and this file needs nothing but the native module.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

// Far below the event loop (the lowest priority, 19): during a burst of sign-ups the hashes get
// the CPU that requests leave idle, and requests keep theirs (at 10, eighty sign-ups a second
// still took half of the authenticated request rate on two cores: bench/auth.bench.ts). Only on Linux, where the priority is per thread; elsewhere
// it would lower the whole process, event loop included.
if (process.platform === 'linux') {
  try {
    setPriority(19);
  } catch {
    // Not permitted here: hash at normal priority.
  }
}

if (parentPort === null) throw new Error('password-hash-worker.mjs runs as a worker thread');
const port = parentPort;

port.on('message', (job) => {
  try {
    const value = job.op === 'hash' ? hashSync(job.password, job.options) : verifySync(job.hash, job.password);
    port.postMessage({ ok: true, value });
  } catch (err) {
    port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
