import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { StreamDigests } from './stream-digest.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

describe('StreamDigests: SHA-256 of a stream on a thread of its own', () => {
  const digests = new StreamDigests();
  afterAll(() => digests.close());

  it('hashes every chunk given, in order, whatever their sizes and batches', async () => {
    const digest = digests.start();
    const pieces = [randomBytes(3 * MiB + 17), randomBytes(1), randomBytes(700_000), Buffer.alloc(0), randomBytes(20_000), randomBytes(5)];
    const expected = sha256(Buffer.concat(pieces));
    for (const piece of pieces) digest.update(piece);
    expect(await digest.result()).toBe(expected);
  });

  it('a stream of no bytes has the digest of no bytes', async () => {
    expect(await digests.start().result()).toBe(sha256(Buffer.alloc(0)));
  });

  it('hashes several streams at once, each to its own digest', async () => {
    const streams = [0, 1, 2].map(() => ({ digest: digests.start(), bytes: [] as Buffer[] }));
    for (let round = 0; round < 6; round++) {
      for (const s of streams) {
        const piece = randomBytes(300_000 + round * 1000);
        s.bytes.push(Buffer.from(piece));
        s.digest.update(piece);
      }
    }
    const results = await Promise.all(streams.map((s) => s.digest.result()));
    expect(results).toEqual(streams.map((s) => sha256(Buffer.concat(s.bytes))));
  });

  it('moves a chunk that is all of its memory; copies slices of larger memory and small chunks, leaving them intact', async () => {
    const digest = digests.start();
    const own = randomBytes(64 * 1024);
    const ownCopy = Buffer.from(own);
    const larger = randomBytes(200_000);
    const slice = larger.subarray(1000, 100_000);
    const small = Buffer.from(randomBytes(100));
    const expected = sha256(Buffer.concat([own, slice, small]));
    const largerBefore = Buffer.from(larger);
    digest.update(own);
    digest.update(slice);
    digest.update(small);
    expect(await digest.result()).toBe(expected);
    // The moved chunk's memory now belongs to the thread; the others were copied.
    expect(own.length).toBe(0);
    expect(ownCopy.length).toBe(64 * 1024);
    expect(larger.equals(largerBefore)).toBe(true);
    expect(small.length).toBe(100);
  });

  it('is busy while more than 8 MiB wait for the thread, and calls back once it has caught up', async () => {
    const digest = digests.start();
    const pieces = Array.from({ length: 12 }, () => randomBytes(MiB));
    const expected = sha256(Buffer.concat(pieces));
    expect(digest.busy()).toBe(false);
    // Handed over in one go: no acknowledgement can arrive before the event loop turns.
    for (const piece of pieces) digest.update(piece);
    expect(digest.busy()).toBe(true);
    await new Promise<void>((resolve) => digest.whenIdle(resolve));
    expect(digest.busy()).toBe(false);
    expect(await digest.result()).toBe(expected);
  });

  it('a dropped stream is forgotten; a thread that ends fails what it was hashing, wakes its writers, and the next stream gets a new one', async () => {
    const dropped = digests.start();
    dropped.update(randomBytes(2 * MiB));
    dropped.drop();
    dropped.drop();
    const cut = digests.start();
    for (let i = 0; i < 10; i++) cut.update(randomBytes(MiB));
    expect(cut.busy()).toBe(true);
    let woken = false;
    cut.whenIdle(() => (woken = true));
    await digests.close();
    expect(woken).toBe(true);
    expect(cut.busy()).toBe(false);
    await expect(cut.result()).rejects.toThrow(/SHA-256 thread exited/);
    const next = digests.start();
    next.update(Buffer.from('xyz'));
    expect(await next.result()).toBe(sha256(Buffer.from('xyz')));
  });
});

describe('LocalBlobStore takes the SHA-256 from the bytes it stores', () => {
  const dir = tempDir('basalt-blobs-digest-');
  afterAll(() => dir.remove());

  it('reports the digest of a multi-MiB upload that arrived in uneven chunks', async () => {
    const store = new LocalBlobStore(dir.path);
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(64 * 1024 + i * 977));
    const all = Buffer.concat(chunks);
    const blob = await store.put(Readable.from(chunks), { maxBytes: 64 * MiB });
    expect(blob.size).toBe(all.length);
    expect(blob.sha256).toBe(sha256(all));
  });

  it('an upload whose digest fails is refused and leaves no file behind', async () => {
    const failing = new StreamDigests();
    // The thread is ended while the upload streams: its result fails, so must the put.
    const store = new LocalBlobStore(dir.path, { digests: failing });
    const source = new Readable({ read() {} });
    const put = store.put(source, { maxBytes: 64 * MiB });
    source.push(randomBytes(2 * MiB));
    await new Promise((r) => setTimeout(r, 50));
    await failing.close();
    source.push(null);
    await expect(put).rejects.toThrow(/SHA-256 thread exited/);
    expect(readdirSync(join(dir.path, 'tmp'))).toEqual([]);
  });
});
