import type { Container } from './container.ts';
import { createApp, type AppOptions } from './create-app.ts';
import { listen, type Listening } from './listen.ts';
import { buildServices } from './services.ts';

export type { Listening as RunningServer } from './listen.ts';

export interface ServerOptions extends AppOptions {
  port?: number;
  host?: string;
}

export async function startServer(container: Container, overrides: ServerOptions = {}): Promise<Listening> {
  const { config } = container;
  const services = overrides.services ?? buildServices(container);
  const app = createApp(container, { ...overrides, services });
  return listen({
    fetch: app.fetch,
    port: overrides.port ?? config.PORT,
    host: overrides.host ?? config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onClosed: async () => {
      // API-key last use is kept in memory between writes (docs/teams.md): write it before the stores close.
      await services.apiKeys.flushLastUsed().catch((err: unknown) => container.logger.warn({ err }, 'could not write API-key last use on shutdown'));
      await container.close();
    },
  });
}
