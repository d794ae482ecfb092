import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgSchema, serviceUrl, tempDir } from '../../../test/helpers/backends.ts';
import { openSqlStore, type SqlStore } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { runMailTransportContract } from '../../ports/mail-transport.contract.ts';
import type { OutgoingMail } from '../../ports/mail-transport.ts';
import { OutboxMailTransport } from './outbox-mail-transport.ts';

interface Opened {
  store: SqlStore;
  cleanup(): Promise<void>;
}

async function openStore(dialect: 'sqlite' | 'postgres'): Promise<Opened> {
  if (dialect === 'postgres') {
    const url = serviceUrl('DATABASE_URL') as string;
    const schema = await createPgSchema(url);
    const store = openSqlStore({ url, sqlitePath: '', schema: schema.schema });
    await migrateToLatest(store.db);
    return { store, cleanup: async () => { await store.close(); await schema.drop(); } };
  }
  const dir = tempDir();
  const store = openSqlStore({ sqlitePath: join(dir.path, 'basalt.db') });
  await migrateToLatest(store.db);
  return { store, cleanup: async () => { await store.close(); dir.remove(); } };
}

const dialects: Array<'sqlite' | 'postgres'> = serviceUrl('DATABASE_URL') ? ['sqlite', 'postgres'] : ['sqlite'];

/** A pino logger whose lines the test can read. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const mail = (to: string, subject: string): OutgoingMail => ({
  to,
  from: 'Basalt <no-reply@example.test>',
  subject,
  text: `Open https://example.test/verify-email?token=secret-${subject}\n`,
  html: '<p>hi</p>',
  template: 'verification',
});

for (const dialect of dialects) {
  runMailTransportContract(`outbox (${dialect})`, async () => {
    const opened = await openStore(dialect);
    const transport = new OutboxMailTransport({ db: opened.store.db, logger: pino({ level: 'silent' }) });
    return {
      transport,
      delivered: async (to) => {
        const rows = await opened.store.db.selectFrom('mail_outbox').selectAll().where('to_address', '=', to).orderBy('id').execute();
        return rows.map((r) => ({ to: r.to_address, subject: r.subject, text: r.text_body, html: r.html_body }));
      },
      cleanup: opened.cleanup,
    };
  });

  describe(`OutboxMailTransport (${dialect})`, () => {
    let opened: Opened;
    beforeAll(async () => {
      opened = await openStore(dialect);
    });
    afterAll(async () => {
      await opened.cleanup();
    });

    it('lists newest first in pages, and finds one message by id', async () => {
      const outbox = new OutboxMailTransport({ db: opened.store.db, logger: pino({ level: 'silent' }) });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await outbox.send(mail(`page-${i}@example.test`, `m${i}`))).messageId);
      const first = await outbox.list({ limit: 2 });
      expect(first.messages.map((m) => m.subject)).toEqual(['m4', 'm3']);
      expect(first.nextCursor).toBe(ids[3]);
      const second = await outbox.list({ limit: 2, before: first.nextCursor ?? undefined });
      expect(second.messages.map((m) => m.subject)).toEqual(['m2', 'm1']);
      const last = await outbox.list({ limit: 2, before: second.nextCursor ?? undefined });
      expect(last.messages.map((m) => m.subject)).toEqual(['m0']);
      expect(last.nextCursor).toBeNull();

      const one = await outbox.get(ids[2] as string);
      expect(one).toMatchObject({ id: ids[2], to: 'page-2@example.test', subject: 'm2', template: 'verification', html: '<p>hi</p>' });
      expect(one?.createdAt).toBeGreaterThan(Date.now() - 60_000);
      expect(await outbox.get('mail_missing')).toBeUndefined();
    });

    it('logs each message without its body unless asked to (bodies carry tokens)', async () => {
      const quiet = capturingLogger();
      await new OutboxMailTransport({ db: opened.store.db, logger: quiet.logger }).send(mail('log@example.test', 'logged'));
      expect(quiet.lines).toHaveLength(1);
      expect(quiet.lines[0]).toMatchObject({ msg: 'mail stored in the outbox', to: 'log@example.test', subject: 'logged', template: 'verification' });
      expect(JSON.stringify(quiet.lines)).not.toContain('secret-logged');

      const verbose = capturingLogger();
      await new OutboxMailTransport({ db: opened.store.db, logger: verbose.logger, logBodies: true }).send(mail('log@example.test', 'shown'));
      expect(verbose.lines[0]?.text).toContain('token=secret-shown');
    });
  });
}
