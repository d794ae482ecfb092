import { Worker } from 'node:worker_threads';
import type { ChunkSink } from './write-from.ts';

/** The SHA-256 of one stream, fed chunk by chunk; see StreamDigests. */
export interface StreamDigest extends ChunkSink {
  /** The hex SHA-256 of every byte given to `update`. */
  result(): Promise<string>;
  /** The stream is abandoned: stop hashing it. */
  drop(): void;
}

type Reply = { id: number; op: 'hashed'; bytes: number } | { id: number; op: 'digest'; sha256: string } | { id: number; op: 'failed'; error: string };

interface Digesting {
  /** Bytes sent to the thread and not yet hashed. */
  unhashed: number;
  idle: Set<() => void>;
  failure?: Error;
  settle?: { resolve: (sha256: string) => void; reject: (err: Error) => void };
}

// Chunks are sent in batches of about this many bytes: one message, one wake-up of the thread.
const BATCH_BYTES = 1024 * 1024;
// Bytes a stream may have waiting at the thread before its source is paused: memory stays
// constant even when several uploads outrun one thread's hashing.
const MAX_UNHASHED = 8 * 1024 * 1024;
// Smaller chunks are copied rather than moved: a copy is cheaper than a message's transfer.
const MOVE_FROM_BYTES = 16 * 1024;

/**
 * The bytes of a chunk as an ArrayBuffer the thread may take (every one is transferred): the
 * chunk's own memory when the chunk is all of it (an HTTP body chunk is: node:http copies each
 * one out of its read buffer), so it moves across without a copy and is empty here afterwards;
 * otherwise a copy of its own, so memory others still use (a pooled Buffer, a slice of a larger
 * one) is never taken from them.
 */
function movable(chunk: Buffer): ArrayBuffer {
  const own = chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  return own && chunk.byteLength >= MOVE_FROM_BYTES ? chunk.buffer : new Uint8Array(chunk).buffer;
}

/**
 * SHA-256 of streams being stored, computed on a thread of its own: an upload's event loop only
 * receives, parses and hands over. Chunks move to the thread without a copy (see `movable`),
 * a batch at a time, after the writer has copied them for the disk; the thread acknowledges
 * each batch, and a stream more than MAX_UNHASHED behind is told to wait (`busy`).
 *
 * One thread serves every upload of the process (SHA-256 runs at 1.5–2 GB/s, faster than one
 * request body arrives). It is started on first use and does not keep the process alive while
 * idle. If it dies, the streams it was hashing fail, and the next upload starts a new one.
 */
export class StreamDigests {
  private worker: Worker | undefined;
  private readonly digesting = new Map<number, Digesting>();
  private nextId = 1;

  start(): StreamDigest {
    const id = this.nextId++;
    const state: Digesting = { unhashed: 0, idle: new Set() };
    this.digesting.set(id, state);
    let batch: ArrayBuffer[] = [];
    let batched = 0;
    const send = () => {
      if (state.failure === undefined) this.post({ op: 'update', id, chunks: batch }, batch);
      state.unhashed += batched;
      batch = [];
      batched = 0;
    };
    return {
      update: (chunk) => {
        if (chunk.length === 0) return;
        const bytes = movable(chunk);
        batch.push(bytes);
        batched += bytes.byteLength;
        if (batched >= BATCH_BYTES) send();
      },
      busy: () => state.failure === undefined && state.unhashed > MAX_UNHASHED,
      whenIdle: (callback) => {
        state.idle.add(callback);
      },
      result: () =>
        new Promise<string>((resolve, reject) => {
          if (batched > 0) send();
          if (state.failure !== undefined) {
            this.forget(id);
            return reject(state.failure);
          }
          state.settle = { resolve, reject };
          this.post({ op: 'end', id }, []);
          this.refresh();
        }),
      drop: () => {
        if (!this.digesting.has(id)) return;
        this.forget(id);
        // A thread that died took the stream with it: no new one is started just to forget it.
        this.worker?.postMessage({ op: 'drop', id });
      },
    };
  }

  /** Ends the thread (graceful shutdown, tests): what it hashed fails; a later `start` starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    await worker.terminate();
    for (const id of [...this.digesting.keys()]) this.fail(id, new Error('the SHA-256 thread exited (closed)'));
  }

  private post(message: Record<string, unknown>, transfer: ArrayBuffer[]): void {
    this.thread().postMessage(message, transfer);
  }

  private thread(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./sha256-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', (reply: Reply) => this.onReply(reply));
    // A crash fails what the thread was hashing; whatever comes next gets a new thread.
    const died = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const id of [...this.digesting.keys()]) this.fail(id, err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => {
      if (this.worker === worker) died(new Error(`the SHA-256 thread exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private onReply(reply: Reply): void {
    const state = this.digesting.get(reply.id);
    if (reply.op === 'hashed') {
      if (state === undefined) return;
      state.unhashed -= reply.bytes;
      if (state.unhashed <= MAX_UNHASHED) this.wake(state);
    } else if (reply.op === 'digest') {
      this.forget(reply.id);
      state?.settle?.resolve(reply.sha256);
    } else {
      this.fail(reply.id, new Error(`SHA-256 of an upload failed: ${reply.error}`));
    }
  }

  private fail(id: number, err: Error): void {
    const state = this.digesting.get(id);
    if (state === undefined || state.failure !== undefined) return;
    state.failure = err;
    // A writer paused for the digest goes on, and learns of the failure from `result`.
    this.wake(state);
    if (state.settle !== undefined) {
      this.forget(id);
      state.settle.reject(err);
    }
  }

  private wake(state: Digesting): void {
    const callbacks = [...state.idle];
    state.idle.clear();
    for (const callback of callbacks) callback();
  }

  private forget(id: number): void {
    this.digesting.delete(id);
    this.refresh();
  }

  /** Referenced only while a result is awaited, so an idle thread never keeps the process up. */
  private refresh(): void {
    if (this.worker === undefined) return;
    if ([...this.digesting.values()].some((s) => s.settle !== undefined)) this.worker.ref();
    else this.worker.unref();
  }
}

/** The process's one digest thread (see StreamDigests). */
export const streamDigests = new StreamDigests();
