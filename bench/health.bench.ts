/**
 * GET /health through Basalt's whole middleware stack (request id, access log, metrics,
 * body limit, OpenAPI router, envelope) against a bare Hono app sending the same JSON.
 * The gap is what the stack costs on the cheapest possible route.
 */
import { compareServers } from './lib/compare.ts';
import { benchName, comparisonSection, planFromEnv, writeSection } from './lib/report.ts';
import { basaltServer, fixtureServer } from './lib/server.ts';

const name = benchName(import.meta.url);
// 2 s + 5 × 2 × 5 s ≈ 55 s of load plus start-up: well inside the two-minute budget.
const plan = planFromEnv({ rounds: 5, duration: 5, connections: 50, warmup: 2 });
const workload = { path: '/health' };

const comparison = await compareServers(
  { label: 'Basalt', spec: basaltServer(), workload },
  { label: 'bare Hono', spec: fixtureServer('bare-hono', 'bare-hono.ts'), workload },
  plan,
  (line) => process.stderr.write(`[${name}] ${line}\n`),
);

writeSection(
  name,
  comparisonSection({
    name,
    title: 'GET /health, Basalt vs bare Hono',
    description:
      "Basalt (`bin/basalt.js serve`, NODE_ENV=production, LOG_LEVEL=info, JSON logs to /dev/null, SQLite in a fresh data dir) " +
      'against `bench/fixtures/bare-hono.ts` (a plain `new Hono()` on @hono/node-server returning the same envelope). ' +
      'Each server is its own process; autocannon runs in the bench process.',
    comparison,
    target: { minRatio: 0.8 },
  }),
);
