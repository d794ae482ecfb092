import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp } from '../../src/lib/totp.ts';

// RFC 6238 Appendix B: the seeds are ASCII digits repeated to the hash's block size.
const SEEDS = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
} as const;

const RFC6238: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238 Appendix B test vectors)', () => {
  it.each(RFC6238)('T=%i s: SHA1 %s, SHA256 %s, SHA512 %s', (seconds, sha1, sha256, sha512) => {
    const ms = seconds * 1000;
    expect(totp(SEEDS.sha1, ms, { digits: 8, algorithm: 'sha1' })).toBe(sha1);
    expect(totp(SEEDS.sha256, ms, { digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(totp(SEEDS.sha512, ms, { digits: 8, algorithm: 'sha512' })).toBe(sha512);
  });
});

describe('HOTP (RFC 4226 Appendix D test values)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(expected.map((code, counter) => [counter, code] as const))('counter %i → %s', (counter, code) => {
    expect(hotp(SEEDS.sha1, counter)).toBe(code);
  });
});

describe('matching and encoding', () => {
  const now = 1111111111_000;
  it('accepts ±1 step of skew and reports the matched step; refuses 2 steps and malformed codes', () => {
    const step = Math.floor(now / 30_000);
    expect(matchTotp(SEEDS.sha1, totp(SEEDS.sha1, now), now)).toBe(step);
    expect(matchTotp(SEEDS.sha1, totp(SEEDS.sha1, now - 30_000), now)).toBe(step - 1);
    expect(matchTotp(SEEDS.sha1, totp(SEEDS.sha1, now + 30_000), now)).toBe(step + 1);
    expect(matchTotp(SEEDS.sha1, totp(SEEDS.sha1, now - 60_000), now)).toBeNull();
    expect(matchTotp(SEEDS.sha1, '12345', now)).toBeNull();
    expect(matchTotp(SEEDS.sha1, 'abcdef', now)).toBeNull();
  });

  it('base32 round-trips (RFC 4648 vectors) and the otpauth URI carries what apps need', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
    expect(base32Decode('mzxw 6ytb oi').toString()).toBe('foobar');
    expect(() => base32Decode('MZ1')).toThrow();
    const bytes = Buffer.from(Array.from({ length: 20 }, (_, i) => i * 13));
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    const text = otpauthUri({ issuer: 'Basalt', account: 'ada@example.com', secret: 'ABC' });
    expect(text.startsWith('otpauth://totp/Basalt:ada%40example.com?')).toBe(true);
    const uri = new URL(text);
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: 'ABC', issuer: 'Basalt', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
