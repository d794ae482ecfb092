import { describe, expect, it } from 'vitest';
import { newId, randomToken, secureRandomBytes } from './crypto.ts';

describe('secureRandomBytes', () => {
  it('returns exactly the bytes asked for, small draws and large ones', () => {
    for (const n of [0, 1, 6, 18, 32, 64, 65, 4096, 10_000]) expect(secureRandomBytes(n)).toHaveLength(n);
  });

  it('never hands out the same bytes twice, across many pool refills', () => {
    const seen = new Set<string>();
    // 20,000 × 12 bytes: about sixty refills of the 4 KiB pool.
    for (let i = 0; i < 20_000; i++) seen.add(secureRandomBytes(12).toString('hex'));
    expect(seen.size).toBe(20_000);
  });

  it('gives each caller its own copy: changing one draw changes no other', () => {
    const a = secureRandomBytes(32);
    const before = secureRandomBytes(32);
    const copy = Buffer.from(before);
    a.fill(0);
    expect(before.equals(copy)).toBe(true);
    expect(copy.equals(Buffer.alloc(32))).toBe(false);
  });

  it('is uniform enough to be random: every byte value turns up about as often', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 16_384; i++) for (const b of secureRandomBytes(16)) counts[b] = (counts[b] ?? 0) + 1;
    // 262,144 bytes: 1,024 expected per value; a count outside ±25% is ~8 standard deviations out.
    for (const c of counts) {
      expect(c).toBeGreaterThan(768);
      expect(c).toBeLessThan(1280);
    }
  });
});

describe('randomToken and newId', () => {
  it('encode 256 bits as base64url and ids as prefix, time and 64 random bits', () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newId('usr')).toMatch(/^usr_[0-9a-f]{28}$/);
    expect(newId('usr')).not.toBe(newId('usr'));
  });
});
