import type { Config } from '../../config/index.ts';

interface Common {
  name: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
}

/** An OpenID Connect provider, found by discovery from its issuer URL (Google is one). */
export interface OidcProvider extends Common {
  kind: 'oidc';
  issuer: string;
}

/** A plain OAuth 2 provider with its own user endpoints (GitHub, Discord). */
export interface OAuth2Provider extends Common {
  kind: 'github' | 'discord';
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
  /** Discord: where avatar images live. */
  cdnUrl?: string;
}

export type Provider = OidcProvider | OAuth2Provider;

/**
 * The providers this deployment has enabled: a built-in one when both its client id and
 * secret are set, plus every OAUTH_OIDC_PROVIDERS entry. Names are the `:provider` segment.
 */
export function providersFromConfig(config: Config): Map<string, Provider> {
  const map = new Map<string, Provider>();
  const { OAUTH_GITHUB_CLIENT_ID: ghId, OAUTH_GITHUB_CLIENT_SECRET: ghSecret } = config;
  if (ghId && ghSecret) {
    map.set('github', {
      kind: 'github',
      name: 'github',
      clientId: ghId,
      clientSecret: ghSecret,
      scopes: config.OAUTH_GITHUB_SCOPES,
      authorizeUrl: config.OAUTH_GITHUB_AUTHORIZE_URL,
      tokenUrl: config.OAUTH_GITHUB_TOKEN_URL,
      apiUrl: config.OAUTH_GITHUB_API_URL,
    });
  }
  const { OAUTH_DISCORD_CLIENT_ID: dcId, OAUTH_DISCORD_CLIENT_SECRET: dcSecret } = config;
  if (dcId && dcSecret) {
    map.set('discord', {
      kind: 'discord',
      name: 'discord',
      clientId: dcId,
      clientSecret: dcSecret,
      scopes: config.OAUTH_DISCORD_SCOPES,
      authorizeUrl: config.OAUTH_DISCORD_AUTHORIZE_URL,
      tokenUrl: config.OAUTH_DISCORD_TOKEN_URL,
      apiUrl: config.OAUTH_DISCORD_API_URL,
      cdnUrl: config.OAUTH_DISCORD_CDN_URL,
    });
  }
  const { OAUTH_GOOGLE_CLIENT_ID: ggId, OAUTH_GOOGLE_CLIENT_SECRET: ggSecret } = config;
  if (ggId && ggSecret) {
    map.set('google', { kind: 'oidc', name: 'google', clientId: ggId, clientSecret: ggSecret, scopes: config.OAUTH_GOOGLE_SCOPES, issuer: config.OAUTH_GOOGLE_ISSUER });
  }
  for (const p of config.OAUTH_OIDC_PROVIDERS) {
    map.set(p.name, { kind: 'oidc', name: p.name, clientId: p.clientId, clientSecret: p.clientSecret, scopes: p.scopes, issuer: p.issuer });
  }
  return map;
}
