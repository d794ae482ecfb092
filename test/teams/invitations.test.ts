import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/lib/crypto.ts';
import { linkToken } from '../helpers/smtp.ts';
import { login, register, stacks, startAccountsApp, verifiedUser, type AccountsApp } from '../accounts/harness.ts';
import { createWorkspace, expectStatus, freshEmail, invite, person, type Person } from './harness.ts';

describe.each(stacks())('invitations ($name)', (stack) => {
  let app: AccountsApp;
  let owner: Person;
  let ws: { id: string; slug: string; name: string };
  beforeAll(async () => {
    app = await startAccountsApp({ stack });
    owner = await person(app);
    ws = await createWorkspace(app, owner, 'Invite Co');
  });
  afterAll(() => app.close());

  const accept = (token: string, who: { accessToken: string }) => app.call('POST', `/v1/invitations/${encodeURIComponent(token)}/accept`, { token: who.accessToken });

  it('mails a link; a verified account with that e-mail joins with the invited role, once', async () => {
    const ada = await verifiedUser(app);
    const before = app.smtp.messages.length;
    const res = await app.call('POST', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken, json: { email: ada.email.toUpperCase(), role: 'admin' } });
    expectStatus(res, 201);
    expect(res.body.data).toMatchObject({ email: ada.email, role: 'admin', invitedBy: owner.id });
    expect(Date.parse(res.body.data.expiresAt) - Date.parse(res.body.data.createdAt)).toBe(7 * 24 * 3600 * 1000);
    const mail = await app.smtp.waitForMail((m) => app.smtp.messages.indexOf(m) >= before && m.to.includes(ada.email));
    expect(mail.subject).toContain('Invite Co');
    expect(mail.text).toContain(owner.handle);
    const token = linkToken(mail, '/invitations/');
    expect(token.length).toBeGreaterThanOrEqual(43);

    const joined = await accept(token, ada);
    expectStatus(joined, 200);
    expect(joined.body.data.workspace).toMatchObject({ id: ws.id, slug: ws.slug, role: 'admin' });
    expectStatus(await app.call('GET', `/v1/workspaces/${ws.slug}`, { token: ada.accessToken }), 200);
    expectStatus(await accept(token, ada), 400, 'invitation:invalid');
    // No longer pending.
    const pending = await app.call('GET', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken });
    expect((pending.body.data as Array<{ email: string }>).some((i) => i.email === ada.email)).toBe(false);
  });

  it('stores only the SHA-256 of the token', async () => {
    const email = freshEmail();
    const token = await invite(app, ws.slug, owner, email);
    const rows = await app.container.sql.db.selectFrom('workspace_invitations').selectAll().where('email', '=', email).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('refuses the wrong account without spending the invitation, and an unverified one', async () => {
    const bob = await person(app);
    const token = await invite(app, ws.slug, owner, bob.email);
    const eve = await person(app);
    const wrong = await accept(token, eve);
    expectStatus(wrong, 403, 'invitation:email_mismatch');
    expectStatus(await app.call('GET', `/v1/workspaces/${ws.slug}`, { token: eve.accessToken }), 404, 'workspace:not_found');
    expectStatus(await accept(token, bob), 200);

    const unverified = await register(app.call);
    const t2 = await invite(app, ws.slug, owner, unverified.email);
    const session = await login(app.call, unverified);
    expectStatus(await accept(t2, session), 403, 'user:not_verified');
    expectStatus(await app.call('POST', `/v1/invitations/${t2}/accept`), 401, 'user:unauthorized');
  });

  it('an unknown token is invalid; an expired one says so', async () => {
    const someone = await person(app);
    expectStatus(await accept('not-a-real-invitation-token', someone), 400, 'invitation:invalid');
    const token = await invite(app, ws.slug, owner, someone.email);
    await app.container.sql.db.updateTable('workspace_invitations').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', sha256(token)).execute();
    expectStatus(await accept(token, someone), 400, 'invitation:expired');
  });

  it('lists and revokes pending invitations; a revoked link is invalid; a new invitation replaces the old', async () => {
    const who = await person(app);
    const first = await invite(app, ws.slug, owner, who.email, 'member');
    const second = await invite(app, ws.slug, owner, who.email, 'admin');
    expect(second).not.toBe(first);
    expectStatus(await accept(first, who), 400, 'invitation:invalid');

    const list = await app.call('GET', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken });
    expectStatus(list, 200);
    const mine = (list.body.data as Array<{ id: string; email: string; role: string }>).filter((i) => i.email === who.email);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.role).toBe('admin');
    const id = mine[0]?.id as string;
    expectStatus(await app.call('DELETE', `/v1/workspaces/${ws.slug}/invitations/${id}`, { token: owner.accessToken }), 200);
    expectStatus(await app.call('DELETE', `/v1/workspaces/${ws.slug}/invitations/${id}`, { token: owner.accessToken }), 404, 'invitation:not_found');
    expectStatus(await app.call('DELETE', `/v1/workspaces/${ws.slug}/invitations/inv_unknown`, { token: owner.accessToken }), 404, 'invitation:not_found');
    expectStatus(await accept(second, who), 400, 'invitation:invalid');
  });

  it('an invitation of another workspace cannot be revoked through mine', async () => {
    const other = await person(app);
    const otherWs = await createWorkspace(app, other);
    await invite(app, otherWs.slug, other, freshEmail());
    const [theirs] = (await app.call('GET', `/v1/workspaces/${otherWs.slug}/invitations`, { token: other.accessToken })).body.data as Array<{ id: string }>;
    expectStatus(await app.call('DELETE', `/v1/workspaces/${ws.slug}/invitations/${theirs?.id}`, { token: owner.accessToken }), 404, 'invitation:not_found');
    expect((await app.call('GET', `/v1/workspaces/${otherWs.slug}/invitations`, { token: other.accessToken })).body.data).toHaveLength(1);
  });

  it('inviting a member is 409 workspace:already_member; bad input is 400', async () => {
    expectStatus(
      await app.call('POST', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken, json: { email: owner.email } }),
      409,
      'workspace:already_member',
    );
    expectStatus(await app.call('POST', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken, json: { email: 'nope' } }), 400, 'general:validation_error');
    expectStatus(
      await app.call('POST', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken, json: { email: freshEmail(), role: 'owner' } }),
      400,
      'general:validation_error',
    );
  });

  it('someone already a member keeps their role when accepting a second invitation', async () => {
    const who = await person(app);
    const token = await invite(app, ws.slug, owner, who.email, 'admin');
    // They became a member some other way meanwhile (written directly: the API has no second way in).
    await app.container.sql.db.insertInto('workspace_members').values({ workspace_id: ws.id, user_id: who.id, role: 'member', created_at: Date.now(), updated_at: Date.now() }).execute();
    const res = await accept(token, who);
    expectStatus(res, 200);
    expect(res.body.data.workspace.role).toBe('member');
  });

  it('N concurrent accepts of one invitation: exactly one joins', async () => {
    const who = await person(app);
    const token = await invite(app, ws.slug, owner, who.email);
    const results = await Promise.all(Array.from({ length: 10 }, () => accept(token, who)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results) if (r.status !== 200) expectStatus(r, 400, 'invitation:invalid');
    const rows = await app.container.sql.db.selectFrom('workspace_members').select('role').where('workspace_id', '=', ws.id).where('user_id', '=', who.id).execute();
    expect(rows).toEqual([{ role: 'member' }]);
  });

  it('a mail that cannot be sent withdraws the invitation and says so', async () => {
    const email = freshEmail();
    app.smtp.mode = 'refuse-rcpt';
    try {
      const res = await app.call('POST', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken, json: { email } });
      expectStatus(res, 502, 'worker:verification_email_send_failed');
      expect(res.body.error?.message).toBe('Invitation email failed to send');
    } finally {
      app.smtp.mode = 'accept';
    }
    const list = await app.call('GET', `/v1/workspaces/${ws.slug}/invitations`, { token: owner.accessToken });
    expect((list.body.data as Array<{ email: string }>).some((i) => i.email === email)).toBe(false);
  });
});
