/**
 * An API-key-authenticated request through Basalt's whole stack against a bare Hono hello.
 * The route, `GET /v1/projects/:id/keys/current`, does nothing but authenticate the key
 * (hash, verified-key cache, expiry, allowlist, last-used bookkeeping) and return the key's
 * metadata, so the gap is the stack plus key authentication. Target: ≥ 50%.
 */
import { compareInterleaved } from './lib/compare.ts';
import { benchName, comparisonSection, planFromEnv, writeSection } from './lib/report.ts';
import { basaltServer, fixtureServer, startServer, type RunningServer } from './lib/server.ts';
import { expectOk, freshAccount, postJson } from './fixtures/auth-workloads.ts';

const name = benchName(import.meta.url);
// Two comparisons of 2 × 2 s warm-up + 5 × 2 × 5 s: about two minutes with start-up.
const plan = planFromEnv({ rounds: 5, duration: 5, connections: 50, warmup: 2 });
const progress = (line: string) => process.stderr.write(`[${name}] ${line}\n`);

/** An account, a workspace, a project and a key, over HTTP as a user would make them. */
async function prepareKey(url: string): Promise<{ projectId: string; secret: string }> {
  const who = freshAccount('keybench');
  await expectOk(await postJson(`${url}/v1/auth/register`, who), 'register');
  const login = (await (await expectOk(await postJson(`${url}/v1/auth/login`, { login: who.email, password: who.password }), 'login')).json()) as { data: { accessToken: string } };
  const auth = { authorization: `Bearer ${login.data.accessToken}` };
  const slug = `bench-${Date.now().toString(36)}`;
  await expectOk(await postJson(`${url}/v1/workspaces`, { name: 'Bench', slug }, auth), 'create workspace');
  const project = (await (await expectOk(await postJson(`${url}/v1/workspaces/${slug}/projects`, { name: 'Bench' }, auth), 'create project')).json()) as { data: { id: string } };
  const key = (await (await expectOk(await postJson(`${url}/v1/projects/${project.data.id}/keys`, { name: 'bench', scopes: ['logs:write', 'logs:read'] }, auth), 'create key')).json()) as {
    data: { secret: string };
  };
  const check = await fetch(`${url}/v1/projects/${project.data.id}/keys/current`, { headers: { 'x-api-key': key.data.secret } });
  await expectOk(check, 'key-authenticated request');
  return { projectId: project.data.id, secret: key.data.secret };
}

const started: RunningServer[] = [];
try {
  // The bench account is not e-mail-verified (production mail goes to the outbox), so
  // creating a workspace must not require it here; rate limits have their own bench.
  const basalt = await startServer(basaltServer({ RATE_LIMIT_ENABLED: 'false', REQUIRE_VERIFIED_EMAIL_FOR: 'posts.create,files.upload' }));
  started.push(basalt);
  const bare = await startServer(fixtureServer('bare-hono', 'bare-hono.ts'));
  started.push(bare);
  progress(`Basalt pid ${basalt.pid} at ${basalt.url}; bare Hono pid ${bare.pid} at ${bare.url}`);
  const { projectId, secret } = await prepareKey(basalt.url);

  const keyWorkload = { path: `/v1/projects/${projectId}/keys/current`, headers: { 'x-api-key': secret } };
  const comparison = await compareInterleaved(
    { label: 'Basalt API key', server: basalt, workload: keyWorkload },
    { label: 'bare Hono', server: bare, workload: { path: '/health' } },
    plan,
    progress,
  );
  // The same server's cheapest route, for what key authentication adds over Basalt's own stack.
  const ownStack = await compareInterleaved(
    { label: 'Basalt API key', server: basalt, workload: keyWorkload },
    { label: 'Basalt /health', server: basalt, workload: { path: '/health' } },
    plan,
    progress,
  );

  const setup =
    'Basalt (`bin/basalt.js serve`, NODE_ENV=production, LOG_LEVEL=info, JSON logs to /dev/null, SQLite in a fresh data dir, ' +
    '`RATE_LIMIT_ENABLED=false`: the limiter is measured by the rate-limit bench; `REQUIRE_VERIFIED_EMAIL_FOR` without `workspaces.create` ' +
    'so the unverified bench account can set up) serving `GET /v1/projects/:id/keys/current` with `X-API-Key: bsk_…`: the whole ' +
    'middleware stack, then key authentication (SHA-256 of the secret, the verified-key cache, expiry and allowlist checks, last use ' +
    'kept in memory and written at most once a minute) and the key’s metadata in the envelope. The key, its project and workspace ' +
    'are created over HTTP first.';
  writeSection(
    name,
    [
      comparisonSection({
        name,
        title: 'API-key-authenticated request vs bare Hono hello',
        description: `${setup} Against \`bench/fixtures/bare-hono.ts\` (a plain \`new Hono()\` answering \`GET /health\` with an envelope). Each server is its own process; autocannon runs in the bench process.`,
        comparison,
        target: { minRatio: 0.5 },
      }),
      comparisonSection({
        name,
        title: 'API-key-authenticated request vs Basalt’s own GET /health (same server)',
        description:
          'The same Basalt process, loaded alternately on the key route and on `/health` (no `/v1` middleware, no authentication): ' +
          'what the `/v1` stack and key authentication add to Basalt’s cheapest route. Target: the key route keeps ≥ 80% of it.',
        comparison: ownStack,
        target: { minRatio: 0.8 },
      }),
    ].join('\n\n'),
  );
} finally {
  await Promise.all(started.map((s) => s.stop()));
}
