import type { ApiCall, ApiResponse, TestEnvelope } from '../helpers/http.ts';

export const BASALT_ORIGIN = 'http://basalt.test';

/**
 * A browser without a screen: follows redirects between Basalt (called in-process through
 * the recording `call`) and real servers on loopback (the OAuth providers), keeping each
 * host's cookies. Stops at the first answer that is not a redirect, or at a redirect to an
 * origin it cannot reach (the app's redirect_uri), which it returns unfollowed.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(private readonly basalt: ApiCall) {}

  private cookieHeader(url: URL): string {
    return [...(this.jar.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(url: URL, headers: Headers): void {
    const jar = this.jar.get(url.host) ?? new Map<string, string>();
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] ?? '') < Date.now()));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    this.jar.set(url.host, jar);
  }

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  /** Drops one cookie (a flow finished in "another browser"). */
  forget(host: string, name: string): void {
    this.jar.get(host)?.delete(name);
  }

  /** GET `target` and follow redirects; answers the last response and where it stopped. */
  async visit(target: string, options: { token?: string; maxHops?: number; stopAt?: (url: URL) => boolean } = {}): Promise<{ url: URL; res: ApiResponse<TestEnvelope> }> {
    let url = new URL(target, BASALT_ORIGIN);
    for (let hop = 0; hop < (options.maxHops ?? 20); hop++) {
      const res = await this.fetch('GET', url, hop === 0 ? options.token : undefined);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url, res };
      const next = new URL(location, url);
      if (options.stopAt?.(next)) return { url: next, res };
      if (next.origin !== BASALT_ORIGIN && !next.hostname.startsWith('127.')) return { url: next, res };
      url = next;
    }
    throw new Error(`too many redirects at ${url.href}`);
  }

  async fetch(method: string, url: URL, token?: string, body?: string, contentType?: string): Promise<ApiResponse<TestEnvelope>> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (contentType) headers['content-type'] = contentType;
    let res: ApiResponse<TestEnvelope>;
    if (url.origin === BASALT_ORIGIN) {
      res = await this.basalt(method, url.pathname + url.search, { headers, ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });
    } else {
      const r = await fetch(url, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
      const text = await r.text();
      let parsed: unknown = text;
      if (r.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
      res = { status: r.status, headers: r.headers, body: parsed as TestEnvelope, text };
    }
    this.store(url, res.headers);
    return res;
  }
}
