import { TurnstileUnavailableError, type TurnstileOutcome, type TurnstileVerifier } from '../../ports/turnstile.ts';

export const CLOUDFLARE_SITEVERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';

export interface SiteverifyOptions {
  secret: string;
  /** Cloudflare's endpoint unless set (tests point it at a local server). */
  url?: string;
  /** The whole exchange, body included, must finish in this time. */
  timeoutMs?: number;
}

// Error codes that are about our request or Cloudflare, not the visitor's token.
const SECRET_PROBLEMS = new Set(['missing-input-secret', 'invalid-input-secret']);
const SERVICE_PROBLEMS = new Set(['internal-error']);

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Cloudflare's siteverify over HTTPS: a form-encoded POST, a JSON answer. */
export class SiteverifyTurnstileVerifier implements TurnstileVerifier {
  private readonly secret: string;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(options: SiteverifyOptions) {
    this.secret = options.secret;
    this.url = options.url ?? CLOUDFLARE_SITEVERIFY_URL;
    this.timeoutMs = options.timeoutMs ?? 3_000;
  }

  async verify(token: string, remoteIp?: string): Promise<TurnstileOutcome> {
    const form = new URLSearchParams({ secret: this.secret, response: token });
    if (remoteIp) form.set('remoteip', remoteIp);
    let payload: unknown;
    try {
      const res = await fetch(this.url, { method: 'POST', body: form, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await res.text();
      if (!res.ok) throw new Error(`siteverify answered HTTP ${res.status}`);
      payload = JSON.parse(text);
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      throw new TurnstileUnavailableError(timedOut ? `siteverify gave no answer within ${this.timeoutMs} ms` : 'siteverify unreachable or answered garbage', { cause: err });
    }
    return this.read(payload);
  }

  private read(payload: unknown): TurnstileOutcome {
    const p = payload as Record<string, unknown> | null;
    if (p === null || typeof p !== 'object' || typeof p.success !== 'boolean') {
      throw new TurnstileUnavailableError('siteverify answered without a boolean "success"');
    }
    const codes = p['error-codes'] ?? [];
    if (!isStringArray(codes)) throw new TurnstileUnavailableError('siteverify answered a malformed "error-codes"');
    if (p.success) {
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const outcome: TurnstileOutcome = { success: true };
      const hostname = str(p.hostname);
      const challengeTs = str(p.challenge_ts);
      const action = str(p.action);
      if (hostname) outcome.hostname = hostname;
      if (challengeTs) outcome.challengeTs = challengeTs;
      if (action) outcome.action = action;
      return outcome;
    }
    if (codes.some((c) => SECRET_PROBLEMS.has(c))) {
      throw new TurnstileUnavailableError(`siteverify refused the secret (${codes.join(', ')})`, { misconfigured: true });
    }
    if (codes.some((c) => SERVICE_PROBLEMS.has(c))) throw new TurnstileUnavailableError(`siteverify failed (${codes.join(', ')})`);
    return { success: false, errorCodes: codes };
  }
}
