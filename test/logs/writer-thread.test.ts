import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { entry, startLogsApp } from './harness.ts';

describe.each(stacks())('log writer thread ($name)', (stack) => {
  it('runs from modules compiled into the data folder (no TypeScript loader in the thread), and removes them when it stops', async () => {
    // A data folder of our own, so it can be inspected after the app has closed.
    const dataDir = mkdtempSync(join(tmpdir(), 'basalt-writer-thread-'));
    const threads = join(dataDir, '.threads');
    try {
      const app = await startLogsApp({ stack, env: { DATA_DIR: dataDir } });
      let compiled: string[];
      try {
        compiled = readdirSync(threads).filter((d) => d.startsWith(`${process.pid}-`));
        expect(compiled).toHaveLength(1);
        expect(existsSync(join(threads, compiled[0] as string, 'log-writer-thread.mjs'))).toBe(true);
        const message = `compiled writer ${Date.now()}`;
        expect((await app.ingest(entry({ message }))).status).toBe(202);
        await app.drained();
        const found = await app.query({ q: 'compiled' });
        expect(found.body.data.map((e: { message: string }) => e.message)).toContain(message);
      } finally {
        await app.close();
      }
      expect(readdirSync(threads)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
