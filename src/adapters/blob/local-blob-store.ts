import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, StoredBlob } from '../../ports/blob-store.ts';
import { EarlyFlush, diskSync, type BlobSync } from './blob-sync.ts';
import { fileDigests, type FileDigests } from './file-digest.ts';
import { writeFrom } from './write-from.ts';

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

  private readonly sync: BlobSync;
  private readonly flushEvery: number | undefined;
  private readonly digests: FileDigests;

  /** `sync`, `flushEveryBytes` (see EarlyFlush) and `digests` are seams for tests and measurements. */
  constructor(
    private readonly root: string,
    options: { sync?: BlobSync; flushEveryBytes?: number; digests?: FileDigests } = {},
  ) {
    this.sync = options.sync ?? diskSync;
    this.digests = options.digests ?? fileDigests;
    this.flushEvery = options.flushEveryBytes;
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const key = randomBytes(16).toString('hex');
    const tmp = join(this.root, 'tmp', `${key}.part`);
    const dir = join(this.root, key.slice(0, 2));
    const target = join(dir, key);
    const file = await open(tmp, 'wx');
    const early = new EarlyFlush(() => this.sync.file(file.fd), this.flushEvery);
    const digest = this.digests.follow(tmp);
    let renamed = false;
    try {
      const { size, head } = await writeFrom(source, file.fd, options.maxBytes, (bytes) => {
        digest.written(bytes);
        early.written(bytes);
      });
      await early.settled();
      // The digest's last read-back and the flush to disk run side by side; both end before the
      // file is closed (a flush must not outlive its fd).
      const [digested, flushed] = await Promise.allSettled([digest.result(size), this.sync.file(file.fd)]);
      if (flushed.status === 'rejected') throw flushed.reason;
      if (digested.status === 'rejected') throw digested.reason;
      const sha256 = digested.value;
      await file.close();
      await this.shard(dir);
      await rename(tmp, target);
      renamed = true;
      await this.sync.directory(dir);
      return { key, size, sha256, head };
    } catch (err) {
      digest.drop();
      // Not closed under a flush still running on the thread pool: the fd could be reused.
      await early.settled().catch(() => {});
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
