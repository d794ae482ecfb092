import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basaltServer, ROOT, startServer, type RunningServer } from '../lib/server.ts';

export interface BasaltWithAccount {
  server: RunningServer;
  /** The server's DATA_DIR (blobs live under it). */
  dataDir: string;
  userId: string;
  token: string;
  stop(): Promise<void>;
}

/** Environment shared by the CLI and the server, so both open the same stores. */
function baseEnv(dataDir: string): Record<string, string> {
  return { NODE_ENV: 'production', LOG_LEVEL: 'warn', DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', NATS_URL: '' };
}

function runCli(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/basalt.js', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`basalt ${args.join(' ')} exited ${code}: ${err || out}`))));
  });
}

/**
 * A Basalt child process (`bin/basalt.js serve`, production settings, fresh DATA_DIR) with one
 * account whose e-mail is verified, so it may post and upload: created with
 * `basalt admin create-user --verified` against the same DATA_DIR before the server starts,
 * then signed in over HTTP. Rate limits are off: one client opens hundreds of connections.
 */
export async function startBasaltWithAccount(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<BasaltWithAccount> {
  const dataDir = mkdtempSync(join(tmpdir(), 'basalt-bench-content-'));
  try {
    const handle = `bench_${randomBytes(4).toString('hex')}`;
    const password = `Bench-${randomBytes(12).toString('base64url')}`;
    const email = `${handle}@example.test`;
    await runCli(['admin', 'create-user', '--email', email, '--handle', handle, '--password', password, '--verified'], { ...baseEnv(dataDir), ...env });
    const spec = basaltServer({ ...baseEnv(dataDir), LOG_LEVEL: 'info', RATE_LIMIT_ENABLED: 'false', ...env });
    const server = await startServer({ ...spec, args: [...nodeArgs, ...spec.args] });
    try {
      const res = await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: handle, password }) });
      const body = (await res.json()) as { data?: { accessToken?: string; user?: { id?: string } } };
      const token = body.data?.accessToken;
      const userId = body.data?.user?.id;
      if (!res.ok || !token || !userId) throw new Error(`bench login failed: HTTP ${res.status} ${JSON.stringify(body)}`);
      return {
        server,
        dataDir,
        userId,
        token,
        stop: async () => {
          await server.stop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await server.stop();
      throw err;
    }
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
