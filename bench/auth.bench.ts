/**
 * Issue 3's benchmarks, every ratio from baselines measured in this same run:
 * 1. Basalt logins/s vs raw argon2id verifies/s (same parameters, same concurrency) ≥ 90%;
 * 2. authenticated GET /v1/me vs a bare Hono hello ≥ 50%;
 * 3. GET /v1/me while 10 sign-ups are in flight vs without ≥ 80%;
 * 4. Better Auth (e-mail + password on SQLite) side by side: Basalt's authenticated request
 *    ≥ 10× its get-session, Basalt's logins/s ≥ its sign-ins/s.
 * Two interleaved series (logins at LOGIN_CONNECTIONS, reads at the plan's connections);
 * each comparison pairs two sides of one series round by round.
 *
 * Where the time goes when a target is missed: bench/fixtures/profile-auth.ts runs one of
 * these workloads alone against a Basalt under `node --cpu-prof`.
 */
import { cpus } from 'node:os';
import type { Comparison } from './lib/compare.ts';
import { runLoad } from './lib/load.ts';
import { benchName, comparisonSection, planFromEnv, verdict, writeSection, type Target } from './lib/report.ts';
import { basaltServer, fixtureServer, startServer, type RunningServer } from './lib/server.ts';
import {
  expectOk,
  freshAccount,
  pairUp,
  postJson,
  runRotating,
  runSeries,
  startArgon2Baseline,
  startSignupLoop,
  type Argon2Baseline,
  type Credentials,
  type RotatingRequest,
  type SeriesSide,
} from './fixtures/auth-workloads.ts';

const name = benchName(import.meta.url);
const progress = (line: string) => process.stderr.write(`[${name}] ${line}\n`);
// Short rounds, many of them: on a shared 2-core machine the load from elsewhere shifts
// within seconds, and alternating often spreads it over every side.
// Reads: (2 s warm-up + 7 × 3 s) × 5 sides; logins (below): (20 s + 7 × 5 s) × 3 sides; about
// 6½ min in all, start-up included. Seven rounds, not five: a round with sign-ups in flight
// swings more than one without (58–112% of its pair), and the median of seven moves less.
const plan = planFromEnv({ rounds: 7, duration: 3, connections: 50, warmup: 2 });
// Logins are CPU-bound in argon2/scrypt: a few in flight per core saturate the thread pool.
const LOGIN_CONNECTIONS = 8;
// Longer, more and later rounds than the reads. A login runs each function of its path once, and
// at ~150 logins/s V8 is still optimising that path half a minute in: Basalt's compiler threads
// took 0.36 ms per login in the first 10 s of load and 0.06 ms in the fourth, its event loop
// 1.16 ms and 0.96 ms. After a 2 s warm-up the series timed a server still compiling. Every side
// warms up alike (argon2 and Better Auth too), and 7 × 5 s rounds at ~150/s count enough logins
// that one round's host noise moves the median less. BENCH_LOGIN_ROUNDS etc. override these.
const loginPlan = { ...planFromEnv({ rounds: 7, duration: 5, connections: LOGIN_CONNECTIONS, warmup: 20 }, 'BENCH_LOGIN_'), connections: LOGIN_CONNECTIONS };
const LOGIN_USERS = 8;
const SIGNUPS_IN_FLIGHT = 10;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number) => (n >= 2 ? `${n.toFixed(1)}×` : `${(n * 100).toFixed(1)}%`);
const json = { 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function basaltAccounts(url: string): Promise<{ users: Credentials[]; token: string }> {
  const users: Credentials[] = [];
  for (let i = 0; i < LOGIN_USERS; i++) {
    const who = freshAccount('login');
    await expectOk(await postJson(`${url}/v1/auth/register`, who), 'Basalt register');
    users.push(who);
  }
  const first = users[0] as Credentials;
  const login = await expectOk(await postJson(`${url}/v1/auth/login`, { login: first.email, password: first.password }), 'Basalt login');
  const token = ((await login.json()) as { data: { accessToken: string } }).data.accessToken;
  await expectOk(await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } }), 'Basalt GET /v1/me');
  return { users, token };
}

// Better Auth refuses a POST without an Origin in production (CSRF); browsers always send one.
const baHeaders = (url: string) => ({ origin: url });

async function betterAuthAccounts(url: string): Promise<{ users: Credentials[]; cookie: string }> {
  const users: Credentials[] = [];
  for (let i = 0; i < LOGIN_USERS; i++) {
    const who = freshAccount('login');
    await expectOk(await postJson(`${url}/api/auth/sign-up/email`, { email: who.email, password: who.password, name: who.handle }, baHeaders(url)), 'Better Auth sign-up');
    users.push(who);
  }
  const first = users[0] as Credentials;
  const signIn = await expectOk(await postJson(`${url}/api/auth/sign-in/email`, { email: first.email, password: first.password }, baHeaders(url)), 'Better Auth sign-in');
  const cookie = /better-auth\.session_token=[^;]+/.exec(signIn.headers.get('set-cookie') ?? '')?.[0];
  if (!cookie) throw new Error('Better Auth sign-in set no session cookie');
  // get-session answers 200 `null` for no session: check this cookie really is one.
  const session = (await (await expectOk(await fetch(`${url}/api/auth/get-session`, { headers: { cookie } }), 'Better Auth get-session')).json()) as { user?: { email?: string } } | null;
  if (session?.user?.email !== first.email) throw new Error(`Better Auth get-session did not return the session: ${JSON.stringify(session)}`);
  return { users, cookie };
}

function loginRequests(path: string, users: Credentials[], body: (u: Credentials) => unknown, headers: Record<string, string> = {}): RotatingRequest[] {
  return users.map((u) => ({ method: 'POST', path, headers: { ...json, ...headers }, body: JSON.stringify(body(u)) }));
}

interface Check {
  title: string;
  comparison: Comparison;
  target: Target;
  /** Whether server CPU per request means the same on both sides (not with sign-ups mixed in). */
  cpuComparable: boolean;
}

/** Sign-up rates seen while a side ran with sign-ups in flight, for the report. */
const signupRates = new Map<string, { perSecond: number[]; failed: number }>();

/** A read side that runs with SIGNUPS_IN_FLIGHT sign-ups going on the same server. */
function underSignups(label: string, read: (duration: number) => ReturnType<typeof runLoad>, signUp: () => Promise<Response>): SeriesSide {
  return {
    label,
    run: async (duration) => {
      const started = performance.now();
      const loop = startSignupLoop(SIGNUPS_IN_FLIGHT, signUp);
      // Let the sign-ups get going, so the whole measured window is under their load.
      await sleep(500);
      const result = await read(duration);
      await loop.stop();
      const rates = signupRates.get(label) ?? { perSecond: [], failed: 0 };
      rates.perSecond.push(loop.done / ((performance.now() - started) / 1000));
      rates.failed += loop.failed;
      signupRates.set(label, rates);
      return loop.failed > 0 ? { ...result, errors: result.errors + loop.failed } : result;
    },
  };
}

const started: Array<RunningServer | Argon2Baseline> = [];
try {
  const basalt = await startServer(basaltServer({ RATE_LIMIT_ENABLED: 'false' }));
  started.push(basalt);
  const bare = await startServer(fixtureServer('bare-hono', 'bare-hono.ts'));
  started.push(bare);
  const ba = await startServer(fixtureServer('better-auth', 'better-auth.ts'));
  started.push(ba);
  const argon2 = await startArgon2Baseline();
  started.push(argon2);
  progress(`Basalt pid ${basalt.pid}, bare Hono pid ${bare.pid}, Better Auth pid ${ba.pid}, argon2 baseline pid ${argon2.pid}`);

  const basaltSetup = await basaltAccounts(basalt.url);
  const baSetup = await betterAuthAccounts(ba.url);
  const bearer = { authorization: `Bearer ${basaltSetup.token}` };
  const basaltLogins = loginRequests('/v1/auth/login', basaltSetup.users, (u) => ({ login: u.email, password: u.password }));
  const baSignIns = loginRequests('/api/auth/sign-in/email', baSetup.users, (u) => ({ email: u.email, password: u.password }), baHeaders(ba.url));

  const L = { basalt: 'Basalt login', argon2: 'argon2id verify', ba: 'Better Auth sign-in' } as const;
  progress(`logins: ${LOGIN_CONNECTIONS} in flight, rotating over ${LOGIN_USERS} users`);
  const logins = await runSeries(
    [
      { label: L.basalt, run: (d) => runRotating({ url: basalt.url, requests: basaltLogins, duration: d, connections: LOGIN_CONNECTIONS, serverPid: basalt.pid }) },
      { label: L.argon2, run: (d) => argon2.run(d, LOGIN_CONNECTIONS) },
      { label: L.ba, run: (d) => runRotating({ url: ba.url, requests: baSignIns, duration: d, connections: LOGIN_CONNECTIONS, serverPid: ba.pid }) },
    ],
    loginPlan,
    progress,
  );

  const R = {
    me: 'Basalt GET /v1/me',
    bare: 'bare Hono hello',
    meSignups: `Basalt GET /v1/me + ${SIGNUPS_IN_FLIGHT} sign-ups`,
    ba: 'Better Auth get-session',
    baSignups: `Better Auth get-session + ${SIGNUPS_IN_FLIGHT} sign-ups`,
  } as const;
  const me = (d: number) => runLoad({ url: basalt.url, path: '/v1/me', headers: bearer, duration: d, connections: plan.connections, serverPid: basalt.pid });
  const getSession = (d: number) => runLoad({ url: ba.url, path: '/api/auth/get-session', headers: { cookie: baSetup.cookie }, duration: d, connections: plan.connections, serverPid: ba.pid });
  progress(`reads: ${plan.connections} connections, one session each side`);
  const reads = await runSeries(
    [
      { label: R.me, run: me },
      { label: R.bare, run: (d) => runLoad({ url: bare.url, path: '/health', duration: d, connections: plan.connections, serverPid: bare.pid }) },
      underSignups(R.meSignups, me, () => postJson(`${basalt.url}/v1/auth/register`, freshAccount('su'))),
      { label: R.ba, run: getSession },
      underSignups(R.baSignups, getSession, () => {
        const who = freshAccount('su');
        return postJson(`${ba.url}/api/auth/sign-up/email`, { email: who.email, password: who.password, name: who.handle }, baHeaders(ba.url));
      }),
    ],
    plan,
    progress,
  );

  const checks: Check[] = [
    { title: 'logins/s vs raw argon2id verifies/s', comparison: pairUp(logins, L.basalt, L.argon2), target: { minRatio: 0.9 }, cpuComparable: true },
    { title: 'authenticated GET /v1/me vs a bare Hono hello', comparison: pairUp(reads, R.me, R.bare), target: { minRatio: 0.5 }, cpuComparable: true },
    { title: `GET /v1/me with ${SIGNUPS_IN_FLIGHT} sign-ups in flight vs without`, comparison: pairUp(reads, R.meSignups, R.me), target: { minRatio: 0.8 }, cpuComparable: false },
    { title: 'Basalt authenticated request vs Better Auth get-session', comparison: pairUp(reads, R.me, R.ba), target: { minRatio: 10 }, cpuComparable: true },
    { title: 'Basalt login vs Better Auth sign-in', comparison: pairUp(logins, L.basalt, L.ba), target: { minRatio: 1 }, cpuComparable: true },
  ];
  const baUnderSignups = pairUp(reads, R.baSignups, R.ba);
  writeSection(name, report(checks, baUnderSignups));
} finally {
  await Promise.allSettled(started.map((s) => s.stop()));
}


function report(
  checks: Check[],
  baUnderSignups: Comparison,
): string {
  const summary = checks.map(({ title, comparison: c, target, cpuComparable }, i) => {
    const v = verdict(c, target);
    const s = c.subjectSummary.cpuMicrosPerRequest;
    const b = c.baselineSummary.cpuMicrosPerRequest;
    const cpu = cpuComparable && s !== undefined && b !== undefined ? ratio(b / s) : 'n/a';
    return `| ${i + 1} | ${title} | ${int(c.subjectSummary.reqPerSec)} | ${int(c.baselineSummary.reqPerSec)} | **${ratio(c.ratio)}** | ${ratio(c.ratioOfMedians)} | ≥ ${ratio(target.minRatio)} | **${v.verdict}** | ${cpu} |`;
  });
  const loads = checks.flatMap(({ comparison: c }) => [c.loadAverage.start, c.loadAverage.end]);
  const cores = cpus().length;
  const busiest = Math.max(...loads);
  // The first run of each side is its warm-up.
  const signupLines = [...signupRates].map(([label, r]) => `- ${label}: ${r.perSecond.slice(plan.warmup > 0 ? 1 : 0).map((n) => n.toFixed(1)).join(', ')} sign-ups/s per round (${r.failed} failed).`);
  const details = checks.map(({ title, comparison, target }, i) =>
    comparisonSection({ name, title, description: '', comparison, target }).replace(/^## .*\n+/, `### ${i + 1}. ${title}\n\n`),
  );
  return [
    `## ${name}: accounts and sessions — Basalt against raw argon2, bare Hono and Better Auth`,
    '',
    'One run, all servers up throughout, each in its own process: Basalt (`bin/basalt.js serve`, production, LOG_LEVEL=info JSON logs to /dev/null, ' +
      'SQLite + SQLite KV in a fresh data dir, `RATE_LIMIT_ENABLED=false`); `bench/fixtures/bare-hono.ts`; Better Auth ' +
      '(`bench/fixtures/better-auth.ts`: e-mail + password, better-sqlite3 in WAL mode, its own migrations, rate limit off, served by @hono/node-server); ' +
      '`bench/fixtures/argon2-verify.ts` (raw @node-rs/argon2 verifies against a hash made by Basalt\'s `hashPassword`). ' +
      `Logins: ${LOGIN_CONNECTIONS} in flight, rotating over ${LOGIN_USERS} pre-registered users. Reads: ${plan.connections} connections on one session. ` +
      `"+ ${SIGNUPS_IN_FLIGHT} sign-ups": a loop in the bench process keeps ${SIGNUPS_IN_FLIGHT} registrations in flight on the same server for the whole measured window. ` +
      'Password hashing: Basalt argon2id m=19 MiB t=2 p=1 (OWASP); Better Auth its default, scrypt N=16384 r=16 p=1 (32 MiB).' +
      ' "CPU ratio" is the baseline\'s server CPU per request over the subject\'s: the req/s ratio to expect when each side has the same CPU to itself, and far steadier than req/s when other work competes for the machine (not meaningful with sign-ups in flight, whose CPU the reads are charged).',
    '',
    '| # | comparison | subject /s | baseline /s | ratio (median of rounds) | ratio of medians | target | verdict | CPU ratio |',
    '|---:|---|---:|---:|---:|---:|---:|---|---:|',
    ...summary,
    '',
    `Load average (1 min) between ${Math.min(...loads).toFixed(1)} and ${busiest.toFixed(1)} on ${cores} cores` +
      (busiest > cores ? ': **other work was competing for the CPU; req/s ratios are noisier than usual, CPU ratios less so**.' : '.'),
    '',
    `For reference (no target): Better Auth get-session with ${SIGNUPS_IN_FLIGHT} sign-ups in flight ran at ${int(baUnderSignups.subjectSummary.reqPerSec)}/s, ` +
      `${ratio(baUnderSignups.ratio)} of its rate without them (${int(baUnderSignups.baselineSummary.reqPerSec)}/s).`,
    '',
    'Sign-ups completed while the read side was loaded:',
    ...signupLines,
    '',
    ...details.flatMap((d) => [d, '']),
  ].join('\n');
}
