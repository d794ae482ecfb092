import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Cloudflare's documented test secrets: the outcome depends on the secret, not the token. */
export const TEST_SECRETS = {
  alwaysPasses: '1x0000000000000000000000000000000AA',
  alwaysFails: '2x0000000000000000000000000000000AA',
  tokenSpent: '3x0000000000000000000000000000000AA',
} as const;

/** What the server does with the next requests, beside judging tokens. */
export type SiteverifyMode = 'normal' | 'slow' | 'garbage' | 'http-error' | 'internal-error' | 'no-success-field';

export interface SiteverifyRequest {
  contentType: string | undefined;
  secret: string | null;
  response: string | null;
  remoteip: string | null;
}

export interface FakeSiteverify {
  url: string;
  /** Every request received, in order. */
  requests: SiteverifyRequest[];
  mode: SiteverifyMode;
  /** How long 'slow' waits before answering. */
  slowMs: number;
  /** Issues a token the secret `realSecret` accepts once, as a widget would. */
  issueToken(): string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A local stand-in for https://challenges.cloudflare.com/turnstile/v0/siteverify, answering
 * as Cloudflare documents: a form-encoded POST of secret, response and remoteip; a JSON
 * answer `{success, "error-codes", challenge_ts, hostname}`. The test secrets behave as
 * documented; `realSecret` accepts tokens from `issueToken` once (a replay is
 * "timeout-or-duplicate"), anything else is "invalid-input-response"; other secrets are
 * "invalid-input-secret".
 */
export async function startSiteverify(realSecret: string): Promise<FakeSiteverify> {
  const issued = new Set<string>();
  const spent = new Set<string>();
  const pending = new Set<NodeJS.Timeout>();
  const state: Pick<FakeSiteverify, 'mode' | 'slowMs' | 'requests'> = { mode: 'normal', slowMs: 4_000, requests: [] };

  const judge = (secret: string | null, token: string | null): Record<string, unknown> => {
    const fail = (...codes: string[]) => ({ success: false, 'error-codes': codes, messages: [] });
    const pass = () => ({ success: true, 'error-codes': [], challenge_ts: new Date().toISOString(), hostname: 'example.com', action: '', cdata: '', metadata: {} });
    if (!secret) return fail('missing-input-secret');
    if (!token) return fail('missing-input-response');
    if (secret === TEST_SECRETS.alwaysPasses) return pass();
    if (secret === TEST_SECRETS.alwaysFails) return fail('invalid-input-response');
    if (secret === TEST_SECRETS.tokenSpent) return fail('timeout-or-duplicate');
    if (secret !== realSecret) return fail('invalid-input-secret');
    if (spent.has(token)) return fail('timeout-or-duplicate');
    if (!issued.has(token)) return fail('invalid-input-response');
    issued.delete(token);
    spent.add(token);
    return pass();
  };

  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    const form = new URLSearchParams(text);
    state.requests.push({ contentType: req.headers['content-type'], secret: form.get('secret'), response: form.get('response'), remoteip: form.get('remoteip') });
    const answer = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'POST' || req.url !== '/turnstile/v0/siteverify') return answer(405, JSON.stringify(judge(null, null)));
    switch (state.mode) {
      case 'slow': {
        const timer = setTimeout(() => {
          pending.delete(timer);
          answer(200, JSON.stringify(judge(form.get('secret'), form.get('response'))));
        }, state.slowMs);
        pending.add(timer);
        return;
      }
      case 'garbage':
        return answer(200, '<html><body>502 Bad Gateway</body></html>', 'text/html');
      case 'http-error':
        return answer(500, JSON.stringify({ success: false, 'error-codes': ['internal-error'] }));
      case 'internal-error':
        return answer(200, JSON.stringify({ success: false, 'error-codes': ['internal-error'] }));
      case 'no-success-field':
        return answer(200, JSON.stringify({ ok: true }));
      default:
        return answer(200, JSON.stringify(judge(form.get('secret'), form.get('response'))));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeSiteverify = {
    url: `http://127.0.0.1:${port}/turnstile/v0/siteverify`,
    get requests() {
      return state.requests;
    },
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(ms) {
      state.slowMs = ms;
    },
    issueToken: () => {
      const token = `0.${randomBytes(48).toString('base64url')}`;
      issued.add(token);
      return token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of pending) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
