import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identity, stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { BASALT_ORIGIN, Browser } from './browser.ts';
import { startOidcServer, type OidcAccount, type OidcServer } from './oidc-server.ts';

let op: OidcServer;
beforeAll(async () => {
  op = await startOidcServer([`${BASALT_ORIGIN}/v1/auth/oauth/acme/callback`, `${BASALT_ORIGIN}/v1/auth/oauth/google/callback`]);
});
afterAll(() => op.close());

function oidcEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_URL: BASALT_ORIGIN,
    // "acme": any OpenID Connect provider by issuer URL; "google": the built-in Google entry, pointed at the same provider.
    OAUTH_OIDC_PROVIDERS: JSON.stringify([{ name: 'acme', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret }]),
    OAUTH_GOOGLE_CLIENT_ID: op.clientId,
    OAUTH_GOOGLE_CLIENT_SECRET: op.clientSecret,
    OAUTH_GOOGLE_ISSUER: op.issuer,
    ...extra,
  };
}

let seq = 0;
function account(overrides: Partial<OidcAccount> = {}): { sub: string; account: OidcAccount } {
  seq += 1;
  const sub = `sub-${process.pid}-${seq}-${Date.now()}`;
  return { sub, account: { email: `oidc${seq}.${Date.now()}@idp.example.test`, email_verified: true, name: `OIDC Person ${seq}`, preferred_username: `oidc_person_${seq}`, picture: 'https://203.0.114.9/p.png', ...overrides } };
}

async function flow(app: AccountsApp, who: { sub: string; account: OidcAccount }, provider = 'acme') {
  op.signInAs(who.sub, who.account);
  return new Browser(app.call).visit(`/v1/auth/oauth/${provider}`);
}

describe.each(stacks())('OpenID Connect against a real OpenID Provider on loopback ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: oidcEnv() });
  });
  afterAll(() => app.close());

  it('discovery → authorization with PKCE and nonce → login and consent at the provider → code exchange (ID token checked) → userinfo → sign-up → sign-in', async () => {
    const who = account();
    const start = await app.call('GET', '/v1/auth/oauth/acme');
    const to = new URL(start.headers.get('location') as string);
    expect(to.origin).toBe(op.issuer);
    expect(to.searchParams.get('scope')).toBe('openid email profile');
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');

    const { res } = await flow(app, who);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ handleRequired: true, provider: 'acme', email: who.account.email, name: who.account.name, suggestedHandle: who.account.preferred_username });
    const handle = identity('oidc').handle;
    const done = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken: res.body.data.pendingToken, handle } });
    expect(done.status).toBe(200);
    expect(done.body.data.user).toMatchObject({ handle, email: who.account.email, emailVerified: true, hasPassword: false, avatarUrl: who.account.picture });

    const again = await flow(app, who);
    expect(again.res.status).toBe(200);
    expect(again.res.body.data).toMatchObject({ totpRequired: false, user: { id: done.body.data.user.id } });
  });

  it('the built-in Google entry works by discovery from its issuer too', async () => {
    const { res } = await flow(app, account(), 'google');
    expect(res.body.data).toMatchObject({ handleRequired: true, provider: 'google' });
  });

  it('email_verified=false → 400 oauth:email_not_verified', async () => {
    const { res } = await flow(app, account({ email_verified: false }));
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('oauth:email_not_verified');
  });

  it('a forged code → 401 oauth:token_exchange_failed (the provider answers invalid_grant)', async () => {
    const who = account();
    op.signInAs(who.sub, who.account);
    const browser = new Browser(app.call);
    const stopped = await browser.visit('/v1/auth/oauth/acme', { stopAt: (u) => u.pathname.endsWith('/callback') });
    expect(stopped.url.searchParams.get('iss')).toBe(op.issuer);
    const forged = new URL(stopped.url);
    forged.searchParams.set('code', 'forged-authorization-code');
    const { res } = await browser.visit(forged.href);
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('oauth:token_exchange_failed');
  });

  it('the userinfo endpoint fails → 400 oauth:user_info_fetch_failed', async () => {
    op.failUserinfo = true;
    try {
      const { res } = await flow(app, account());
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('oauth:user_info_fetch_failed');
    } finally {
      op.failUserinfo = false;
    }
  });

  it('a picture on a private address → 400 oauth:invalid_image_url', async () => {
    const { res } = await flow(app, account({ picture: 'https://192.168.1.20/me.jpg' }));
    expect(res.body.error?.code).toBe('oauth:invalid_image_url');
  });
});

describe('OpenID Connect configuration failures', () => {
  it('an issuer whose discovery fails → 400 oauth:invalid_auth_url when starting', async () => {
    const app = await startAccountsApp({ env: oidcEnv({ OAUTH_OIDC_PROVIDERS: JSON.stringify([{ name: 'acme', issuer: 'http://127.0.0.1:9/nothing-here', clientId: 'x', clientSecret: 'y' }]) }) });
    try {
      const res = await app.call('GET', '/v1/auth/oauth/acme');
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('oauth:invalid_auth_url');
    } finally {
      await app.close();
    }
  });

  it('a bad OAUTH_OIDC_PROVIDERS value stops start-up naming the variable', async () => {
    const { loadConfig } = await import('../../src/config/index.ts');
    expect(() => loadConfig({ OAUTH_OIDC_PROVIDERS: '[{"name":"GitHub"}]' })).toThrow(/OAUTH_OIDC_PROVIDERS/);
    expect(() => loadConfig({ OAUTH_OIDC_PROVIDERS: 'not json' })).toThrow(/OAUTH_OIDC_PROVIDERS: must be a JSON array/);
  });
});
