import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { RequestIdResponse } from '../http/request-id.ts';

export interface Listening {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to `shutdownTimeoutMs`), then runs `onClosed` once. */
  stop(): Promise<void>;
}

export interface ListenOptions {
  fetch: Hono['fetch'];
  port: number;
  host: string;
  shutdownTimeoutMs: number;
  /** Runs after the last connection closed (closing stores). */
  onClosed: () => Promise<void>;
}

/** Serves a fetch handler on Node's HTTP server with graceful, idempotent shutdown. */
export async function listen(options: ListenOptions): Promise<Listening> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: options.fetch, port: options.port, hostname: options.host, serverOptions: { ServerResponse: RequestIdResponse } }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const http = server as Server;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections?.();
      // Connections still busy after the timeout are cut, so shutdown always ends.
      const timer = setTimeout(() => http.closeAllConnections?.(), options.shutdownTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      await options.onClosed();
    })());

  return { url: `http://${shownHost}:${port}`, port, stop };
}
