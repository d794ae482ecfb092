import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildContainer } from '../../src/app/container.ts';
import { startServer } from '../../src/app/server.ts';
import { loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../helpers/backends.ts';
import { apiClient } from '../helpers/http.ts';

describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new connections, closes the stores', async () => {
    const dir = tempDir();
    const container = await buildContainer(loadConfig({ DATA_DIR: dir.path, LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
    const server = await startServer(container, {
      port: 0,
      host: '127.0.0.1',
      extend: (app) => {
        app.get('/__test/slow', async (c) => {
          await new Promise((r) => setTimeout(r, 400));
          return c.json({ finished: true });
        });
      },
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const inFlight = fetch(`${base}/__test/slow`);
      await new Promise((r) => setTimeout(r, 100));
      const stopping = server.stop();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ finished: true });
      await stopping;
      await expect(fetch(`${base}/health`)).rejects.toThrow();
      await expect(container.kv.ping()).rejects.toThrow();
    } finally {
      await server.stop();
      dir.remove();
    }
  });

  it('writes API-key last use kept in memory before the stores close', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir.path, LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false', REQUIRE_VERIFIED_EMAIL_FOR: 'posts.create' };
    const container = await buildContainer(loadConfig(env), { logger: pino({ level: 'silent' }) });
    const server = await startServer(container, { port: 0, host: '127.0.0.1' });
    try {
      const call = apiClient(`http://127.0.0.1:${server.port}`);
      const who = { email: 'shutdown.keys@example.test', handle: 'shutdown_keys', password: 'a-Long-enough-passphrase-42' };
      expect((await call('POST', '/v1/auth/register', { json: who })).status).toBe(201);
      const token = (await call('POST', '/v1/auth/login', { json: { login: who.handle, password: who.password } })).body.data.accessToken as string;
      expect((await call('POST', '/v1/workspaces', { token, json: { name: 'Shutdown', slug: 'shutdown-keys' } })).status).toBe(201);
      const project = (await call('POST', '/v1/workspaces/shutdown-keys/projects', { token, json: { name: 'P' } })).body.data as { id: string };
      const key = (await call('POST', `/v1/projects/${project.id}/keys`, { token, json: { name: 'k', scopes: ['logs:read'] } })).body.data as { id: string; secret: string };
      const use = async () => expect((await call('GET', `/v1/projects/${project.id}/keys/current`, { headers: { 'x-api-key': key.secret } })).status).toBe(200);
      await use(); // the first use is written at once; later ones within the interval stay in memory
      await new Promise((r) => setTimeout(r, 20));
      const usedAt = Date.now();
      await use();
      await server.stop();
      const db = new SQLite(join(dir.path, 'basalt.db'), { readonly: true });
      const row = db.prepare('select last_used_at from api_keys where id = ?').get(key.id) as { last_used_at: number | null };
      db.close();
      expect(row.last_used_at).toBeGreaterThanOrEqual(usedAt);
    } finally {
      await server.stop();
      dir.remove();
    }
  });
});
