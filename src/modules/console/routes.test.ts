import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/backends.ts';
import { waitFor } from '../../../test/helpers/net.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { consoleRoutes } from './routes.ts';

const INDEX = `<!doctype html><html><head><meta name="basalt-config" content="" /><title>Basalt console</title>
<script type="module" crossorigin src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>`;
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

function writeBuild(dir: string) {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), SCRIPT);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'index.html'), INDEX);
}

/** An app whose console serves `distDir` (mounted by `extend`, so ahead of the default one). */
async function appWithDist(distDir: string, env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({
    env: { RATE_LIMIT_ENABLED: 'false', APP_NAME: 'Acme <Backend>', ...env },
    extend: (app) => app.route('/', consoleRoutes({ distDir, config: { appName: 'Acme <Backend>', devMailbox: false, oauthProviders: ['github'] } })),
  });
}

describe('console: serving web/dist', () => {
  const dist = tempDir('basalt-console-');
  let t: TestApp;
  beforeAll(async () => {
    writeBuild(dist.path);
    t = await appWithDist(dist.path);
  });
  afterAll(async () => {
    await t.close();
    dist.remove();
  });

  it('answers / with index.html carrying the runtime settings, revalidated, under a strict policy', async () => {
    const res = await t.call('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const meta = /<meta name="basalt-config" content="([^"]*)">/.exec(res.text)?.[1] ?? '';
    const settings = JSON.parse(meta.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    expect(settings).toEqual({ appName: 'Acme <Backend>', devMailbox: false, oauthProviders: ['github'] });
    // Escaped: the app name cannot break out of the attribute or the title.
    expect(res.text).toContain('<title>Acme &lt;Backend&gt; console</title>');
    expect(res.text).not.toContain('<Backend>');
  });

  it.each([
    '/sign-in',
    '/workspaces/acme/projects/prj_1/logs',
    '/verify-email?token=abc',
    '/reset-password?token=abc',
    '/confirm-email?token=abc',
    '/magic-link?token=abc',
    '/invitations/tok_abc',
    '/oauth/callback',
    '/developers', // only /dev and /dev/… belong to the API
    '/index.html',
  ])('answers the app route %s with index.html', async (path) => {
    const res = await t.call('GET', path);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<div id="root">');
  });

  it('serves hashed assets as immutable, compressed when the client accepts gzip, with ETag revalidation', async () => {
    const plain = await t.call('GET', '/assets/app-abc123.js');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.text).toBe(SCRIPT);
    const etag = plain.headers.get('etag') as string;
    expect(etag).toMatch(/^".+"$/);

    const gz = await t.app.fetch(new Request('http://basalt.test/assets/app-abc123.js', { headers: { 'accept-encoding': 'gzip, br' } }));
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    const zipped = Buffer.from(await gz.arrayBuffer());
    expect(zipped.length).toBeLessThan(SCRIPT.length / 10);
    expect(gunzipSync(zipped).toString()).toBe(SCRIPT);

    const again = await t.call('GET', '/assets/app-abc123.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    const icon = await t.call('GET', '/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await t.app.fetch(new Request('http://basalt.test/workspaces', { method: 'HEAD' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['GET', '/assets/app-old999.js'], // a chunk from an older build: not the HTML under a script's name
    ['GET', '/robots.txt'],
    ['GET', '/v1/no-such-route'],
    ['GET', '/v1'],
    ['GET', '/dev/mailbox'], // development only; in tests the API's 404, not the app
    ['GET', '/docs/nothing-here'],
    ['GET', '/metrics/extra'],
    ['POST', '/'],
    ['DELETE', '/workspaces'],
  ])('leaves %s %s to the API: the JSON 404 envelope', async (method, path) => {
    const res = await t.call(method, path);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'system:not_found' } });
  });

  it('keeps the platform routes: /health, /openapi.json, /errors, /docs', async () => {
    expect((await t.call('GET', '/health')).body).toMatchObject({ success: true, data: { status: 'ok' } });
    expect((await t.call('GET', '/openapi.json')).body).toMatchObject({ openapi: '3.1.0' });
    expect((await t.call('GET', '/errors')).body).toMatchObject({ success: true });
    expect((await t.call('GET', '/docs')).text).toContain('swagger-ui');
  });
});

describe('console: no build yet', () => {
  const dist = tempDir('basalt-console-empty-');
  let t: TestApp;
  beforeAll(async () => {
    rmSync(dist.path, { recursive: true, force: true });
    t = await appWithDist(dist.path);
  });
  afterAll(async () => {
    await t.close();
    dist.remove();
  });

  it('still serves the API, says at / how to build the console, and picks up a build made later', async () => {
    expect((await t.call('GET', '/health')).status).toBe(200);
    const page = await t.call('GET', '/');
    expect(page.status).toBe(503);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain('npm run build:web');
    expect((await t.call('GET', '/assets/app-abc123.js')).status).toBe(404);

    writeBuild(dist.path);
    await waitFor(async () => (await t.call('GET', '/')).status === 200, 10_000, 250);
    expect((await t.call('GET', '/assets/app-abc123.js')).text).toBe(SCRIPT);
  });
});
