import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { addMember, createProject, createWorkspace, expectStatus, person } from './harness.ts';

describe.each(stacks())('deleting an account that owns workspaces ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  it('a workspace owned alone goes with the account, projects included', async () => {
    const owner = await person(app);
    const ws = await createWorkspace(app, owner);
    const project = await createProject(app, ws.slug, owner);
    expectStatus(await app.call('DELETE', '/v1/me', { token: owner.accessToken }), 200);
    expect(await app.container.sql.db.selectFrom('workspaces').select('id').where('id', '=', ws.id).executeTakeFirst()).toBeUndefined();
    expect(await app.container.sql.db.selectFrom('projects').select('id').where('id', '=', project.id).executeTakeFirst()).toBeUndefined();
  });

  it('a workspace shared with others blocks deletion until ownership is transferred', async () => {
    const owner = await person(app);
    const member = await person(app);
    const ws = await createWorkspace(app, owner);
    await addMember(app, ws.slug, owner, member, 'admin');
    const refused = await app.call('DELETE', '/v1/me', { token: owner.accessToken });
    expectStatus(refused, 403, 'workspace:owner_protected');
    expect(refused.body.error?.details).toEqual([expect.objectContaining({ field: 'workspace', issue: expect.stringContaining(ws.slug) })]);
    // Nothing was removed: the owner still signs in and still owns it.
    expectStatus(await app.call('GET', `/v1/workspaces/${ws.slug}`, { token: owner.accessToken }), 200);
    expectStatus(await app.call('POST', `/v1/workspaces/${ws.slug}/transfer`, { token: owner.accessToken, json: { userId: member.id } }), 200);
    expectStatus(await app.call('DELETE', '/v1/me', { token: owner.accessToken }), 200);
    const after = await app.call('GET', `/v1/workspaces/${ws.slug}/members`, { token: member.accessToken });
    expectStatus(after, 200);
    expect(after.body.data.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([[member.id, 'owner']]);
  });
});
