import { z } from 'zod';
import { AppError, type ErrorCode } from '../../errors/index.ts';
import { ERROR_CODES } from '../../errors/codes.ts';
import type { MailDataFor, Mailer, MailTemplate } from '../../modules/mail/mailer.ts';

export interface RemoteMailerOptions {
  /** The worker's base URL (WORKER_URL). */
  url: string;
  /** Shared secret the worker checks (WORKER_TOKEN). */
  token?: string | undefined;
  /** Whole round trip, including the worker's own SMTP exchange (WORKER_TIMEOUT_MS). */
  timeoutMs: number;
}

// The worker answers in Basalt's envelope; anything else is not the worker speaking.
const ReplySchema = z.union([
  z.object({ success: z.literal(true), data: z.object({ sent: z.literal(true) }) }),
  z.object({ success: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

function isWorkerCode(code: string): code is ErrorCode {
  return code.startsWith('worker:') && Object.hasOwn(ERROR_CODES, code);
}

/**
 * The Mailer when mail runs in a separate `basalt worker` process (WORKER_URL): each send is
 * one `POST /jobs/mail` to it. Error mapping, per the Mailer contract:
 * - no connection, a timeout, or the worker refusing our token (401/403) →
 *   `worker:connection_failed`: the worker cannot be used, whatever its reason;
 * - a reply that is not the envelope, or a success that is not a success →
 *   `worker:response_invalid`;
 * - the worker's own `worker:*` error (the mail server refused) → rethrown as is;
 *   any other error code from the worker means it and this API disagree (versions,
 *   a bug there), which is `worker:response_invalid` here rather than a client error.
 */
export class RemoteMailer implements Mailer {
  private readonly endpoint: string;

  constructor(private readonly options: RemoteMailerOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/jobs/mail`;
  }

  async send<T extends MailTemplate>(template: T, to: string, data: MailDataFor<T>): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let status: number;
    let text: string;
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ template, to, data }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new AppError('worker:connection_failed', { cause: err });
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new AppError('worker:response_invalid', { cause: new Error(`worker answered ${status} with a body that is not JSON`, { cause: err }) });
    }
    const reply = ReplySchema.safeParse(json);
    if (!reply.success) {
      throw new AppError('worker:response_invalid', { cause: new Error(`worker answered ${status} with JSON that is not its envelope`) });
    }
    const body = reply.data;
    if (body.success) {
      if (status >= 200 && status < 300) return;
      throw new AppError('worker:response_invalid', { cause: new Error(`worker answered ${status} with a success envelope`) });
    }
    const cause = new Error(`worker answered ${status} ${body.error.code}: ${body.error.message}`);
    if (status === 401 || status === 403) throw new AppError('worker:connection_failed', { cause });
    if (isWorkerCode(body.error.code)) throw new AppError(body.error.code, { message: body.error.message, cause });
    throw new AppError('worker:response_invalid', { cause });
  }
}
