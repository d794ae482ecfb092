import { existsSync, fstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { filesUnder, runBlobStoreContract } from '../../ports/blob-store.contract.ts';
import { EarlyFlush, diskSync, type BlobSync } from './blob-sync.ts';
import { LocalBlobStore } from './local-blob-store.ts';

runBlobStoreContract('local folder', async () => {
  const dir = tempDir('basalt-blobs-');
  return { store: new LocalBlobStore(dir.path), leftovers: () => filesUnder(dir.path), cleanup: async () => dir.remove() };
});

/** The real flushes, recording what was on disk at each call and when each one finished. */
function recordingSync(root: string, events: string[], fail?: 'file'): BlobSync {
  const shardFiles = () =>
    readdirSync(root)
      .filter((d) => d !== 'tmp')
      .flatMap((d) => readdirSync(join(root, d)));
  return {
    file: async (fd) => {
      events.push(`file sync: ${fstatSync(fd).size} bytes in the temp file, ${shardFiles().length} blobs in place`);
      if (fail === 'file') throw new Error('EIO');
      await diskSync.file(fd);
      events.push('file sync done');
    },
    directory: async (path) => {
      const name = path === root ? 'root' : 'shard';
      events.push(`${name} sync: ${name === 'shard' ? readdirSync(path).length : readdirSync(root).length - 1} entries`);
      await diskSync.directory(path);
      events.push(`${name} sync done`);
    },
  };
}

describe('LocalBlobStore durability', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterAll(() => dirs.forEach((d) => d.remove()));
  const bytes = (n: number) => Readable.from([Buffer.alloc(n / 2, 1), Buffer.alloc(n / 2, 2)]);

  it('flushes the whole file before the rename, the new shard directory, then the entry after the rename, before put resolves', async () => {
    const dir = tempDir('basalt-blobs-');
    dirs.push(dir);
    const events: string[] = [];
    const store = new LocalBlobStore(dir.path, { sync: recordingSync(dir.path, events) });
    const blob = await store.put(bytes(3 * 1024 * 1024), { maxBytes: 10 * 1024 * 1024 });
    events.push('put resolved');
    expect(events).toEqual([
      `file sync: ${3 * 1024 * 1024} bytes in the temp file, 0 blobs in place`,
      'file sync done',
      // The shard directory exists (one entry in the root besides tmp/), the blob is not in it yet.
      'root sync: 1 entries',
      'root sync done',
      'shard sync: 1 entries',
      'shard sync done',
      'put resolved',
    ]);
    expect(existsSync(join(dir.path, blob.key.slice(0, 2), blob.key))).toBe(true);
  });

  it('flushes the root once per shard directory, whatever the number of puts into it', async () => {
    const dir = tempDir('basalt-blobs-');
    dirs.push(dir);
    const events: string[] = [];
    const store = new LocalBlobStore(dir.path, { sync: recordingSync(dir.path, events) });
    const keys = await Promise.all(Array.from({ length: 40 }, async () => (await store.put(bytes(2), { maxBytes: 10 })).key));
    const shards = new Set(keys.map((k) => k.slice(0, 2)));
    expect(events.filter((e) => e === 'root sync done')).toHaveLength(shards.size);
    expect(events.filter((e) => e === 'file sync done')).toHaveLength(40);
    expect(events.filter((e) => e === 'shard sync done')).toHaveLength(40);
  });

  it('a failing flush fails the put and leaves nothing', async () => {
    const dir = tempDir('basalt-blobs-');
    dirs.push(dir);
    const events: string[] = [];
    const store = new LocalBlobStore(dir.path, { sync: recordingSync(dir.path, events, 'file') });
    await expect(store.put(bytes(1024), { maxBytes: 10 * 1024 })).rejects.toThrow('EIO');
    expect(filesUnder(dir.path)).toEqual([]);
  });
});

describe('LocalBlobStore early flushes', () => {
  it('flushes while a large blob is still being written, and once more when it is complete', async () => {
    const dir = tempDir('basalt-blobs-');
    try {
      const events: string[] = [];
      const store = new LocalBlobStore(dir.path, { sync: recordingSync(dir.path, events), flushEveryBytes: 2 * 1024 * 1024 });
      const chunks = Array.from({ length: 16 }, (_, i) => Buffer.alloc(512 * 1024, i));
      const blob = await store.put(Readable.from(chunks), { maxBytes: 100 * 1024 * 1024 });
      const flushedSizes = events.filter((e) => e.startsWith('file sync:')).map((e) => Number(/(\d+) bytes/.exec(e)?.[1]));
      expect(flushedSizes.some((n) => n < blob.size)).toBe(true);
      // The flush that makes the blob durable comes after its last byte.
      expect(flushedSizes.at(-1)).toBe(8 * 1024 * 1024);
      expect(events.filter((e) => e === 'file sync done')).toHaveLength(flushedSizes.length);
    } finally {
      dir.remove();
    }
  });
});

describe('EarlyFlush', () => {
  /** A flush the test finishes (or fails) by hand. */
  function manual() {
    const calls: Array<{ resolve(): void; reject(err: Error): void }> = [];
    const flush = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
    return { calls, flush };
  }

  it('starts a flush every `every` bytes, one at a time', async () => {
    const { calls, flush } = manual();
    const early = new EarlyFlush(flush, 100);
    early.written(60);
    expect(calls).toHaveLength(0);
    early.written(60);
    expect(calls).toHaveLength(1);
    early.written(500);
    expect(calls).toHaveLength(1);
    calls[0]?.resolve();
    await early.settled();
    early.written(1);
    expect(calls).toHaveLength(2);
    const settled = early.settled();
    let done = false;
    void settled.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    calls[1]?.resolve();
    await settled;
  });

  it('a failed flush fails `settled` and starts no more', async () => {
    const { calls, flush } = manual();
    const early = new EarlyFlush(flush, 10);
    early.written(10);
    calls[0]?.reject(new Error('EIO'));
    await expect(early.settled()).rejects.toThrow('EIO');
    early.written(100);
    expect(calls).toHaveLength(1);
    await expect(early.settled()).rejects.toThrow('EIO');
  });
});
