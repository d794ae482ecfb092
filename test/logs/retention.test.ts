import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { addMember, person } from '../teams/harness.ts';
import { entry, startLogsApp, type LogsApp } from './harness.ts';

const DAY = 24 * 3600 * 1000;

describe.each(stacks())('log retention and deletion ($name)', (stack) => {
  let app: LogsApp;
  beforeAll(async () => {
    app = await startLogsApp({ stack });
  });
  afterAll(() => app?.close());

  /** What the store holds for a project, straight from the tables. */
  const stored = async (projectId: string, marker: string) => {
    const db = app.container.sql.db;
    const rows = await db.selectFrom('logs').select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', projectId).executeTakeFirst();
    const counts = await db.selectFrom('log_counts').select((eb) => eb.fn.sum('n').as('n')).where('project_id', '=', projectId).executeTakeFirst();
    const fullText =
      app.container.sql.capabilities.dialect === 'sqlite'
        ? await sql<{ n: number }>`select count(*) as n from logs_fts where logs_fts match ${`"${marker}"`}`.execute(db)
        : await sql<{ n: number }>`select count(*) as n from logs where tsv @@ to_tsquery('simple', ${marker})`.execute(db);
    return { rows: Number(rows?.n ?? 0), counted: Number(counts?.n ?? 0), indexed: Number(fullText.rows[0]?.n ?? 0) };
  };
  const settingsPath = () => `/v1/projects/${app.project.id}/logs/settings`;

  it('keeps 30 days by default; workspace admins change it, members and keys only read it', async () => {
    expect((await app.call('GET', settingsPath(), { headers: { 'x-api-key': app.key } })).body.data).toEqual({ retentionDays: 30 });
    const changed = await app.call('PATCH', settingsPath(), { token: app.owner.accessToken, json: { retentionDays: 7 } });
    expect(changed.status).toBe(200);
    expect(changed.body.data).toEqual({ retentionDays: 7 });
    expect((await app.call('GET', settingsPath(), { token: app.owner.accessToken })).body.data).toEqual({ retentionDays: 7 });
    const member = await person(app);
    await addMember(app, app.project.slug, app.owner, member, 'member');
    const cases: Array<[string, Awaited<ReturnType<LogsApp['query']>>, number, string]> = [
      ['a member', await app.call('PATCH', settingsPath(), { token: member.accessToken, json: { retentionDays: 1 } }), 403, 'workspace:role_insufficient'],
      ['a key', await app.call('PATCH', settingsPath(), { headers: { 'x-api-key': app.key }, json: { retentionDays: 1 } }), 401, 'user:unauthorized'],
      ['0 days', await app.call('PATCH', settingsPath(), { token: app.owner.accessToken, json: { retentionDays: 0 } }), 400, 'general:validation_error'],
      ['11 years', await app.call('PATCH', settingsPath(), { token: app.owner.accessToken, json: { retentionDays: 4000 } }), 400, 'general:validation_error'],
    ];
    for (const [who, res, status, code] of cases) expect({ who, status: res.status, code: res.body.error?.code }).toEqual({ who, status, code });
    expect((await app.call('GET', settingsPath(), { token: member.accessToken })).body.data).toEqual({ retentionDays: 7 });
  });

  it('deletes each project’s entries past its retention (rows, full text and counts), and nothing newer', async () => {
    const marker = `aged${Date.now()}`;
    const now = Date.now();
    const other = await app.newProject();
    await app.call('PATCH', settingsPath(), { token: app.owner.accessToken, json: { retentionDays: 2 } });
    // One word per project, so the full-text count (over the whole index) is per project.
    const batch = (word: string) => ({
      entries: [
        entry({ message: `${word} old`, timestamp: now - 3 * DAY }),
        entry({ message: `${word} older`, timestamp: now - 5 * DAY }),
        entry({ message: `${word} recent`, timestamp: now - 1 * DAY }),
        entry({ message: `${word} now` }),
      ],
    });
    expect((await app.ingest(batch(`${marker}m`))).status).toBe(202);
    expect((await app.ingest(batch(`${marker}t`), { key: other.key })).status).toBe(202);
    await app.drained();
    expect(await stored(app.project.id, `${marker}m`)).toMatchObject({ indexed: 4 });

    expect(await app.container.logs.runRetention()).toBeGreaterThanOrEqual(2);
    const left = await app.query({ q: `${marker}m` });
    expect(left.body.data.map((e: { message: string }) => e.message).sort()).toEqual([`${marker}m now`, `${marker}m recent`]);
    expect(await stored(app.project.id, `${marker}m`)).toEqual({ rows: 2, counted: 2, indexed: 2 });
    // The other project keeps the default 30 days.
    expect(await stored(other.project.id, `${marker}t`)).toEqual({ rows: 4, counted: 4, indexed: 4 });
    const histogram = await app.call('GET', `/v1/projects/${app.project.id}/logs/histogram?from=${now - 6 * DAY}&to=${now + 60_000}&interval=1d`, { headers: { 'x-api-key': app.key } });
    expect(histogram.body.data.total).toBe(2);
  });

  it('removes a project’s logs with the project, and a workspace’s with the workspace', async () => {
    const marker = `gone${Date.now()}`;
    const a = await app.newProject();
    const b = await app.newProject();
    for (const p of [a, b]) {
      expect((await app.ingest({ entries: [entry({ message: `${marker} 1` }), entry({ message: `${marker} 2` })] }, { key: p.key })).status).toBe(202);
      await app.call('PATCH', `/v1/projects/${p.project.id}/logs/settings`, { token: app.owner.accessToken, json: { retentionDays: 9 } });
    }
    await app.drained();
    expect(await stored(a.project.id, marker)).toEqual({ rows: 2, counted: 2, indexed: 4 });

    expect((await app.call('DELETE', `/v1/projects/${a.project.id}`, { token: app.owner.accessToken })).status).toBe(200);
    expect(await stored(a.project.id, marker)).toEqual({ rows: 0, counted: 0, indexed: 2 });
    expect((await app.call('DELETE', `/v1/workspaces/${b.project.slug}`, { token: app.owner.accessToken })).status).toBe(200);
    expect(await stored(b.project.id, marker)).toEqual({ rows: 0, counted: 0, indexed: 0 });
    const settings = await app.container.sql.db.selectFrom('log_settings').selectAll().where('project_id', 'in', [a.project.id, b.project.id]).execute();
    expect(settings).toEqual([]);
  });
});
