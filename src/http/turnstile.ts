import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/index.ts';
import { TurnstileUnavailableError, type TurnstileVerifier } from '../ports/turnstile.ts';
import type { AppEnv } from './env.ts';
import { requestLog } from './request-id.ts';

export const TURNSTILE_HEADER = 'cf-turnstile-response';
export const TURNSTILE_BODY_FIELD = 'turnstileToken';
// Cloudflare documents tokens of at most 2048 characters; longer ones cannot be valid.
const MAX_TOKEN_LENGTH = 2048;

async function readToken(c: Context<AppEnv>): Promise<string | undefined> {
  const header = c.req.header(TURNSTILE_HEADER)?.trim();
  if (header) return header;
  if (!(c.req.header('content-type') ?? '').toLowerCase().includes('json')) return undefined;
  let body: unknown;
  try {
    // Hono caches the body text, so the route's validator reads it again unharmed.
    body = await c.req.json();
  } catch (err) {
    throw new AppError('general:bad_request', { message: 'Malformed JSON in request body', cause: err });
  }
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[TURNSTILE_BODY_FIELD] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Requires a Turnstile token (header `cf-turnstile-response` or body `turnstileToken`)
 * and has siteverify judge it, sending the client IP as `remoteip`. Missing → 400
 * `turnstile:token_missing`; rejected → 403 `turnstile:verification_failed`; no judgement
 * (down, slow, garbage) → 503 `turnstile:service_error`. Without a verifier (no
 * TURNSTILE_SECRET) it lets everything through.
 */
export function turnstile(verifier: TurnstileVerifier | undefined): MiddlewareHandler<AppEnv> {
  if (!verifier) return (_c, next) => next();
  return async (c, next) => {
    const token = await readToken(c);
    if (!token) throw new AppError('turnstile:token_missing', { details: [{ field: TURNSTILE_BODY_FIELD, issue: `required (or the ${TURNSTILE_HEADER} header)` }] });
    if (token.length > MAX_TOKEN_LENGTH) throw new AppError('turnstile:verification_failed', { cause: 'token longer than 2048 characters' });
    let outcome;
    try {
      outcome = await verifier.verify(token, c.get('clientIp'));
    } catch (err) {
      const log = requestLog(c);
      if (err instanceof TurnstileUnavailableError && err.misconfigured) log?.error({ err }, 'turnstile: siteverify refused TURNSTILE_SECRET');
      else log?.warn({ err }, 'turnstile: siteverify unavailable');
      throw new AppError('turnstile:service_error', { cause: err });
    }
    if (!outcome.success) throw new AppError('turnstile:verification_failed', { cause: `siteverify: ${outcome.errorCodes.join(', ') || 'no error codes'}` });
    await next();
  };
}
