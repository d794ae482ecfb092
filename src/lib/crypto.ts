import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A URL-safe random secret; 32 bytes = 256 bits by default. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex digest: how high-entropy secrets (tokens, API keys) are stored at rest. */
export function sha256(value: string): string {
  // The one-shot hash: no Hash object per call (less than half the cost; every API-key request hashes).
  return hash('sha256', value, 'hex');
}

/**
 * Constant-time string comparison. Both sides are hashed first so neither the content nor
 * the length of the secret leaks through timing.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb);
}

/**
 * A sortable id: prefix, 12 hex digits of milliseconds, 16 hex digits of randomness.
 * Sorting ids sorts by creation time, which keyset cursors rely on.
 */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${randomBytes(8).toString('hex')}`;
}
