import type { Logger } from '../../lib/logger.ts';
import type { Counter } from '../../lib/metrics.ts';
import type { MailTransport } from '../../ports/mail-transport.ts';
import { mailSendFailed, type MailDataFor, type Mailer, type MailTemplate } from './mailer.ts';
import { renderMail, type RenderContext } from './templates.ts';

export interface TransportMailerDeps {
  transport: MailTransport;
  /** The From header (MAIL_FROM). */
  from: string;
  render: RenderContext;
  logger: Logger;
  /** Counts sends by template and result (sent | failed). */
  sent?: Counter;
}

/** The worker's mail job, run in this process: render the template, hand it to the transport. */
export class TransportMailer implements Mailer {
  constructor(private readonly deps: TransportMailerDeps) {}

  async send<T extends MailTemplate>(template: T, to: string, data: MailDataFor<T>): Promise<void> {
    const { transport, logger } = this.deps;
    const mail = renderMail(template, data, this.deps.render);
    try {
      const { messageId } = await transport.send({ ...mail, to, from: this.deps.from, template });
      this.deps.sent?.inc({ template, result: 'sent' });
      logger.info({ template, messageId, transport: transport.backend }, 'mail sent');
    } catch (err) {
      this.deps.sent?.inc({ template, result: 'failed' });
      // The recipient is personal data: the template and the transport's reason are enough to act on.
      logger.warn({ template, transport: transport.backend, err }, 'mail not sent');
      throw mailSendFailed(template, err);
    }
  }
}
