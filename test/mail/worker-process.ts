import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/backends.ts';
import { freePort, waitFor } from '../helpers/net.ts';

export const BIN = fileURLToPath(new URL('../../bin/basalt.js', import.meta.url));

export interface WorkerProcess {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `basalt worker` as a real child process on 127.0.0.1, ready once its /health answers. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const dir = tempDir();
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dir.path, HOST: '127.0.0.1', WORKER_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${out}`);
      return (await fetch(`${url}/health`)).ok;
    }, 20_000);
  } catch (err) {
    child.kill('SIGKILL');
    dir.remove();
    throw new Error(`the worker did not start: ${(err as Error).message}\n${out}`);
  }
  let stopped: Promise<number | null> | undefined;
  return {
    url,
    port,
    child,
    output: () => out,
    stop: () =>
      (stopped ??= (async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        dir.remove();
        return code;
      })()),
  };
}
