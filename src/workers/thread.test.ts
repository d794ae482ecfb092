import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { compileThread, startCompiledThread } from './thread.ts';

describe('compiled worker threads', () => {
  const dirs: string[] = [];
  const parent = () => {
    const d = mkdtempSync(join(tmpdir(), 'basalt-thread-test-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('compiles the log writer thread to plain modules: packages by absolute URL, the scale-out drivers only in lazily imported chunks', async () => {
    const compiled = await compileThread(new URL('./log-writer-thread.ts', import.meta.url), parent());
    try {
      const dir = fileURLToPath(new URL('.', compiled.entry));
      const files = readdirSync(dir);
      expect(files.every((f) => f.endsWith('.mjs'))).toBe(true);
      const entry = readFileSync(compiled.entry, 'utf8');
      const imports = [...entry.matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1] as string);
      expect(imports.some((i) => i.startsWith('file://') && i.includes('/better-sqlite3/'))).toBe(true);
      // Every import is a builtin, a file URL or a chunk of the compilation: nothing to resolve, no TypeScript.
      expect(imports.filter((i) => !i.startsWith('node:') && !i.startsWith('file://') && !i.startsWith('./'))).toEqual([]);
      expect(imports.some((i) => i.endsWith('.ts'))).toBe(false);
      for (const driver of ['/pg/', '/ioredis/', '/nats/']) expect(imports.some((i) => i.includes(driver))).toBe(false);
      expect(files.join(' ')).toMatch(/store-postgres-.*\.mjs/);
    } finally {
      compiled.dispose();
    }
    expect(existsSync(fileURLToPath(compiled.entry))).toBe(false);
  });

  it('compiles twice at once in one process (two servers starting together) without either hanging', async () => {
    const module = new URL('./log-writer-thread.ts', import.meta.url);
    const both = await Promise.all([compileThread(module, parent()), compileThread(module, parent())]);
    for (const compiled of both) {
      expect(existsSync(fileURLToPath(compiled.entry))).toBe(true);
      compiled.dispose();
    }
  }, 20_000);

  it('runs a compiled module in a thread that has no TypeScript loader', async () => {
    const compiled = await compileThread(new URL('../modules/logs/cursor.ts', import.meta.url), parent());
    try {
      // The module only exports; the thread ends once it is loaded. An import it could not
      // resolve would be an error event instead.
      const worker = startCompiledThread(compiled, undefined, 'compiled-test');
      const [code] = (await Promise.race([once(worker, 'exit'), once(worker, 'error').then(([err]) => Promise.reject(err as Error))])) as [number];
      expect(code).toBe(0);
    } finally {
      compiled.dispose();
    }
  });

  it('removes what processes that no longer run left behind, and keeps what running ones use', async () => {
    const p = parent();
    // Far above any pid the kernel hands out here (pid_max is at most 2^22).
    mkdirSync(join(p, '99999999-1'));
    mkdirSync(join(p, `${process.ppid}-1`));
    const compiled = await compileThread(new URL('../modules/logs/cursor.ts', import.meta.url), p);
    try {
      expect(readdirSync(p).sort()).toEqual([`${process.ppid}-1`, fileURLToPath(new URL('.', compiled.entry)).split('/').at(-2)].sort());
    } finally {
      compiled.dispose();
    }
  });
});
