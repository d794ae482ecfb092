import { describe, expect, it } from 'vitest';
import { MAIL_TEMPLATES, type MailDataMap, type MailTemplate } from './mailer.ts';
import { escapeHtml, renderMail } from './templates.ts';

const ctx = { appName: 'Acme Cloud', publicUrl: 'https://console.acme.test' };

const SAMPLES: { [T in MailTemplate]: { data: MailDataMap[T]; link: string | null; mentions: string[] } } = {
  verification: { data: { handle: 'zoe', token: 'tok-verify_1' }, link: '/verify-email?token=tok-verify_1', mentions: ['zoe'] },
  password_reset: { data: { handle: 'zoe', token: 'tok-reset_2' }, link: '/reset-password?token=tok-reset_2', mentions: ['zoe'] },
  email_change: { data: { handle: 'zoe', token: 'tok-change_3', newEmail: 'new@acme.test' }, link: '/confirm-email?token=tok-change_3', mentions: ['zoe', 'new@acme.test'] },
  email_changed_notice: { data: { handle: 'zoe', newEmail: 'new@acme.test' }, link: null, mentions: ['zoe', 'new@acme.test'] },
  magic_link: { data: { token: 'tok-magic_4' }, link: '/magic-link?token=tok-magic_4', mentions: [] },
  invitation: {
    data: { token: 'tok-invite_5', workspaceName: 'Research', inviterHandle: 'ada', role: 'admin' },
    link: '/invitations/tok-invite_5',
    mentions: ['Research', 'ada', 'admin'],
  },
};

describe('mail templates', () => {
  it.each(MAIL_TEMPLATES)('%s: a subject, a text and an HTML body with the product name, the link and the data', (template) => {
    const sample = SAMPLES[template];
    const mail = renderMail(template, sample.data, ctx);
    expect(mail.subject).toContain('Acme Cloud');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toContain('Acme Cloud');
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).toContain('Acme Cloud');
    for (const m of sample.mentions) {
      expect(mail.text).toContain(m);
      expect(mail.html).toContain(m);
    }
    if (sample.link) {
      const url = `https://console.acme.test${sample.link}`;
      expect(mail.text).toContain(url);
      expect(mail.html).toContain(`href="${url}"`);
    } else {
      expect(mail.text).not.toContain('https://');
      expect(mail.html).not.toContain('href=');
    }
  });

  it('escapes every interpolated value in the HTML body and keeps headers on one line', () => {
    const hostile = '<script>alert("x")</script> & Co\r\nBcc: victim@example.test';
    const mail = renderMail('invitation', { token: 'a"b<c>', workspaceName: hostile, inviterHandle: "o'brien", role: 'member' }, { ...ctx, appName: 'A&B' });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(mail.html).toContain('o&#39;brien');
    expect(mail.html).toContain('A&amp;B');
    expect(mail.html).not.toContain('A&B');
    // The token is URL-encoded in the link, so the href attribute cannot be broken out of.
    expect(mail.text).toContain('/invitations/a%22b%3Cc%3E');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain('Co Bcc: victim@example.test');
    // The plain-text body carries the value as written.
    expect(mail.text).toContain('<script>alert("x")</script> & Co');
  });

  it('escapeHtml covers the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
