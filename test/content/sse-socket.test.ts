import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, stacks, startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';
import { openEvents, payload } from './sse.ts';

/** Serves the app on a real socket, as `basalt serve` does (the SSE path writes to the Node response). */
async function listen(app: AccountsApp): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Open event streams would hold `close` until they end.
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const overSocket = (url: string) => (req: Request) => fetch(new Request(new URL(new URL(req.url).pathname, url), req));

describe.each(stacks())('event stream over a real socket ($name)', (stack) => {
  let app: AccountsApp;
  let http: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { EVENTS_HEARTBEAT_SECONDS: '1' } });
    http = await listen(app);
  });
  afterAll(async () => {
    await http.close();
    await app.close();
  });

  it('streams with SSE headers and the request id: ready, live events, heartbeats, then resume', async () => {
    const who = await verifiedUser(app);
    const res = await fetch(`${http.url}/v1/events`, { headers: { authorization: `Bearer ${who.accessToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    await res.body?.cancel();

    const sse = await openEvents(overSocket(http.url), who.accessToken);
    expect(JSON.parse((await sse.next((m) => m.event === 'ready')).data)).toEqual({ resumed: true });
    const s1 = await login(app.call, who);
    const first = await sse.next((m) => m.event === 'session.created' && payload(m).data.sessionId === s1.sessionId);
    expect(first.id).toBe(payload(first).id);
    const deadline = Date.now() + 4_000;
    while (!sse.comments.includes('heartbeat') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sse.comments).toContain('heartbeat');
    sse.close();

    const missed = await login(app.call, who);
    await app.container.flushEvents();
    const again = await openEvents(overSocket(http.url), who.accessToken, first.id);
    expect(JSON.parse((await again.next((m) => m.event === 'ready')).data)).toEqual({ resumed: true });
    // The replayed event comes after `ready`, never before it.
    expect(again.messages[0]?.event).toBe('ready');
    expect(payload(await again.next((m) => m.event === 'session.created')).data.sessionId).toBe(missed.sessionId);
    again.close();
  });

  it('keeps users apart on one socket server: another user’s events never arrive', async () => {
    const a = await verifiedUser(app);
    const b = await verifiedUser(app);
    const sseA = await openEvents(overSocket(http.url), a.accessToken);
    await sseA.next((m) => m.event === 'ready');
    const sB = await login(app.call, b);
    const sA = await login(app.call, a);
    await sseA.next((m) => m.event === 'session.created' && payload(m).data.sessionId === sA.sessionId);
    expect(sseA.messages.some((m) => m.data.includes(sB.sessionId))).toBe(false);
    sseA.close();
  });

  it('ends an open stream when its session is revoked (socket and in-process)', async () => {
    const who = await verifiedUser(app);
    const other = await login(app.call, who);
    for (const fetcher of [overSocket(http.url), (req: Request) => app.app.fetch(req)]) {
      const session = await login(app.call, who);
      const sse = await openEvents(fetcher, session.accessToken);
      await sse.next((m) => m.event === 'ready');
      const revoked = await app.call('DELETE', `/v1/me/sessions/${session.sessionId}`, { token: other.accessToken });
      expect(revoked.status).toBe(200);
      // Checked once per heartbeat interval (1 s here).
      const end = await sse.next((m) => m.event === 'end', 5_000);
      expect(JSON.parse(end.data)).toEqual({ reason: 'session_ended' });
      await sse.ended;
    }
  });
});

describe('event stream and access-token expiry', () => {
  let app: AccountsApp;
  let http: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    app = await startAccountsApp({ env: { EVENTS_HEARTBEAT_SECONDS: '30', ACCESS_TOKEN_TTL_SECONDS: '2' } });
    http = await listen(app);
  });
  afterAll(async () => {
    await http.close();
    await app.close();
  });

  it('ends the stream when the access token that opened it expires, and refuses the expired token', async () => {
    const who = await login(app.call, await verifiedUser(app));
    const opened = Date.now();
    const sse = await openEvents(overSocket(http.url), who.accessToken);
    await sse.next((m) => m.event === 'ready');
    const end = await sse.next((m) => m.event === 'end', 6_000);
    expect(JSON.parse(end.data)).toEqual({ reason: 'token_expired' });
    await sse.ended;
    // Tokens carry whole seconds: expiry is within the 2 s lifetime of the token, not a heartbeat later.
    expect(Date.now() - opened).toBeLessThan(3_500);
    const again = await app.call('GET', '/v1/events', { token: who.accessToken });
    expect(again.status).toBe(401);
    expect(again.body.error?.code).toBe('user:token_expired');
  });
});

describe.each(stacks())('event relay latency ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    // A poll far longer than the wait below: only the relay's wake-up can deliver in time.
    app = await startAccountsApp({ stack, env: { EVENTS_POLL_MS: '10000' } });
  });
  afterAll(() => app.close());

  it('relays an event recorded inside a transaction as soon as it commits, not at the next poll', async () => {
    const me = await verifiedUser(app);
    const sse = await openEvents((req) => app.app.fetch(req), me.accessToken);
    await sse.next((m) => m.event === 'ready');
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const post = await app.call('POST', '/v1/posts', { token: me.accessToken, json: { body: `relay ${i}` } });
      expect(post.status).toBe(201);
      await sse.next((m) => m.event === 'post.created' && payload(m).data.postId === post.body.data.id, 2_000);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    sse.close();
  });
});
