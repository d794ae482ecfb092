import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, so benches run the same way from any working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerSpec {
  /** Shown in reports and error messages. */
  name: string;
  /** Arguments to `node` (script first); `{port}` in any argument is replaced by the chosen port. */
  args: string[];
  /** Extra environment on top of the bench defaults. */
  env?: Record<string, string>;
  /** A path that answers 2xx once the server is ready (default /health). */
  readyPath?: string;
  /** How long to wait for readiness (default 30 s: the first start may compile TypeScript). */
  readyTimeoutMs?: number;
}

export interface RunningServer {
  name: string;
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Asks the OS for a free port. `serve --port 0` would pick one too, but would not tell us
 * which, so we bind, read it and release it; the tiny race is acceptable on a bench machine.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilReady(url: string, child: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before answering (code ${child.exitCode ?? child.signalCode})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms (${lastError})`);
}

/**
 * Starts a server in its own process on a free port and waits until it answers. Its output
 * goes nowhere: the cost of writing logs stays in the measurement, a pipe we must drain
 * does not. Production settings and a fresh data folder, so runs do not see each other.
 */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `basalt-bench-${spec.name.replace(/[^a-z0-9]+/gi, '-')}-`));
  const child = spawn(process.execPath, spec.args.map((a) => a.replaceAll('{port}', String(port))), {
    cwd: ROOT,
    stdio: 'ignore',
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      // A developer's scale-out settings must not change what the embedded default measures.
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
      ...spec.env,
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(`${url}${spec.readyPath ?? '/health'}`, child, spec.name, spec.readyTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    })());
  return { name: spec.name, url, port, pid: child.pid ?? -1, stop };
}

/** Basalt itself, through the same entry point users run. */
export function basaltServer(env: Record<string, string> = {}): ServerSpec {
  return { name: 'basalt', args: ['bin/basalt.js', 'serve', '--port', '{port}', '--host', '127.0.0.1'], env };
}

/** A TypeScript fixture under bench/fixtures, run with tsx's loader; it reads PORT. */
export function fixtureServer(name: string, file: string, env: Record<string, string> = {}): ServerSpec {
  return { name, args: ['--import', 'tsx', join('bench', 'fixtures', file)], env };
}
