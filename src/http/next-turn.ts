/**
 * Resolves on the event loop's next check phase (setImmediate): every request whose bytes
 * arrived in one poll phase then runs its handler in the same phase after it, one after another,
 * and their responses leave back to back.
 *
 * Why: run as each request is parsed, a handler interleaves with reading the next socket, so
 * under load the loop alternates between Node's parser, Hono, the store and a write, each time
 * with colder caches, and each response is written alone (on loopback, each write woke the
 * sleeping client anew). Run a turn later, requests are handled in batches. The SQLite rate
 * limiter already decided its hits this way, and with it on the API served ~50% more requests
 * per second than with it off (bench/rate-limit.bench.ts); deferring every request made the
 * limiter-off server ~30% faster and `GET /health` went from 81% to 96% of a bare Hono's rate
 * (bench/health.bench.ts). The wait is one loop turn: microseconds on an idle server.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
