import { Worker } from 'node:worker_threads';

/** The SHA-256 of one file while it is written; see FileDigests. */
export interface FileDigest {
  /** `bytes` more of the file are in it (in order, after those reported before). */
  written(bytes: number): void;
  /** The hex SHA-256 of the file's first `size` bytes, once they are all written and reported. */
  result(size: number): Promise<string>;
  /** The file is abandoned: stop following it. */
  drop(): void;
}

type Reply = { id: number; ok: true; sha256: string } | { id: number; ok: false; error: string };

interface Followed {
  failure?: Error;
  settle?: { resolve: (sha256: string) => void; reject: (err: Error) => void };
}

/**
 * SHA-256 of files being written, computed on a thread of its own that reads each file back
 * from the page cache a step behind the writer. An upload's event loop then only receives,
 * parses and writes: hashing on it took ~0.8 s of its CPU per GiB, about half of what it did,
 * and the event loop was what limited an upload (bench/upload.bench.ts). The bytes hashed are
 * the ones in the file, the ones a download will serve. The final read-back overlaps the
 * file's flush to disk.
 *
 * One thread serves every upload of the process, one file at a time per message (SHA-256 runs
 * at over 1 GB/s, faster than a request body arrives). It is started on first use and does not
 * keep the process alive while idle. If it dies, the files it followed fail, and the next
 * upload starts a new one.
 */
export class FileDigests {
  private worker: Worker | undefined;
  private readonly followed = new Map<number, Followed>();
  private nextId = 1;

  follow(path: string): FileDigest {
    const id = this.nextId++;
    const state: Followed = {};
    this.followed.set(id, state);
    this.post({ op: 'open', id, path });
    let written = 0;
    return {
      written: (bytes) => {
        written += bytes;
        if (state.failure === undefined) this.post({ op: 'written', id, upTo: written });
      },
      result: (size) =>
        new Promise<string>((resolve, reject) => {
          if (state.failure !== undefined) {
            this.forget(id);
            return reject(state.failure);
          }
          state.settle = { resolve, reject };
          this.post({ op: 'end', id, size });
          this.refresh();
        }),
      drop: () => {
        if (!this.followed.has(id)) return;
        this.forget(id);
        this.post({ op: 'drop', id });
      },
    };
  }

  /** Ends the thread (graceful shutdown, tests): what it followed fails; a later `follow` starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    await worker.terminate();
    for (const id of [...this.followed.keys()]) this.fail(id, new Error('the SHA-256 thread exited (closed)'));
  }

  private post(message: Record<string, unknown>): void {
    this.thread().postMessage(message);
  }

  private thread(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./sha256-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', (reply: Reply) => this.onReply(reply));
    // A crash fails what the thread was following; whatever follows next gets a new thread.
    const died = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const id of [...this.followed.keys()]) this.fail(id, err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => {
      if (this.worker === worker) died(new Error(`the SHA-256 thread exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private onReply(reply: Reply): void {
    if (reply.ok) {
      const settle = this.followed.get(reply.id)?.settle;
      this.forget(reply.id);
      settle?.resolve(reply.sha256);
    } else {
      this.fail(reply.id, new Error(`SHA-256 of an upload failed: ${reply.error}`));
    }
  }

  private fail(id: number, err: Error): void {
    const state = this.followed.get(id);
    if (state === undefined || state.failure !== undefined) return;
    if (state.settle !== undefined) {
      this.forget(id);
      state.settle.reject(err);
    } else {
      state.failure = err;
    }
  }

  private forget(id: number): void {
    this.followed.delete(id);
    this.refresh();
  }

  /** Referenced only while a result is awaited, so an idle thread never keeps the process up. */
  private refresh(): void {
    if (this.worker === undefined) return;
    if ([...this.followed.values()].some((s) => s.settle !== undefined)) this.worker.ref();
    else this.worker.unref();
  }
}

/** The process's one digest thread (see FileDigests). */
export const fileDigests = new FileDigests();
