import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/crypto.ts';
import { identity, login, register, stacks, startAccountsApp, type AccountsApp } from '../accounts/harness.ts';
import { BASALT_ORIGIN, Browser } from './browser.ts';
import { githubUser, startGithubServer, type GithubServer, type GithubUser } from './github-server.ts';
import { codeFor, enableTotp, freshStep, sleep } from './helpers.ts';

const APP_REDIRECT = 'https://app.example.test/auth/done';

let gh: GithubServer;
beforeAll(async () => {
  gh = await startGithubServer();
});
afterAll(() => gh.close());

function oauthEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_URL: BASALT_ORIGIN,
    ...gh.env(),
    // Discord too (the same local server speaks its endpoints): a second provider for state mix-ups and unlinking.
    ...gh.discordEnv(),
    OAUTH_REDIRECT_ALLOWLIST: `${APP_REDIRECT},https://console.example.test`,
    ...extra,
  };
}

/** One browser signs in with "GitHub" as `user`; answers where it stopped and the last answer. */
async function flow(app: AccountsApp, user: GithubUser, query = '', options: { token?: string } = {}) {
  gh.approveAs(user);
  const browser = new Browser(app.call);
  const done = await browser.visit(`/v1/auth/oauth/github${query}`, options);
  return { ...done, browser };
}

/** A new GitHub user all the way through sign-up; answers the session. */
async function signUp(app: AccountsApp, user: GithubUser) {
  const { res } = await flow(app, user);
  expect(res.body.data.handleRequired).toBe(true);
  const handle = identity('gh').handle;
  const done = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken: res.body.data.pendingToken, handle } });
  expect(done.status).toBe(200);
  return { ...done.body.data, handle } as { accessToken: string; user: { id: string }; handle: string };
}

describe.each(stacks())('OAuth with a GitHub-shaped provider ($name)', (stack) => {
  let app: AccountsApp;
  beforeAll(async () => {
    app = await startAccountsApp({ stack, env: oauthEnv() });
  });
  afterAll(() => app.close());

  it('start redirects to the provider with state, PKCE S256 and the callback URL, and binds the flow to the browser', async () => {
    const browser = new Browser(app.call);
    const res = await browser.fetch('GET', new URL('/v1/auth/oauth/github', BASALT_ORIGIN));
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') as string);
    expect(to.origin + to.pathname).toBe(`${gh.origin}/login/oauth/authorize`);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      client_id: gh.clientId,
      redirect_uri: `${BASALT_ORIGIN}/v1/auth/oauth/github/callback`,
      response_type: 'code',
      scope: 'read:user user:email',
      code_challenge_method: 'S256',
    });
    expect(to.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);
    expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(browser.cookie('basalt.test', 'basalt_oauth')).toBeTruthy();
    expect(res.headers.get('set-cookie')).toMatch(/basalt_oauth=.*HttpOnly/i);
    const json = await app.call('GET', '/v1/auth/oauth/github?response=json');
    expect(json.body.data).toEqual({ authorizationUrl: expect.stringContaining(`${gh.origin}/login/oauth/authorize?`), expiresIn: 600 });
  });

  it('a new user: the callback answers a pending sign-up; complete needs a handle (400 oauth:handle_required), then creates a verified, passwordless account', async () => {
    const who = githubUser(`new${Date.now() % 100000}`);
    const { res } = await flow(app, who);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ handleRequired: true, provider: 'github', email: who.emails[0]?.email, name: who.name, suggestedHandle: who.login, expiresIn: 600 });
    const last = gh.tokenRequests.at(-1) as Record<string, string>;
    expect(last.code_verifier).toMatch(/^[\w-]{43,128}$/);
    expect(last.client_secret).toBe(gh.clientSecret);
    const pendingToken = res.body.data.pendingToken;
    const noHandle = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken } });
    expect(noHandle.status).toBe(400);
    expect(noHandle.body.error).toMatchObject({ code: 'oauth:handle_required', message: 'Handle required for new OAuth signup' });
    const taken = await register(app.call);
    const clash = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken, handle: taken.handle } });
    expect(clash.status).toBe(409);
    expect(clash.body.error?.code).toBe('user:handle_already_exists');
    const handle = identity('gh').handle;
    const done = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken, handle } });
    expect(done.status).toBe(200);
    expect(done.body.data.user).toMatchObject({ handle, email: who.emails[0]?.email, emailVerified: true, hasPassword: false, avatarUrl: who.avatar_url, displayName: who.name });
    expect(done.headers.get('set-cookie')).toContain('basalt_refresh=');
    const again = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken, handle: identity('gh').handle } });
    expect(again.body.error?.code).toBe('oauth:invalid_state');
    const connections = await app.call('GET', '/v1/me/connections', { token: done.body.data.accessToken });
    expect(connections.body.data).toEqual([{ provider: 'github', email: who.emails[0]?.email, username: who.login, createdAt: expect.any(String), lastUsedAt: expect.any(String) }]);
  });

  it('a returning user gets a session for the same account', async () => {
    const who = githubUser(`back${Date.now() % 100000}`);
    const first = await signUp(app, who);
    const { res } = await flow(app, who);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ totpRequired: false, tokenType: 'Bearer', user: { id: first.user.id } });
    expect((await app.call('GET', '/v1/me', { token: res.body.data.accessToken })).body.data.id).toBe(first.user.id);
  });

  it('of concurrent completes with one pending token exactly one creates the account', async () => {
    const who = githubUser(`race${Date.now() % 100000}`);
    const { res } = await flow(app, who);
    const results = await Promise.all(Array.from({ length: 4 }, () => app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken: res.body.data.pendingToken, handle: identity('race').handle } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('an e-mail registered with a password and not linked → 409 oauth:email_already_exists (never linked silently)', async () => {
    const existing = await register(app.call);
    const { res } = await flow(app, githubUser(`dup${Date.now() % 100000}`, { emails: [{ email: existing.email, primary: true, verified: true }] }));
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('oauth:email_already_exists');
  });

  it('the provider says the e-mail is not verified → 400 oauth:email_not_verified', async () => {
    const { res } = await flow(app, githubUser(`unver${Date.now() % 100000}`, { emails: [{ email: `u${Date.now()}@gh.example.test`, primary: true, verified: false }] }));
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('oauth:email_not_verified');
  });

  it.each([
    ['plain http', 'http://203.0.114.7/a.png'],
    ['a loopback address', 'https://127.0.0.1/a.png'],
    ['a private address', 'https://10.1.2.3/a.png'],
    ['a name resolving to loopback', 'https://localhost/a.png'],
    ['IPv6 link-local', 'https://[fe80::1]/a.png'],
  ])('an avatar URL on %s → 400 oauth:invalid_image_url (the sign-up is refused, not silently changed)', async (_name, avatar) => {
    const { res } = await flow(app, githubUser(`av${Date.now() % 100000}`, { avatar_url: avatar }));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'oauth:invalid_image_url', details: [{ field: 'avatarUrl', issue: expect.any(String) }] });
  });

  it('no avatar at all is fine', async () => {
    const { res } = await flow(app, githubUser(`noav${Date.now() % 100000}`, { avatar_url: null }));
    expect(res.body.data.handleRequired).toBe(true);
  });

  it('an unknown or unconfigured provider → 400 oauth:unsupported_provider', async () => {
    for (const path of ['/v1/auth/oauth/gitlab', '/v1/auth/oauth/google', '/v1/auth/oauth/gitlab/callback?state=x&code=y']) {
      const res = await app.call('GET', path);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'oauth:unsupported_provider', type: 'VALIDATION_ERROR', message: 'Unsupported OAuth provider' });
    }
  });

  it('a redirect_uri outside the allowlist → 400 oauth:invalid_redirect_url', async () => {
    for (const uri of ['https://evil.example.test/auth/done', 'https://app.example.test/elsewhere', 'javascript:alert(1)', 'not a url']) {
      const res = await app.call('GET', `/v1/auth/oauth/github?redirect_uri=${encodeURIComponent(uri)}`);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('oauth:invalid_redirect_url');
    }
    expect((await app.call('GET', `/v1/auth/oauth/github?redirect_uri=${encodeURIComponent('https://console.example.test/any/path')}`)).status).toBe(302);
  });

  it('with a redirect_uri the browser goes back to the app: results in the fragment, the refresh cookie for a session, errors by code', async () => {
    const who = githubUser(`redir${Date.now() % 100000}`);
    const q = `?redirect_uri=${encodeURIComponent(APP_REDIRECT)}`;
    const signup = await flow(app, who, q);
    expect(signup.url.origin + signup.url.pathname).toBe(APP_REDIRECT);
    const fragment = new URLSearchParams(signup.url.hash.slice(1));
    expect(fragment.get('oauth')).toBe('handle_required');
    const done = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken: fragment.get('pending_token'), handle: identity('rd').handle } });
    expect(done.status).toBe(200);
    const back = await flow(app, who, q);
    expect(new URLSearchParams(back.url.hash.slice(1)).get('oauth')).toBe('signed_in');
    const refreshCookie = back.browser.cookie('basalt.test', 'basalt_refresh');
    expect(refreshCookie).toBeTruthy();
    const refreshed = await app.call('POST', '/v1/auth/refresh', { headers: { cookie: `basalt_refresh=${refreshCookie}` } });
    expect(refreshed.status).toBe(200);
    expect((await app.call('GET', '/v1/me', { token: refreshed.body.data.accessToken })).body.data.id).toBe(done.body.data.user.id);
    const failed = await flow(app, githubUser(`redirbad${Date.now() % 100000}`, { emails: [] }), q);
    const err = new URLSearchParams(failed.url.hash.slice(1));
    expect(err.get('oauth')).toBe('error');
    expect(err.get('error')).toBe('oauth:email_not_verified');
    expect(err.get('request_id')).toMatch(/^req_/);
  });

  it('callback state: missing, unknown, replayed, for another provider or from another browser → 400 oauth:invalid_state', async () => {
    const missing = await app.call('GET', '/v1/auth/oauth/github/callback?code=abc');
    expect(missing.body.error?.code).toBe('oauth:invalid_state');
    const unknown = await app.call('GET', '/v1/auth/oauth/github/callback?code=abc&state=never-issued');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'oauth:invalid_state', message: 'OAuth state parameter mismatch' });

    const atCallback = (to: URL) => to.pathname.endsWith('/callback');
    const who = githubUser(`st${Date.now() % 100000}`);
    gh.approveAs(who);
    const browser = new Browser(app.call);
    const stopped = await browser.visit('/v1/auth/oauth/github', { stopAt: atCallback });
    const first = await browser.visit(stopped.url.href);
    expect(first.res.body.data.handleRequired).toBe(true);
    const replay = await browser.visit(stopped.url.href);
    expect(replay.res.body.error?.code).toBe('oauth:invalid_state');

    const other = await browser.visit('/v1/auth/oauth/github', { stopAt: atCallback });
    const mixed = new URL(other.url.href.replace('/oauth/github/callback', '/oauth/discord/callback'));
    expect((await browser.visit(mixed.href)).res.body.error?.code).toBe('oauth:invalid_state');

    const third = await browser.visit('/v1/auth/oauth/github', { stopAt: atCallback });
    const elsewhere = new Browser(app.call);
    expect((await elsewhere.visit(third.url.href)).res.body.error?.code).toBe('oauth:invalid_state');
  });

  it('the provider rejects the code (tampered, or the user declined) → 401 oauth:token_exchange_failed', async () => {
    gh.approveAs(githubUser(`tx${Date.now() % 100000}`));
    const browser = new Browser(app.call);
    const stopped = await browser.visit('/v1/auth/oauth/github', { stopAt: (u) => u.pathname.endsWith('/callback') });
    const tampered = new URL(stopped.url);
    tampered.searchParams.set('code', 'forged-code');
    const res = (await browser.visit(tampered.href)).res;
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'oauth:token_exchange_failed', type: 'AUTH_FAILED' });
    const again = await browser.visit('/v1/auth/oauth/github', { stopAt: (u) => u.pathname.endsWith('/callback') });
    const declined = new URL(again.url);
    declined.searchParams.delete('code');
    declined.searchParams.set('error', 'access_denied');
    expect((await browser.visit(declined.href)).res.body.error?.code).toBe('oauth:token_exchange_failed');
  });

  it.each([
    ['GET /user fails', 'user_500', 400, 'oauth:user_info_fetch_failed'],
    ['GET /user/emails fails', 'emails_500', 400, 'oauth:user_info_fetch_failed'],
    ['GET /user is not JSON', 'user_not_json', 500, 'oauth:user_info_parse_failed'],
    ['GET /user has no id', 'user_no_id', 500, 'oauth:user_info_parse_failed'],
  ] as const)('%s → %i %s', async (_name, fault, status, code) => {
    const { res } = await flow(app, githubUser(`f${Date.now() % 100000}`, { fault }));
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
  });

  it('link mode: a signed-in user links GitHub; someone else\'s GitHub account or a second GitHub account → 409 oauth:account_already_linked', async () => {
    const user = await register(app.call);
    const s = await login(app.call, user);
    expect((await app.call('GET', '/v1/auth/oauth/github?mode=link')).body.error?.code).toBe('user:unauthorized');
    const mine = githubUser(`link${Date.now() % 100000}`, { emails: [{ email: user.email, primary: true, verified: true }] });
    const start = async (as: GithubUser) => {
      gh.approveAs(as);
      const browser = new Browser(app.call);
      const begun = await browser.fetch('GET', new URL('/v1/auth/oauth/github?mode=link&response=json', BASALT_ORIGIN), s.accessToken);
      expect(begun.status).toBe(200);
      return (await browser.visit(begun.body.data.authorizationUrl)).res;
    };
    const linked = await start(mine);
    expect(linked.status).toBe(200);
    expect(linked.body.data).toMatchObject({ linked: true, connection: { provider: 'github', username: mine.login } });
    expect((await start(mine)).body.data.linked).toBe(true);
    // Now the same e-mail signs in through GitHub: it is linked, so this is a returning user.
    expect((await flow(app, mine)).res.body.data.user.id).toBe(user.id);
    const theirs = githubUser(`theirs${Date.now() % 100000}`);
    await signUp(app, theirs);
    const taken = await start(theirs);
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'oauth:account_already_linked', message: 'OAuth account already linked to another user' });
    const second = await start(githubUser(`second${Date.now() % 100000}`));
    expect(second.body.error?.code).toBe('oauth:account_already_linked');
  });

  it('unlink: unknown connection → 404 oauth:connection_not_found; the last one of a passwordless account → 403 oauth:cannot_unlink_last_connection; with a password it goes', async () => {
    const oauthOnly = await signUp(app, githubUser(`ul${Date.now() % 100000}`));
    const none = await app.call('DELETE', '/v1/me/connections/discord', { token: oauthOnly.accessToken });
    expect(none.status).toBe(404);
    expect(none.body.error?.code).toBe('oauth:connection_not_found');
    const last = await app.call('DELETE', '/v1/me/connections/github', { token: oauthOnly.accessToken });
    expect(last.status).toBe(403);
    expect(last.body.error).toMatchObject({ code: 'oauth:cannot_unlink_last_connection', type: 'FORBIDDEN', message: 'Cannot remove last auth method' });
    expect((await app.call('POST', '/v1/me/password/set', { token: oauthOnly.accessToken, json: { newPassword: 'A-first-passphrase-1' } })).status).toBe(200);
    const gone = await app.call('DELETE', '/v1/me/connections/github', { token: oauthOnly.accessToken });
    expect(gone.status).toBe(200);
    expect((await app.call('GET', '/v1/me/connections', { token: oauthOnly.accessToken })).body.data).toEqual([]);
  });

  it('unlink that would leave only connections to providers no longer offered → 403 auth:last_method', async () => {
    const acct = await signUp(app, githubUser(`lm${Date.now() % 100000}`));
    // A connection made while "gitlab" was configured; this deployment no longer offers it.
    await app.container.sql.db
      .insertInto('oauth_connections')
      .values({ id: newId('oac'), user_id: acct.user.id, provider: 'gitlab', provider_user_id: `gl-${Date.now()}`, provider_email: null, provider_username: null, created_at: Date.now(), last_used_at: null })
      .execute();
    const res = await app.call('DELETE', '/v1/me/connections/github', { token: acct.accessToken });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('auth:last_method');
    // The stale one can go: GitHub still signs in.
    expect((await app.call('DELETE', '/v1/me/connections/gitlab', { token: acct.accessToken })).status).toBe(200);
  });

  it('Discord: the same flow against Discord-shaped endpoints (standard OAuth 2 errors, /users/@me, CDN avatar)', async () => {
    const who = githubUser(`dc${Date.now() % 100000}`);
    gh.approveAs(who);
    const { res } = await new Browser(app.call).visit('/v1/auth/oauth/discord');
    expect(res.body.data).toMatchObject({ handleRequired: true, provider: 'discord', email: who.emails[0]?.email, name: who.name, suggestedHandle: who.login });
    const done = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken: res.body.data.pendingToken, handle: identity('dc').handle } });
    expect(done.body.data.user.avatarUrl).toBe(`https://203.0.114.10/avatars/${who.id}/a1b2c3d4e5f6.png`);
    const again = new Browser(app.call);
    const stopped = await again.visit('/v1/auth/oauth/discord', { stopAt: (u) => u.pathname.endsWith('/callback') });
    const forged = new URL(stopped.url);
    forged.searchParams.set('code', 'forged');
    expect((await again.visit(forged.href)).res.body.error?.code).toBe('oauth:token_exchange_failed');
  });

  it('a banned account: 403 user:banned as JSON, or as the error in the fragment', async () => {
    const who = githubUser(`ban${Date.now() % 100000}`);
    const acct = await signUp(app, who);
    await app.services.users.update(acct.user.id, { banned_at: Date.now(), ban_reason: 'test' });
    const { res } = await flow(app, who);
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('user:banned');
    const redirected = await flow(app, who, `?redirect_uri=${encodeURIComponent(APP_REDIRECT)}`);
    expect(new URLSearchParams(redirected.url.hash.slice(1)).get('error')).toBe('user:banned');
    expect(redirected.browser.cookie('basalt.test', 'basalt_refresh')).toBeUndefined();
  });

  it('with 2FA on, an OAuth sign-in is the first factor only: {totpRequired, tempToken}', async () => {
    await freshStep();
    const who = githubUser(`tfa${Date.now() % 100000}`);
    const acct = await signUp(app, who);
    expect((await app.call('POST', '/v1/me/password/set', { token: acct.accessToken, json: { newPassword: 'A-first-passphrase-2' } })).status).toBe(200);
    const { secret } = await enableTotp(app.call, { id: acct.user.id, email: '', handle: acct.handle, password: 'A-first-passphrase-2' });
    const { res } = await flow(app, who);
    expect(res.body.data).toEqual({ totpRequired: true, tempToken: expect.any(String), expiresIn: 300 });
    expect((await app.call('POST', '/v1/auth/login/totp', { json: { tempToken: res.body.data.tempToken, code: codeFor(secret) } })).status).toBe(200);
  });
});

describe('OAuth provider configuration and state lifetime', () => {
  it('an authorization URL that cannot be built → 400 oauth:invalid_auth_url', async () => {
    for (const bad of ['not a url', 'http://github.example.test/login/oauth/authorize']) {
      const app = await startAccountsApp({ env: oauthEnv({ OAUTH_GITHUB_AUTHORIZE_URL: bad }) });
      try {
        const res = await app.call('GET', '/v1/auth/oauth/github');
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'oauth:invalid_auth_url', message: 'Failed to build authorization URL' });
      } finally {
        await app.close();
      }
    }
  });

  it('a token URL that cannot be built → 400 oauth:invalid_token_url at the callback', async () => {
    const app = await startAccountsApp({ env: oauthEnv({ OAUTH_GITHUB_TOKEN_URL: '::no-scheme' }) });
    try {
      const { res } = await flow(app, githubUser(`tu${Date.now() % 100000}`));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'oauth:invalid_token_url', message: 'Failed to build token exchange URL' });
    } finally {
      await app.close();
    }
  });

  it('a callback after the state lifetime (here 1 s) → 400 oauth:state_expired; so does an expired pending sign-up', async () => {
    const app = await startAccountsApp({ env: oauthEnv({ OAUTH_STATE_TTL_SECONDS: '1' }) });
    try {
      gh.approveAs(githubUser(`exp${Date.now() % 100000}`));
      const browser = new Browser(app.call);
      const stopped = await browser.visit('/v1/auth/oauth/github', { stopAt: (u) => u.pathname.endsWith('/callback') });
      await sleep(1100);
      const late = (await browser.visit(stopped.url.href)).res;
      expect(late.status).toBe(400);
      expect(late.body.error).toMatchObject({ code: 'oauth:state_expired', message: 'OAuth state has expired' });
      const { res } = await flow(app, githubUser(`exp2${Date.now() % 100000}`));
      await sleep(1100);
      const complete = await app.call('POST', '/v1/auth/oauth/complete', { json: { pendingToken: res.body.data.pendingToken, handle: identity('late').handle } });
      expect(complete.body.error?.code).toBe('oauth:state_expired');
    } finally {
      await app.close();
    }
  });
});
