import { base32Decode, totp } from '../../src/lib/totp.ts';
import type { ApiCall } from '../helpers/http.ts';
import { login, type Registered } from '../accounts/harness.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The code an authenticator app shows for `secret`, `offsetSteps` steps from now. */
export function codeFor(secret: string, offsetSteps = 0): string {
  return totp(base32Decode(secret), Date.now() + offsetSteps * 30_000);
}

/**
 * Waits out the last seconds of a 30 s step, so a scenario that reasons about "this step"
 * and "the previous step" does not straddle a boundary.
 */
export async function freshStep(): Promise<void> {
  const into = Date.now() % 30_000;
  if (into > 24_000) await sleep(30_000 - into + 50);
}

/** Signs in, sets up and enables TOTP; answers the secret and the backup codes. */
export async function enableTotp(call: ApiCall, user: Registered) {
  const s = await login(call, user);
  const setup = await call('POST', '/v1/me/totp/setup', { token: s.accessToken });
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.text}`);
  const secret: string = setup.body.data.secret;
  // The previous step's code, so the current one is still fresh for the test's first sign-in.
  const enable = await call('POST', '/v1/me/totp/enable', { token: s.accessToken, json: { code: codeFor(secret, -1) } });
  if (enable.status !== 200) throw new Error(`enable failed: ${enable.text}`);
  return { secret, backupCodes: enable.body.data.backupCodes as string[], accessToken: s.accessToken };
}

/** Password step of a 2FA account: the temporary token. */
export async function tempTokenFor(call: ApiCall, user: Registered): Promise<string> {
  const res = await call('POST', '/v1/auth/login', { json: { login: user.handle, password: user.password } });
  if (res.status !== 200 || res.body.data.totpRequired !== true) throw new Error(`expected a TOTP challenge: ${res.text}`);
  return res.body.data.tempToken;
}
