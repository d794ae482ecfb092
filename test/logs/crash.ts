import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { apiClient, type ApiCall, type ApiResponse, type TestEnvelope } from '../helpers/http.ts';
import { freePort, waitFor } from '../helpers/net.ts';

const BIN = fileURLToPath(new URL('../../bin/basalt.js', import.meta.url));

export interface BasaltProcess {
  url: string;
  call: ApiCall;
  child: ChildProcess;
  /** `kill -9`: no shutdown hook runs. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `basalt serve` in its own process, as users run it. */
export async function startBasalt(env: Record<string, string>): Promise<BasaltProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${url}/health`)).ok, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`basalt did not start: ${(err as Error).message}\n${stderr}`);
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, call: apiClient(url), child, kill9: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** Signs up, creates a workspace and a project, and returns a logs key for it. */
export async function logsKey(call: ApiCall): Promise<{ projectId: string; key: string }> {
  const who = { email: `crash${Date.now()}@example.test`, handle: `crash_${Date.now().toString(36)}`, password: 'Crash-test-password-1' };
  const must = async (p: Promise<ApiResponse<TestEnvelope>>, status: number) => {
    const res = await p;
    if (res.status !== status) throw new Error(`${res.status} ${res.text}`);
    return res.body.data;
  };
  await must(call('POST', '/v1/auth/register', { json: who }), 201);
  const { accessToken } = await must(call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } }), 200);
  const slug = `crash-${Date.now().toString(36)}`;
  await must(call('POST', '/v1/workspaces', { token: accessToken, json: { name: 'Crash', slug } }), 201);
  const project = await must(call('POST', `/v1/workspaces/${slug}/projects`, { token: accessToken, json: { name: 'crash' } }), 201);
  const key = await must(call('POST', `/v1/projects/${project.id}/keys`, { token: accessToken, json: { name: 'crash', scopes: ['logs:write', 'logs:read'] } }), 201);
  return { projectId: project.id, key: key.secret };
}

export interface IngestRun {
  /** Messages of every entry a 202 acknowledged. */
  acked: Set<string>;
  /** Messages of requests sent without an answer (in flight at the kill): may or may not be stored. */
  unknown: Set<string>;
  requests: number;
}

/**
 * Sends batches from `connections` loops, recording which entries got a 202, until the
 * server goes away (or `stop`). Each entry's message is unique, so the store can be checked
 * entry by entry. `run` fills as it goes.
 */
export function startIngest(url: string, key: string, options: { connections: number; batch: number }): { run: IngestRun; stop(): void; finished: Promise<void> } {
  const run: IngestRun = { acked: new Set(), unknown: new Set(), requests: 0 };
  let stopped = false;
  let n = 0;
  const loop = async (c: number) => {
    while (!stopped) {
      const req = n++;
      const messages = Array.from({ length: options.batch }, (_, i) => `crash c${c} r${req} e${i}`);
      const body = JSON.stringify({ entries: messages.map((message) => ({ level: 'info', message })) });
      try {
        const res = await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body });
        const json = (await res.json()) as { data?: { accepted: number } };
        run.requests++;
        if (res.status === 202 && json.data?.accepted === options.batch) for (const m of messages) run.acked.add(m);
        else for (const m of messages) run.unknown.add(m);
      } catch {
        // The server died with this request in flight: it may or may not have been queued.
        for (const m of messages) run.unknown.add(m);
        return;
      }
    }
  };
  const finished = Promise.all(Array.from({ length: options.connections }, (_, c) => loop(c))).then(() => {});
  return { run, stop: () => void (stopped = true), finished };
}

/** Every stored message of the project, by paging the query API. */
export async function storedMessages(call: ApiCall, projectId: string, key: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const qs: URLSearchParams = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) });
    const res: ApiResponse<TestEnvelope> = await call('GET', `/v1/projects/${projectId}/logs?${qs}`, { headers: { 'x-api-key': key } });
    if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
    out.push(...res.body.data.map((e: { message: string }) => e.message));
    cursor = res.body.meta.nextCursor ?? null;
  } while (cursor);
  return out;
}
