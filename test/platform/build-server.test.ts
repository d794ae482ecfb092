import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureServerBuild, rewriteSpecifiers, SOURCE_DIR } from '../../bin/build-server.js';
import { tempDir } from '../helpers/backends.ts';

const BIN = fileURLToPath(new URL('../../bin/basalt.js', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
}

describe('compiled server (bin/build-server.js)', () => {
  const cache = tempDir('basalt-build-');
  afterAll(() => cache.remove());

  it('rewrites relative .ts specifiers to .js, and nothing else', () => {
    expect(rewriteSpecifiers('import { a } from "./a.ts";\nimport "../b/c.ts";\nconst m = await import("./d.ts");')).toBe(
      'import { a } from "./a.js";\nimport "../b/c.js";\nconst m = await import("./d.js");',
    );
    expect(rewriteSpecifiers('const w = new URL("./thread.ts", import.meta.url);')).toBe('const w = new URL("./thread.js", import.meta.url);');
    // Packages and strings that merely end in .ts stay as written.
    const untouched = 'import x from "pkg/file.ts";\nconst name = "report.ts";\nimport y from "node:fs";';
    expect(rewriteSpecifiers(untouched)).toBe(untouched);
  });

  it('compiles every server source once, to a folder named by their contents, even when started twice at once', async () => {
    const [a, b] = await Promise.all([ensureServerBuild({ cacheDir: cache.path }), ensureServerBuild({ cacheDir: cache.path })]);
    expect(a.entry).toBe(b.entry);
    expect(existsSync(a.entry)).toBe(true);
    // The loser of the race leaves no staging folder behind.
    expect(readdirSync(cache.path).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const compiled = filesUnder(a.dir).filter((p) => p.endsWith('.js'));
    const sources = filesUnder(SOURCE_DIR).filter((p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.contract.ts'));
    expect(compiled.sort()).toEqual(sources.map((p) => p.replace(/\.ts$/, '.js')).sort());
    expect(existsSync(join(a.dir, 'lib', 'password-hash-worker.mjs'))).toBe(true);
    // No compiled module still points at a TypeScript file.
    for (const file of compiled) expect(readFileSync(join(a.dir, file), 'utf8'), relative(a.dir, file)).not.toMatch(/"\.\.?\/[^"\n]*\.ts"/);

    const again = await ensureServerBuild({ cacheDir: cache.path });
    expect(again).toMatchObject({ entry: a.entry, built: false });
  });

  it('basalt serve runs the compiled modules, without a TypeScript loader', async () => {
    const data = tempDir();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env: { ...process.env, DATA_DIR: data.path, LOG_LEVEL: 'info', NODE_ENV: 'production', LOG_FORMAT: 'json' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
        child.stdout.on('data', () => {
          if (/Basalt listening[^\n]*\n/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const listening = out.split('\n').find((l) => l.includes('Basalt listening')) as string;
      expect(JSON.parse(listening)).toMatchObject({ modules: 'compiled' });
      expect(out).not.toMatch(/could not compile/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      data.remove();
    }
  });
});
