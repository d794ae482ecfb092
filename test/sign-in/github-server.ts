import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  avatar_url: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
  /** How this user's API calls answer: a provider outage or a garbled answer. */
  fault?: 'user_500' | 'user_not_json' | 'user_no_id' | 'emails_500';
}

export interface GithubServer {
  origin: string;
  clientId: string;
  clientSecret: string;
  /** The GitHub user who approves the next authorization request. */
  approveAs(user: GithubUser): void;
  /** Env for a Basalt that signs in with this server as "GitHub". */
  env(): Record<string, string>;
  /** Env for a Basalt that signs in with this server as "Discord" (avatars on a public IP literal). */
  discordEnv(): Record<string, string>;
  /** Token requests seen (to assert PKCE and client authentication). */
  tokenRequests: Array<Record<string, string>>;
  close(): Promise<void>;
}

let nextId = 5_000_000;
export function githubUser(login: string, overrides: Partial<GithubUser> = {}): GithubUser {
  nextId += 1;
  return { id: nextId, login, name: `User ${login}`, avatar_url: `https://203.0.114.7/u/${nextId}`, emails: [{ email: `${login}@gh.example.test`, primary: true, verified: true }], ...overrides };
}

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('json')) return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/**
 * A small server speaking GitHub's documented OAuth web flow and REST endpoints (and, under
 * /discord, Discord's OAuth 2 endpoints and /users/@me):
 * GET /login/oauth/authorize (auto-approves as the chosen user), POST /login/oauth/access_token
 * (client secret, single-use code, redirect_uri and PKCE S256 checked; errors as HTTP 200 with
 * an `error` field, as GitHub does), GET /user and GET /user/emails with the bearer token.
 */
export async function startGithubServer(): Promise<GithubServer> {
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  const codes = new Map<string, { user: GithubUser; redirectUri: string; challenge: string | null }>();
  const tokens = new Map<string, GithubUser>();
  const tokenRequests: Array<Record<string, string>> = [];
  let approving: GithubUser | undefined;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const q = url.searchParams;
        const redirectUri = q.get('redirect_uri');
        if (q.get('client_id') !== clientId || !redirectUri || !approving) return json(res, 400, { error: 'invalid_request' });
        if (q.get('code_challenge') && q.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request' });
        const code = randomBytes(10).toString('hex');
        codes.set(code, { user: approving, redirectUri, challenge: q.get('code_challenge') });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const body = await readBody(req);
        tokenRequests.push(body);
        if (body.client_id !== clientId || body.client_secret !== clientSecret) return json(res, 200, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
        const grant = codes.get(body.code ?? '');
        codes.delete(body.code ?? '');
        const verifierOk = grant?.challenge == null || createHash('sha256').update(body.code_verifier ?? '').digest('base64url') === grant.challenge;
        if (!grant || grant.redirectUri !== body.redirect_uri || !verifierOk) {
          return json(res, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com/apps/troubleshooting' });
        }
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      // Discord's shape: standard OAuth 2 errors (HTTP 400), one JSON user endpoint.
      if (req.method === 'GET' && url.pathname === '/discord/oauth2/authorize') {
        const q = url.searchParams;
        const redirectUri = q.get('redirect_uri');
        if (q.get('client_id') !== clientId || !redirectUri || !approving || q.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request' });
        const code = randomBytes(10).toString('hex');
        codes.set(code, { user: approving, redirectUri, challenge: q.get('code_challenge') });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/discord/api/oauth2/token') {
        const body = await readBody(req);
        const grant = codes.get(body.code ?? '');
        codes.delete(body.code ?? '');
        if (body.client_secret !== clientSecret) return json(res, 401, { error: 'invalid_client' });
        if (!grant || grant.redirectUri !== body.redirect_uri || createHash('sha256').update(body.code_verifier ?? '').digest('base64url') !== grant.challenge) {
          return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid "code" in request.' });
        }
        const token = randomBytes(16).toString('hex');
        tokens.set(token, grant.user);
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 604800, refresh_token: randomBytes(8).toString('hex'), scope: 'identify email' });
      }
      if (req.method === 'GET' && url.pathname === '/discord/api/users/@me') {
        const u = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
        if (!u) return json(res, 401, { message: '401: Unauthorized', code: 0 });
        const primary = u.emails.find((e) => e.primary);
        return json(res, 200, { id: String(u.id), username: u.login, global_name: u.name, avatar: 'a1b2c3d4e5f6', email: primary?.email ?? null, verified: primary?.verified ?? false });
      }
      const auth = req.headers.authorization ?? '';
      const user = tokens.get(auth.replace(/^(Bearer|token) /i, ''));
      if (req.method === 'GET' && (url.pathname === '/user' || url.pathname === '/user/emails')) {
        if (!user) return json(res, 401, { message: 'Bad credentials' });
        if (url.pathname === '/user') {
          if (user.fault === 'user_500') return json(res, 500, { message: 'Server Error' });
          if (user.fault === 'user_not_json') {
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end('<html>unicorn</html>');
          }
          const { emails, fault: _f, ...profile } = user;
          if (user.fault === 'user_no_id') return json(res, 200, { ...profile, id: undefined });
          return json(res, 200, { ...profile, email: emails.find((e) => e.primary)?.email ?? null, type: 'User' });
        }
        if (user.fault === 'emails_500') return json(res, 503, { message: 'Service unavailable' });
        return json(res, 200, user.emails.map((e) => ({ ...e, visibility: e.primary ? 'public' : null })));
      }
      json(res, 404, { message: 'Not Found' });
    })().catch((err: unknown) => json(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    clientId,
    clientSecret,
    tokenRequests,
    approveAs: (u) => {
      approving = u;
    },
    env: () => ({
      OAUTH_GITHUB_CLIENT_ID: clientId,
      OAUTH_GITHUB_CLIENT_SECRET: clientSecret,
      OAUTH_GITHUB_AUTHORIZE_URL: `${origin}/login/oauth/authorize`,
      OAUTH_GITHUB_TOKEN_URL: `${origin}/login/oauth/access_token`,
      OAUTH_GITHUB_API_URL: origin,
    }),
    discordEnv: () => ({
      OAUTH_DISCORD_CLIENT_ID: clientId,
      OAUTH_DISCORD_CLIENT_SECRET: clientSecret,
      OAUTH_DISCORD_AUTHORIZE_URL: `${origin}/discord/oauth2/authorize`,
      OAUTH_DISCORD_TOKEN_URL: `${origin}/discord/api/oauth2/token`,
      OAUTH_DISCORD_API_URL: `${origin}/discord/api`,
      OAUTH_DISCORD_CDN_URL: 'https://203.0.114.10',
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
