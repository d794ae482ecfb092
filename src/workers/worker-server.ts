import type { Container } from '../app/container.ts';
import { listen, type Listening } from '../app/listen.ts';
import { createWorkerApp } from './worker-app.ts';

/** Stopping takes no new jobs, lets running ones finish (up to the shutdown timeout) and closes stores. */
export type RunningWorker = Listening;

/**
 * Serves the worker's job endpoint. Without a WORKER_TOKEN (refused in production by the
 * CLI) it binds loopback only, whatever host is asked for: an open mail relay must not be
 * reachable from the network.
 */
export async function startWorkerServer(container: Container, options: { port?: number; host?: string } = {}): Promise<RunningWorker> {
  const { config, logger } = container;
  const token = config.WORKER_TOKEN;
  const host = token === undefined ? '127.0.0.1' : (options.host ?? config.HOST);
  const app = createWorkerApp({ mailer: container.mailer, logger, token, exposeInternals: config.NODE_ENV === 'development' });
  return listen({
    fetch: app.fetch,
    port: options.port ?? config.WORKER_PORT,
    host,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onClosed: () => container.close(),
  });
}
