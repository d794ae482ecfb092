import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

// Each call into the CSPRNG costs more than the few bytes an id or token needs (a sign-in
// draws three times): small draws come from a pool filled 4 KiB at a time, as Node's own
// randomUUID does. Every byte is handed out once, copied, and never again.
const POOL_BYTES = 4096;
const SMALL_DRAW = 64;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** `bytes` bytes from the CSPRNG (node:crypto), small draws through the pool. */
export function secureRandomBytes(bytes: number): Buffer {
  if (bytes > SMALL_DRAW) return randomBytes(bytes);
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + bytes));
  pool.fill(0, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return out;
}

/** A URL-safe random secret; 32 bytes = 256 bits by default. */
export function randomToken(bytes = 32): string {
  return secureRandomBytes(bytes).toString('base64url');
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
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${secureRandomBytes(8).toString('hex')}`;
}
