import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens on node:crypto. Only our own fixed header is accepted, which rules
 * out `alg: none` and algorithm confusion; verification is one HMAC and a constant-time
 * compare, cheap enough for every request.
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export type JwtPayload = Record<string, unknown> & { exp: number; iat: number };

export type VerifyResult<P> = { ok: true; payload: P } | { ok: false; reason: 'invalid' | 'expired' };

export class JwtCodec {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  }

  sign(claims: Record<string, unknown>, ttlSeconds: number, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const body = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds })).toString('base64url');
    const signingInput = `${HEADER}.${body}`;
    return `${signingInput}.${createHmac('sha256', this.key).update(signingInput).digest('base64url')}`;
  }

  verify<P extends JwtPayload>(token: string, now = Date.now()): VerifyResult<P> {
    const first = token.indexOf('.');
    const last = token.lastIndexOf('.');
    if (first <= 0 || last === first || token.slice(0, first) !== HEADER) return { ok: false, reason: 'invalid' };
    const expected = createHmac('sha256', this.key).update(token.slice(0, last)).digest();
    const given = Buffer.from(token.slice(last + 1), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(token.slice(first + 1, last), 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof payload !== 'object' || payload === null || typeof (payload as JwtPayload).exp !== 'number') return { ok: false, reason: 'invalid' };
    if ((payload as JwtPayload).exp * 1000 <= now) return { ok: false, reason: 'expired' };
    return { ok: true, payload: payload as P };
  }
}
