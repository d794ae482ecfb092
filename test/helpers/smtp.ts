import { createServer, type Server, type Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message a test SMTP listener accepted, parsed. */
export interface ReceivedMail {
  /** The envelope sender (MAIL FROM). */
  envelopeFrom: string;
  /** The envelope recipients (RCPT TO). */
  envelopeTo: string[];
  subject: string;
  /** The To header's addresses. */
  to: string[];
  /** The From header, as written. */
  from: string;
  text: string;
  html: string;
  raw: string;
  parsed: ParsedMail;
}

/**
 * How the listener answers.
 * - `accept`: takes every message.
 * - `refuse-rcpt` / `refuse-mail-from`: 550 at that command (a refused recipient / sender).
 * - `refuse-data`: reads the message, then answers 554 (refused content).
 */
export type SmtpMode = 'accept' | 'refuse-rcpt' | 'refuse-mail-from' | 'refuse-data';

export interface SmtpListener {
  /** `smtp://127.0.0.1:<port>`: use as SMTP_URL. */
  url: string;
  port: number;
  /** Every accepted message, oldest first. */
  messages: ReceivedMail[];
  mode: SmtpMode;
  /** Resolves with the first message (already received or arriving) that matches. */
  waitForMail(match?: string | ((mail: ReceivedMail) => boolean), timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

function refusal(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

function addresses(parsed: ParsedMail): string[] {
  const to = parsed.to === undefined ? [] : Array.isArray(parsed.to) ? parsed.to : [parsed.to];
  return to.flatMap((a) => a.value.map((v) => v.address ?? '')).filter((a) => a !== '');
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1, capturing what it accepts. */
export async function startSmtpListener(options: { mode?: SmtpMode } = {}): Promise<SmtpListener> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<{ match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }>();
  const state = { mode: options.mode ?? 'accept' };

  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: STARTTLS would need a certificate the client trusts.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      callback(state.mode === 'refuse-mail-from' ? refusal('Sender refused', 550) : null);
    },
    onRcptTo(address, _session, callback) {
      callback(state.mode === 'refuse-rcpt' ? refusal(`Mailbox ${address.address} unavailable`, 550) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.mode === 'refuse-data') {
          callback(refusal('Message content rejected', 554));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const mail: ReceivedMail = {
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              to: addresses(parsed),
              from: parsed.from?.text ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              raw,
              parsed,
            };
            messages.push(mail);
            for (const w of waiters) {
              if (w.match(mail)) {
                waiters.delete(w);
                w.resolve(mail);
              }
            }
            callback(null);
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get mode() {
      return state.mode;
    },
    set mode(mode: SmtpMode) {
      state.mode = mode;
    },
    waitForMail(match, timeoutMs = 10_000) {
      const predicate = typeof match === 'function' ? match : match === undefined ? () => true : (m: ReceivedMail) => m.envelopeTo.includes(match);
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match: predicate, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs).unref();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The token of the first link to `path` in a mail's text body, e.g.
 * `linkToken(mail, '/verify-email')` or `linkToken(mail, '/invitations/')`.
 */
export function linkToken(mail: { text: string }, path: string): string {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = path.endsWith('/') ? new RegExp(`${escaped}([A-Za-z0-9_~.%-]+)`) : new RegExp(`${escaped}\\?token=([A-Za-z0-9_~.%-]+)`);
  const found = pattern.exec(mail.text);
  if (!found?.[1]) throw new Error(`no ${path} link in the mail:\n${mail.text}`);
  return decodeURIComponent(found[1]);
}

/**
 * A TCP listener that accepts connections and never says a word: an SMTP server (or any
 * server) that hangs. For timeout tests.
 */
export async function startSilentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
