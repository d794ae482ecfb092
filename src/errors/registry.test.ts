import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCatalogMarkdown } from './catalog.ts';
import { ERROR_CODES, isErrorCode } from './codes.ts';
import { ERROR_TYPES } from './types.ts';

const seed = (name: string) => readFileSync(new URL(`../../docs/seeds/${name}`, import.meta.url), 'utf8');

/** Rows of seed 000: `code | status | description |`. */
function seed000Codes(): Array<{ code: string; status: number }> {
  return seed('000-error-codes.txt')
    .split('\n')
    .map((line) => /^([A-Za-z_]+(?::[a-z_]+)?) \| (\d{3}) \|/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ code: m[1] as string, status: Number(m[2]) }));
}

describe('error registry', () => {
  const seedCodes = seed000Codes();

  it('reads all 76 codes of seed 000', () => {
    expect(seedCodes).toHaveLength(76);
  });

  it.each(seed000Codes())('has $code with the seed status $status or a recorded deviation', ({ code, status }) => {
    expect(isErrorCode(code)).toBe(true);
    if (!isErrorCode(code)) return;
    const def = ERROR_CODES[code];
    if (def.status === status) {
      expect(def.deviation).toBeUndefined();
    } else {
      expect(def.deviation?.seedStatus).toBe(status);
      expect(def.deviation?.why.length).toBeGreaterThan(10);
    }
  });

  it('applies the DESIGN.md deviations', () => {
    expect(ERROR_CODES['user:not_verified']).toMatchObject({ status: 403, type: 'FORBIDDEN' });
    expect(ERROR_CODES['oauth:cannot_unlink_last_connection']).toMatchObject({ status: 403, type: 'FORBIDDEN', message: 'Cannot remove last auth method' });
    expect(ERROR_CODES['system:internal_error']).toMatchObject({ status: 500, type: 'INTERNAL_ERROR' });
  });

  it('uses every class of seed 003 as a type', () => {
    const classes = [...seed('003-error-reference.txt').matchAll(/^([A-Z_]+) \| (\d{3}) \|/gm)].map((m) => m[1]);
    expect(classes).toEqual(['UNAUTHORIZED', 'AUTH_FAILED', 'VALIDATION_ERROR', 'NOT_FOUND', 'FORBIDDEN', 'RATE_LIMITED', 'INVALID_SOURCE', 'INTERNAL_ERROR']);
    const used = new Set(Object.values(ERROR_CODES).map((d) => d.type));
    for (const c of classes) expect(used.has(c as (typeof ERROR_TYPES)[number])).toBe(true);
  });

  it('keeps seed 003 scenario messages', () => {
    expect(ERROR_CODES['user:unauthorized'].message).toBe('Authentication required');
    expect(ERROR_CODES['user:invalid_token'].message).toBe('Invalid token');
    expect(ERROR_CODES['user:token_expired'].message).toBe('Token expired');
    expect(ERROR_CODES['apikey:invalid'].message).toBe('Invalid or revoked API key');
    expect(ERROR_CODES['user:invalid_password']).toMatchObject({ type: 'AUTH_FAILED', message: 'Invalid email or password' });
    expect(ERROR_CODES['token:expired_magic_link']).toMatchObject({ status: 401, type: 'AUTH_FAILED', message: 'Invalid or expired magic link' });
    expect(ERROR_CODES['user:email_already_exists']).toMatchObject({ status: 409, type: 'VALIDATION_ERROR', message: 'User with this email already exists' });
    expect(ERROR_CODES['workspace:slug_already_exists']).toMatchObject({ status: 409, type: 'VALIDATION_ERROR', message: 'Slug already taken' });
    expect(ERROR_CODES['workspace:role_insufficient'].message).toBe('Insufficient role');
    expect(ERROR_CODES['apikey:scope_insufficient'].message).toBe('Insufficient scope');
    expect(ERROR_CODES['workspace:owner_only'].message).toBe('Only owner can transfer');
    expect(ERROR_CODES['oauth:unsupported_provider']).toMatchObject({ status: 400, type: 'VALIDATION_ERROR', message: 'Unsupported OAuth provider' });
    expect(ERROR_CODES['logs:invalid_source']).toMatchObject({ status: 400, type: 'INVALID_SOURCE' });
  });

  it('gives every code a status, a type, a message and a scenario', () => {
    for (const [code, def] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^([a-z_]+:[a-z_]+|FORBIDDEN|FILE_TOO_LARGE)$/);
      expect(ERROR_TYPES).toContain(def.type);
      expect(def.message.length).toBeGreaterThan(3);
      expect(def.scenario.length).toBeGreaterThan(10);
      // 409 conflicts are VALIDATION_ERROR (seed 003); 5xx are internal or retryable.
      if (def.status === 409) expect(def.type).toBe('VALIDATION_ERROR');
      if (def.status >= 502) expect(def.type).toBe('SERVICE_UNAVAILABLE');
    }
  });

  it('docs/errors.md is generated from the registry (run `npm run docs:errors` when this fails)', () => {
    const onDisk = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderCatalogMarkdown());
  });
});
