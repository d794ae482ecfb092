import { randomBytes } from 'node:crypto';
import { constants, createReadStream, mkdirSync } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, StoredBlob } from '../../ports/blob-store.ts';
import { EarlyFlush, diskSync, type BlobSync } from './blob-sync.ts';
import { directIoFlag } from './direct-io.ts';
import { streamDigests, type StreamDigests } from './stream-digest.ts';
import { writeFrom } from './write-from.ts';

const KEY = /^[0-9a-f]{32}$/;

/**
 * Blobs as files under `<root>/<first two hex>/<key>`. A blob is streamed to `<root>/tmp/`
 * and renamed into place only when complete, so a failed or oversized upload leaves nothing
 * and a reader never sees half a file. `put` resolves only once the blob is durable: the file
 * is flushed before the rename and its directory after it (the order SQLite and MinIO use), so
 * a power cut after a 201 cannot leave the name without the bytes, nor lose the name.
 *
 * Where the file system allows it (`directIo`, probed once), blobs are written with O_DIRECT:
 * from aligned blocks straight to the device, without a copy into the page cache nor its later
 * write-back, and without evicting what the cache holds for readers. The flush at the end then
 * only has the metadata and the device's cache to commit. Elsewhere the page cache is used and
 * flushed as the blob grows (see EarlyFlush).
 */
export class LocalBlobStore implements BlobStore {
  // Shard directories whose entry in the root is known to be on the disk (or being put there).
  private readonly shards = new Map<string, Promise<void>>();

  private readonly sync: BlobSync;
  private readonly flushEvery: number | undefined;
  private readonly digests: StreamDigests;
  /** O_DIRECT, or 0 where blobs go through the page cache. */
  private readonly direct: number;

  /** `sync`, `flushEveryBytes` (see EarlyFlush) and `digests` are seams for tests and measurements. */
  constructor(
    private readonly root: string,
    options: { directIo?: boolean; sync?: BlobSync; flushEveryBytes?: number; digests?: StreamDigests } = {},
  ) {
    this.sync = options.sync ?? diskSync;
    this.digests = options.digests ?? streamDigests;
    this.flushEvery = options.flushEveryBytes;
    mkdirSync(join(root, 'tmp'), { recursive: true });
    this.direct = options.directIo === false ? 0 : directIoFlag(join(root, 'tmp'));
  }

  /** True when blobs are written with O_DIRECT (see the class comment). */
  get directIo(): boolean {
    return this.direct !== 0;
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const key = randomBytes(16).toString('hex');
    const tmp = join(this.root, 'tmp', `${key}.part`);
    const dir = join(this.root, key.slice(0, 2));
    const target = join(dir, key);
    const direct = this.directIo;
    const file = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | this.direct);
    // O_DIRECT leaves no dirty pages behind: nothing to flush early.
    const early = direct ? undefined : new EarlyFlush(() => this.sync.file(file.fd), this.flushEvery);
    const digest = this.digests.start();
    let renamed = false;
    try {
      const { size, head } = await writeFrom(source, file.fd, { maxBytes: options.maxBytes, direct, sink: digest, onWritten: (bytes) => early?.written(bytes) });
      await early?.settled();
      // The last block was written padded to the device's block size.
      if (direct) await file.truncate(size);
      // The digest's last batch and the flush to disk run side by side; both end before the
      // file is closed (a flush must not outlive its fd).
      const [digested, flushed] = await Promise.allSettled([digest.result(), this.sync.file(file.fd)]);
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
      await early?.settled().catch(() => {});
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
