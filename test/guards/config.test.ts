import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { RULE_DEFAULTS, describeRules, resolveRules } from '../../src/http/rate-limit-rules.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('guard configuration', () => {
  it('has the issue defaults: login and register fail closed, the rest open', () => {
    const rules = describeRules(resolveRules(loadConfig({})));
    // A subset: modules may add rules of their own (e.g. per-project log ingest).
    expect(rules).toMatchObject({
      'api:ip': '1200/1m,open',
      'api:user': '600/1m,open',
      'login:ip': '10/1m,closed',
      'login:identifier': '5/1m,closed',
      'register:ip': '5/1m,closed',
      'forgot_password:email': '5/1h,open',
      'magic_link:email': '5/1h,open',
      'refresh:ip': '150/5m,open',
      'log_ingest:key': '6000/1m,open',
    });
  });

  it('reads every rule override from its variable', () => {
    const env = Object.fromEntries(Object.values(RULE_DEFAULTS).map((d) => [d.env, '7/3s,closed']));
    const rules = resolveRules(loadConfig(env));
    for (const r of Object.values(rules)) expect(r).toMatchObject({ limit: 7, windowMs: 3_000, failure: 'closed' });
  });

  it('keeps a default failure mode when an override gives none', () => {
    expect(resolveRules(loadConfig({ RATE_LIMIT_REFRESH_IP: '99/1m' }))['refresh:ip']).toMatchObject({ limit: 99, failure: 'open' });
  });

  it('normalises TRUSTED_PROXIES and refuses a bad entry by name', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.1.2.3/8, ::ffff:192.168.0.1 loopback' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '192.168.0.1/32',
      '127.0.0.0/8',
      '::1/128',
    ]);
    const p = problems({ TRUSTED_PROXIES: '10.0.0.0/8,10.0.0.0/40' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^TRUSTED_PROXIES: .*"10\.0\.0\.0\/40"/);
  });

  it('refuses malformed rules, flags, prefixes and Turnstile settings, naming each variable', () => {
    const p = problems({
      RATE_LIMIT_LOGIN_IP: 'ten per minute',
      RATE_LIMIT_ENABLED: 'maybe',
      RATE_LIMIT_IPV6_PREFIX: '200',
      TURNSTILE_VERIFY_URL: 'ftp://example.com/siteverify',
      TURNSTILE_TIMEOUT_MS: '0',
    });
    const names = p.map((line) => line.slice(0, line.indexOf(':')));
    expect(names.sort()).toEqual(['RATE_LIMIT_ENABLED', 'RATE_LIMIT_IPV6_PREFIX', 'RATE_LIMIT_LOGIN_IP', 'TURNSTILE_TIMEOUT_MS', 'TURNSTILE_VERIFY_URL']);
  });

  it('defaults Turnstile to off, Cloudflare siteverify and a 3 s timeout', () => {
    const c = loadConfig({});
    expect(c.TURNSTILE_SECRET).toBeUndefined();
    expect(c.TURNSTILE_VERIFY_URL).toBe('https://challenges.cloudflare.com/turnstile/v0/siteverify');
    expect(c.TURNSTILE_TIMEOUT_MS).toBe(3_000);
    expect(c.RATE_LIMIT_ENABLED).toBe(true);
    expect(loadConfig({ RATE_LIMIT_ENABLED: 'false' }).RATE_LIMIT_ENABLED).toBe(false);
  });
});
