import { ApiError, createClient, type Schemas } from '../../src/client/index.ts';

export { ApiError };
export type User = Schemas['User'];

/**
 * The access token lives in memory only (never in storage a script could read later); the
 * refresh token is the httpOnly `basalt_refresh` cookie (see auth.ts).
 */
let token: string | null = null;
let refresher: () => Promise<boolean> = async () => false;

export const accessToken = () => token;
export function setAccessToken(value: string | null) {
  token = value;
}
export function onTokenRejected(fn: () => Promise<boolean>) {
  refresher = fn;
}

/** The console's client: same origin, the in-memory access token, one refresh on expiry. */
export const api = createClient({ token: () => token, refresh: () => refresher(), credentials: 'same-origin' });

/** For calls that must not carry the access token (refresh itself). */
export const anonymousApi = createClient({ credentials: 'same-origin' });

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ status: 0, code: 'client:error', type: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) });
}
