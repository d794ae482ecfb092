/**
 * Bot verification of a Cloudflare Turnstile token (siteverify).
 *
 * Rules every implementation follows:
 * - `verify` resolves `{ success: false }` only when the service judged the token (bad,
 *   expired, already used): the caller refuses the request (403).
 * - It rejects with TurnstileUnavailableError when no judgement was had: the service is
 *   unreachable, slower than the configured timeout, answers something that is not a
 *   siteverify reply, reports its own internal error, or refuses our secret. The caller
 *   answers 503; the client may retry.
 * - It never hangs past its timeout. A token is sent once; siteverify rejects a replay.
 */
export interface TurnstileVerifier {
  verify(token: string, remoteIp?: string): Promise<TurnstileOutcome>;
}

export type TurnstileOutcome =
  | { success: true; hostname?: string; challengeTs?: string; action?: string }
  | { success: false; errorCodes: string[] };

export class TurnstileUnavailableError extends Error {
  /** True when the service refused our secret: an operator must fix configuration. */
  readonly misconfigured: boolean;
  constructor(message: string, options: { cause?: unknown; misconfigured?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TurnstileUnavailableError';
    this.misconfigured = options.misconfigured ?? false;
  }
}
