import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, writev } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobStore, type StoredBlob } from '../../ports/blob-store.ts';
import { diskSync, type BlobSync } from './blob-sync.ts';

const HEAD_BYTES = 64 * 1024;
// One writev per ~1 MiB received (not one write per 64 KiB socket chunk): few system calls.
const WRITE_BATCH = 1024 * 1024;
// Queued bytes at which the source is paused until the disk catches up: memory stays constant.
const MAX_QUEUED = 4 * 1024 * 1024;
const KEY = /^[0-9a-f]{32}$/;

/**
 * Blobs as files under `<root>/<first two hex>/<key>`. A blob is streamed to `<root>/tmp/`
 * and renamed into place only when complete, so a failed or oversized upload leaves nothing
 * and a reader never sees half a file. `put` resolves only once the blob is durable: the file
 * is flushed before the rename and its directory after it (the order SQLite and MinIO use), so
 * a power cut after a 201 cannot leave the name without the bytes, nor lose the name.
 */
export class LocalBlobStore implements BlobStore {
  // Shard directories whose entry in the root is known to be on the disk (or being put there).
  private readonly shards = new Map<string, Promise<void>>();

  constructor(
    private readonly root: string,
    private readonly sync: BlobSync = diskSync,
  ) {
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const key = randomBytes(16).toString('hex');
    const tmp = join(this.root, 'tmp', `${key}.part`);
    const dir = join(this.root, key.slice(0, 2));
    const target = join(dir, key);
    const file = await open(tmp, 'wx');
    let renamed = false;
    try {
      const { size, sha256, head } = await writeFrom(source, file.fd, options.maxBytes);
      await this.sync.file(file.fd);
      await file.close();
      await this.shard(dir);
      await rename(tmp, target);
      renamed = true;
      await this.sync.directory(dir);
      return { key, size, sha256, head };
    } catch (err) {
      await file.close().catch(() => {});
      await rm(renamed ? target : tmp, { force: true });
      throw err;
    }
  }

  /**
   * Creates a shard directory and flushes the root once per process, so the directory a blob is
   * renamed into cannot vanish in a crash. Every put into that shard waits for the same flush:
   * a put must not resolve while another one's flush of the new directory is still running.
   */
  private shard(dir: string): Promise<void> {
    let ready = this.shards.get(dir);
    if (!ready) {
      ready = mkdir(dir, { recursive: true }).then(() => this.sync.directory(this.root));
      this.shards.set(dir, ready);
      ready.catch(() => this.shards.delete(dir));
    }
    return ready;
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const path = this.path(key);
    await access(path);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return access(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  private path(key: string): string {
    // Keys are ours, but a corrupted row must never become a path outside the root.
    if (!KEY.test(key)) throw new Error('invalid blob key');
    return join(this.root, key.slice(0, 2), key);
  }
}

/**
 * Streams `source` into the open file `fd`: each chunk is hashed the moment it arrives (still in
 * the CPU cache; hashing it after it sat in a megabyte of stream buffers cost ~40% more), then
 * queued and written with one `writev` per ~1 MiB while the next chunks arrive. The source is
 * paused while a few MiB wait for the disk. Past `maxBytes` (or when the source fails) it stops
 * reading at once and rejects after the write in flight has finished. The source is not
 * destroyed: an HTTP request must stay able to carry the error response.
 */
function writeFrom(source: Readable, fd: number, maxBytes: number): Promise<{ size: number; sha256: string; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    let queue: Buffer[] = [];
    let queued = 0;
    let writing = false;
    let ended = false;
    let paused = false;
    let failure: unknown;
    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', fail);
      source.off('close', onClose);
    };
    const settle = () => {
      if (failure !== undefined) reject(failure);
      else resolve({ size, sha256: hash.digest('hex'), head: Buffer.concat(head) });
    };
    function fail(err: unknown) {
      if (failure !== undefined) return;
      failure = err;
      detach();
      source.pause();
      if (!writing) settle();
    }
    function flush() {
      writing = true;
      const buffers = queue;
      queue = [];
      queued = 0;
      writeAll(fd, buffers, (err) => {
        writing = false;
        if (failure !== undefined) return settle();
        if (err) return fail(err);
        if (paused && queued < MAX_QUEUED) {
          paused = false;
          source.resume();
        }
        if (queued >= WRITE_BATCH || (ended && queued > 0)) flush();
        else if (ended) settle();
      });
    }
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > maxBytes) return fail(new BlobTooLargeError(maxBytes));
      hash.update(chunk);
      if (headBytes < HEAD_BYTES) {
        head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - headBytes)));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
      queue.push(chunk);
      queued += chunk.length;
      if (!writing && queued >= WRITE_BATCH) flush();
      if (queued >= MAX_QUEUED && !paused) {
        paused = true;
        source.pause();
      }
    }
    function onEnd() {
      ended = true;
      detach();
      if (writing) return;
      if (queued > 0) flush();
      else settle();
    }
    function onClose() {
      // Closed without 'end' or 'error': destroyed by someone else mid-way.
      if (!ended) fail(new Error('the source closed before it ended'));
    }
    if (source.errored) return fail(source.errored);
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', fail);
    source.on('close', onClose);
  });
}

/** `writev` until every byte is written (a regular file may still take fewer at once). */
function writeAll(fd: number, buffers: Buffer[], done: (err: NodeJS.ErrnoException | null) => void): void {
  writev(fd, buffers, (err, written) => {
    if (err) return done(err);
    let rest = written;
    let i = 0;
    while (i < buffers.length && rest >= (buffers[i] as Buffer).length) rest -= (buffers[i++] as Buffer).length;
    if (i === buffers.length) return done(null);
    const remaining = buffers.slice(i);
    remaining[0] = (remaining[0] as Buffer).subarray(rest);
    writeAll(fd, remaining, done);
  });
}
