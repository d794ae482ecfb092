import { secureRandomBytes } from '../../lib/crypto.ts';
import type { Kysely, Selectable } from 'kysely';
import type { Database, MailOutboxTable } from '../../db/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import {
  MailTransportError,
  type MailTransport,
  type OutboxMessage,
  type OutboxPage,
  type OutboxReader,
  type OutgoingMail,
  type SentMail,
} from '../../ports/mail-transport.ts';

export interface OutboxMailTransportOptions {
  db: Kysely<Database>;
  logger: Logger;
  /**
   * Also log the plain-text body (development: the links are then in the terminal). Off
   * elsewhere, because bodies carry single-use tokens that logs must not keep.
   */
  logBodies?: boolean;
}

let lastMs = 0;
let seq = 0;

/**
 * Time-sortable and, within this process, strictly increasing (a sequence breaks ties in
 * one millisecond), so ordering by id is ordering by arrival: the mailbox's cursor relies on it.
 */
function outboxId(): string {
  const now = Date.now();
  seq = now === lastMs ? seq + 1 : 0;
  lastMs = now;
  return `mail_${now.toString(16).padStart(12, '0')}${seq.toString(16).padStart(4, '0')}${secureRandomBytes(6).toString('hex')}`;
}

function toMessage(row: Selectable<MailOutboxTable>): OutboxMessage {
  return {
    id: row.id,
    template: row.template,
    from: row.from_address,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    createdAt: Number(row.created_at),
  };
}

/**
 * The embedded default: nothing leaves the machine. Each message becomes a row of
 * `mail_outbox` (shown at /dev/mailbox in development) and a log line.
 */
export class OutboxMailTransport implements MailTransport, OutboxReader {
  readonly backend = 'outbox' as const;

  constructor(private readonly options: OutboxMailTransportOptions) {}

  async send(message: OutgoingMail): Promise<SentMail> {
    const id = outboxId();
    try {
      await this.options.db
        .insertInto('mail_outbox')
        .values({
          id,
          template: message.template,
          from_address: message.from,
          to_address: message.to,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html,
          created_at: Date.now(),
        })
        .execute();
    } catch (err) {
      throw new MailTransportError('unavailable', 'the outbox could not store the message', {}, { cause: err });
    }
    const line = { mailId: id, template: message.template, to: message.to, subject: message.subject };
    this.options.logger.info(this.options.logBodies ? { ...line, text: message.text } : line, 'mail stored in the outbox');
    return { messageId: id };
  }

  async list(options: { limit: number; before?: string | undefined }): Promise<OutboxPage> {
    let query = this.options.db.selectFrom('mail_outbox').selectAll().orderBy('id', 'desc').limit(options.limit + 1);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    const rows = await query.execute();
    const page = rows.slice(0, options.limit).map(toMessage);
    const last = page.at(-1);
    return { messages: page, nextCursor: rows.length > options.limit && last ? last.id : null };
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    const row = await this.options.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMessage(row) : undefined;
  }

  async close(): Promise<void> {
    // The SQL store belongs to the container, which closes it.
  }
}
