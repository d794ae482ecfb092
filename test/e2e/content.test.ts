import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';
import { docScreenshot, dropFiles, navLink, overflow, hasChromium, openPage, signIn, startE2E, verifiedAccount, withScreenshot, type E2E } from './harness.ts';

describe.skipIf(!hasChromium)('console e2e: files, posts and search', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E({ MAX_UPLOAD_BYTES: String(64 * 1024) });
  }, 120_000);
  afterAll(() => e2e?.close());

  it('uploads a file by drag and drop, publishes a post with it, and finds the post by type-ahead search', async () => {
    const who = await verifiedAccount(e2e, 'content');
    const { context, page } = await openPage(e2e);
    await withScreenshot(page, 'content-flow', async () => {
      await signIn(page, who);
      // The overview's live activity (GET /v1/events): a sign-in elsewhere shows up.
      const activity = page.getByRole('region', { name: 'Live activity' });
      await activity.getByText('live', { exact: true }).waitFor();
      expect((await e2e.call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } })).status).toBe(200);
      await activity.getByTestId('activity').getByText('session.created').waitFor();

      // Drag and drop: a real `drop` event carrying a DataTransfer with the file.
      await navLink(page, 'Files').click();
      const dropzone = page.getByTestId('dropzone');
      await dropFiles(dropzone, [{ name: 'release-notes.txt', type: 'text/plain', text: 'Release notes: the console has a log explorer.\n'.repeat(200) }]);
      const file = page.getByTestId('file-release-notes.txt');
      await file.waitFor();
      await file.getByText('text/plain').waitFor();
      await page.getByTestId('storage-usage').getByText(/ used · files up to 64/).waitFor();

      // The list is the server's (GET /v1/files), not this browser's memory: a file uploaded
      // elsewhere (over the API) shows after a reload.
      const session = await e2e.call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } });
      const elsewhere = new FormData();
      elsewhere.append('file', new Blob(['uploaded with curl\n'], { type: 'text/plain' }), 'from-the-api.txt');
      expect((await e2e.call('POST', '/v1/files', { token: session.body.data.accessToken, body: elsewhere })).status).toBe(201);
      await page.reload();
      await page.getByTestId('file-from-the-api.txt').waitFor();
      await page.getByTestId('file-release-notes.txt').waitFor();

      // A refused upload shows the API's message and code (this server takes up to 64 KiB).
      await dropFiles(dropzone, [{ name: 'too-large.bin', bytes: 200 * 1024 }]);
      const refused = page.getByTestId('error').filter({ hasText: 'too-large.bin was not uploaded' });
      await refused.waitFor();
      await expect(refused.getAttribute('data-code')).resolves.toBe('FILE_TOO_LARGE');

      // A post with the file attached.
      const title = `Console launch ${process.pid}`;
      await navLink(page, 'Posts').click();
      await page.getByRole('tab', { name: 'New post' }).click();
      await page.getByLabel('Title').fill(title);
      await page.getByLabel('Body (Markdown)').fill('The **console** ships with a log explorer and *live tail*.');
      await page.getByLabel('release-notes.txt').check();
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByRole('heading', { name: title }).waitFor();
      await page.locator('.post-body strong', { hasText: 'console' }).waitFor();
      await page.getByRole('button', { name: 'release-notes.txt' }).waitFor();

      // Search once the indexer has the post; the page queries as the user types.
      await waitFor(async () => {
        const r = await e2e.call('GET', `/v1/search?q=${encodeURIComponent(`launch ${process.pid}`)}`);
        return r.status === 200 && r.body.data.length > 0;
      }, 30_000);
      await navLink(page, 'Search').click();
      await page.getByRole('searchbox', { name: 'Search query' }).pressSequentially(`console laun`, { delay: 20 });
      const result = page.getByTestId('search-result').filter({ hasText: title });
      await result.waitFor();
      await result.locator('mark').first().waitFor();
      // The snippet is escaped text with the matches marked, spaces and all.
      expect(await result.locator('.snippet').textContent()).toContain(`launch ${process.pid}`);
      await docScreenshot(page, 'search');
      expect(await overflow(page)).toBe('');
      await page.setViewportSize({ width: 375, height: 812 });
      expect(await overflow(page)).toBe('');
      await result.getByRole('link').click();
      await page.getByRole('heading', { name: title }).waitFor();
      // The author's public profile lists the post.
      await page.getByRole('main').getByRole('link', { name: `@${who.handle}` }).click();
      await page.getByRole('heading', { name: `@${who.handle}` }).waitFor();
      await page.getByRole('region', { name: 'Posts' }).getByRole('link', { name: title }).waitFor();
    });
    await context.close();
  }, 120_000);
});
