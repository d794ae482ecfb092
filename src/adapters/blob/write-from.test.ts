import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { DIRECT_ALIGN } from './direct-io.ts';
import { writeFrom, type ChunkSink } from './write-from.ts';

const MiB = 1024 * 1024;

/** A sink that keeps what it is given and is busy until the test lets it go. */
function holdingSink() {
  const received: Buffer[] = [];
  let busy = false;
  const waiting: Array<() => void> = [];
  const sink: ChunkSink = {
    update: (chunk) => received.push(Buffer.from(chunk)),
    busy: () => busy,
    whenIdle: (callback) => waiting.push(callback),
  };
  return {
    sink,
    received,
    hold: () => (busy = true),
    release: () => {
      busy = false;
      waiting.splice(0).forEach((callback) => callback());
    },
  };
}

describe('writeFrom', () => {
  const dir = tempDir('basalt-write-from-');
  afterAll(() => dir.remove());
  let n = 0;
  const file = () => {
    const path = join(dir.path, `f${n++}`);
    return { path, fd: openSync(path, 'w') };
  };

  it('writes every byte at its offset and hands each chunk to the sink, whatever the chunk sizes', async () => {
    const { path, fd } = file();
    const chunks = [randomBytes(10), randomBytes(MiB + 3), randomBytes(700_000), randomBytes(2 * MiB)];
    const all = Buffer.concat(chunks);
    const { sink, received } = holdingSink();
    const { size, head } = await writeFrom(Readable.from(chunks), fd, { maxBytes: 10 * MiB, direct: false, sink });
    closeSync(fd);
    expect(size).toBe(all.length);
    expect(head.equals(all.subarray(0, 64 * 1024))).toBe(true);
    expect(readFileSync(path).equals(all)).toBe(true);
    expect(Buffer.concat(received).equals(all)).toBe(true);
  });

  it('for O_DIRECT, writes the last block zero-padded to the alignment (the caller truncates)', async () => {
    const { path, fd } = file();
    const bytes = randomBytes(MiB + 5000);
    await writeFrom(Readable.from([bytes]), fd, { maxBytes: 10 * MiB, direct: true, sink: holdingSink().sink });
    closeSync(fd);
    const padded = Math.ceil(bytes.length / DIRECT_ALIGN) * DIRECT_ALIGN;
    expect(statSync(path).size).toBe(padded);
    const written = readFileSync(path);
    expect(written.subarray(0, bytes.length).equals(bytes)).toBe(true);
    expect(written.subarray(bytes.length).every((b) => b === 0)).toBe(true);
  });

  it('pauses the source while the sink is behind, and goes on when it calls back', async () => {
    const { path, fd } = file();
    const source = new Readable({ read() {} });
    const { sink, received, hold, release } = holdingSink();
    hold();
    const written = writeFrom(source, fd, { maxBytes: 10 * MiB, direct: false, sink });
    source.push(randomBytes(1000));
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    const more = randomBytes(3000);
    source.push(more);
    source.push(null);
    await new Promise((r) => setTimeout(r, 20));
    // Still held: the rest waits in the source.
    expect(received).toHaveLength(1);
    release();
    const { size } = await written;
    closeSync(fd);
    expect(size).toBe(4000);
    expect(received).toHaveLength(2);
    expect(readFileSync(path).subarray(1000).equals(more)).toBe(true);
  });
});
