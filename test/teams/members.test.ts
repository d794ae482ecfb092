import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { addMember, createWorkspace, expectStatus, owners, person, type Person } from './harness.ts';

describe.each(stacks())('members, roles, leaving and ownership transfer ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
  });
  afterAll(() => app.close());

  /** A workspace with an owner, an admin and `extra` plain members. */
  async function team(extra = 1) {
    const owner = await person(app);
    const admin = await person(app);
    const ws = await createWorkspace(app, owner);
    await addMember(app, ws.slug, owner, admin, 'admin');
    const members: Person[] = [];
    for (let i = 0; i < extra; i++) {
      const m = await person(app);
      await addMember(app, ws.slug, admin, m, 'member');
      members.push(m);
    }
    return { ws, owner, admin, members, path: `/v1/workspaces/${ws.slug}` };
  }

  it('lists members with their roles and public profile only', async () => {
    const t = await team(2);
    const res = await app.call('GET', `${t.path}/members`, { token: t.members[0]?.accessToken });
    expectStatus(res, 200);
    const byId = new Map((res.body.data as Array<{ userId: string; role: string; handle: string }>).map((m) => [m.userId, m]));
    expect(byId.get(t.owner.id)).toMatchObject({ role: 'owner', handle: t.owner.handle });
    expect(byId.get(t.admin.id)?.role).toBe('admin');
    expect(byId.size).toBe(4);
    expect(res.text).not.toContain(t.owner.email);
    const page = await app.call('GET', `${t.path}/members?limit=3`, { token: t.owner.accessToken });
    expect(page.body.data).toHaveLength(3);
    const rest = await app.call('GET', `${t.path}/members?limit=3&cursor=${page.body.meta.nextCursor}`, { token: t.owner.accessToken });
    expect(rest.body.data).toHaveLength(1);
  });

  it('admins change roles; members cannot; nobody touches the owner’s role', async () => {
    const t = await team(2);
    const [m1, m2] = t.members as [Person, Person];
    const promoted = await app.call('PATCH', `${t.path}/members/${m1.id}`, { token: t.admin.accessToken, json: { role: 'admin' } });
    expectStatus(promoted, 200);
    expect(promoted.body.data).toMatchObject({ userId: m1.id, role: 'admin' });
    // The new admin can now demote another admin (admins manage everyone below the owner).
    expectStatus(await app.call('PATCH', `${t.path}/members/${t.admin.id}`, { token: m1.accessToken, json: { role: 'member' } }), 200);
    expectStatus(await app.call('PATCH', `${t.path}/members/${m1.id}`, { token: m2.accessToken, json: { role: 'member' } }), 403, 'workspace:role_insufficient');
    expectStatus(await app.call('PATCH', `${t.path}/members/${t.owner.id}`, { token: m1.accessToken, json: { role: 'member' } }), 403, 'workspace:owner_protected');
    expectStatus(await app.call('PATCH', `${t.path}/members/me`, { token: t.owner.accessToken, json: { role: 'admin' } }), 403, 'workspace:owner_protected');
    expectStatus(await app.call('PATCH', `${t.path}/members/${m2.id}`, { token: t.owner.accessToken, json: { role: 'owner' } }), 400, 'general:validation_error');
    const stranger = await person(app);
    expectStatus(await app.call('PATCH', `${t.path}/members/${stranger.id}`, { token: t.owner.accessToken, json: { role: 'admin' } }), 404, 'workspace:member_not_found');
    expect(await owners(app, t.ws.id)).toEqual([t.owner.id]);
  });

  it('admins remove members; members cannot; the removed lose access at once', async () => {
    const t = await team(2);
    const [m1, m2] = t.members as [Person, Person];
    expectStatus(await app.call('DELETE', `${t.path}/members/${m2.id}`, { token: m1.accessToken }), 403, 'workspace:role_insufficient');
    expectStatus(await app.call('DELETE', `${t.path}/members/${m2.id}`, { token: t.admin.accessToken }), 200);
    expectStatus(await app.call('GET', t.path, { token: m2.accessToken }), 404, 'workspace:not_found');
    expectStatus(await app.call('DELETE', `${t.path}/members/${m2.id}`, { token: t.admin.accessToken }), 404, 'workspace:member_not_found');
    expectStatus(await app.call('DELETE', `${t.path}/members/${t.owner.id}`, { token: t.admin.accessToken }), 403, 'workspace:owner_protected');
  });

  it('anyone but the owner can leave; the owner transfers first', async () => {
    const t = await team(1);
    const m = t.members[0] as Person;
    expectStatus(await app.call('DELETE', `${t.path}/members/me`, { token: m.accessToken }), 200);
    expectStatus(await app.call('GET', t.path, { token: m.accessToken }), 404, 'workspace:not_found');
    expectStatus(await app.call('DELETE', `${t.path}/members/${t.owner.id}`, { token: t.owner.accessToken }), 403, 'workspace:owner_protected');
    expectStatus(await app.call('DELETE', `${t.path}/members/me`, { token: t.owner.accessToken }), 403, 'workspace:owner_protected');
    expectStatus(await app.call('POST', `${t.path}/transfer`, { token: t.owner.accessToken, json: { userId: t.admin.id } }), 200);
    expectStatus(await app.call('DELETE', `${t.path}/members/me`, { token: t.owner.accessToken }), 200);
    expect(await owners(app, t.ws.id)).toEqual([t.admin.id]);
  });

  it('transfers ownership: owner only, to a member; the previous owner becomes admin', async () => {
    const t = await team(1);
    const m = t.members[0] as Person;
    const notOwner = await app.call('POST', `${t.path}/transfer`, { token: t.admin.accessToken, json: { userId: t.admin.id } });
    expectStatus(notOwner, 403, 'workspace:owner_only');
    expect(notOwner.body.error?.message).toBe('Only owner can transfer');
    const stranger = await person(app);
    expectStatus(await app.call('POST', `${t.path}/transfer`, { token: t.owner.accessToken, json: { userId: stranger.id } }), 404, 'workspace:member_not_found');
    expectStatus(await app.call('POST', `${t.path}/transfer`, { token: t.owner.accessToken, json: { userId: t.owner.id } }), 400, 'general:validation_error');
    expect(await owners(app, t.ws.id)).toEqual([t.owner.id]);

    const res = await app.call('POST', `${t.path}/transfer`, { token: t.owner.accessToken, json: { userId: m.id } });
    expectStatus(res, 200);
    expect(res.body.data.owner).toMatchObject({ userId: m.id, role: 'owner' });
    expect(res.body.data.previousOwner).toMatchObject({ userId: t.owner.id, role: 'admin' });
    expect(await owners(app, t.ws.id)).toEqual([m.id]);
    // The old owner is an admin now: admin actions work, owner-only ones do not.
    expectStatus(await app.call('PATCH', t.path, { token: t.owner.accessToken, json: { name: 'Still admin' } }), 200);
    expectStatus(await app.call('DELETE', t.path, { token: t.owner.accessToken }), 403, 'workspace:role_insufficient');
    expectStatus(await app.call('POST', `${t.path}/transfer`, { token: t.owner.accessToken, json: { userId: t.owner.id } }), 403, 'workspace:owner_only');
  });

  it('concurrent transfers from one owner to different members: exactly one wins, one owner after', async () => {
    const t = await team(5);
    const targets = [t.admin, ...t.members];
    const results = await Promise.all(targets.map((p) => app.call('POST', `${t.path}/transfer`, { token: t.owner.accessToken, json: { userId: p.id } })));
    const winners = results.flatMap((r, i) => (r.status === 200 ? [targets[i] as Person] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status !== 200) expectStatus(r, 403, 'workspace:owner_only');
    expect(await owners(app, t.ws.id)).toEqual([winners[0]?.id]);
  });

  it('two transfers racing from different owners-to-be (A→B while A→C and B→D): one owner after', async () => {
    const t = await team(3);
    const [b, c, d] = t.members as [Person, Person, Person];
    for (let round = 0; round < 3; round++) {
      const current = (await owners(app, t.ws.id))[0] as string;
      const everyone = [t.owner, t.admin, b, c, d];
      const from = everyone.find((p) => p.id === current) as Person;
      const others = everyone.filter((p) => p.id !== current);
      // The current owner hands off twice at once, while the first recipient tries to pass it on.
      const [x, y, z] = others as [Person, Person, Person];
      const results = await Promise.all([
        app.call('POST', `${t.path}/transfer`, { token: from.accessToken, json: { userId: x.id } }),
        app.call('POST', `${t.path}/transfer`, { token: from.accessToken, json: { userId: y.id } }),
        app.call('POST', `${t.path}/transfer`, { token: x.accessToken, json: { userId: z.id } }),
      ]);
      expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
      for (const r of results) if (r.status !== 200) expectStatus(r, 403, 'workspace:owner_only');
      const after = await owners(app, t.ws.id);
      expect(after).toHaveLength(1);
      const roles = await app.container.sql.db.selectFrom('workspace_members').select(['user_id', 'role']).where('workspace_id', '=', t.ws.id).execute();
      expect(roles).toHaveLength(5);
      expect(roles.filter((r) => r.role === 'owner')).toHaveLength(1);
    }
  });
});
