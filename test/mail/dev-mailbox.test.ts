import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkToken } from '../helpers/smtp.ts';
import { sqlBackends } from '../helpers/test-app.ts';
import { createMailTestApp, type MailTestApp } from './send-route.ts';

describe.each(sqlBackends())('outbox transport and the development mailbox (%s)', (sql) => {
  let t: MailTestApp;
  beforeAll(async () => {
    t = await createMailTestApp({ sql, env: { NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:5173' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores each message (no SMTP_URL) and lists the outbox newest first, with a cursor', async () => {
    for (const [i, handle] of ['ana', 'ben', 'cy'].entries()) {
      const res = await t.send({ template: 'verification', to: `${handle}@example.test`, data: { handle, token: `tok-${i}` } });
      expect(res.status).toBe(200);
    }
    const rows = await t.container.sql.db.selectFrom('mail_outbox').select(['to_address', 'template']).execute();
    expect(rows).toHaveLength(3);

    const first = await t.call('GET', '/dev/mailbox?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data.map((m: { to: string }) => m.to)).toEqual(['cy@example.test', 'ben@example.test']);
    const newest = first.body.data[0];
    expect(newest).toMatchObject({ template: 'verification', subject: 'Verify your e-mail address for Basalt', from: 'Basalt <no-reply@localhost>' });
    expect(newest.html).toBeUndefined();
    expect(new Date(newest.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(linkToken(newest, '/verify-email')).toBe('tok-2');
    expect(newest.text).toContain('http://localhost:5173/verify-email?token=tok-2');
    expect(first.body.meta.nextCursor).toEqual(expect.any(String));

    const rest = await t.call('GET', `/dev/mailbox?limit=2&cursor=${encodeURIComponent(String(first.body.meta.nextCursor))}`);
    expect(rest.body.data.map((m: { to: string }) => m.to)).toEqual(['ana@example.test']);
    expect(rest.body.meta.nextCursor).toBeNull();
  });

  it('shows one message with its HTML body; an unknown id is 404', async () => {
    await t.send({ template: 'magic_link', to: 'html@example.test', data: { token: 'magic-123' } });
    const list = await t.call('GET', '/dev/mailbox?limit=1');
    const id: string = list.body.data[0].id;
    const one = await t.call('GET', `/dev/mailbox/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({ id, to: 'html@example.test', template: 'magic_link' });
    expect(one.body.data.html).toContain('href="http://localhost:5173/magic-link?token=magic-123"');

    const missing = await t.call('GET', '/dev/mailbox/mail_000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'system:not_found', message: 'Message not found' });
  });

  it('refuses a limit out of range with the failing field', async () => {
    const res = await t.call('GET', '/dev/mailbox?limit=0');
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('general:validation_error');
    expect(res.body.error?.details?.map((d) => d.field)).toEqual(['limit']);
  });
});

describe.each(['production', 'test'])('the development mailbox with NODE_ENV=%s', (nodeEnv) => {
  it('is not mounted: 404, although mail still goes to the outbox', async () => {
    const t = await createMailTestApp({ env: { NODE_ENV: nodeEnv } });
    try {
      const sent = await t.send({ template: 'password_reset', to: 'prod@example.test', data: { handle: 'p', token: 'secret-reset' } });
      expect(sent.status).toBe(200);
      const stored = await t.container.sql.db.selectFrom('mail_outbox').select(['to_address', 'text_body']).execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]?.text_body).toContain('/reset-password?token=secret-reset');

      for (const path of ['/dev/mailbox', `/dev/mailbox/x`]) {
        const res = await t.call('GET', path);
        expect(res.status).toBe(404);
        expect(res.body.error?.code).toBe('system:not_found');
      }
      const doc = await t.call('GET', '/openapi.json');
      expect(JSON.stringify(doc.body)).not.toContain('/dev/mailbox');
    } finally {
      await t.close();
    }
  });
});
