import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/net.ts';
import { startSilentListener, startSmtpListener, type SmtpListener } from '../../../test/helpers/smtp.ts';
import { runMailTransportContract } from '../../ports/mail-transport.contract.ts';
import { MailTransportError, type OutgoingMail } from '../../ports/mail-transport.ts';
import { SmtpMailTransport } from './smtp-mail-transport.ts';

runMailTransportContract('smtp', async () => {
  const listener = await startSmtpListener();
  const transport = new SmtpMailTransport({ url: listener.url, timeoutMs: 5_000 });
  return {
    transport,
    delivered: async (to) => listener.messages.filter((m) => m.envelopeTo.includes(to)).map((m) => ({ to: m.to.join(','), subject: m.subject, text: m.text, html: m.html })),
    cleanup: async () => {
      await transport.close();
      await listener.close();
    },
  };
});

const mail: OutgoingMail = {
  to: 'someone@example.test',
  from: 'Basalt <no-reply@example.test>',
  subject: 'Hello',
  text: 'Hi\n',
  html: '<p>Hi</p>',
  template: 'verification',
};

async function failure(promise: Promise<unknown>): Promise<MailTransportError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailTransportError);
  return err as MailTransportError;
}

describe('SmtpMailTransport failures', () => {
  let listener: SmtpListener;
  let transport: SmtpMailTransport;
  beforeAll(async () => {
    listener = await startSmtpListener();
    transport = new SmtpMailTransport({ url: listener.url, timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await transport.close();
    await listener.close();
  });

  it.each([
    ['refuse-rcpt', 550],
    ['refuse-mail-from', 550],
    ['refuse-data', 554],
  ] as const)('a server that answers %s is a rejection carrying the reply code', async (mode, code) => {
    listener.mode = mode;
    try {
      const err = await failure(transport.send(mail));
      expect(err.failure).toBe('rejected');
      expect(err.details.responseCode).toBe(code);
      expect(listener.messages).toHaveLength(0);
    } finally {
      listener.mode = 'accept';
    }
  });

  it('nothing listening on the port is "unavailable"', async () => {
    const port = await freePort();
    const down = new SmtpMailTransport({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 2_000 });
    const err = await failure(down.send(mail));
    expect(err.failure).toBe('unavailable');
    expect(err.details.responseCode).toBeUndefined();
    await down.close();
  });

  it('a server that never greets is "unavailable" within the timeout', async () => {
    const silent = await startSilentListener();
    const hung = new SmtpMailTransport({ url: `smtp://127.0.0.1:${silent.port}`, timeoutMs: 300 });
    const started = performance.now();
    try {
      const err = await failure(hung.send(mail));
      expect(err.failure).toBe('unavailable');
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      await hung.close();
      await silent.close();
    }
  });
});
