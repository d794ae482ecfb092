/** One rendered e-mail, ready to hand to a transport. */
export interface OutgoingMail {
  /** A single recipient address. */
  to: string;
  /** RFC 5322 sender, e.g. `Basalt <no-reply@example.com>`. */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Which template produced it; kept for the outbox and logs, never sent as a header. */
  template: string;
}

export interface SentMail {
  /** Unique per accepted message: the outbox row id, or the SMTP Message-ID. */
  messageId: string;
}

/**
 * Why a transport could not hand a message on.
 * - `unavailable`: the mail server could not be reached or stopped answering (connection
 *   refused, DNS, TLS, timeout); retrying later may succeed.
 * - `rejected`: the server answered and refused the sender, the recipient or the content.
 */
export type MailTransportFailure = 'unavailable' | 'rejected';

/** The one error a transport throws; the mailer maps it to a `worker:*` code. */
export class MailTransportError extends Error {
  constructor(
    readonly failure: MailTransportFailure,
    message: string,
    readonly details: { responseCode?: number; transportCode?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailTransportError';
  }
}

/**
 * Hands rendered messages to a delivery system.
 *
 * Guarantees:
 * - `send` resolves only once the message is durably accepted (stored in the outbox, or
 *   acknowledged by the SMTP server's final 250), and the `messageId` is unique.
 * - It rejects only with `MailTransportError`, and within the adapter's timeout: a caller is
 *   never left waiting on a dead server.
 * - Concurrent `send` calls are safe; each message is delivered at most once per call
 *   (a failed call may be retried by the caller, which may then deliver a duplicate).
 * - `close` releases connections; `send` after `close` is not supported.
 */
export interface MailTransport {
  readonly backend: 'outbox' | 'smtp';
  send(message: OutgoingMail): Promise<SentMail>;
  close(): Promise<void>;
}

/** One stored outbox message, as the development mailbox shows it. */
export interface OutboxMessage {
  id: string;
  template: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

export interface OutboxPage {
  messages: OutboxMessage[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Reads the outbox that the embedded transport writes (the development mailbox).
 * Newest first; `before` is an opaque cursor from the previous page.
 */
export interface OutboxReader {
  list(options: { limit: number; before?: string | undefined }): Promise<OutboxPage>;
  get(id: string): Promise<OutboxMessage | undefined>;
}
