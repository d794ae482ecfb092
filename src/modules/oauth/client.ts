import * as oidc from 'openid-client';
import { AppError, type ErrorCode } from '../../errors/index.ts';
import { parseIp } from '../../lib/ip.ts';
import type { OAuth2Provider, OidcProvider, Provider } from './providers.ts';

/** Who the provider says the user is, normalised across providers. */
export interface ProviderProfile {
  providerUserId: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  username: string | null;
  avatarUrl: string | null;
}

export interface ProviderTokens {
  accessToken: string;
  /** Validated ID token claims (OpenID Connect only). */
  idClaims?: Record<string, unknown>;
}

type Purpose = 'auth' | 'token';
const URL_CODE: Record<Purpose, ErrorCode> = { auth: 'oauth:invalid_auth_url', token: 'oauth:invalid_token_url' };

function isLoopback(url: URL): boolean {
  if (url.hostname === 'localhost') return true;
  const ip = parseIp(url.hostname.replace(/^\[|\]$/g, ''));
  return ip !== null && (ip.family === 4 ? ip.bytes[0] === 127 : ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0)));
}

/**
 * A provider endpoint from configuration: https, or http on loopback only (development and
 * tests). Anything else cannot be used to build the request → the purpose's code.
 */
function endpoint(raw: string, purpose: Purpose, path = ''): URL {
  let url: URL;
  try {
    url = new URL(raw.replace(/\/+$/, '') + path);
  } catch (cause) {
    throw new AppError(URL_CODE[purpose], { cause });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new AppError(URL_CODE[purpose], { cause: new Error(`${url.protocol} endpoint outside loopback: ${url.origin}`) });
  }
  return url;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/**
 * The OAuth 2 / OpenID Connect protocol, on `openid-client`: discovery, the authorization
 * URL with PKCE (S256), the code exchange (ID token validated: signature, issuer, audience,
 * nonce), and the provider's user endpoints. Every failure leaves here as an `oauth:*` code.
 */
export class OAuthClient {
  private readonly discovered = new Map<string, Promise<oidc.Configuration>>();

  constructor(private readonly options: { timeoutMs: number }) {}

  private async configuration(p: Provider, purpose: Purpose): Promise<oidc.Configuration> {
    return p.kind === 'oidc' ? this.discover(p, purpose) : this.manual(p, purpose);
  }

  private manual(p: OAuth2Provider, purpose: Purpose): oidc.Configuration {
    const authorizeUrl = endpoint(p.authorizeUrl, 'auth');
    const tokenUrl = purpose === 'token' ? endpoint(p.tokenUrl, 'token') : undefined;
    const config = new oidc.Configuration(
      { issuer: new URL(authorizeUrl).origin, authorization_endpoint: authorizeUrl.href, ...(tokenUrl ? { token_endpoint: tokenUrl.href } : {}) },
      p.clientId,
      undefined,
      oidc.ClientSecretPost(p.clientSecret),
    );
    if (authorizeUrl.protocol === 'http:' || tokenUrl?.protocol === 'http:') oidc.allowInsecureRequests(config);
    config.timeout = Math.ceil(this.options.timeoutMs / 1000);
    return config;
  }

  private async discover(p: OidcProvider, purpose: Purpose): Promise<oidc.Configuration> {
    const issuer = endpoint(p.issuer, purpose);
    let pending = this.discovered.get(p.name);
    if (!pending) {
      pending = oidc.discovery(issuer, p.clientId, undefined, oidc.ClientSecretBasic(p.clientSecret), {
        timeout: Math.ceil(this.options.timeoutMs / 1000),
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      this.discovered.set(p.name, pending);
      // A failed discovery is retried on the next request, not remembered.
      pending.catch(() => this.discovered.delete(p.name));
    }
    let config: oidc.Configuration;
    try {
      config = await pending;
    } catch (cause) {
      throw new AppError(URL_CODE[purpose], { cause });
    }
    const meta = config.serverMetadata();
    const url = purpose === 'auth' ? meta.authorization_endpoint : meta.token_endpoint;
    if (!url) throw new AppError(URL_CODE[purpose], { cause: new Error(`discovery document has no ${purpose === 'auth' ? 'authorization' : 'token'}_endpoint`) });
    endpoint(url, purpose);
    return config;
  }

  async authorizationUrl(p: Provider, input: { redirectUri: string; state: string; verifier: string; nonce: string }): Promise<string> {
    const config = await this.configuration(p, 'auth');
    const params: Record<string, string> = {
      redirect_uri: input.redirectUri,
      response_type: 'code',
      scope: p.scopes,
      state: input.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(input.verifier),
      code_challenge_method: 'S256',
    };
    if (p.kind === 'oidc') params.nonce = input.nonce;
    try {
      return oidc.buildAuthorizationUrl(config, params).href;
    } catch (cause) {
      throw new AppError('oauth:invalid_auth_url', { cause });
    }
  }

  /** Code → tokens. The provider refusing (bad code, wrong verifier, user declined) → token_exchange_failed. */
  async exchange(p: Provider, callbackUrl: URL, checks: { verifier: string; state: string; nonce: string }): Promise<ProviderTokens> {
    const config = await this.configuration(p, 'token');
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        ...(p.kind === 'oidc' ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
      });
      const idClaims = tokens.claims();
      return { accessToken: tokens.access_token, ...(idClaims ? { idClaims: { ...idClaims } } : {}) };
    } catch (cause) {
      throw new AppError('oauth:token_exchange_failed', { cause });
    }
  }

  async profile(p: Provider, tokens: ProviderTokens): Promise<ProviderProfile> {
    if (p.kind === 'oidc') return this.oidcProfile(p, tokens);
    return p.kind === 'github' ? this.github(p, tokens.accessToken) : this.discord(p, tokens.accessToken);
  }

  /** GET a provider's JSON: transport or HTTP failure → fetch_failed; not JSON → parse_failed. */
  private async getJson(url: URL, accessToken: string, headers: Record<string, string> = {}): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': 'Basalt', ...headers }, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (cause) {
      throw new AppError('oauth:user_info_fetch_failed', { cause });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new AppError('oauth:user_info_fetch_failed', { cause: new Error(`${url.pathname} answered ${res.status}`) });
    }
    try {
      return await res.json();
    } catch (cause) {
      throw new AppError('oauth:user_info_parse_failed', { cause });
    }
  }

  private unparseable(what: string): AppError {
    return new AppError('oauth:user_info_parse_failed', { cause: new Error(what) });
  }

  private async github(p: OAuth2Provider, accessToken: string): Promise<ProviderProfile> {
    const gh = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
    const user = (await this.getJson(endpoint(p.apiUrl, 'token', '/user'), accessToken, gh)) as Record<string, unknown> | null;
    if (!user || typeof user !== 'object' || (typeof user.id !== 'number' && typeof user.id !== 'string')) throw this.unparseable('GitHub /user has no id');
    const emails = await this.getJson(endpoint(p.apiUrl, 'token', '/user/emails'), accessToken, gh);
    if (!Array.isArray(emails)) throw this.unparseable('GitHub /user/emails is not a list');
    const entries = emails.filter((e): e is { email: string; primary?: boolean; verified?: boolean } => !!e && typeof e === 'object' && typeof (e as { email?: unknown }).email === 'string');
    const primary = entries.find((e) => e.primary === true) ?? entries[0];
    return {
      providerUserId: String(user.id),
      email: primary?.email.toLowerCase() ?? null,
      emailVerified: primary?.verified === true,
      name: str(user.name),
      username: str(user.login),
      avatarUrl: str(user.avatar_url),
    };
  }

  private async discord(p: OAuth2Provider, accessToken: string): Promise<ProviderProfile> {
    const user = (await this.getJson(endpoint(p.apiUrl, 'token', '/users/@me'), accessToken)) as Record<string, unknown> | null;
    if (!user || typeof user !== 'object' || typeof user.id !== 'string') throw this.unparseable('Discord /users/@me has no id');
    const avatar = str(user.avatar);
    return {
      providerUserId: user.id,
      email: str(user.email)?.toLowerCase() ?? null,
      emailVerified: user.verified === true,
      name: str(user.global_name),
      username: str(user.username),
      avatarUrl: avatar && p.cdnUrl ? `${p.cdnUrl.replace(/\/+$/, '')}/avatars/${user.id}/${avatar}.png` : null,
    };
  }

  private async oidcProfile(p: OidcProvider, tokens: ProviderTokens): Promise<ProviderProfile> {
    const config = await this.configuration(p, 'token');
    const idClaims = tokens.idClaims ?? {};
    const sub = str(idClaims.sub);
    if (!sub) throw this.unparseable('ID token has no sub');
    let claims: Record<string, unknown> = idClaims;
    const userinfo = config.serverMetadata().userinfo_endpoint;
    if (userinfo) {
      const info = (await this.getJson(endpoint(userinfo, 'token'), tokens.accessToken)) as Record<string, unknown> | null;
      if (!info || typeof info !== 'object') throw this.unparseable('userinfo is not an object');
      // OIDC Core 5.3.2: a userinfo answer for another subject must not be used.
      if (info.sub !== sub) throw this.unparseable('userinfo sub differs from the ID token');
      claims = { ...idClaims, ...info };
    }
    const verified = claims.email_verified;
    return {
      providerUserId: sub,
      email: str(claims.email)?.toLowerCase() ?? null,
      emailVerified: verified === true || verified === 'true',
      name: str(claims.name),
      username: str(claims.preferred_username) ?? str(claims.nickname),
      avatarUrl: str(claims.picture),
    };
  }
}
