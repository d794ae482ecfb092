import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/backends.ts';
import { freePort, waitFor } from '../helpers/net.ts';

const BIN = fileURLToPath(new URL('../../bin/basalt.js', import.meta.url));

function basalt(args: string[], env: Record<string, string> = {}) {
  const dir = tempDir();
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dir.path, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    dir.remove();
  }
}

describe('basalt CLI', () => {
  it.each([
    [['--help'], /Commands:[\s\S]*serve[\s\S]*migrate/],
    [['serve', '--help'], /Usage: basalt serve/],
    [['migrate', '--help'], /Usage: basalt migrate/],
  ])('%j prints help', (args, pattern) => {
    const r = basalt(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern);
  });

  it('refuses an unknown command', () => {
    const r = basalt(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });

  it('stops on a bad variable with its name and no stack trace', () => {
    const r = basalt(['serve'], { PORT: 'abc', REDIS_URL: 'localhost' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PORT:');
    expect(r.stderr).toContain('REDIS_URL:');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('migrate prints a line per migration and is idempotent', () => {
    const dir = tempDir();
    try {
      const env = { PATH: process.env.PATH ?? '', DATA_DIR: dir.path };
      const first = spawnSync(process.execPath, [BIN, 'migrate'], { env, encoding: 'utf8' });
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/^migrated 0001-core$/m);
      expect(first.stdout).toMatch(/^migrated 0002-accounts$/m);
      const second = spawnSync(process.execPath, [BIN, 'migrate'], { env, encoding: 'utf8' });
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(/schema up to date/);
    } finally {
      dir.remove();
    }
  });

  it('serve answers, prints where the docs are, and exits 0 on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dir.path, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 20_000);
      expect(out).toContain(`/docs`);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      dir.remove();
    }
  });
});
