import type { Kysely } from 'kysely';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import type { KvStore } from '../../ports/kv.ts';
import type { EmailTokens } from '../accounts/email-tokens.ts';
import type { UsersRepo } from '../accounts/repo.ts';
import type { Mailer } from '../mail/mailer.ts';
import { MagicLinkService } from '../magic-link/service.ts';
import { OAuthClient } from '../oauth/client.ts';
import { providersFromConfig } from '../oauth/providers.ts';
import { ConnectionsRepo } from '../oauth/repo.ts';
import { OAuthService } from '../oauth/service.ts';
import { SignInLockout } from './lockout.ts';
import { qrcodeRenderer } from './qr.ts';
import { TotpRepo } from './repo.ts';
import { SecretBox } from './secret-box.ts';
import { TotpService, type QrRenderer } from './service.ts';
import { Tickets } from './tickets.ts';

export interface SignInMethodsDeps {
  config: Config;
  db: Kysely<Database>;
  /** The SQL store can lock rows (PostgreSQL): unlinking locks the user row. */
  rowLocks: boolean;
  kv: KvStore;
  users: UsersRepo;
  tokens: EmailTokens;
  mailer: Mailer;
  logger: Logger;
  signingKey: Uint8Array;
  /** Test seams: generators for TOTP setup. */
  qr?: QrRenderer;
  secretSource?: () => Uint8Array;
}

export interface SignInMethods {
  lockout: SignInLockout;
  totp: TotpService;
  magicLink: MagicLinkService;
  oauth: OAuthService;
}

/**
 * The sign-in methods beyond the password (TOTP 2FA + lockout, magic link, OAuth), wired from the
 * container's adapters. The composition root hands `lockout` and `totp` to the password
 * sign-in as well, so failures count across both steps.
 */
export function buildSignInMethods(deps: SignInMethodsDeps): SignInMethods {
  const { config, kv, users } = deps;
  const lockout = new SignInLockout(kv, {
    threshold: config.LOGIN_LOCKOUT_THRESHOLD,
    windowMs: config.LOGIN_LOCKOUT_WINDOW_SECONDS * 1000,
    lockMs: config.LOGIN_LOCKOUT_SECONDS * 1000,
  });
  const totp = new TotpService({
    users,
    repo: new TotpRepo(deps.db),
    box: new SecretBox(deps.signingKey),
    lockout,
    tempTokens: new Tickets(kv, 'totp:temp', config.TOTP_TEMP_TOKEN_TTL_SECONDS * 1000),
    tempTokenTtlSeconds: config.TOTP_TEMP_TOKEN_TTL_SECONDS,
    issuer: config.TOTP_ISSUER ?? config.APP_NAME,
    qr: deps.qr ?? qrcodeRenderer,
    ...(deps.secretSource ? { secretSource: deps.secretSource } : {}),
  });
  const magicLink = new MagicLinkService({
    users,
    tokens: deps.tokens,
    mailer: deps.mailer,
    logger: deps.logger,
    secondFactor: totp,
    ttlSeconds: config.MAGIC_LINK_TTL_SECONDS,
  });
  const oauthTtlMs = config.OAUTH_STATE_TTL_SECONDS * 1000;
  const oauth = new OAuthService({
    users,
    connections: new ConnectionsRepo(deps.db, deps.rowLocks),
    client: new OAuthClient({ timeoutMs: config.OAUTH_HTTP_TIMEOUT_MS }),
    providers: providersFromConfig(config),
    states: new Tickets(kv, 'oauth:state', oauthTtlMs),
    pending: new Tickets(kv, 'oauth:pending', oauthTtlMs),
    secondFactor: totp,
    publicUrl: config.PUBLIC_URL,
    redirectAllowlist: config.OAUTH_REDIRECT_ALLOWLIST,
    ttlSeconds: config.OAUTH_STATE_TTL_SECONDS,
  });
  return { lockout, totp, magicLink, oauth };
}
