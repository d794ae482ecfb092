import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailJob } from '../../src/modules/mail/mailer.ts';
import { freePort } from '../helpers/net.ts';
import { linkToken, startSmtpListener, type SmtpListener } from '../helpers/smtp.ts';
import { createMailTestApp, type MailTestApp } from './send-route.ts';

const ENV = { APP_NAME: 'Acme Cloud', PUBLIC_URL: 'https://console.acme.test', MAIL_FROM: 'Acme Cloud <hello@acme.test>' };

describe('in-process mailer over SMTP (a real listener on 127.0.0.1)', () => {
  let smtp: SmtpListener;
  let t: MailTestApp;
  beforeAll(async () => {
    smtp = await startSmtpListener();
    t = await createMailTestApp({ env: { ...ENV, SMTP_URL: smtp.url, SMTP_TIMEOUT_MS: '3000' } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const cases: Array<[MailJob, string | null, string]> = [
    [{ template: 'verification', to: 'zoe@example.test', data: { handle: 'zoe', token: 'v3rify-TOKEN_1' } }, '/verify-email', 'Verify your e-mail address for Acme Cloud'],
    [{ template: 'password_reset', to: 'zoe-reset@example.test', data: { handle: 'zoe', token: 'r3set-TOKEN_2' } }, '/reset-password', 'Reset your Acme Cloud password'],
    [
      { template: 'email_change', to: 'zoe-new@example.test', data: { handle: 'zoe', token: 'ch4nge-TOKEN_3', newEmail: 'zoe-new@example.test' } },
      '/confirm-email',
      'Confirm your new e-mail address for Acme Cloud',
    ],
    [{ template: 'email_changed_notice', to: 'zoe-old@example.test', data: { handle: 'zoe', newEmail: 'zoe-new@example.test' } }, null, 'Your Acme Cloud e-mail address was changed'],
    [{ template: 'magic_link', to: 'zoe-magic@example.test', data: { token: 'm4gic-TOKEN_4' } }, '/magic-link', 'Your sign-in link for Acme Cloud'],
    [
      { template: 'invitation', to: 'bob@example.test', data: { token: 'inv1te-TOKEN_5', workspaceName: 'Research', inviterHandle: 'ada', role: 'member' } },
      '/invitations/',
      'ada invited you to Research on Acme Cloud',
    ],
  ];

  it.each(cases.map(([job, path, subject]) => [job.template, job, path, subject] as const))('%s arrives with subject, sender, text and HTML bodies, and the link', async (_template, job, path, subject) => {
    const res = await t.send(job);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ sent: true });
    const mail = await smtp.waitForMail(job.to);
    expect(mail.subject).toBe(subject);
    expect(mail.to).toEqual([job.to]);
    expect(mail.envelopeTo).toEqual([job.to]);
    expect(mail.from).toBe('"Acme Cloud" <hello@acme.test>');
    expect(mail.envelopeFrom).toBe('hello@acme.test');
    expect(mail.text).toContain('Acme Cloud');
    expect(mail.html).toContain('<h1');
    if (path !== null && 'token' in job.data) {
      const token = job.data.token;
      expect(linkToken(mail, path)).toBe(token);
      const url = path.endsWith('/') ? `https://console.acme.test${path}${token}` : `https://console.acme.test${path}?token=${token}`;
      expect(mail.text).toContain(url);
      expect(mail.html).toContain(`href="${url}"`);
    } else {
      expect(mail.text).toContain('zoe-new@example.test');
      expect(mail.html).not.toContain('href=');
    }
  });

  it('escapes user-supplied values in the HTML body that was actually sent', async () => {
    const res = await t.send({
      template: 'invitation',
      to: 'escape@example.test',
      data: { token: 'tok', workspaceName: '<img src=x onerror=alert(1)>', inviterHandle: 'ada', role: 'member' },
    });
    expect(res.status).toBe(200);
    const mail = await smtp.waitForMail('escape@example.test');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.text).toContain('<img src=x onerror=alert(1)>');
  });
});

describe('in-process mailer: SMTP failures become worker:* codes', () => {
  let smtp: SmtpListener;
  let t: MailTestApp;
  beforeAll(async () => {
    smtp = await startSmtpListener();
    t = await createMailTestApp({ env: { SMTP_URL: smtp.url, SMTP_TIMEOUT_MS: '3000' } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const cases: Array<[SmtpListener['mode'], MailJob, string, string]> = [
    ['refuse-rcpt', { template: 'verification', to: 'a@example.test', data: { handle: 'a', token: 't' } }, 'worker:verification_email_send_failed', 'Verification email failed to send'],
    ['refuse-data', { template: 'verification', to: 'a@example.test', data: { handle: 'a', token: 't' } }, 'worker:verification_email_send_failed', 'Verification email failed to send'],
    ['refuse-rcpt', { template: 'password_reset', to: 'a@example.test', data: { handle: 'a', token: 't' } }, 'worker:password_reset_email_send_failed', 'Password reset email failed to send'],
    ['refuse-data', { template: 'password_reset', to: 'a@example.test', data: { handle: 'a', token: 't' } }, 'worker:password_reset_email_send_failed', 'Password reset email failed to send'],
    [
      'refuse-mail-from',
      { template: 'email_change', to: 'a@example.test', data: { handle: 'a', token: 't', newEmail: 'a@example.test' } },
      'worker:verification_email_send_failed',
      'Email change confirmation failed to send',
    ],
    [
      'refuse-rcpt',
      { template: 'email_changed_notice', to: 'a@example.test', data: { handle: 'a', newEmail: 'b@example.test' } },
      'worker:verification_email_send_failed',
      'Email change notice failed to send',
    ],
    ['refuse-rcpt', { template: 'magic_link', to: 'a@example.test', data: { token: 't' } }, 'worker:password_reset_email_send_failed', 'Sign-in link email failed to send'],
    [
      'refuse-data',
      { template: 'invitation', to: 'a@example.test', data: { token: 't', workspaceName: 'W', inviterHandle: 'i', role: 'member' } },
      'worker:verification_email_send_failed',
      'Invitation email failed to send',
    ],
  ];

  it.each(cases.map(([mode, job, code, message]) => [job.template, mode, code, job, message] as const))('%s, the listener answering %s → 502 %s', async (_template, mode, code, job, message) => {
    smtp.mode = mode;
    try {
      const res = await t.send(job);
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code, type: 'SERVICE_UNAVAILABLE', message });
      // Production-like (NODE_ENV=test): the SMTP reply stays in the logs, not the response.
      expect(Object.keys(res.body.error ?? {}).sort()).toEqual(['code', 'message', 'requestId', 'type']);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      smtp.mode = 'accept';
    }
  });

  it('an SMTP server that is down is a send failure of the template too (the worker itself is fine)', async () => {
    const port = await freePort();
    const down = await createMailTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_TIMEOUT_MS: '2000' } });
    try {
      const reset = await down.send({ template: 'password_reset', to: 'a@example.test', data: { handle: 'a', token: 't' } });
      expect(reset.status).toBe(502);
      expect(reset.body.error?.code).toBe('worker:password_reset_email_send_failed');
      const verify = await down.send({ template: 'verification', to: 'a@example.test', data: { handle: 'a', token: 't' } });
      expect(verify.body.error?.code).toBe('worker:verification_email_send_failed');
    } finally {
      await down.close();
    }
  });

  it('counts sends by template and result in /metrics', async () => {
    await t.send({ template: 'magic_link', to: 'metrics@example.test', data: { token: 't' } });
    const metrics = await t.call('GET', '/metrics');
    expect(metrics.text).toMatch(/basalt_mail_sent_total\{result="sent",template="magic_link"\} \d+/);
    expect(metrics.text).toMatch(/basalt_mail_sent_total\{result="failed",template="verification"\} \d+/);
  });
});
