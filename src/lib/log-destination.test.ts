import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogDestination } from './log-destination.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LogDestination', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'basalt-logdest-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes the lines of one event-loop turn together, in order, at the end of the turn', async () => {
    const file = join(dir(), 'out.log');
    const fd = openSync(file, 'w');
    const dest = new LogDestination(fd);
    for (let i = 0; i < 1000; i++) dest.write(`{"n":${i}}\n`);
    expect(readFileSync(file, 'utf8')).toBe('');
    await turn();
    await turn();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([...Array(1000).keys()]);
    dest.write('{"n":"é ü"}\n');
    dest.flush();
    expect(readFileSync(file, 'utf8').endsWith('{"n":"é ü"}\n')).toBe(true);
    closeSync(fd);
  });

  it('holds lines back while a non-blocking pipe is full, then delivers all of them in order', async () => {
    const fifo = join(dir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const dest = new LogDestination(writer, { retryMs: 5 });
    const line = (i: number) => `${String(i).padStart(8, '0')}${'x'.repeat(91)}\n`;
    // ≈ 1 MB: far beyond a pipe's 64 KiB, so writes hit EAGAIN until the reader drains it.
    for (let i = 0; i < 10_000; i++) dest.write(line(i));
    let received = '';
    const buf = Buffer.alloc(65536);
    for (let waited = 0; received.length < 10_000 * 100 && waited < 10_000; waited += 5) {
      await sleep(5);
      for (;;) {
        let n = 0;
        try {
          n = readSync(reader, buf, 0, buf.length, null);
        } catch {
          break; // EAGAIN: empty for now
        }
        if (n === 0) break;
        received += buf.toString('utf8', 0, n);
      }
    }
    expect(dest.dropped).toBe(0);
    expect(received.length).toBe(10_000 * 100);
    expect(received.split('\n').slice(0, -1).every((l, i) => l === line(i).trimEnd())).toBe(true);
    closeSync(writer);
    closeSync(reader);
  });

  it('drops and counts lines beyond maxPendingBytes instead of growing without bound', () => {
    const dest = new LogDestination(openSync('/dev/null', 'w'), { maxPendingBytes: 100 });
    for (let i = 0; i < 10; i++) dest.write(`${'y'.repeat(29)}\n`);
    expect(dest.dropped).toBe(7);
  });

  it('writes what is pending when the process exits right after logging', () => {
    const script = `
      const { LogDestination } = await import(${JSON.stringify(new URL('./log-destination.ts', import.meta.url).href)});
      const dest = new LogDestination(1);
      for (let i = 0; i < 500; i++) dest.write('line ' + i + '\\n');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(500);
    expect(lines.at(-1)).toBe('line 499');
  });
});
