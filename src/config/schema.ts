import { z } from 'zod';
import { formatCidr, parseCidrList } from '../lib/ip.ts';
import { parseRateSpec } from '../lib/rate-spec.ts';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(
      z
        .url({ error: `must be a URL (${protocols.join(', ')})` })
        .refine((v) => protocols.some((p) => v.startsWith(`${p}://`)), { error: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}` })
        .optional(),
    )
    .optional();

// Guards (rate limiting, client IP, Turnstile): see docs/guards.md.
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
/** `<limit>/<window>[,open|closed]` or `off` (null); unset: the rule's default (undefined). */
const rateRule = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    try {
      return parseRateSpec(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
/** IPs, CIDRs or named ranges (loopback, private, linklocal), comma-separated; normalised. */
const cidrList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    try {
      return parseCidrList(v ?? '').map(formatCidr);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** OAUTH_OIDC_PROVIDERS entries; names become the `:provider` path segment. */
const oidcProviderList = z
  .array(
    z.object({
      name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'must be 1–32 characters of a–z, 0–9 and -, starting with a letter' }).refine((n) => !['github', 'google', 'discord'].includes(n), { error: 'is a built-in provider name' }),
      issuer: z.string().trim().min(1),
      clientId: z.string().trim().min(1),
      clientSecret: z.string().trim().min(1),
      scopes: z.string().trim().default('openid email profile'),
    }),
  )
  .refine((list) => new Set(list.map((p) => p.name)).size === list.length, { error: 'provider names must be unique' });

/**
 * The whole environment Basalt reads, in one schema. Every variable is documented in the
 * README's configuration table; a bad value stops start-up with the variable's name.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  PUBLIC_URL: optionalUrl(['http', 'https']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  KV_PREFIX: z.string().default('basalt:'),
  KV_SWEEP_INTERVAL_MS: positiveInt.default(60_000),
  NATS_URL: optionalUrl(['nats', 'tls']),
  // Mail and the worker: see docs/mail.md.
  APP_NAME: z.string().trim().min(1).default('Basalt'),
  MAIL_FROM: z.string().trim().min(1).default('Basalt <no-reply@localhost>'),
  SMTP_URL: optionalUrl(['smtp', 'smtps']),
  SMTP_TIMEOUT_MS: positiveInt.default(10_000),
  WORKER_URL: optionalUrl(['http', 'https']),
  WORKER_PORT: port.default(3001),
  WORKER_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  WORKER_TIMEOUT_MS: positiveInt.default(30_000),
  BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  // accounts and sessions
  JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(15 * 60),
  SESSION_IDLE_TIMEOUT_SECONDS: positiveInt.default(7 * 24 * 3600),
  SESSION_ABSOLUTE_LIFETIME_SECONDS: positiveInt.default(30 * 24 * 3600),
  // A session record (and the signed-in user shown by GET /v1/me) is reused in memory this
  // long (0: read every time); revocation in another process reaches this one within it.
  SESSION_CACHE_TTL_SECONDS: z.coerce.number().min(0).max(60).default(1),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).default(10),
  // While the event loop is saturated, the share of one core password hashing may take (1: no
  // pacing); sign-ups and logins then queue instead of taking requests' CPU (docs/accounts.md).
  PASSWORD_HASH_BUSY_SHARE: z.coerce.number().min(0.01).max(1).default(0.1),
  // Password hashes that finish in quick succession are handed back together, at most this
  // often (0: each at once); a lone one goes back at once (docs/accounts.md).
  PASSWORD_HASH_HANDOVER_MS: z.coerce.number().int().min(0).max(1000).default(25),
  VERIFICATION_TOKEN_TTL_SECONDS: positiveInt.default(24 * 3600),
  RESET_TOKEN_TTL_SECONDS: positiveInt.default(3600),
  EMAIL_CHANGE_TOKEN_TTL_SECONDS: positiveInt.default(24 * 3600),
  REQUIRE_VERIFIED_EMAIL_FOR: z
    .string()
    .default('workspaces.create,posts.create,files.upload')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  TRUSTED_PROXIES: cidrList,
  RATE_LIMIT_ENABLED: flag.default(true),
  RATE_LIMIT_TIMEOUT_MS: positiveInt.default(500),
  RATE_LIMIT_IPV6_PREFIX: z.coerce.number().int().min(32).max(128).default(64),
  RATE_LIMIT_API_IP: rateRule,
  RATE_LIMIT_API_USER: rateRule,
  RATE_LIMIT_LOGIN_IP: rateRule,
  RATE_LIMIT_LOGIN_IDENTIFIER: rateRule,
  RATE_LIMIT_REGISTER_IP: rateRule,
  RATE_LIMIT_FORGOT_PASSWORD_EMAIL: rateRule,
  RATE_LIMIT_MAGIC_LINK_EMAIL: rateRule,
  RATE_LIMIT_REFRESH_IP: rateRule,
  RATE_LIMIT_LOG_INGEST_KEY: rateRule,
  RATE_LIMIT_LOG_INGEST_PROJECT: rateRule,
  TURNSTILE_SECRET: z.string().trim().min(1).optional(),
  TURNSTILE_VERIFY_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://challenges.cloudflare.com/turnstile/v0/siteverify'),
  TURNSTILE_TIMEOUT_MS: positiveInt.default(3_000),
  // Teams and API keys: see docs/teams.md. A verified key is trusted this long without a
  // database read (0: never cached); revocation elsewhere reaches this process within it.
  API_KEY_CACHE_TTL_SECONDS: z.coerce.number().min(0).max(300).default(10),
  API_KEY_LAST_USED_INTERVAL_SECONDS: z.coerce.number().min(0).default(60),
  // Content: posts, files, search, events (docs/content.md).
  MAX_UPLOAD_BYTES: positiveInt.default(25 * 1024 * 1024),
  UPLOAD_QUOTA_BYTES: positiveInt.default(1024 * 1024 * 1024),
  // auto: blobs are written around the page cache (O_DIRECT) where the file system allows it.
  BLOB_DIRECT_IO: z.enum(['auto', 'off']).default('auto'),
  EVENTS_RETENTION_SECONDS: positiveInt.default(3600),
  EVENTS_MAX_RETAINED: positiveInt.default(100_000),
  EVENTS_HEARTBEAT_SECONDS: positiveInt.default(15),
  EVENTS_POLL_MS: positiveInt.default(100),
  EVENTS_STREAM: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'letters, digits, _ and - only' }).default('basalt_events'),
  // auto: Meilisearch with MEILISEARCH_URL, else PostgreSQL with DATABASE_URL, else SQLite FTS5.
  SEARCH_BACKEND: z.enum(['auto', 'sqlite', 'postgres', 'meilisearch']).default('auto'),
  MEILISEARCH_URL: optionalUrl(['http', 'https']),
  MEILISEARCH_API_KEY: z.string().trim().min(1).optional(),
  // Meilisearch index names are letters, digits, _ and -; the prefix lets Basalts share a server.
  MEILISEARCH_INDEX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{0,64}$/, { error: 'letters, digits, _ and - only (at most 64)' }).default('basalt_'),
  // Logs: durable ingest queue, writer, hot cache, live tail, retention (docs/logs.md).
  LOG_QUEUE_MAX_BYTES: positiveInt.default(256 * 1024 * 1024),
  LOG_QUEUE_STREAM: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'letters, digits, _ and - only' }).default('basalt_logs'),
  LOG_WRITER: z.enum(['thread', 'inline', 'off']).default('thread'),
  LOG_WRITER_BATCH_ENTRIES: positiveInt.default(20_000),
  LOG_HOT_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(1000),
  LOG_HOT_CACHE_MINUTES: positiveInt.default(60),
  LOG_RETENTION_DAYS: positiveInt.max(3650).default(30),
  LOG_RETENTION_INTERVAL_SECONDS: positiveInt.default(300),
  LOG_RETENTION_BATCH: positiveInt.default(5000),
  LOG_TAIL_HEARTBEAT_SECONDS: positiveInt.default(15),
  LOG_TAIL_RECHECK_SECONDS: positiveInt.default(30),
  // Sign-in methods (OAuth / OIDC, magic link, TOTP, lockout): see docs/sign-in.md.
  // Provider endpoint URLs are plain strings on purpose: one that cannot be parsed is
  // reported per request (oauth:invalid_auth_url / oauth:invalid_token_url), like an
  // OIDC issuer whose discovery fails, instead of taking the whole server down.
  OAUTH_REDIRECT_ALLOWLIST: z.string().optional().transform((v) => (v ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean)),
  OAUTH_STATE_TTL_SECONDS: positiveInt.default(600),
  OAUTH_HTTP_TIMEOUT_MS: positiveInt.default(10_000),
  OAUTH_GITHUB_CLIENT_ID: z.string().trim().min(1).optional(),
  OAUTH_GITHUB_CLIENT_SECRET: z.string().trim().min(1).optional(),
  OAUTH_GITHUB_SCOPES: z.string().trim().default('read:user user:email'),
  OAUTH_GITHUB_AUTHORIZE_URL: z.string().trim().default('https://github.com/login/oauth/authorize'),
  OAUTH_GITHUB_TOKEN_URL: z.string().trim().default('https://github.com/login/oauth/access_token'),
  OAUTH_GITHUB_API_URL: z.string().trim().default('https://api.github.com'),
  OAUTH_DISCORD_CLIENT_ID: z.string().trim().min(1).optional(),
  OAUTH_DISCORD_CLIENT_SECRET: z.string().trim().min(1).optional(),
  OAUTH_DISCORD_SCOPES: z.string().trim().default('identify email'),
  OAUTH_DISCORD_AUTHORIZE_URL: z.string().trim().default('https://discord.com/oauth2/authorize'),
  OAUTH_DISCORD_TOKEN_URL: z.string().trim().default('https://discord.com/api/oauth2/token'),
  OAUTH_DISCORD_API_URL: z.string().trim().default('https://discord.com/api'),
  OAUTH_DISCORD_CDN_URL: z.string().trim().default('https://cdn.discordapp.com'),
  OAUTH_GOOGLE_CLIENT_ID: z.string().trim().min(1).optional(),
  OAUTH_GOOGLE_CLIENT_SECRET: z.string().trim().min(1).optional(),
  OAUTH_GOOGLE_SCOPES: z.string().trim().default('openid email profile'),
  OAUTH_GOOGLE_ISSUER: z.string().trim().default('https://accounts.google.com'),
  /** Any number of OpenID Connect providers by issuer URL (discovery), as a JSON array. */
  OAUTH_OIDC_PROVIDERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [];
      let raw: unknown;
      try {
        raw = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {name, issuer, clientId, clientSecret, scopes?}' });
        return z.NEVER;
      }
      const parsed = oidcProviderList.safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return z.NEVER;
      }
      return parsed.data;
    }),
  MAGIC_LINK_TTL_SECONDS: positiveInt.default(15 * 60),
  TOTP_ISSUER: z.string().trim().min(1).optional(),
  TOTP_TEMP_TOKEN_TTL_SECONDS: positiveInt.default(5 * 60),
  LOGIN_LOCKOUT_THRESHOLD: positiveInt.default(10),
  LOGIN_LOCKOUT_WINDOW_SECONDS: positiveInt.default(15 * 60),
  LOGIN_LOCKOUT_SECONDS: positiveInt.default(15 * 60),
}).superRefine((c, ctx) => {
  // The worker refuses to run in production without a token; an API that could not call it is a misconfiguration too.
  if (c.NODE_ENV === 'production' && c.WORKER_URL !== undefined && c.WORKER_TOKEN === undefined) {
    ctx.addIssue({ code: 'custom', path: ['WORKER_TOKEN'], message: 'required in production when WORKER_URL is set' });
  }
  if (c.SEARCH_BACKEND === 'meilisearch' && c.MEILISEARCH_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['MEILISEARCH_URL'], message: 'required when SEARCH_BACKEND=meilisearch (the Meilisearch server, e.g. http://127.0.0.1:7700)' });
  }
});

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;

export interface Config extends Omit<Parsed, 'PUBLIC_URL' | 'LOG_FORMAT'> {
  PUBLIC_URL: string;
  LOG_FORMAT: 'json' | 'pretty';
}
