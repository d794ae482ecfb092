import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainer } from '../../src/app/container.ts';
import { createApp } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { identity, login, register, stacks, startAccountsApp, verifiedUser, mailedToken, type AccountsApp } from '../accounts/harness.ts';
import { runId, serviceUrl } from '../helpers/backends.ts';
import { openEvents, payload } from './sse.ts';

describe.each(stacks())('event stream over SSE ($name)', (stack) => {
  let app: AccountsApp;
  const fetcher = (req: Request) => app.app.fetch(req);
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: { EVENTS_HEARTBEAT_SECONDS: '1' } });
  });
  afterAll(() => app.close());

  it('refuses an anonymous caller with 401 user:unauthorized', async () => {
    const res = await app.call('GET', '/v1/events');
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('user:unauthorized');
  });

  it('streams the user’s own account events (user.verified, session.created), not other users’', async () => {
    const who = await register(app.call);
    const session = await login(app.call, who);
    const sse = await openEvents(fetcher, session.accessToken);
    expect(sse.status).toBe(200);
    const ready = await sse.next((m) => m.event === 'ready');
    expect(JSON.parse(ready.data)).toEqual({ resumed: true });
    const other = await verifiedUser(app);
    const token = await mailedToken(app, who.email, '/verify-email');
    await app.call('POST', '/v1/auth/verify-email', { json: { token } });
    const verified = await sse.next((m) => m.event === 'user.verified');
    expect(payload(verified)).toMatchObject({ type: 'user.verified', data: { userId: who.id } });
    expect(verified.id).toBe(payload(verified).id);
    await login(app.call, who);
    const created = await sse.next((m) => m.event === 'session.created');
    expect(payload(created).data).toHaveProperty('sessionId');
    expect(sse.messages.some((m) => m.data.includes(other.id))).toBe(false);
    sse.close();
  });

  it('streams workspace events to members only, and follows a workspace the user creates while connected', async () => {
    const owner = await verifiedUser(app);
    const outsider = await verifiedUser(app);
    const ownerSse = await openEvents(fetcher, owner.accessToken);
    const outsiderSse = await openEvents(fetcher, outsider.accessToken);
    await ownerSse.next((m) => m.event === 'ready');
    const slug = `ws-${Date.now().toString(36)}`;
    const ws = await app.call('POST', '/v1/workspaces', { token: owner.accessToken, json: { name: 'Events', slug } });
    expect(ws.status).toBe(201);
    const added = await ownerSse.next((m) => m.event === 'workspace.member_added');
    expect(payload(added).data).toMatchObject({ workspaceId: ws.body.data.id, userId: owner.id });
    const project = await app.call('POST', `/v1/workspaces/${slug}/projects`, { token: owner.accessToken, json: { name: 'p1' } });
    expect(project.status).toBe(201);
    // The feed re-read the owner's workspaces on member_added: a workspace-wide event arrives.
    const key = await app.call('POST', `/v1/projects/${project.body.data.id}/keys`, { token: owner.accessToken, json: { name: 'k', scopes: ['logs:write'] } });
    expect(key.status).toBe(201);
    const keyEvent = await ownerSse.next((m) => m.event === 'apikey.created');
    expect(payload(keyEvent).data).toMatchObject({ workspaceId: ws.body.data.id });
    expect(JSON.stringify(payload(keyEvent))).not.toContain(key.body.data.secret ?? 'no-secret-field');
    await new Promise((r) => setTimeout(r, 200));
    expect(outsiderSse.messages.filter((m) => /^(workspace|apikey)\./.test(m.event) || m.data.includes(ws.body.data.id))).toEqual([]);
    ownerSse.close();
    outsiderSse.close();
  });

  it('resumes with Last-Event-ID: events missed while disconnected arrive first', async () => {
    const who = await verifiedUser(app);
    const first = await openEvents(fetcher, who.accessToken);
    const s1 = await login(app.call, who);
    const seen = await first.next((m) => m.event === 'session.created' && payload(m).data.sessionId === s1.sessionId);
    first.close();
    const missed = await login(app.call, who);
    await app.container.flushEvents();
    const again = await openEvents(fetcher, who.accessToken, seen.id);
    const ready = await again.next((m) => m.event === 'ready');
    expect(JSON.parse(ready.data)).toEqual({ resumed: true });
    const replayed = await again.next((m) => m.event === 'session.created');
    expect(payload(replayed).data.sessionId).toBe(missed.sessionId);
    expect(again.messages.filter((m) => m.id === seen.id)).toEqual([]);
    again.close();
  });

  it('says resumed: false for an id outside the retention window', async () => {
    const who = await verifiedUser(app);
    const sse = await openEvents(fetcher, who.accessToken, 'evt_000000000001000000000000000000');
    const ready = await sse.next((m) => m.event === 'ready');
    expect(JSON.parse(ready.data)).toEqual({ resumed: false });
    sse.close();
  });

  it('sends a heartbeat comment when idle', async () => {
    const who = await verifiedUser(app);
    const sse = await openEvents(fetcher, who.accessToken);
    await sse.next((m) => m.event === 'ready');
    const end = Date.now() + 3_000;
    while (!sse.comments.includes('heartbeat') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(sse.comments).toContain('heartbeat');
    sse.close();
  });

  it('answers 503 eventstream:publish_failed when an event cannot be recorded', async () => {
    const who = await verifiedUser(app);
    await sql`alter table event_outbox rename to event_outbox_off`.execute(app.container.sql.db);
    try {
      const res = await app.call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'eventstream:publish_failed', type: 'SERVICE_UNAVAILABLE' });
    } finally {
      await sql`alter table event_outbox_off rename to event_outbox`.execute(app.container.sql.db);
    }
  });
});

const natsUrl = serviceUrl('NATS_URL');

describe.skipIf(!natsUrl)('event stream across instances (NATS JetStream)', () => {
  let one: AccountsApp;
  let twoClose: (() => Promise<void>) | undefined;
  let twoFetch: (req: Request) => Response | Promise<Response>;
  const stream = runId('basalt_sse');
  beforeAll(async () => {
    const env = { NATS_URL: natsUrl as string, EVENTS_STREAM: stream, JWT_SECRET: `x${runId('secret')}`.padEnd(40, 'x') };
    one = await startAccountsApp({ env });
    // A second instance on the same data (SQL, KV, signing key) and the same JetStream stream.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: one.dataDir, SMTP_URL: one.smtp.url, RATE_LIMIT_ENABLED: 'false', ...env });
    const container = await buildContainer(config, { logger: pino({ level: 'silent' }) });
    const app = createApp(container);
    twoFetch = (req) => app.fetch(req);
    twoClose = async () => {
      await container.close();
    };
  });
  afterAll(async () => {
    await twoClose?.();
    const { connect } = await import('nats');
    const nc = await connect({ servers: natsUrl as string });
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
    await nc.close();
    await one.close();
  });

  it('an event recorded on one instance reaches a subscriber on the other, and resumes there', async () => {
    const who = await verifiedUser(one, identity('nats'));
    const sse = await openEvents(twoFetch, who.accessToken);
    await sse.next((m) => m.event === 'ready');
    const s1 = await login(one.call, who);
    const got = await sse.next((m) => m.event === 'session.created' && payload(m).data.sessionId === s1.sessionId);
    sse.close();
    const s2 = await login(one.call, who);
    await one.container.flushEvents();
    const resumed = await openEvents(twoFetch, who.accessToken, got.id);
    expect(JSON.parse((await resumed.next((m) => m.event === 'ready')).data)).toEqual({ resumed: true });
    await resumed.next((m) => m.event === 'session.created' && payload(m).data.sessionId === s2.sessionId);
    resumed.close();
  });
});
