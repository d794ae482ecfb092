import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildContainer, type Container } from '../../src/app/container.ts';
import { startServer, type RunningServer } from '../../src/app/server.ts';
import { loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../helpers/backends.ts';
import { apiClient, type ApiCall } from '../helpers/http.ts';
import { freePort, waitFor } from '../helpers/net.ts';

/** Debian's Chromium (`apt-get install chromium`); CI installs it (.ci/run). */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[skip] ${CHROMIUM} is missing: the console's browser tests are skipped (CI installs it: apt-get install -y chromium).`);

// The flags this machine needs: no sandbox as root, and no background connections (the
// network is closed; Chromium's own requests would be refused, many at a time).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_INDEX = join(ROOT, 'web/dist/index.html');
const ARTIFACTS = join(ROOT, '.test-artifacts');
const SCREENSHOTS = join(ROOT, 'docs/screenshots');

/** Newest modification time under the console's sources (the app and the client it imports). */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, 'web/src'));
  walk(join(ROOT, 'web/public'));
  for (const f of ['web/index.html', 'web/vite.config.ts', 'src/client/index.ts']) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

const isFresh = () => existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= newestSource();

/**
 * web/dist as the tests need it: built when missing or older than its sources. Test files run
 * in parallel processes, so one builds (under a lock file) while the others wait for it.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  if (isFresh()) return;
  const lock = join(ROOT, 'web/.build.lock');
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      // Another process builds; a lock older than two minutes is left over from a crash.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { force: true });
      await new Promise((r) => setTimeout(r, 250));
      if (isFresh()) return;
    }
  }
  try {
    if (isFresh()) return;
    const vite = await import('vite');
    await vite.build({ configFile: join(ROOT, 'web/vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { force: true });
  }
}

export interface E2E {
  url: string;
  server: RunningServer;
  /** The server's stores, for what only an operator does (e.g. making an admin). */
  container: Container;
  /** The API through the test client (error codes are recorded for the coverage report). */
  call: ApiCall;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * A real Basalt on a free port (development mode: the dev mailbox exists) with the built
 * console, and a headless Chromium. Rate limits are off: the guards have their own suite.
 */
export async function startE2E(env: Record<string, string> = {}): Promise<E2E> {
  await ensureConsoleBuilt();
  const dir = tempDir('basalt-e2e-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', DATA_DIR: dir.path, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, RATE_LIMIT_ENABLED: 'false', ...env });
  const container = await buildContainer(config, { logger: pino({ level: 'silent' }) });
  const server = await startServer(container, { port, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
  return {
    url,
    server,
    container,
    call: apiClient(url),
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      await server.stop();
      dir.remove();
    },
  };
}

/** A page in a fresh context (its own cookies), at the given width, with generous waits. */
export async function openPage(e2e: E2E, viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await e2e.browser.newContext({ viewport, baseURL: e2e.url });
  const page = await context.newPage();
  // The machine is shared with other test runs: waits are long, but always for something.
  page.setDefaultTimeout(30_000);
  page.setDefaultNavigationTimeout(30_000);
  return { context, page };
}

/** Runs a flow; on failure saves a screenshot to .test-artifacts/<name>.png and rethrows. */
export async function withScreenshot(page: Page, name: string, flow: () => Promise<void>): Promise<void> {
  try {
    await flow();
  } catch (err) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    console.error(`[e2e] ${name} failed at ${page.url()}; screenshot: ${path}`);
    throw err;
  }
}

/** README screenshots (docs/screenshots/) are written only when BASALT_SCREENSHOTS=1. */
export async function docScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.BASALT_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

let seq = 0;
export function identity(prefix: string) {
  seq += 1;
  const handle = `${prefix}_${process.pid}_${seq}`.slice(0, 30);
  return { email: `${handle}@example.test`, handle, password: `Console-e2e-pass-${seq}-${process.pid}` };
}

/** The latest dev-mailbox message to `to` whose text has `path`: the token of its link. */
export async function mailedToken(e2e: E2E, to: string, path: string): Promise<string> {
  let token = '';
  await waitFor(async () => {
    const list = await e2e.call('GET', '/dev/mailbox?limit=50');
    const message = (list.body.data as Array<{ to: string; text: string }>).find((m) => m.to === to && m.text.includes(path));
    const match = message && new RegExp(`${path.replace(/[/?]/g, '\\$&')}\\?token=([A-Za-z0-9_-]+)`).exec(message.text);
    token = match?.[1] ?? '';
    return token !== '';
  }, 20_000);
  return token;
}

/** An account with a verified address, made through the API (the UI flow has its own test). */
export async function verifiedAccount(e2e: E2E, prefix: string) {
  const who = identity(prefix);
  const res = await e2e.call('POST', '/v1/auth/register', { json: who });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.text}`);
  const token = await mailedToken(e2e, who.email, '/verify-email');
  const verified = await e2e.call('POST', '/v1/auth/verify-email', { json: { token } });
  if (verified.status !== 200) throw new Error(`verify answered ${verified.status}: ${verified.text}`);
  return who;
}

/** Signs in through the sign-in page and waits for the overview. */
export async function signIn(page: Page, who: { handle: string; password: string }): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('E-mail or handle').fill(who.handle);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/**
 * What sticks out sideways: '' when the page fits its viewport (the console must work at
 * 375 px), else the widths and the widest offending elements, for the failure message.
 */
export async function overflow(page: Page): Promise<string> {
  // This project's TypeScript has no DOM types; the function runs in the page.
  return page.evaluate(() => {
    type El = { tagName: string; className: string; getBoundingClientRect(): { right: number } };
    const w = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number }; querySelectorAll(s: string): ArrayLike<El> } };
    const width = w.innerWidth;
    if (w.document.documentElement.scrollWidth <= width + 1) return '';
    const wide = Array.from(w.document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > width + 1)
      .slice(-3)
      .map((e) => `${e.tagName.toLowerCase()}.${String(e.className).replace(/ /g, '.')} (right ${Math.round(e.getBoundingClientRect().right)})`);
    return `page is ${w.document.documentElement.scrollWidth} px wide in a ${width} px viewport: ${wide.join(', ')}`;
  });
}

/** A link of the main navigation (the sidebar). */
export function navLink(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/** Drops files on an element: a real `drop` event carrying a DataTransfer, as a desktop would. */
export async function dropFiles(target: Locator, files: Array<{ name: string; type?: string; text?: string; bytes?: number }>): Promise<void> {
  const transfer = await target.page().evaluateHandle((list) => {
    // Runs in the page (this project's TypeScript has no DOM types).
    const w = globalThis as unknown as {
      DataTransfer: new () => { items: { add(file: unknown): void } };
      File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
    };
    const dt = new w.DataTransfer();
    for (const f of list) dt.items.add(new w.File([f.text ?? new Uint8Array(f.bytes ?? 0)], f.name, { type: f.type ?? '' }));
    return dt;
  }, files);
  await target.dispatchEvent('dragover', { dataTransfer: transfer });
  await target.dispatchEvent('drop', { dataTransfer: transfer });
}
