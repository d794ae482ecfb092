import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { packageRoot } from '../../lib/package-root.ts';
import { asset, builtAt, loadBundle, type Asset, type Bundle } from './assets.ts';

/** What the app needs to know before its first request; rendered into index.html. */
export interface ConsoleRuntimeConfig {
  appName: string;
  /** NODE_ENV=development: the dev mailbox (/dev/mailbox) exists. */
  devMailbox: boolean;
  /** Configured OAuth / OIDC provider names (the `:provider` path segment). */
  oauthProviders: string[];
}

export interface ConsoleDeps {
  config: ConsoleRuntimeConfig;
  /** The Vite build; web/dist by default. */
  distDir?: string;
}

export const DEFAULT_DIST_DIR = join(packageRoot(), 'web', 'dist');

/** Paths other modules own: never answered with the console, even when nothing matched there. */
const RESERVED = ['/v1', '/docs', '/openapi.json', '/errors', '/health', '/ready', '/metrics', '/dev'];
const isReserved = (path: string) => RESERVED.some((r) => path === r || path.startsWith(`${r}/`));

const IMMUTABLE = 'public, max-age=31536000, immutable';
// index.html must be revalidated so a new build is picked up at once; its assets are hashed.
const REVALIDATE = 'no-cache';
const SHORT = 'public, max-age=3600';

/**
 * The page's policy: only this origin's scripts and API; images may be data:/blob: (the TOTP
 * QR code, previews of uploads) or https (avatars). The mailed-link pages carry tokens in the
 * query string, hence no Referer at all.
 */
const HTML_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderIndex(html: string, config: ConsoleRuntimeConfig): string {
  const meta = `<meta name="basalt-config" content="${escapeAttribute(JSON.stringify(config))}">`;
  return html.replace(/<meta name="basalt-config"[^>]*>/, meta).replace(/<title>[^<]*<\/title>/, `<title>${escapeAttribute(config.appName)} console</title>`);
}

function notBuiltPage(appName: string): string {
  const name = escapeAttribute(appName);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name} console</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
<h1>The console is not built</h1>
<p>The API is running (see <a href="/docs">/docs</a>), but <code>web/dist</code> is missing. Build the console with</p>
<pre style="background:#f3f4f6;padding:.75rem">npm run build:web</pre>
<p>(<code>npm install</code> runs it too), then reload this page. No restart is needed.</p></body></html>`;
}

function send(c: Context<AppEnv>, a: Asset, cacheControl: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { 'Content-Type': a.type, 'Cache-Control': cacheControl, ETag: a.etag, Vary: 'Accept-Encoding', ...extra };
  if (c.req.header('if-none-match') === a.etag) return new Response(null, { status: 304, headers });
  const gzip = a.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  if (gzip) headers['Content-Encoding'] = 'gzip';
  return new Response(gzip ? a.gzip : a.body, { status: 200, headers });
}

/**
 * The console: the Vite build of web/ at `/`, every other non-API path answered with
 * index.html (the app routes in the browser, including the mailed-link pages). Mounted last.
 * Without a build the server still runs and `/` says how to make one; a build made later is
 * picked up without a restart.
 */
export function consoleRoutes(deps: ConsoleDeps) {
  const distDir = deps.distDir ?? DEFAULT_DIST_DIR;
  let bundle: Promise<{ files: Map<string, Asset>; index: Asset; builtAt: number } | undefined> | undefined;
  let checkedAt = 0;

  const load = async () => {
    const b: Bundle | undefined = await loadBundle(distDir);
    return b && { files: b.files, index: asset(new TextEncoder().encode(renderIndex(b.indexHtml, deps.config)), '.html'), builtAt: b.builtAt };
  };
  /** The build in memory; re-read when index.html changed (at most every 2 s of asking). */
  const current = async () => {
    const now = Date.now();
    if (bundle && now - checkedAt < 2000) return bundle;
    checkedAt = now;
    const [loaded, mtime] = await Promise.all([bundle, builtAt(distDir)]);
    if (!bundle || loaded?.builtAt !== mtime) bundle = load();
    return bundle;
  };

  const app = new Hono<AppEnv>();
  // Paths it does not serve go on (`next`): to a route registered later, else the app's 404.
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (isReserved(path)) return next();
    const b = await current();
    if (!b) {
      if (/\.[a-z0-9]+$/i.test(path)) return next();
      return c.html(notBuiltPage(deps.config.appName), 503, { 'Cache-Control': 'no-store' });
    }
    const file = b.files.get(path);
    if (file) return send(c, file, path.startsWith('/assets/') ? IMMUTABLE : SHORT);
    // A missing file (an old hashed chunk, a typo) is a 404, not the app's HTML under a script's name.
    if (/\.[a-z0-9]+$/i.test(path) && path !== '/index.html') return next();
    return send(c, b.index, REVALIDATE, HTML_HEADERS);
  });
  return app;
}
