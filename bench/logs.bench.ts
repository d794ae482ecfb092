/**
 * Logs (issue 6), on the embedded stack (SQLite store, SQLite queue, SQLite KV):
 *  1. ingest: entries/s accepted over HTTP (1,000-entry batches, 16 connections) and stored,
 *     against raw batched inserts of the same rows with better-sqlite3 (interleaved rounds);
 *  2. sustained ~50,000 entries/s: lag from 202 to searchable, and server memory;
 *  3. queries over 1,000,000 stored entries: full text + level + time range, histogram;
 *  4. kill -9 during sustained ingest, restart, count.
 */
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { processCpuSeconds } from './lib/cpu.ts';
import { benchName, writeSection } from './lib/report.ts';
import { median } from './lib/stats.ts';
import { makeBodies, makeEntries, RARE } from './fixtures/log-workload.ts';
import { crashTest } from './fixtures/log-crash.ts';
import { rawInsert, sampleRss, startLogServer, stats, untilIndexed, untilStored, writerBusy } from './fixtures/log-server.ts';

const name = benchName(import.meta.url);
const progress = (line: string) => process.stderr.write(`[${name}] ${line}\n`);
const num = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : Number(v));
const ROUNDS = num(process.env.BENCH_ROUNDS, 3);
const DURATION = num(process.env.BENCH_DURATION, 10);
const CONNECTIONS = num(process.env.BENCH_CONNECTIONS, 16);
const QUERY_ROWS = num(process.env.BENCH_LOG_ROWS, 1_000_000);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pass = (ok: boolean) => (ok ? '**PASS**' : '**FAIL**');
const load = { start: loadavg()[0] ?? 0, end: 0 };

// Where the time goes, from per-thread CPU (/proc/<pid>/task) under this load during development,
// and the SQLite writer alone over 1,000,000 rows; the table's "writer busy" column confirms it on
// every run.
const PROFILE =
  '**Profile.** Per entry: the API thread ≈ 3 µs (HTTP, parsing, validating, the queue\'s group-committed insert; its fsync runs ' +
  'on the thread pool); the writer thread ≈ 3.5 µs to store (rows, the `(project, ts)` index, per-minute counts; its fsync also runs ' +
  'on the thread pool while it writes the next cycle) and ≈ 3 µs to index afterwards (FTS5 in bulk ≈ 1.8 µs, the trace-id pairs ' +
  '≈ 1 µs); WAL checkpoints of both files ≈ 0.3 µs on a thread of their own. The trace-id b-tree, whose inserts land at random, ' +
  'and the FTS5 index are no longer in the storing transaction; under a backlog the writer stores first and indexes once it catches ' +
  'up (or once the index trails by 30 s).';

const BODIES = makeBodies(20, 1000);
function ingestRequests(key: string) {
  let i = 0;
  return [{ method: 'POST' as const, path: '/v1/logs', headers: { 'x-api-key': key, 'content-type': 'application/json' }, setupRequest: (req: object) => ({ ...req, body: BODIES[i++ % BODIES.length] }) }];
}

// ---- 1. ingest throughput against raw inserts ---------------------------------------------
interface IngestRound {
  accepted: number;
  acceptedPerSec: number;
  storedPerSec: number;
  drainMs: number;
  p50: number;
  p99: number;
  failed: number;
  cpuMicrosPerEntry: number;
  /** Until everything accepted is also indexed (searchable), and the CPU including the indexing. */
  indexedPerSec: number;
  cpuMicrosPerEntryIndexed: number;
  rssMb: number;
  /** Share of the time from the first request to the last entry stored that the writer thread was writing. */
  writerBusy: number;
  /** Of that, the SQL transaction's share. */
  writerStoreShare: number;
}

async function ingestRound(round: number): Promise<IngestRound> {
  const s = await startLogServer(`basalt-logs-${round}`);
  try {
    // Unmeasured warm-up: JIT, the writer thread, the first FTS segments.
    const warm = await autocannon({ url: s.server.url, connections: CONNECTIONS, duration: 2, requests: ingestRequests(s.key) });
    await untilStored(s, warm['2xx'] * 1000);
    const cpu0 = processCpuSeconds(s.server.pid) ?? 0;
    const busy0 = await writerBusy(s);
    const rss = sampleRss(s.server.pid);
    const t0 = Date.now();
    const r = await autocannon({ url: s.server.url, connections: CONNECTIONS, duration: DURATION, requests: ingestRequests(s.key) });
    const t1 = Date.now();
    const accepted = r['2xx'] * 1000;
    await untilStored(s, (warm['2xx'] + r['2xx']) * 1000);
    const t2 = Date.now();
    const cpu = (processCpuSeconds(s.server.pid) ?? 0) - cpu0;
    const busy1 = await writerBusy(s);
    await untilIndexed(s, (warm['2xx'] + r['2xx']) * 1000);
    const t3 = Date.now();
    const cpuIndexed = (processCpuSeconds(s.server.pid) ?? 0) - cpu0;
    const rssMb = rss.stop();
    // Storing only: index steps run once the writer has caught up, mostly after t2.
    const busySeconds = busy1.store + busy1.other - busy0.store - busy0.other;
    return {
      accepted,
      acceptedPerSec: accepted / ((t1 - t0) / 1000),
      storedPerSec: accepted / ((t2 - t0) / 1000),
      drainMs: t2 - t1,
      p50: r.latency.p50,
      p99: r.latency.p99,
      failed: r.errors + r.non2xx,
      cpuMicrosPerEntry: (cpu * 1e6) / accepted,
      indexedPerSec: accepted / ((t3 - t0) / 1000),
      cpuMicrosPerEntryIndexed: (cpuIndexed * 1e6) / accepted,
      rssMb,
      writerBusy: busySeconds / ((t2 - t0) / 1000),
      writerStoreShare: (busy1.store - busy0.store) / busySeconds,
    };
  } finally {
    await s.server.stop();
  }
}

const rounds: Array<{ subject: IngestRound; raw: { perSec: number; cpuMicros: number } }> = [];
for (let i = 0; i < ROUNDS; i++) {
  const subject = await ingestRound(i + 1);
  progress(`round ${i + 1}: Basalt accepted ${int(subject.acceptedPerSec)}/s, stored ${int(subject.storedPerSec)}/s (drain ${subject.drainMs} ms), indexed ${int(subject.indexedPerSec)}/s, ${subject.cpuMicrosPerEntry.toFixed(1)} µs CPU/entry (${subject.cpuMicrosPerEntryIndexed.toFixed(1)} with indexing)`);
  const raw = await rawInsert(Math.max(200_000, subject.accepted));
  rounds.push({ subject, raw: { perSec: raw.rows / raw.seconds, cpuMicros: (raw.cpuSeconds * 1e6) / raw.rows } });
  progress(`round ${i + 1}: raw inserts ${int(raw.rows / raw.seconds)} rows/s, ${((raw.cpuSeconds * 1e6) / raw.rows).toFixed(1)} µs CPU/row`);
}
const storedMedian = median(rounds.map((r) => r.subject.storedPerSec));
const rawMedian = median(rounds.map((r) => r.raw.perSec));
const ratio = storedMedian / rawMedian;
const ingestFailures = rounds.reduce((n, r) => n + r.subject.failed, 0);

// ---- 2. sustained 50,000 entries/s: lag to searchable, memory ------------------------------
const sustained = await startLogServer('basalt-logs-sustained');
const LAG_SECONDS = num(process.env.BENCH_LAG_DURATION, 20);
const lags: number[] = [];
let sustainedResult: autocannon.Result;
let sustainedRss = 0;
try {
  const rss = sampleRss(sustained.server.pid);
  let probing = true;
  let probeN = 0;
  const probes = (async () => {
    while (probing) {
      const token = `probe${Date.now().toString(36)}x${probeN++}`;
      const sent = await fetch(`${sustained.server.url}/v1/logs`, { method: 'POST', headers: { 'x-api-key': sustained.key, 'content-type': 'application/json' }, body: JSON.stringify({ level: 'info', message: `lag ${token}` }) });
      await sent.arrayBuffer();
      const at = Date.now();
      if (sent.status !== 202) continue;
      for (;;) {
        const q = await fetch(`${sustained.server.url}/v1/projects/${sustained.projectId}/logs?q=${token}&limit=1`, { headers: { 'x-api-key': sustained.key } });
        const body = (await q.json()) as { data: unknown[] };
        if (body.data.length > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      lags.push(Date.now() - at);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  sustainedResult = await autocannon({ url: sustained.server.url, connections: CONNECTIONS, duration: LAG_SECONDS, overallRate: 50, requests: ingestRequests(sustained.key) });
  probing = false;
  await probes;
  sustainedRss = rss.stop();
} finally {
  await sustained.server.stop();
}
const lag = stats(lags);
const sustainedRate = (sustainedResult['2xx'] * 1000) / LAG_SECONDS;
progress(`sustained ${int(sustainedRate)}/s: lag p50 ${lag.p50} ms, p95 ${lag.p95} ms; RSS max ${sustainedRss.toFixed(0)} MB`);

// ---- 3. queries over 1,000,000 entries ------------------------------------------------------
const DAY = 24 * 3600_000;
const querySide = await startLogServer('basalt-logs-query');
const queries = { fullText: [] as number[], recent: [] as number[], histogram: [] as number[], histogramText: [] as number[] };
let loadedPerSec = 0;
try {
  const end = Date.now() - 60_000;
  const begin = end - DAY;
  const batches = Math.ceil(QUERY_ROWS / 1000);
  let next = 0;
  const t0 = Date.now();
  // Entries spread over the last day, in arrival order, as a day of logs.
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let b = next++; b < batches; b = next++) {
        const from = begin + (b * DAY) / batches;
        const body = JSON.stringify({ entries: makeEntries(1000, 1000 + b, { from, to: from + DAY / batches }) });
        const res = await fetch(`${querySide.server.url}/v1/logs`, { method: 'POST', headers: { 'x-api-key': querySide.key, 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`load: ${res.status}`);
      }
    }),
  );
  await untilStored(querySide, batches * 1000, 600_000);
  loadedPerSec = (batches * 1000) / ((Date.now() - t0) / 1000);
  // Queries run over the whole store: full text included (SQLite indexes after storing).
  await untilIndexed(querySide, batches * 1000, 600_000);
  progress(`loaded ${int(batches * 1000)} entries over a day (${int(loadedPerSec)}/s, stored; indexed after ${((Date.now() - t0) / 1000).toFixed(1)} s); querying`);
  const base = `${querySide.server.url}/v1/projects/${querySide.projectId}/logs`;
  const timed = async (list: number[], url: string) => {
    const t = performance.now();
    const res = await fetch(url, { headers: { 'x-api-key': querySide.key } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    list.push(performance.now() - t);
  };
  const words = [...RARE, 'database', 'payment', 'replica'];
  for (let i = 0; i < 100; i++) {
    const hours = 1 + (i % 6);
    const to = end - (i % 12) * 3600_000;
    const window = `from=${to - hours * 3600_000}&to=${to}`;
    await timed(queries.fullText, `${base}?q=${words[i % words.length]}&level=warn&${window}&limit=100`);
    await timed(queries.recent, `${base}?level=error&${window}&limit=100`);
    await timed(queries.histogram, `${base}/histogram?level=warn&from=${begin}&to=${end}`);
    if (i % 4 === 0) await timed(queries.histogramText, `${base}/histogram?q=${words[i % words.length]}&from=${begin}&to=${end}`);
  }
} finally {
  await querySide.server.stop();
}
const q = { fullText: stats(queries.fullText), recent: stats(queries.recent), histogram: stats(queries.histogram), histogramText: stats(queries.histogramText) };

// ---- 4. kill -9 during sustained ingest ------------------------------------------------------
const crash = await crashTest(CONNECTIONS);

load.end = loadavg()[0] ?? 0;
const cores = cpus().length;
const busy = Math.max(load.start, load.end) > cores;
const ms = (n: number) => n.toFixed(n < 10 ? 1 : 0);
const rows = rounds.map(
  (r, i) =>
    `| ${i + 1} | ${int(r.subject.acceptedPerSec)} | **${int(r.subject.storedPerSec)}** | ${int(r.subject.indexedPerSec)} | ${ms(r.subject.p50)} / ${ms(r.subject.p99)} | ${r.subject.cpuMicrosPerEntry.toFixed(1)} / ${r.subject.cpuMicrosPerEntryIndexed.toFixed(1)} | ${(r.subject.writerBusy * 100).toFixed(0)}% | ${r.subject.rssMb.toFixed(0)} | **${int(r.raw.perSec)}** | ${r.raw.cpuMicros.toFixed(1)} | ${((r.subject.storedPerSec / r.raw.perSec) * 100).toFixed(1)}% |`,
);
writeSection(
  name,
  [
    `## ${name}: log ingest, search lag, queries, crash safety`,
    '',
    'Basalt (`bin/basalt.js serve`, production settings, embedded stack: SQLite store, SQLite queue, SQLite KV; rate limits off) ' +
      'ingesting 1,000-entry JSON batches on `POST /v1/logs` (realistic lines: HTTP access lines and service messages, levels mostly info, ' +
      'a third with trace ids, half with attributes; 20 distinct bodies). "Stored" counts from the first measured request until the last ' +
      'accepted entry is durably stored and queryable (rows, per-minute counts, hot cache; trace-id queries read rows not yet indexed ' +
      'directly). "Indexed" counts until the last one is also in the full-text and trace-id indexes, which SQLite fills after storing ' +
      '(the issue allows asynchronous full-text indexing; its lag is measured below). Baseline: the same rows inserted by better-sqlite3 ' +
      'in one process, 1,000 per transaction, into the same `logs` table and indexes (no FTS, no queue, no HTTP; rows built before the clock starts).',
    '',
    `Measured ${new Date().toISOString()}: ${ROUNDS} interleaved rounds, ${DURATION} s of load each after a 2 s warm-up, ${CONNECTIONS} connections; a fresh server per round.`,
    '',
    '| round | accepted/s | stored/s | indexed/s | p50 / p99 ms | server CPU µs/entry (stored / indexed) | writer busy | RSS MB | raw inserts rows/s | raw CPU µs/row | ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| **median** | ${int(median(rounds.map((r) => r.subject.acceptedPerSec)))} | **${int(storedMedian)}** | ${int(median(rounds.map((r) => r.subject.indexedPerSec)))} | | ${median(rounds.map((r) => r.subject.cpuMicrosPerEntry)).toFixed(1)} / ${median(rounds.map((r) => r.subject.cpuMicrosPerEntryIndexed)).toFixed(1)} | ${(median(rounds.map((r) => r.subject.writerBusy)) * 100).toFixed(0)}% | | **${int(rawMedian)}** | ${median(rounds.map((r) => r.raw.cpuMicros)).toFixed(1)} | **${(ratio * 100).toFixed(1)}%** |`,
    '',
    `Failed requests: ${ingestFailures}. "Writer busy": the share of the stored window the writer thread spent storing (${(median(rounds.map((r) => r.subject.writerStoreShare)) * 100).toFixed(0)}% of it in the SQL transaction; index steps not counted); near 100% it is the bottleneck.`,
    '',
    PROFILE,
    '',
    `**Target:** stored ≥ 50% of raw inserts — ${pass(ratio >= 0.5 && ingestFailures === 0)} (${(ratio * 100).toFixed(1)}%); ≥ 100,000 entries/s — ${pass(storedMedian >= 100_000)} (${int(storedMedian)}/s).`,
    '',
    `**Search lag** (a probe entry every 200 ms during ${LAG_SECONDS} s of load at a target of 50,000 entries/s; achieved ${int(sustainedRate)}/s, ${sustainedResult.non2xx + sustainedResult.errors} failed requests): ` +
      `202 → found by \`q\`: p50 ${lag.p50} ms, p95 ${lag.p95} ms, max ${lag.max} ms over ${lag.n} probes. Target p95 < 5 s — ${pass(lag.p95 < 5_000 && sustainedRate >= 45_000)}` +
      `${sustainedRate < 45_000 ? ' (the 50,000/s rate was not reached, so the target is not met as stated)' : ''}.`,
    '',
    `**Memory:** server RSS (all threads) at most ${sustainedRss.toFixed(0)} MB under sustained ingest (ingest rounds: ${Math.max(...rounds.map((r) => r.subject.rssMb)).toFixed(0)} MB). Target < 300 MB — ${pass(Math.max(sustainedRss, ...rounds.map((r) => r.subject.rssMb)) < 300)}.`,
    '',
    `**Queries** over ${int(QUERY_ROWS)} entries spread over a day (loaded at ${int(loadedPerSec)}/s), 100 of each, one at a time, client-side latency:`,
    '',
    '| query | p50 ms | p95 ms | max ms | target |',
    '|---|---:|---:|---:|---|',
    `| full text + level ≥ warn + 1–6 h range, newest 100 | ${ms(q.fullText.p50)} | ${ms(q.fullText.p95)} | ${ms(q.fullText.max)} | p95 < 50 ms ${pass(q.fullText.p95 < 50)} |`,
    `| level ≥ error + 1–6 h range, newest 100 (no text) | ${ms(q.recent.p50)} | ${ms(q.recent.p95)} | ${ms(q.recent.max)} | |`,
    `| histogram, level ≥ warn, the whole day | ${ms(q.histogram.p50)} | ${ms(q.histogram.p95)} | ${ms(q.histogram.max)} | p95 < 200 ms ${pass(q.histogram.p95 < 200)} |`,
    `| histogram with full text, the whole day (counts rows) | ${ms(q.histogramText.p50)} | ${ms(q.histogramText.p95)} | ${ms(q.histogramText.max)} | |`,
    '',
    `**Crash test:** ${CONNECTIONS} connections ingesting, \`kill -9\` after ${crash.killedAfterMs} ms (${int(crash.acked)} entries acknowledged, ${int(crash.queuedAtKill)} still queued at the kill), restart on the same data: ` +
      `${int(crash.missing)} acknowledged entries missing, ${int(crash.duplicates)} stored twice (${int(crash.stored)} stored; ${int(crash.unknown)} were in flight without an answer). ${pass(crash.missing === 0 && crash.duplicates === 0)}.`,
    '',
    `Load average (1 min) ${load.start.toFixed(2)} at start, ${load.end.toFixed(2)} at end on ${cores} cores` +
      (busy ? ': **other work was competing for the CPU, so absolute figures are depressed and noisier than usual**; CPU µs per entry is the steadier figure.' : '.'),
  ].join('\n'),
);
