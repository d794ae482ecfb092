import { existsSync, fstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { filesUnder, runBlobStoreContract } from '../../ports/blob-store.contract.ts';
import { diskSync, type BlobSync } from './blob-sync.ts';
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
    const store = new LocalBlobStore(dir.path, recordingSync(dir.path, events));
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
    const store = new LocalBlobStore(dir.path, recordingSync(dir.path, events));
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
    const store = new LocalBlobStore(dir.path, recordingSync(dir.path, events, 'file'));
    await expect(store.put(bytes(1024), { maxBytes: 10 * 1024 })).rejects.toThrow('EIO');
    expect(filesUnder(dir.path)).toEqual([]);
  });
});
