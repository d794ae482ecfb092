/**
 * A child process holding SSE subscribers for bench/events.bench.ts, so the clients' parsing
 * does not share the server's process (or the publisher's). Driven over IPC:
 *   parent → {url, token, count}            on start (argv JSON)
 *   child  → {type: 'ready'}                every subscriber has its `ready` message
 *   child  → {type: 'all', postId}          every subscriber here has received that post's event
 *   parent → {type: 'report'}               child → {type: 'report', receipts: {postId: [epoch ms…]}}
 * Receive times are `performance.timeOrigin + performance.now()` (sub-millisecond, comparable
 * across processes on one machine).
 */
import { request, type ClientRequest } from 'node:http';

const { url, token, count } = JSON.parse(process.argv[2] ?? '{}') as { url: string; token: string; count: number };
const send = (m: unknown) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();
const POST_ID = /"postId":"(pst_[0-9a-f]+)"/;

const receipts = new Map<string, number[]>();
const requests: ClientRequest[] = [];
let ready = 0;

function onFrame(frame: string, at: number): void {
  if (frame.startsWith('event: ready') || frame.includes('\nevent: ready')) {
    if (++ready === count) send({ type: 'ready' });
    return;
  }
  if (!frame.includes('event: post.created')) return;
  const id = POST_ID.exec(frame)?.[1];
  if (!id) return;
  let list = receipts.get(id);
  if (!list) receipts.set(id, (list = []));
  list.push(at);
  if (list.length === count) send({ type: 'all', postId: id });
}

for (let i = 0; i < count; i++) {
  const req = request(`${url}/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, (res) => {
    if (res.statusCode !== 200) {
      send({ type: 'error', message: `GET /v1/events answered ${res.statusCode}` });
      return;
    }
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const at = now();
      buffer += chunk;
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        onFrame(buffer.slice(0, cut), at);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf('\n\n');
      }
    });
  });
  req.on('error', (err) => send({ type: 'error', message: err.message }));
  req.end();
  requests.push(req);
}

process.on('message', (m: { type?: string }) => {
  if (m.type === 'report') {
    for (const r of requests) r.destroy();
    // Exit only once the (large) report has left: the IPC channel writes asynchronously.
    process.send?.({ type: 'report', receipts: Object.fromEntries(receipts) }, () => process.exit(0));
  }
});
