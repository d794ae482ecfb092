import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

export interface OidcAccount {
  email: string;
  email_verified: boolean;
  name?: string;
  preferred_username?: string;
  picture?: string;
}

export interface OidcServer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account that logs in and consents at the next interaction. */
  signInAs(sub: string, account: OidcAccount): void;
  /** Makes the userinfo endpoint answer 503 (a provider outage after the code exchange). */
  failUserinfo: boolean;
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (the `oidc-provider` package) on loopback. Its login and consent
 * interactions are completed programmatically through the provider's own interaction API
 * (interactionDetails / Grant / interactionFinished), as an interaction UI would.
 */
export async function startOidcServer(redirectUris: string[]): Promise<OidcServer> {
  const accounts = new Map<string, OidcAccount>();
  let current: string | undefined;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const clientId = 'basalt-test-client';
  const clientSecret = 'basalt-test-client-secret-0123456789';

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [jwk] as never },
    cookies: { keys: ['oidc-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'picture'] },
    features: { devInteractions: { enabled: false } },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...account }) };
    },
  };
  const provider = new Provider(issuer, configuration);
  const state = { failUserinfo: false };
  const handle = provider.callback();

  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      if (url.pathname.startsWith('/interaction/')) {
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === 'login') {
          if (!current) throw new Error('no account chosen for the login interaction');
          await provider.interactionFinished(req, res, { login: { accountId: current } }, { mergeWithLastSubmission: false });
          return;
        }
        const accountId = details.session?.accountId as string;
        const grant = details.grantId ? ((await provider.Grant.find(details.grantId)) as InstanceType<typeof provider.Grant>) : new provider.Grant({ accountId, clientId: details.params.client_id as string });
        const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      if (url.pathname === '/me' && state.failUserinfo) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
        return;
      }
      handle(req, res);
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (sub, account) => {
      accounts.set(sub, account);
      current = sub;
    },
    get failUserinfo() {
      return state.failUserinfo;
    },
    set failUserinfo(v: boolean) {
      state.failUserinfo = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
