import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBasaltWithAccount } from './content/account.ts';
import { percentile } from './lib/stats.ts';
import { processCpuSeconds } from './lib/cpu.ts';
import { benchName, writeSection } from './lib/report.ts';
import { ROOT } from './lib/server.ts';

// One event fanned out to N SSE subscribers of one Basalt: p95 delivery < 100 ms for 1,000.
// The server is its own process (bin/basalt.js serve); the subscribers live in SUBSCRIBER
// child processes; this process publishes (POST /v1/posts → post.created to the author).
// BENCH_PROFILE=<dir> runs the server under --cpu-prof and leaves the profile there.
const name = benchName(import.meta.url);
const progress = (line: string) => process.stderr.write(`[${name}] ${line}\n`);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const PROCS = Math.max(1, Number(process.env.BENCH_SUBSCRIBER_PROCS ?? 2));
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50);
const WARMUP = 3;
const now = () => performance.timeOrigin + performance.now();

type FromChild = { type: 'ready' } | { type: 'all'; postId: string } | { type: 'error'; message: string } | { type: 'report'; receipts: Record<string, number[]> };

const profileDir = process.env.BENCH_PROFILE;
const basalt = await startBasaltWithAccount({ EVENTS_HEARTBEAT_SECONDS: '30' }, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const { server, token } = basalt;
progress(`Basalt pid ${server.pid} at ${server.url}; ${SUBSCRIBERS} subscribers in ${PROCS} processes`);

const children: ChildProcess[] = [];
const waiters = new Set<(m: FromChild, child: ChildProcess) => void>();
const errors: string[] = [];
function waitFor(match: (m: FromChild) => boolean, times: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ok: boolean) => {
      waiters.delete(listener);
      clearTimeout(timer);
      resolve(ok);
    };
    const listener = (m: FromChild) => {
      if (match(m) && ++seen === times) done(true);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    waiters.add(listener);
  });
}

let report: Record<string, number[]> = {};
let serverCpuPerEvent: number | undefined;
const sentAt = new Map<string, number>();
const roundTrips: number[] = [];
const loadStart = loadavg()[0] ?? 0;
try {
  const allReady = waitFor((m) => m.type === 'ready', PROCS, 60_000);
  for (let i = 0; i < PROCS; i++) {
    const count = Math.floor(SUBSCRIBERS / PROCS) + (i < SUBSCRIBERS % PROCS ? 1 : 0);
    const child = fork(join(ROOT, 'bench', 'content', 'sse-subscribers.ts'), [JSON.stringify({ url: server.url, token, count })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: FromChild) => {
      if (m.type === 'error') errors.push(m.message);
      for (const w of waiters) w(m, child);
    });
    children.push(child);
  }
  if (!(await allReady)) throw new Error(`subscribers not connected within 60 s (${errors.slice(0, 3).join('; ')})`);
  progress('all subscribers connected');

  const publish = async (n: number): Promise<string> => {
    const started = now();
    const res = await fetch(`${server.url}/v1/posts`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ body: `bench event ${n}` }) });
    const body = (await res.json()) as { data?: { id?: string } };
    const id = body.data?.id;
    if (res.status !== 201 || !id) throw new Error(`POST /v1/posts answered ${res.status}: ${JSON.stringify(body)}`);
    sentAt.set(id, started);
    roundTrips.push(now() - started);
    return id;
  };
  const fanOut = async (n: number) => {
    let id: string | undefined;
    const delivered = waitFor((m) => m.type === 'all' && m.postId === id, PROCS, 10_000);
    id = await publish(n);
    if (!(await delivered)) progress(`event ${n}: not every subscriber had it within 10 s`);
    await sleep(100);
  };
  for (let n = 0; n < WARMUP; n++) await fanOut(-1 - n);
  sentAt.clear();
  roundTrips.length = 0;
  const cpuBefore = processCpuSeconds(server.pid);
  for (let n = 0; n < EVENTS; n++) await fanOut(n);
  const cpuAfter = processCpuSeconds(server.pid);
  if (cpuBefore !== undefined && cpuAfter !== undefined) serverCpuPerEvent = ((cpuAfter - cpuBefore) * 1000) / EVENTS;

  const reports = waitFor((m) => {
    if (m.type !== 'report') return false;
    for (const [id, times] of Object.entries(m.receipts)) (report[id] ??= []).push(...times);
    return true;
  }, PROCS, 10_000);
  for (const c of children) c.send({ type: 'report' });
  await reports;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill();
  await basalt.stop();
}

const latencies: number[] = [];
for (const [id, at] of sentAt) for (const t of report[id] ?? []) latencies.push(t - at);
report = {};
const cores = cpus().length;
const loadEnd = loadavg()[0] ?? 0;
const delivered = latencies.length;
const p50 = percentile(latencies, 50);
const p95 = percentile(latencies, 95);
const max = Math.max(...latencies);
const ok = delivered === SUBSCRIBERS * EVENTS && p95 < 100;
const busy = Math.max(loadStart, loadEnd) > cores;
writeSection(
  name,
  `## events: one event fanned out to ${SUBSCRIBERS.toLocaleString('en-US')} SSE subscribers

Plan: Basalt as its own process (\`bin/basalt.js serve\`, NODE_ENV=production, JSON logs to /dev/null, SQLite and the in-process event stream in a fresh DATA_DIR, \`RATE_LIMIT_ENABLED=false\`: one client IP holds ${SUBSCRIBERS.toLocaleString('en-US')} connections); one verified account (\`basalt admin create-user --verified\`), signed in once. ${SUBSCRIBERS.toLocaleString('en-US')} \`GET /v1/events\` connections with that token, held by ${PROCS} child processes; the bench process publishes ${EVENTS} events one at a time (after ${WARMUP} unmeasured) by \`POST /v1/posts\` (→ \`post.created\`, audience: the author), waiting until every subscriber has it, then 100 ms. **Latency = the POST leaving the bench → a subscriber process reading the event** (so it includes the request itself: auth, validation, the post and its outbox record in one transaction, the relay, the fan-out). Measured ${new Date().toISOString()}.

| deliveries | p50 | p95 | max | POST round trip p50 | server CPU per event | target | verdict |
|---|---:|---:|---:|---:|---:|---|---|
| ${delivered.toLocaleString('en-US')} / ${(SUBSCRIBERS * EVENTS).toLocaleString('en-US')} | ${p50.toFixed(1)} ms | **${p95.toFixed(1)} ms** | ${max.toFixed(1)} ms | ${percentile(roundTrips, 50).toFixed(1)} ms | ${serverCpuPerEvent === undefined ? 'n/a' : `${serverCpuPerEvent.toFixed(1)} ms`} | p95 < 100 ms, none lost | ${ok ? 'PASS' : 'FAIL'} |

Server CPU per event = the server process's CPU time over the measured events ÷ ${EVENTS} (request, transaction, relay, search indexing of the post, ${SUBSCRIBERS.toLocaleString('en-US')} writes): the steadier figure when the machine is shared.${errors.length > 0 ? ` Subscriber errors: ${errors.length} (${errors.slice(0, 3).join('; ')}).` : ''}

Load average (1 min) ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end on ${cores} cores${busy ? ': **other work was competing for the CPU, so latencies are inflated and noisier than usual**.' : '.'}`,
);
process.exit(0);
