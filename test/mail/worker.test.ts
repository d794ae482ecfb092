import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../helpers/backends.ts';
import { apiClient } from '../helpers/http.ts';
import { freePort } from '../helpers/net.ts';
import { linkToken, startSilentListener, startSmtpListener, type SmtpListener } from '../helpers/smtp.ts';
import { createMailTestApp, type MailTestApp } from './send-route.ts';
import { BIN, startWorkerProcess, type WorkerProcess } from './worker-process.ts';

const TOKEN = 'worker-token-0123456789abcdef';
const verification = (to: string, token = 'tok') => ({ template: 'verification' as const, to, data: { handle: 'zoe', token } });

describe('basalt worker (a real separate process) and the RemoteMailer', () => {
  let smtp: SmtpListener;
  let worker: WorkerProcess;
  let api: MailTestApp;
  beforeAll(async () => {
    smtp = await startSmtpListener();
    worker = await startWorkerProcess({
      NODE_ENV: 'production',
      WORKER_TOKEN: TOKEN,
      SMTP_URL: smtp.url,
      APP_NAME: 'Worker Co',
      PUBLIC_URL: 'https://app.worker.test',
    });
    api = await createMailTestApp({ env: { WORKER_URL: worker.url, WORKER_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.stop();
    await smtp?.close();
  });

  it('sends end to end: API → worker over HTTP → SMTP, the link built from the worker’s config', async () => {
    const res = await api.send(verification('e2e@example.test', 'e2e-TOKEN_1'));
    expect(res.status).toBe(200);
    const mail = await smtp.waitForMail('e2e@example.test');
    expect(mail.subject).toBe('Verify your e-mail address for Worker Co');
    expect(linkToken(mail, '/verify-email')).toBe('e2e-TOKEN_1');
    expect(mail.html).toContain('href="https://app.worker.test/verify-email?token=e2e-TOKEN_1"');
  });

  it('carries every template’s data across', async () => {
    const res = await api.send({ template: 'invitation', to: 'inv@example.test', data: { token: 'inv-9', workspaceName: 'Lab', inviterHandle: 'ada', role: 'admin' } });
    expect(res.status).toBe(200);
    const mail = await smtp.waitForMail('inv@example.test');
    expect(mail.subject).toBe('ada invited you to Lab on Worker Co');
    expect(linkToken(mail, '/invitations/')).toBe('inv-9');
  });

  it('passes the worker’s worker:* code back when SMTP refuses', async () => {
    smtp.mode = 'refuse-rcpt';
    try {
      const verify = await api.send(verification('refused@example.test'));
      expect(verify.status).toBe(502);
      expect(verify.body.error).toMatchObject({ code: 'worker:verification_email_send_failed', message: 'Verification email failed to send' });
      const reset = await api.send({ template: 'password_reset', to: 'refused@example.test', data: { handle: 'zoe', token: 't' } });
      expect(reset.status).toBe(502);
      expect(reset.body.error?.code).toBe('worker:password_reset_email_send_failed');
      const magic = await api.send({ template: 'magic_link', to: 'refused@example.test', data: { token: 't' } });
      expect(magic.body.error).toMatchObject({ code: 'worker:password_reset_email_send_failed', message: 'Sign-in link email failed to send' });
    } finally {
      smtp.mode = 'accept';
    }
  });

  it('refuses a caller without the right WORKER_TOKEN (401), which the API reports as worker:connection_failed', async () => {
    const direct = apiClient(worker.url);
    const none = await direct('POST', '/jobs/mail', { json: verification('x@example.test') });
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe('user:unauthorized');
    const wrong = await direct('POST', '/jobs/mail', { json: verification('x@example.test'), token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);

    const badApi = await createMailTestApp({ env: { WORKER_URL: worker.url, WORKER_TOKEN: 'not-the-worker-token-at-all' } });
    try {
      const res = await badApi.send(verification('x@example.test'));
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'worker:connection_failed', type: 'SERVICE_UNAVAILABLE' });
    } finally {
      await badApi.close();
    }
    expect(smtp.messages.filter((m) => m.envelopeTo.includes('x@example.test'))).toHaveLength(0);
  });

  it('validates jobs with the failing fields', async () => {
    const direct = apiClient(worker.url);
    const res = await direct('POST', '/jobs/mail', { json: { template: 'verification', to: 'x@example.test', data: { handle: 'zoe' } }, token: TOKEN });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('general:validation_error');
    expect(res.body.error?.details?.map((d) => d.field)).toContain('data.token');
    const unknown = await direct('POST', '/jobs/mail', { json: { template: 'newsletter', to: 'x@example.test', data: {} }, token: TOKEN });
    expect(unknown.status).toBe(400);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const extra = await startWorkerProcess({ NODE_ENV: 'production', WORKER_TOKEN: TOKEN, SMTP_URL: smtp.url });
    expect(await extra.stop()).toBe(0);
  });
});

describe('RemoteMailer when the worker is not usable', () => {
  it('nothing listening on WORKER_URL → 503 worker:connection_failed', async () => {
    const port = await freePort();
    const api = await createMailTestApp({ env: { WORKER_URL: `http://127.0.0.1:${port}`, WORKER_TOKEN: TOKEN } });
    try {
      const res = await api.send(verification('down@example.test'));
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'worker:connection_failed', message: 'Worker service connection failed' });
    } finally {
      await api.close();
    }
  });

  it('a worker that never answers → worker:connection_failed after WORKER_TIMEOUT_MS', async () => {
    const silent = await startSilentListener();
    const api = await createMailTestApp({ env: { WORKER_URL: `http://127.0.0.1:${silent.port}`, WORKER_TIMEOUT_MS: '300' } });
    try {
      const started = performance.now();
      const res = await api.send(verification('slow@example.test'));
      expect(res.status).toBe(503);
      expect(res.body.error?.code).toBe('worker:connection_failed');
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await api.close();
      await silent.close();
    }
  });

  describe('a real HTTP server on loopback answering garbage → 502 worker:response_invalid', () => {
    let reply: (res: ServerResponse) => void = (res) => res.end();
    let server: Server;
    let api: MailTestApp;
    beforeAll(async () => {
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        req.on('end', () => reply(res));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      api = await createMailTestApp({ env: { WORKER_URL: `http://127.0.0.1:${port}/`, WORKER_TOKEN: TOKEN } });
    });
    afterAll(async () => {
      await api?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const json = (status: number, body: unknown) => (res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const cases: Array<[string, (res: ServerResponse) => void]> = [
      ['an HTML page', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>It works!</html>')],
      ['an empty 200', (res) => res.writeHead(200).end()],
      ['truncated JSON', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success": tr')],
      ['JSON that is not the envelope', json(200, { ok: true })],
      ['a success envelope without the job result', json(200, { success: true, data: null, error: null, meta: {} })],
      ['a success envelope with an error status', json(500, { success: true, data: { sent: true }, error: null, meta: {} })],
      ['an error envelope with a code that is not the worker’s', json(409, { success: false, data: null, error: { code: 'user:email_already_exists', message: 'x' } })],
      ['a gateway error page', (res) => res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway')],
    ];

    it.each(cases)('%s', async (_name, answer) => {
      reply = answer;
      const res = await api.send(verification('garbage@example.test'));
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 'worker:response_invalid', type: 'SERVICE_UNAVAILABLE', message: 'Worker returned invalid response' });
    });

    it('a well-formed success from that server is a success (the mapping is by shape, not by luck)', async () => {
      reply = json(200, { success: true, data: { sent: true }, error: null, meta: { timestamp: new Date().toISOString() } });
      const res = await api.send(verification('fine@example.test'));
      expect(res.status).toBe(200);
    });
  });
});

describe('worker configuration', () => {
  it('basalt worker --help describes the command', () => {
    const r = spawnSync(process.execPath, [BIN, 'worker', '--help'], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: basalt worker/);
    expect(r.stdout).toContain('WORKER_TOKEN');
    const main = spawnSync(process.execPath, [BIN, '--help'], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(main.stdout).toMatch(/^\s+worker\s/m);
  });

  it('refuses to start in production without WORKER_TOKEN', () => {
    const dir = tempDir();
    try {
      const r = spawnSync(process.execPath, [BIN, 'worker'], {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dir.path, NODE_ENV: 'production', WORKER_PORT: '0' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('WORKER_TOKEN');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      dir.remove();
    }
  });

  it('an API in production with WORKER_URL needs WORKER_TOKEN too', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', WORKER_URL: 'http://worker:3001' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', WORKER_URL: 'http://worker:3001', WORKER_TOKEN: 'short' })).toThrow(/WORKER_TOKEN/);
    const ok = loadConfig({ NODE_ENV: 'production', WORKER_URL: 'http://worker:3001', WORKER_TOKEN: TOKEN, SMTP_URL: 'smtps://u:p@mail.example.com:465' });
    expect(ok).toMatchObject({ WORKER_PORT: 3001, WORKER_TIMEOUT_MS: 30_000, SMTP_TIMEOUT_MS: 10_000, APP_NAME: 'Basalt', MAIL_FROM: 'Basalt <no-reply@localhost>' });
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com' })).toThrow(/SMTP_URL/);
  });

  it('without a token outside production the worker listens on loopback only', async () => {
    const w = await startWorkerProcess({ NODE_ENV: 'development', HOST: '0.0.0.0', LOG_FORMAT: 'json' });
    try {
      const res = await apiClient(w.url)('POST', '/jobs/mail', { json: verification('open@example.test') });
      expect(res.status).toBe(200);
      expect(w.output()).toContain('WORKER_TOKEN is not set');
      // HOST=0.0.0.0 was asked for, yet another address of this machine does not reach it.
      const external = Object.values(networkInterfaces())
        .flat()
        .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
      if (external) {
        await expect(fetch(`http://${external.address}:${w.port}/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
      } else {
        console.warn('[note] no non-loopback IPv4 address here: only the loopback side of the binding is checked');
      }
    } finally {
      await w.stop();
    }
  });
});
