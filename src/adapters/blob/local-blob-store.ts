import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError, type BlobStore, type StoredBlob } from '../../ports/blob-store.ts';

const HEAD_BYTES = 64 * 1024;
// Larger buffers than the 16 KiB default: fewer, bigger file writes (writev) per blob.
const STREAM_HWM = 1024 * 1024;
const KEY = /^[0-9a-f]{32}$/;

/**
 * Blobs as files under `<root>/<first two hex>/<key>`. A blob is streamed to `<root>/tmp/`
 * and renamed into place only when complete, so a failed or oversized upload leaves nothing
 * and a reader never sees half a file.
 */
export class LocalBlobStore implements BlobStore {
  constructor(private readonly root: string) {
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const key = randomBytes(16).toString('hex');
    const tmp = join(this.root, 'tmp', `${key}.part`);
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    const meter = new Transform({
      highWaterMark: STREAM_HWM,
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > options.maxBytes) {
          done(new BlobTooLargeError(options.maxBytes));
          return;
        }
        hash.update(chunk);
        if (headBytes < HEAD_BYTES) {
          head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
          headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx', highWaterMark: STREAM_HWM }));
      const dir = join(this.root, key.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      await rename(tmp, join(dir, key));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { key, size, sha256: hash.digest('hex'), head: Buffer.concat(head) };
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
