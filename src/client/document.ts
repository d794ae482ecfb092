import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildContainer } from '../app/container.ts';
import { createApp } from '../app/create-app.ts';
import { loadConfig } from '../config/index.ts';

/**
 * The OpenAPI document the client's types come from, built from the real app on a throw-away
 * SQLite store. The configuration is fixed (not read from the environment) so the document —
 * and so the generated file — is the same on every machine; development mode includes the
 * dev mailbox routes, which the console uses.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'basalt-openapi-'));
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', DATA_DIR: dir, PUBLIC_URL: 'http://localhost:3000' });
  const container = await buildContainer(config, { logger: pino({ level: 'silent' }) });
  try {
    const res = await createApp(container).request('/openapi.json');
    if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    await container.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
