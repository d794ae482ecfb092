/**
 * Access-token claims already verified, by token string: a browser or client presents the
 * same token on every request for its 15 minutes, and the signature check (HMAC, base64url
 * decoding, JSON parsing) was the largest share of authenticating one. Only tokens whose
 * signature and shape passed are stored, so a caller cannot fill the cache with garbage.
 *
 * This caches the token check alone, never the session: revocation and bans are still read
 * from the session store on every request. Expiry is checked on every hit, so a cached
 * token expires exactly when the signed `exp` says.
 */
export interface AccessClaims {
  sub: string;
  sid: string;
  /** Expiry, epoch ms (the token's `exp` × 1000). */
  expiresAt: number;
}

interface Entry extends AccessClaims {
  /** Dropped after this (epoch ms) even if the token lives on: keeps the cache short-lived. */
  until: number;
}

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: { maxEntries: number; maxAgeMs: number }) {}

  /** The claims of a token verified earlier (possibly expired: the caller checks), or undefined. */
  get(token: string, now: number): AccessClaims | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, claims: AccessClaims, now: number): void {
    if (this.entries.size >= this.options.maxEntries) {
      // Oldest first (Map keeps insertion order): the tokens closest to expiring anyway.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { ...claims, until: Math.min(claims.expiresAt, now + this.options.maxAgeMs) });
  }

  get size(): number {
    return this.entries.size;
  }
}
