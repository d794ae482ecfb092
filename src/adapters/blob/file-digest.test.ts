import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { FileDigests } from './file-digest.ts';
import { LocalBlobStore } from './local-blob-store.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('FileDigests: SHA-256 of a file as it is written, on a thread of its own', () => {
  const dir = tempDir('basalt-digest-');
  const digests = new FileDigests();
  afterAll(async () => {
    await digests.close();
    dir.remove();
  });
  let n = 0;
  const fresh = () => {
    const path = join(dir.path, `f${n++}`);
    writeFileSync(path, '');
    return path;
  };

  it('hashes what was written, piece by piece, across reads larger and smaller than its buffer', async () => {
    const path = fresh();
    const digest = digests.follow(path);
    const pieces = [randomBytes(3 * 1024 * 1024 + 17), randomBytes(1), randomBytes(700_000), Buffer.alloc(0)];
    for (const piece of pieces) {
      appendFileSync(path, piece);
      digest.written(piece.length);
    }
    const all = Buffer.concat(pieces);
    expect(await digest.result(all.length)).toBe(sha256(all));
  });

  it('an empty file has the digest of no bytes', async () => {
    expect(await digests.follow(fresh()).result(0)).toBe(sha256(Buffer.alloc(0)));
  });

  it('follows several files at once, each to its own digest', async () => {
    const files = [fresh(), fresh(), fresh()].map((path) => ({ path, digest: digests.follow(path), bytes: [] as Buffer[] }));
    for (let round = 0; round < 4; round++) {
      for (const f of files) {
        const piece = randomBytes(100_000 + round * 1000);
        appendFileSync(f.path, piece);
        f.bytes.push(piece);
        f.digest.written(piece.length);
      }
    }
    const results = await Promise.all(files.map((f) => f.digest.result(Buffer.concat(f.bytes).length)));
    expect(results).toEqual(files.map((f) => sha256(Buffer.concat(f.bytes))));
  });

  it('a file shorter than the size asked for fails, and names the gap', async () => {
    const path = fresh();
    const digest = digests.follow(path);
    appendFileSync(path, Buffer.alloc(10, 7));
    digest.written(10);
    await expect(digest.result(20)).rejects.toThrow(/ends at 10 bytes, 20 were reported written/);
  });

  it('a file that cannot be opened fails its result, and the thread goes on serving others', async () => {
    const missing = digests.follow(join(dir.path, 'missing'));
    missing.written(5);
    await expect(missing.result(5)).rejects.toThrow(/ENOENT/);
    const path = fresh();
    appendFileSync(path, 'still here');
    const next = digests.follow(path);
    next.written(10);
    expect(await next.result(10)).toBe(sha256(Buffer.from('still here')));
  });

  it('a dropped file is forgotten; a thread that ends fails what it followed, and the next file gets a new one', async () => {
    const dropped = digests.follow(fresh());
    dropped.drop();
    dropped.drop();
    const path = fresh();
    appendFileSync(path, 'abc');
    const cut = digests.follow(path);
    cut.written(3);
    const pending = cut.result(3).then(
      (value) => ({ value }),
      (err: Error) => ({ err: err.message }),
    );
    await digests.close();
    // Either the thread answered before it was ended, or the result failed with its exit.
    const outcome = await pending;
    if ('value' in outcome) expect(outcome.value).toBe(sha256(Buffer.from('abc')));
    else expect(outcome.err).toMatch(/exited/);
    const again = fresh();
    appendFileSync(again, 'xyz');
    const next = digests.follow(again);
    next.written(3);
    expect(await next.result(3)).toBe(sha256(Buffer.from('xyz')));
  });
});

describe('LocalBlobStore takes the SHA-256 from the file it wrote', () => {
  const dir = tempDir('basalt-blobs-digest-');
  afterAll(() => dir.remove());

  it('reports the digest of a multi-MiB upload that arrived in uneven chunks', async () => {
    const store = new LocalBlobStore(dir.path);
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(64 * 1024 + i * 977));
    const blob = await store.put(Readable.from(chunks), { maxBytes: 64 * 1024 * 1024 });
    const all = Buffer.concat(chunks);
    expect(blob.size).toBe(all.length);
    expect(blob.sha256).toBe(sha256(all));
  });

  it('an upload whose digest fails is refused and leaves no file behind', async () => {
    const failing = new FileDigests();
    // The thread is ended while the upload streams: its result fails, so must the put.
    const store = new LocalBlobStore(dir.path, { digests: failing });
    const source = new Readable({ read() {} });
    const put = store.put(source, { maxBytes: 64 * 1024 * 1024 });
    source.push(randomBytes(2 * 1024 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    await failing.close();
    source.push(null);
    await expect(put).rejects.toThrow(/SHA-256 thread exited/);
    expect(readdirSync(join(dir.path, 'tmp'))).toEqual([]);
  });
});
