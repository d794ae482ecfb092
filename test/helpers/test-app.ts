import type { OpenAPIHono } from '@hono/zod-openapi';
import pino from 'pino';
import { buildContainer, type Container } from '../../src/app/container.ts';
import { createApp, type AppOptions } from '../../src/app/create-app.ts';
import { buildServices, type Services } from '../../src/app/services.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { AppEnv } from '../../src/http/env.ts';
import { createPgSchema, runId, serviceUrl, tempDir } from './backends.ts';
import { apiClient, type ApiCall } from './http.ts';

export type SqlBackend = 'sqlite' | 'postgres';

/** The SQL backends configured here: SQLite always, PostgreSQL when DATABASE_URL is set. */
export function sqlBackends(): SqlBackend[] {
  return serviceUrl('DATABASE_URL') ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestApp {
  app: OpenAPIHono<AppEnv>;
  container: Container;
  /** The very services the app runs on. */
  services: Services;
  call: ApiCall;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestAppOptions extends AppOptions {
  sql?: SqlBackend;
  kv?: 'sqlite' | 'redis';
  env?: Record<string, string>;
  /** A pino logger to capture output; silent by default. */
  logger?: pino.Logger;
}

/** A full Basalt (container + app) on throw-away stores, called in-process. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = tempDir();
  const env: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dir.path, ...options.env };
  let dropSchema: (() => Promise<void>) | undefined;
  let sqlSchema: string | undefined;
  if (options.sql === 'postgres') {
    const url = serviceUrl('DATABASE_URL');
    if (!url) throw new Error('DATABASE_URL is required for a postgres test app');
    const s = await createPgSchema(url);
    env.DATABASE_URL = url;
    sqlSchema = s.schema;
    dropSchema = s.drop;
  }
  if (options.kv === 'redis') {
    const url = serviceUrl('REDIS_URL');
    if (!url) throw new Error('REDIS_URL is required for a redis test app');
    env.REDIS_URL = url;
    env.KV_PREFIX = `${runId('kv')}:`;
  }
  const config = loadConfig(env);
  const container = await buildContainer(config, { logger: options.logger ?? pino({ level: 'silent' }), ...(sqlSchema ? { sqlSchema } : {}) });
  const services = buildServices(container);
  const app = createApp(container, { ...options, services });
  return {
    app,
    container,
    services,
    call: apiClient((req) => app.fetch(req)),
    dataDir: dir.path,
    close: async () => {
      await container.close();
      await dropSchema?.();
      dir.remove();
    },
  };
}
