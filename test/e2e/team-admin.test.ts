import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepo } from '../../src/modules/accounts/repo.ts';
import { docScreenshot, navLink, openPage, overflow, hasChromium, signIn, startE2E, verifiedAccount, withScreenshot, type E2E } from './harness.ts';

describe.skipIf(!hasChromium)('console e2e: invitations, magic link, roles, transfer, admin', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  }, 120_000);
  afterAll(() => e2e?.close());

  it('invites by e-mail; the invitee signs in by magic link and accepts; roles and ownership change; an admin bans and unbans', async () => {
    const owner = await verifiedAccount(e2e, 'owner');
    const invitee = await verifiedAccount(e2e, 'invitee');
    // The workspace through the API (creating one in the UI is in teams-logs.test.ts).
    const login = await e2e.call('POST', '/v1/auth/login', { json: { login: owner.handle, password: owner.password } });
    const slug = `team-${process.pid}`;
    expect((await e2e.call('POST', '/v1/workspaces', { json: { name: 'Team Basalt', slug }, token: login.body.data.accessToken })).status).toBe(201);

    const a = await openPage(e2e);
    const b = await openPage(e2e, { width: 375, height: 812 });
    await withScreenshot(a.page, 'team-admin-owner', async () => {
      await signIn(a.page, owner);
      await a.page.getByRole('combobox', { name: 'Switch workspace' }).selectOption(slug);
      await a.page.getByRole('heading', { name: 'Team Basalt' }).waitFor();
      await a.page.getByRole('tab', { name: 'Invitations' }).click();
      await a.page.getByLabel('E-mail').fill(invitee.email);
      await a.page.getByRole('button', { name: 'Send invitation' }).click();
      await a.page.getByText(`Invitation sent to ${invitee.email}`).waitFor();
      await a.page.getByRole('region', { name: 'Pending invitations' }).getByText(invitee.email).waitFor();
    });

    await withScreenshot(b.page, 'team-admin-invitee', async () => {
      // Magic link, on a phone-sized screen: request, open the mail, continue.
      await b.page.goto('/sign-in');
      await b.page.getByRole('tab', { name: 'Magic link' }).click();
      await b.page.getByLabel('E-mail').fill(invitee.email);
      await b.page.getByRole('button', { name: 'E-mail me a sign-in link' }).click();
      await b.page.getByText('Open the link in the e-mail to sign in.').waitFor();
      await b.page.getByRole('link', { name: 'mailbox' }).click();
      await b.page.getByTestId('mail-item').filter({ hasText: 'Your sign-in link' }).filter({ hasText: invitee.email }).first().click();
      await b.page.getByTestId('mail-message').locator('a[href*="/magic-link?token="]').click();
      await b.page.getByRole('button', { name: 'Continue signing in' }).click();
      await b.page.getByRole('heading', { name: 'Overview' }).waitFor();

      // The invitation mail's link, signed in as the invited address.
      await b.page.goto('/mailbox');
      await b.page.getByTestId('mail-item').filter({ hasText: 'invited you to Team Basalt' }).first().click();
      await b.page.getByTestId('mail-message').locator('a[href*="/invitations/"]').click();
      await b.page.getByRole('button', { name: 'Accept invitation' }).click();
      await b.page.getByRole('heading', { name: 'Team Basalt' }).waitFor();
      await b.page.getByText('you are member').waitFor();
      expect(await overflow(b.page)).toBe('');
    });

    await withScreenshot(a.page, 'team-admin-owner-2', async () => {
      // Members: the new member becomes an admin, then the owner hands the workspace over.
      await a.page.getByRole('tab', { name: 'Members' }).click();
      const member = a.page.getByTestId(`member-${invitee.handle}`);
      await member.getByRole('button', { name: 'Make admin' }).click();
      await member.getByText('admin', { exact: true }).waitFor();
      await a.page.getByRole('tab', { name: 'Settings' }).click();
      await a.page.getByRole('combobox', { name: 'New owner' }).selectOption({ label: `@${invitee.handle} (admin)` });
      await a.page.getByRole('button', { name: 'Transfer ownership' }).click();
      await a.page.getByText(`@${invitee.handle} now owns this workspace`).waitFor();
      const members = await e2e.call('GET', `/v1/workspaces/${slug}/members`, { token: login.body.data.accessToken });
      expect(Object.fromEntries((members.body.data as Array<{ handle: string; role: string }>).map((m) => [m.handle, m.role]))).toEqual({ [owner.handle]: 'admin', [invitee.handle]: 'owner' });

      // An operator makes the owner an admin (as `basalt admin promote` does); the admin page appears.
      const users = new UsersRepo(e2e.container.sql.db);
      const row = await users.findByHandle(owner.handle);
      await users.update(row?.id ?? '', { role: 'admin', updated_at: Date.now() });
      await a.page.reload();
      await navLink(a.page, 'Users (admin)').click();
      await a.page.getByRole('searchbox', { name: 'Search users' }).fill(invitee.handle.slice(0, 10));
      const row2 = a.page.getByTestId(`user-${invitee.handle}`);
      await row2.waitFor();
      await row2.getByLabel(`Ban reason for ${invitee.handle}`).fill('spam from e2e');
      await row2.getByRole('button', { name: 'Ban' }).click();
      await row2.getByText('banned: spam from e2e').waitFor();
      await docScreenshot(a.page, 'admin-users');
      await row2.getByRole('button', { name: 'Unban' }).click();
      await row2.getByText('banned').waitFor({ state: 'detached' });
    });

    // The ban ended the invitee's sessions: their console is signed out on its next call.
    await withScreenshot(b.page, 'team-admin-invitee-2', async () => {
      await b.page.reload();
      await b.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
    await a.context.close();
    await b.context.close();
  }, 120_000);
});
