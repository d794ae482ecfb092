/**
 * What rate limiting costs: GET /v1/users/{handle} (a public profile, one SQL lookup) on a
 * Basalt whose global per-IP rule counts every request, against the same Basalt with
 * RATE_LIMIT_ENABLED=false. Once on the embedded store (SQLite kv.db) and once on Redis
 * (both sides then keep their KV store on Redis; only the limiter differs).
 */
import { randomBytes } from 'node:crypto';
import { compareInterleaved, type Comparison } from './lib/compare.ts';
import { benchName, comparisonSection, planFromEnv, writeSection } from './lib/report.ts';
import { basaltServer, startServer, type RunningServer } from './lib/server.ts';

const name = benchName(import.meta.url);
// Per store: 2 s warm-up + 5 × 2 × 5 s ≈ 55 s of load; two stores stay near two minutes.
const plan = planFromEnv({ rounds: 5, duration: 5, connections: 50, warmup: 2 });
const HANDLE = 'bench_reader';
const workload = { path: `/v1/users/${HANDLE}` };
// A budget the run cannot spend: every request is counted, none is refused.
const UNSPENDABLE = '10000000/1h';
const progress = (line: string) => process.stderr.write(`[${name}] ${line}\n`);

/** Registers the profile the load reads; both servers get the same one in their own store. */
async function prepare(server: RunningServer, limited: boolean): Promise<void> {
  const register = await fetch(`${server.url}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${HANDLE}@example.com`, handle: HANDLE, password: `bench-${randomBytes(12).toString('hex')}` }),
  });
  if (register.status !== 201) throw new Error(`${server.name}: register answered ${register.status}: ${await register.text()}`);
  const probe = await fetch(`${server.url}${workload.path}`);
  await probe.arrayBuffer();
  if (probe.status !== 200) throw new Error(`${server.name}: ${workload.path} answered ${probe.status}`);
  // Make sure each side is what it claims to be.
  const headed = probe.headers.get('x-ratelimit-limit') !== null;
  if (headed !== limited) throw new Error(`${server.name}: expected rate-limit headers ${limited ? 'present' : 'absent'}`);
}

async function compareStore(store: string, env: Record<string, string>): Promise<Comparison> {
  const started: RunningServer[] = [];
  try {
    const on = await startServer({ ...basaltServer({ ...env, RATE_LIMIT_API_IP: UNSPENDABLE }), name: `basalt-limiter-on-${store}` });
    started.push(on);
    const off = await startServer({ ...basaltServer({ ...env, RATE_LIMIT_ENABLED: 'false' }), name: `basalt-limiter-off-${store}` });
    started.push(off);
    await prepare(on, true);
    await prepare(off, false);
    progress(`${store}: limiter on pid ${on.pid} at ${on.url}; off pid ${off.pid} at ${off.url}`);
    return await compareInterleaved(
      { label: 'limiter on', server: on, workload },
      { label: 'limiter off', server: off, workload },
      plan,
      (line) => progress(`${store}: ${line}`),
    );
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

const common =
  'Basalt (`bin/basalt.js serve`, production settings, JSON logs to /dev/null, SQLite SQL store in a fresh data dir) ' +
  'serving `GET /v1/users/{handle}` (a registered profile). "Limiter on": the global `api:ip` rule counts every ' +
  `request (budget \`${UNSPENDABLE}\`, so none is refused); "limiter off": \`RATE_LIMIT_ENABLED=false\`. One client IP, ` +
  'so every request hits the same key: the worst case for contention.';

const sections: string[] = [];
const embedded = await compareStore('embedded', {});
sections.push(
  comparisonSection({
    name,
    title: 'limiter on vs off, embedded store',
    description: `${common} The limiter is a GCRA row in \`<DATA_DIR>/kv.db\` (its own SQLite connection; one conditional upsert per request, the requests of one event-loop turn in one transaction).`,
    comparison: embedded,
    target: { minRatio: 0.9 },
  }),
);

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const run = `bench_${randomBytes(4).toString('hex')}`;
  const redis = await compareStore('redis', { REDIS_URL: redisUrl, KV_PREFIX: `${run}:` });
  sections.push(
    comparisonSection({
      name,
      title: 'limiter on vs off, Redis',
      description: `${common} Both servers keep their KV store on Redis (\`REDIS_URL\`, local); the limiter is one Lua script per request on its own connection.`,
      comparison: redis,
      target: { minRatio: 0.7 },
    }),
  );
} else {
  progress('REDIS_URL is not set: the Redis comparison is skipped');
  sections.push(`## ${name}: limiter on vs off, Redis\n\nSkipped: \`REDIS_URL\` was not set for this run.`);
}

writeSection(name, sections.join('\n\n'));
