import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';
import { docScreenshot, navLink, overflow, hasChromium, openPage, signIn, startE2E, verifiedAccount, withScreenshot, type E2E } from './harness.ts';

describe.skipIf(!hasChromium)('console e2e: workspace → project → API key → logs', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  }, 120_000);
  afterAll(() => e2e?.close());

  const ingest = (key: string, entries: unknown[]) => e2e.call('POST', '/v1/logs', { json: { entries }, headers: { authorization: `Bearer ${key}` } });

  it('creates a workspace, a project and a key, then finds the ingested logs in the explorer and the live tail', async () => {
    const who = await verifiedAccount(e2e, 'logs');
    const { context, page } = await openPage(e2e);
    await withScreenshot(page, 'teams-logs-flow', async () => {
      await signIn(page, who);

      // Workspace (the slug follows the name) → project → key.
      await navLink(page, 'Workspaces').click();
      await page.getByLabel('Name', { exact: true }).fill('Acme Shop');
      await expect(page.getByLabel('Slug').inputValue()).resolves.toBe('acme-shop');
      const slug = `acme-shop-${process.pid}`;
      await page.getByLabel('Slug').fill(slug);
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await page.getByRole('heading', { name: 'Acme Shop' }).waitFor();
      await page.getByLabel('Project name').fill('Storefront');
      await page.getByRole('button', { name: 'Create project' }).click();
      await page.getByRole('heading', { name: 'Storefront' }).waitFor();
      const projectId = /\/projects\/([^/]+)$/.exec(new URL(page.url()).pathname)?.[1] ?? '';
      expect(projectId).not.toBe('');

      await page.getByLabel('Key name').fill('storefront ingest');
      await page.getByLabel('logs:read — query and tail logs').check();
      await page.getByRole('button', { name: 'Create key' }).click();
      const secret = (await page.getByTestId('api-key-secret').textContent())?.trim() ?? '';
      expect(secret).toMatch(/^bsk_/);
      await page.getByRole('button', { name: 'Copy' }).waitFor();
      await page.getByTestId('key-storefront ingest').getByText('logs:write').waitFor();

      // Ingest with the key, as an app would; wait until the writer has stored the batch.
      const now = Date.now();
      // Three entries to look for, and 150 from a background worker over the last six hours.
      const background = Array.from({ length: 150 }, (_, i) => ({
        level: i % 17 === 0 ? 'error' : i % 7 === 0 ? 'warn' : i % 3 === 0 ? 'debug' : 'info',
        message: `job ${i} finished in ${(i * 37) % 900} ms`,
        service: 'worker',
        timestamp: now - 90_000 - i * 140_000,
        attributes: { queue: i % 2 === 0 ? 'mail' : 'search' },
      }));
      const sent = await ingest(secret, [
        { level: 'info', message: 'checkout completed for order 4711', service: 'shop', timestamp: now - 60_000, attributes: { http: { status: 200 }, order: 4711 } },
        { level: 'warn', message: 'inventory low for sku basalt-mug', service: 'stock', timestamp: now - 30_000 },
        { level: 'error', message: 'payment gateway timeout after 30s', service: 'shop', timestamp: now - 10_000, traceId: 'trace-e2e-1', attributes: { http: { status: 504 } } },
        ...background,
      ]);
      expect(sent.status).toBe(202);
      expect(sent.body.data).toMatchObject({ accepted: 153, rejected: [] });
      await waitFor(async () => {
        const stored = await e2e.call('GET', `/v1/projects/${projectId}/logs?limit=1000`, { headers: { authorization: `Bearer ${secret}` } });
        return stored.status === 200 && stored.body.data.length === 153;
      }, 30_000);

      // The explorer: the newest page and the histogram; the rest as the list scrolls.
      await page.getByRole('link', { name: 'Open logs' }).click();
      const entries = page.getByTestId('log-entry');
      const count = (n: number) => waitFor(async () => (await entries.count()) === n, 20_000);
      await entries.filter({ hasText: 'payment gateway timeout after 30s' }).waitFor();
      await page.getByTestId('histogram').waitFor();
      await page.getByText('153 entries', { exact: false }).first().waitFor();
      expect(await entries.count()).toBe(100);
      await entries.last().scrollIntoViewIfNeeded();
      await count(153);
      await page.getByText('End of results.').waitFor();

      // Narrowed by text, by a field, by level, by a nested attribute.
      await page.getByLabel('Text', { exact: true }).fill('timeout');
      await page.getByRole('button', { name: 'Search' }).click();
      await count(1);
      await entries.first().getByText('payment gateway timeout after 30s').waitFor();
      await page.getByLabel('Text', { exact: true }).fill('');
      await page.getByLabel('Field filter').fill('service=shop');
      await page.getByRole('button', { name: 'Search' }).click();
      await count(2);
      await page.getByLabel('Level').selectOption('error');
      await count(1);
      await page.getByRole('button', { name: 'Remove service filter' }).click();
      await page.getByLabel('Level').selectOption('');
      await page.getByLabel('Field filter').fill('http.status=200');
      await page.getByRole('button', { name: 'Search' }).click();
      await count(1);
      await entries.first().getByText('checkout completed for order 4711').waitFor();
      // An entry opens to its attributes; its service becomes a filter with a click.
      await entries.first().getByRole('button').first().click();
      await entries.first().getByText('"order": 4711').waitFor();
      await page.getByRole('button', { name: 'Remove http.status filter' }).click();
      const payment = entries.filter({ hasText: 'payment gateway timeout after 30s' });
      await payment.getByRole('button').first().click();
      await payment.getByRole('button', { name: 'shop', exact: true }).click();
      await count(2);

      // The hot cache (kv) holds the same recent arrivals.
      await page.getByRole('button', { name: 'kv', exact: true }).click();
      await count(2);
      await page.getByRole('button', { name: 'd1', exact: true }).click();
      await page.getByRole('button', { name: 'Remove service filter' }).click();
      await page.getByLabel('Time range').selectOption('6h');
      await count(100);
      await docScreenshot(page, 'log-explorer');

      // Live tail: an entry sent now shows up without a reload.
      await page.getByLabel('Live tail').check();
      await page.getByText('live', { exact: true }).waitFor();
      expect((await ingest(secret, [{ level: 'info', message: 'live tail says hello', service: 'shop' }])).status).toBe(202);
      await entries.filter({ hasText: 'live tail says hello' }).waitFor();
      expect(await overflow(page)).toBe('');
      await page.setViewportSize({ width: 375, height: 812 });
      expect(await overflow(page)).toBe('');
      await docScreenshot(page, 'log-explorer-mobile');

      // A key shown once is revoked from the project page.
      await page.getByRole('link', { name: 'Storefront' }).click();
      const key = page.getByTestId('key-storefront ingest');
      await key.getByRole('button', { name: 'Revoke' }).click();
      await key.getByRole('button', { name: 'Revoke now' }).click();
      await key.waitFor({ state: 'detached' });
      expect(await overflow(page)).toBe('');
      const refused = await ingest(secret, [{ level: 'info', message: 'after revocation' }]);
      expect(refused.status).toBe(401);
    });
    await context.close();
  }, 120_000);
});
