import type { Container } from './container.ts';
import { createApp, type AppOptions } from './create-app.ts';
import { listen, type Listening } from './listen.ts';

export type { Listening as RunningServer } from './listen.ts';

export interface ServerOptions extends AppOptions {
  port?: number;
  host?: string;
}

export async function startServer(container: Container, overrides: ServerOptions = {}): Promise<Listening> {
  const { config } = container;
  const app = createApp(container, overrides);
  return listen({
    fetch: app.fetch,
    port: overrides.port ?? config.PORT,
    host: overrides.host ?? config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onClosed: () => container.close(),
  });
}
