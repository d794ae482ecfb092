import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync, fstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { filesUnder, runBlobStoreContract } from '../../ports/blob-store.contract.ts';
import { EarlyFlush, diskSync, type BlobSync } from './blob-sync.ts';
import { directIoFlag } from './direct-io.ts';
import { LocalBlobStore } from './local-blob-store.ts';

const MiB = 1024 * 1024;
const modes = [
  { name: 'O_DIRECT', directIo: true },
  { name: 'page cache', directIo: false },
];

for (const mode of modes) {
  runBlobStoreContract(`local folder (${mode.name})`, async () => {
    const dir = tempDir('basalt-blobs-');
    return { store: new LocalBlobStore(dir.path, { directIo: mode.directIo }), leftovers: () => filesUnder(dir.path), cleanup: async () => dir.remove() };
  });
}

/** The open flags of this process's descriptor for the file at `path`, from /proc. */
function openFlags(path: string): number | undefined {
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== path) continue;
    const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return flags ? Number.parseInt(flags[1] as string, 8) : undefined;
  }
  return undefined;
}

describe.each(modes)('LocalBlobStore writes ($name)', ({ directIo }) => {
  const dir = tempDir('basalt-blobs-');
  afterAll(() => dir.remove());
  const store = new LocalBlobStore(dir.path, { directIo });

  it.each([0, 1, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1, 3.5 * MiB + 123])('stores exactly %i bytes, whatever their alignment', async (size) => {
    const bytes = randomBytes(size);
    // Uneven chunks, so blocks fill across chunk boundaries.
    const chunks = [];
    for (let at = 0; at < size; at += 50_000 + (at % 7) * 1000) chunks.push(bytes.subarray(at, Math.min(size, at + 50_000 + (at % 7) * 1000)));
    const blob = await store.put(Readable.from(chunks), { maxBytes: 8 * MiB });
    expect(blob.size).toBe(size);
    expect(blob.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(readFileSync(join(dir.path, blob.key.slice(0, 2), blob.key)).equals(bytes)).toBe(true);
  });

  it(directIo ? 'writes around the page cache (O_DIRECT) where the file system allows it' : 'writes through the page cache when O_DIRECT is off', async () => {
    if (process.platform === 'linux') expect(directIoFlag(join(dir.path, 'tmp'))).toBe(constants.O_DIRECT);
    expect(store.directIo).toBe(directIo && process.platform === 'linux');
    const source = new Readable({ read() {} });
    const put = store.put(source, { maxBytes: 8 * MiB });
    source.push(randomBytes(1.5 * MiB));
    let part: string | undefined;
    for (let i = 0; i < 100 && part === undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
      part = readdirSync(join(dir.path, 'tmp')).find((f) => f.endsWith('.part'));
    }
    expect(part).toBeDefined();
    const flags = openFlags(join(dir.path, 'tmp', part as string));
    source.push(null);
    await put;
    if (process.platform !== 'linux') return;
    expect(flags).toBeDefined();
    expect(((flags as number) & constants.O_DIRECT) !== 0).toBe(directIo);
  });
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
  it('without O_DIRECT, flushes while a large blob is still being written, and once more when it is complete', async () => {
    const dir = tempDir('basalt-blobs-');
    try {
      const events: string[] = [];
      // Through the page cache: with O_DIRECT nothing is left to flush early.
      const store = new LocalBlobStore(dir.path, { directIo: false, sync: recordingSync(dir.path, events), flushEveryBytes: 2 * 1024 * 1024 });
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
