import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailTransport, OutgoingMail } from './mail-transport.ts';

/** A message as the backing system holds it after delivery. */
export interface DeliveredMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OpenedMailTransport {
  transport: MailTransport;
  /** Reads back what was delivered to `to` (the outbox table, the SMTP listener's inbox). */
  delivered(to: string): Promise<DeliveredMail[]>;
  cleanup(): Promise<void>;
}

/**
 * The MailTransport contract: every adapter runs it against its real backing system.
 * Recipients are unique per test, so tests keep apart in one shared store.
 */
export function runMailTransportContract(name: string, open: () => Promise<OpenedMailTransport>): void {
  describe(`MailTransport contract: ${name}`, () => {
    let opened: OpenedMailTransport;
    const run = randomBytes(4).toString('hex');
    let seq = 0;
    const recipient = () => `contract-${run}-${++seq}@example.test`;
    const message = (to: string, over: Partial<OutgoingMail> = {}): OutgoingMail => ({
      to,
      from: 'Basalt <no-reply@example.test>',
      subject: 'Contract subject',
      text: 'Plain body\n',
      html: '<p>HTML body</p>',
      template: 'verification',
      ...over,
    });

    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    it('delivers the subject, text and HTML bodies intact, including non-ASCII text', async () => {
      const to = recipient();
      const subject = 'Grüße — verify “Basalt” ✓';
      const text = 'Hallo Zoë,\n\nopen https://example.test/verify-email?token=abc_DEF-123\n';
      const html = '<p>Hallo Zoë, <a href="https://example.test/verify-email?token=abc_DEF-123">verify</a> ✓</p>';
      const sent = await opened.transport.send(message(to, { subject, text, html }));
      expect(sent.messageId).toEqual(expect.any(String));
      expect(sent.messageId.length).toBeGreaterThan(0);
      const [mail, ...others] = await opened.delivered(to);
      expect(others).toEqual([]);
      expect(mail?.to).toBe(to);
      expect(mail?.subject).toBe(subject);
      expect(mail?.text.trim()).toBe(text.trim());
      expect(mail?.html).toContain(html);
    });

    it('gives every accepted message its own id, under concurrent sends', async () => {
      const to = recipient();
      const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => opened.transport.send(message(to, { subject: `parallel ${i}` }))));
      expect(new Set(sent.map((s) => s.messageId)).size).toBe(8);
      const delivered = await opened.delivered(to);
      expect(delivered.map((m) => m.subject).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `parallel ${i}`).sort());
    });
  });
}
