import type { Kysely } from 'kysely';
import { OutboxMailTransport } from '../adapters/mail/outbox-mail-transport.ts';
import { RemoteMailer } from '../adapters/mail/remote-mailer.ts';
import { SmtpMailTransport } from '../adapters/mail/smtp-mail-transport.ts';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../lib/logger.ts';
import type { MetricsRegistry } from '../lib/metrics.ts';
import type { Mailer } from '../modules/mail/mailer.ts';
import { TransportMailer } from '../modules/mail/transport-mailer.ts';
import type { OutboxReader } from '../ports/mail-transport.ts';

export interface MailParts {
  mailer: Mailer;
  /** The outbox, for the development mailbox (empty when mail goes out by SMTP). */
  mailbox: OutboxReader;
  close(): Promise<void>;
}

/**
 * Part of the composition root: which mailer (the worker over HTTP, or in this process) and
 * which transport (SMTP or the outbox) the configuration asks for.
 * `inProcess` is set when building the worker itself, which must never forward to WORKER_URL.
 */
export function buildMail(
  config: Config,
  deps: { db: Kysely<Database>; logger: Logger; metrics: MetricsRegistry },
  options: { inProcess: boolean },
): MailParts {
  const logger = deps.logger.child({ component: 'mail' });
  const outbox = new OutboxMailTransport({ db: deps.db, logger, logBodies: config.NODE_ENV === 'development' });

  if (config.WORKER_URL && !options.inProcess) {
    const mailer = new RemoteMailer({ url: config.WORKER_URL, token: config.WORKER_TOKEN, timeoutMs: config.WORKER_TIMEOUT_MS });
    return { mailer, mailbox: outbox, close: async () => {} };
  }

  const transport = config.SMTP_URL ? new SmtpMailTransport({ url: config.SMTP_URL, timeoutMs: config.SMTP_TIMEOUT_MS }) : outbox;
  const mailer = new TransportMailer({
    transport,
    from: config.MAIL_FROM,
    render: { appName: config.APP_NAME, publicUrl: config.PUBLIC_URL },
    logger,
    sent: deps.metrics.counter('basalt_mail_sent_total', 'E-mails handed to the mail transport, by template and result.'),
  });
  return { mailer, mailbox: outbox, close: () => transport.close() };
}
