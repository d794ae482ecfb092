import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildContainer } from '../../src/app/container.ts';
import { startServer } from '../../src/app/server.ts';
import { loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../helpers/backends.ts';

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
});
