import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openPage, signIn, startE2E, verifiedAccount, withScreenshot, type E2E } from './harness.ts';

// Changing and removing what was made: posts, projects, invitations and workspaces, each
// through the console's own controls (two-step confirm buttons), checked against the API.
describe.skipIf(!hasChromium)('console e2e: edit and delete', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  }, 120_000);
  afterAll(() => e2e?.close());

  async function tokenOf(who: { handle: string; password: string }): Promise<string> {
    const res = await e2e.call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } });
    return res.body.data.accessToken as string;
  }

  it('edits a post, then deletes it', async () => {
    const who = await verifiedAccount(e2e, 'editor');
    const token = await tokenOf(who);
    const post = await e2e.call('POST', '/v1/posts', { token, json: { title: `Draft ${process.pid}`, body: 'first words' } });
    expect(post.status).toBe(201);
    const { context, page } = await openPage(e2e);
    await withScreenshot(page, 'manage-post', async () => {
      await signIn(page, who);
      await page.goto(`/posts/${post.body.data.id}`);
      await page.getByRole('heading', { name: `Draft ${process.pid}` }).waitFor();
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Title').fill(`Final ${process.pid}`);
      await page.getByLabel('Body (Markdown)').fill('The **final** words.');
      await page.getByRole('button', { name: 'Save post' }).click();
      await page.getByRole('heading', { name: `Final ${process.pid}` }).waitFor();
      await page.locator('.post-body strong', { hasText: 'final' }).waitFor();
      expect((await e2e.call('GET', `/v1/posts/${post.body.data.id}`)).body.data.title).toBe(`Final ${process.pid}`);

      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL('**/posts');
      expect((await e2e.call('GET', `/v1/posts/${post.body.data.id}`)).status).toBe(404);
    });
    await context.close();
  }, 120_000);

  it('renames and deletes a project, revokes an invitation, renames and deletes the workspace', async () => {
    const who = await verifiedAccount(e2e, 'owner');
    const token = await tokenOf(who);
    const slug = `manage-${process.pid}`;
    expect((await e2e.call('POST', '/v1/workspaces', { token, json: { name: 'Manage Co', slug } })).status).toBe(201);
    const project = (await e2e.call('POST', `/v1/workspaces/${slug}/projects`, { token, json: { name: 'Old name' } })).body.data as { id: string };
    const invited = await e2e.call('POST', `/v1/workspaces/${slug}/invitations`, { token, json: { email: `guest.${process.pid}@example.test`, role: 'member' } });
    expect(invited.status).toBe(201);

    const { context, page } = await openPage(e2e);
    await withScreenshot(page, 'manage-workspace', async () => {
      await signIn(page, who);

      // Project: rename, then delete (back to the workspace).
      await page.goto(`/workspaces/${slug}/projects/${project.id}`);
      await page.getByRole('heading', { name: 'Old name' }).waitFor();
      await page.getByLabel('Project name').fill('New name');
      await page.getByRole('region', { name: 'Rename' }).getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'New name' }).waitFor();
      expect((await e2e.call('GET', `/v1/projects/${project.id}`, { token })).body.data.name).toBe('New name');
      await page.getByRole('button', { name: 'Delete project' }).click();
      await page.getByRole('button', { name: 'Delete for good' }).click();
      await page.waitForURL(`**/workspaces/${slug}`);
      expect((await e2e.call('GET', `/v1/projects/${project.id}`, { token })).status).toBe(404);

      // Invitation: revoked from the pending list.
      await page.getByRole('tab', { name: 'Invitations' }).click();
      const pending = page.getByRole('listitem').filter({ hasText: `guest.${process.pid}@example.test` });
      await pending.waitFor();
      await pending.getByRole('button', { name: 'Revoke' }).click();
      await pending.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText('No pending invitations.').waitFor();
      expect((await e2e.call('GET', `/v1/workspaces/${slug}/invitations`, { token })).body.data).toEqual([]);

      // Workspace: rename (name and slug), then delete.
      await page.getByRole('tab', { name: 'Settings' }).click();
      await page.getByLabel('Name').fill('Renamed Co');
      await page.getByLabel('Slug').fill(`${slug}-2`);
      await page.getByRole('region', { name: 'General' }).getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(`**/workspaces/${slug}-2`);
      expect((await e2e.call('GET', `/v1/workspaces/${slug}-2`, { token })).body.data.name).toBe('Renamed Co');
      await page.getByRole('tab', { name: 'Settings' }).click();
      await page.getByRole('button', { name: 'Delete workspace' }).click();
      await page.getByRole('button', { name: `Delete ${slug}-2` }).click();
      await page.waitForURL('**/workspaces');
      expect((await e2e.call('GET', `/v1/workspaces/${slug}-2`, { token })).status).toBe(404);
    });
    await context.close();
  }, 120_000);
});
