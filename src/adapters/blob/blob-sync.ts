import { fdatasync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The two flushes that make a stored blob survive a power cut: the file's bytes, then the
 * directory entry that names it. Without them a 201 could point at a file the page cache held
 * and the disk never got (an empty or missing file after a crash). A seam so a test can see that
 * both happen, and when.
 */
export interface BlobSync {
  /** The file's bytes and size on the device (fdatasync: the rest of its metadata is not needed to read it back). */
  file(fd: number): Promise<void>;
  /** A directory's entries on the device: a rename into it, or a sub-directory created in it. */
  directory(path: string): Promise<void>;
}

export const diskSync: BlobSync = {
  file: (fd) =>
    new Promise((resolve, reject) => {
      fdatasync(fd, (err) => (err ? reject(err) : resolve()));
    }),
  directory: async (path) => {
    // Windows cannot open a directory to flush it; NTFS journals renames itself.
    if (process.platform === 'win32') return;
    const dir = await open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  },
};

// Written bytes after which a flush starts while the upload goes on (see EarlyFlush).
const FLUSH_EVERY = 16 * 1024 * 1024;

/**
 * Flushes a file being written every FLUSH_EVERY bytes, on the thread pool, while the next bytes
 * arrive: the disk writes during the upload instead of after it, so the flush that decides
 * durability only has the last few MiB left. (What PostgreSQL gets from sync_file_range, which
 * Node does not offer.) One flush at a time; a failed one fails the blob in `settled`, since a
 * later flush may report success for pages whose write-back failed.
 */
export class EarlyFlush {
  private pending = 0;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly flush: () => Promise<void>,
    private readonly every = FLUSH_EVERY,
  ) {}

  written(bytes: number): void {
    this.pending += bytes;
    if (this.running || this.pending < this.every || this.failure !== undefined) return;
    this.pending = 0;
    this.running = this.flush().then(
      () => {
        this.running = undefined;
      },
      (err: unknown) => {
        this.running = undefined;
        this.failure = err;
      },
    );
  }

  /** Once no flush is running; rejects if one failed. */
  async settled(): Promise<void> {
    await this.running;
    if (this.failure !== undefined) throw this.failure;
  }
}
