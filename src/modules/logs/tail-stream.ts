import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../../http/env.ts';
import type { LogEntry } from './entry.ts';
import type { TailFeed } from './service.ts';

export interface TailStreamOptions {
  heartbeatMs: number;
  /** Entries buffered for one slow client before it is cut off (it resumes with Last-Event-ID). */
  maxQueued?: number;
  /** When the credential that opened the stream expires (epoch ms): the stream ends then. */
  expiresAt?: number | undefined;
  /** Asked every `recheckMs`: false (the key revoked, the session ended, membership lost) ends the stream. */
  stillAllowed?: () => Promise<boolean>;
  recheckMs?: number;
}

export type TailEnd = 'credentials_expired' | 'access_revoked';

/**
 * Serves an open tail as Server-Sent Events: `ready` first, then one `log` event per entry
 * (its id is the SSE id), heartbeats while idle. A client that cannot keep up is
 * disconnected rather than buffered without bound; it reconnects with Last-Event-ID. Access
 * is not granted once for ever: the stream ends with an `end` event when the credential
 * expires or a periodic re-check fails.
 */
export async function tailStream(c: Context<AppEnv>, options: TailStreamOptions, open: (listener: (entries: LogEntry[]) => void) => Promise<TailFeed>): Promise<Response> {
  const maxQueued = options.maxQueued ?? 10_000;
  const queue: LogEntry[] = [];
  let wake: (() => void) | undefined;
  let overflow = false;
  let ended: TailEnd | undefined;
  const feed = await open((entries) => {
    if (queue.length + entries.length > maxQueued) overflow = true;
    else queue.push(...entries);
    wake?.();
  });
  const finish = (reason: TailEnd) => {
    ended ??= reason;
    wake?.();
  };
  const expiry = options.expiresAt === undefined ? undefined : setTimeout(() => finish('credentials_expired'), Math.max(0, options.expiresAt - Date.now()));
  const recheck = options.stillAllowed
    ? setInterval(() => {
        options.stillAllowed?.().then(
          (ok) => ok || finish('access_revoked'),
          () => {},
        );
      }, options.recheckMs ?? 30_000)
    : undefined;
  return streamSSE(c, async (stream) => {
    let live = true;
    stream.onAbort(() => {
      live = false;
      wake?.();
    });
    try {
      await stream.writeSSE({ event: 'ready', data: '{}', retry: 3000 });
      while (live && !overflow && !ended) {
        for (let e = queue.shift(); e && live && !ended; e = queue.shift()) await stream.writeSSE({ id: e.id, event: 'log', data: JSON.stringify(e) });
        if (!live || overflow || ended) break;
        const beat = await new Promise<boolean>((resolve) => {
          // Checked synchronously with the listener: nothing can arrive between this and `wake`.
          if (queue.length > 0 || !live || ended) return resolve(false);
          const t = setTimeout(() => resolve(true), options.heartbeatMs);
          wake = () => {
            clearTimeout(t);
            resolve(false);
          };
        });
        wake = undefined;
        if (beat && live) await stream.write(': heartbeat\n\n');
      }
      if (ended && live) await stream.writeSSE({ event: 'end', data: JSON.stringify({ reason: ended }) });
    } finally {
      if (expiry) clearTimeout(expiry);
      if (recheck) clearInterval(recheck);
      feed.close();
    }
  });
}
