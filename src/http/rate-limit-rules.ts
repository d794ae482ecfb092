import type { Config } from '../config/index.ts';
import { formatRateSpec, type FailureMode, type RateSpec } from '../lib/rate-spec.ts';

/**
 * Every rate-limit rule in one place. A rule names a budget ("10 per minute"), what it is
 * counted by, and what happens while the limiter's store is down. Each can be changed or
 * switched off from the environment (`RATE_LIMIT_<RULE>=10/1m,closed` or `off`).
 *
 * Failure modes: a `closed` rule refuses with 503 `rate_limit:store_unavailable` while the
 * store is down, because an unlimited login or register endpoint is an open door for
 * credential stuffing and sign-up spam; an `open` rule lets the request through, since
 * refusing all traffic would turn a cache outage into a full outage. Both log a warning.
 */
export type RuleName =
  | 'api:ip'
  | 'api:user'
  | 'login:ip'
  | 'login:identifier'
  | 'register:ip'
  | 'forgot_password:email'
  | 'magic_link:email'
  | 'refresh:ip'
  | 'log_ingest:key'
  | 'log_ingest:project';

/** What a rule counts by; each has a default key function (see rate-limit-keys.ts). */
export type KeyKind = 'ip' | 'user' | 'api_key' | 'project' | 'login' | 'email';

export interface RateLimitRuleConfig {
  name: RuleName;
  limit: number;
  windowMs: number;
  failure: FailureMode;
  key: KeyKind;
}

/** The config fields that hold a rule override. */
type RuleEnvVar = { [K in keyof Config]-?: Config[K] extends RateSpec | null | undefined ? K : never }[keyof Config];

interface RuleDefault extends Omit<RateLimitRuleConfig, 'name'> {
  env: RuleEnvVar;
  /** For docs/guards.md. */
  applies: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const RULE_DEFAULTS: Readonly<Record<RuleName, RuleDefault>> = {
  'api:ip': { limit: 1200, windowMs: MINUTE, failure: 'open', key: 'ip', env: 'RATE_LIMIT_API_IP', applies: 'every `/v1/*` request, per client IP' },
  'api:user': { limit: 600, windowMs: MINUTE, failure: 'open', key: 'user', env: 'RATE_LIMIT_API_USER', applies: 'every `/v1/*` request of a signed-in user, per user (anonymous requests: `api:ip` only)' },
  'login:ip': { limit: 10, windowMs: MINUTE, failure: 'closed', key: 'ip', env: 'RATE_LIMIT_LOGIN_IP', applies: 'login, per client IP' },
  'login:identifier': { limit: 5, windowMs: MINUTE, failure: 'closed', key: 'login', env: 'RATE_LIMIT_LOGIN_IDENTIFIER', applies: 'login, per e-mail or handle tried (body `login`)' },
  'register:ip': { limit: 5, windowMs: MINUTE, failure: 'closed', key: 'ip', env: 'RATE_LIMIT_REGISTER_IP', applies: 'register, per client IP' },
  'forgot_password:email': { limit: 5, windowMs: HOUR, failure: 'open', key: 'email', env: 'RATE_LIMIT_FORGOT_PASSWORD_EMAIL', applies: 'forgot-password, per address (body `email`)' },
  'magic_link:email': { limit: 5, windowMs: HOUR, failure: 'open', key: 'email', env: 'RATE_LIMIT_MAGIC_LINK_EMAIL', applies: 'magic-link request, per address (body `email`)' },
  'refresh:ip': { limit: 150, windowMs: 5 * MINUTE, failure: 'open', key: 'ip', env: 'RATE_LIMIT_REFRESH_IP', applies: 'token refresh, per client IP' },
  'log_ingest:key': { limit: 6000, windowMs: MINUTE, failure: 'open', key: 'api_key', env: 'RATE_LIMIT_LOG_INGEST_KEY', applies: 'log ingest, per API key' },
  'log_ingest:project': { limit: 12000, windowMs: MINUTE, failure: 'open', key: 'project', env: 'RATE_LIMIT_LOG_INGEST_PROJECT', applies: 'log ingest, per project (all its keys together)' },
};

export const RULE_NAMES = Object.keys(RULE_DEFAULTS) as RuleName[];

/** The effective rules: defaults overridden from config; null where a rule is switched off. */
export function resolveRules(config: Config): Record<RuleName, RateLimitRuleConfig | null> {
  const out = {} as Record<RuleName, RateLimitRuleConfig | null>;
  for (const name of RULE_NAMES) {
    const d = RULE_DEFAULTS[name];
    const override = config[d.env];
    if (override === null) {
      out[name] = null;
      continue;
    }
    out[name] = {
      name,
      key: d.key,
      limit: override?.limit ?? d.limit,
      windowMs: override?.windowMs ?? d.windowMs,
      failure: override?.failure ?? d.failure,
    };
  }
  return out;
}

/** One line per rule for the start-up log and docs. */
export function describeRules(rules: Record<RuleName, RateLimitRuleConfig | null>): Record<RuleName, string> {
  const out = {} as Record<RuleName, string>;
  for (const name of RULE_NAMES) {
    const r = rules[name];
    out[name] = r ? `${formatRateSpec(r)},${r.failure}` : 'off';
  }
  return out;
}
