import nodemailer from 'nodemailer';
import { MailTransportError, type MailTransport, type OutgoingMail, type SentMail } from '../../ports/mail-transport.ts';

export interface SmtpMailTransportOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS from the start). */
  url: string;
  /**
   * Bound on each wait: connecting, the greeting, and any silence from the server mid-send.
   * A whole send is also cut off after three of these.
   */
  timeoutMs: number;
}

interface NodemailerError {
  code?: unknown;
  responseCode?: unknown;
  message?: unknown;
}

/**
 * A reply from the server is a refusal, unless it is 421 ("service not available, closing"),
 * which like a dead socket or a timeout means the server is not usable right now.
 */
function toTransportError(err: unknown): MailTransportError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodemailerError;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const transportCode = typeof e.code === 'string' ? e.code : undefined;
  const details = { ...(responseCode !== undefined ? { responseCode } : {}), ...(transportCode !== undefined ? { transportCode } : {}) };
  const reason = typeof e.message === 'string' ? e.message : String(err);
  if (responseCode !== undefined && responseCode !== 421) {
    return new MailTransportError('rejected', `the SMTP server refused the message: ${reason}`, details, { cause: err });
  }
  return new MailTransportError('unavailable', `the SMTP server is unavailable: ${reason}`, details, { cause: err });
}

/** Delivers through an SMTP server (SMTP_URL) with nodemailer: one connection per message. */
export class SmtpMailTransport implements MailTransport {
  readonly backend = 'smtp' as const;
  private readonly transporter;

  constructor(private readonly options: SmtpMailTransportOptions) {
    this.transporter = nodemailer.createTransport({
      url: options.url,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      // Messages are rendered from templates: nothing may pull in local files or URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: OutgoingMail): Promise<SentMail> {
    try {
      const info = await this.transporter.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        signal: AbortSignal.timeout(this.options.timeoutMs * 3),
      });
      return { messageId: info.messageId };
    } catch (err) {
      throw toTransportError(err);
    }
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
