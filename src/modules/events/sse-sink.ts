import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';

/** @hono/node-server leaves the response alone when the handler's Response carries this header. */
const ALREADY_SENT = 'x-hono-already-sent';

const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // Proxies (nginx) must pass each event on at once, not buffer the stream.
  'x-accel-buffering': 'no',
};

export interface SseSinkOptions {
  heartbeatMs: number;
  /** Frames buffered for a client that does not read before it is cut off (it resumes with Last-Event-ID). */
  maxQueued: number;
}

/**
 * One SSE response, written frame by frame. Frames are complete `…\n\n` messages, usually
 * the same Buffer shared by every subscriber of an event. Before `start` they are held, so
 * the first message is always `ready` even when a resume replays events synchronously.
 */
export interface SseSink {
  /** Sends the first frame and everything held so far; the handler returns this Response. */
  start(first: Uint8Array): Response;
  send(frame: Uint8Array): void;
  /** Ends the stream after `last` (if given); idempotent. */
  end(last?: Uint8Array): void;
  /** Called once when the stream is over, whoever ended it. */
  onClose(listener: () => void): void;
}

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/** The shared part: holding frames until start, the idle heartbeat, close listeners. */
abstract class BaseSink implements SseSink {
  private held: Uint8Array[] | null = [];
  private endAfterStart: { last?: Uint8Array | undefined } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private listeners: Array<() => void> = [];
  private finished = false;
  protected closed = false;

  constructor(private readonly options: SseSinkOptions) {}

  protected abstract open(): Response;
  /** Writes one frame; returns how many frames the client has not taken yet (backlog). */
  protected abstract write(frame: Uint8Array): number;
  protected abstract finish(last?: Uint8Array): void;

  start(first: Uint8Array): Response {
    const response = this.open();
    const held = this.held ?? [];
    this.held = null;
    if (!this.closed) {
      this.write(first);
      for (const frame of held) this.send(frame);
      if (this.endAfterStart) this.end(this.endAfterStart.last);
    }
    if (!this.closed) {
      // Re-armed by every write, so an idle stream sends a comment every `heartbeatMs`.
      this.heartbeat = setTimeout(() => this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
    return response;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.held) {
      this.held.push(frame);
      return;
    }
    if (this.write(frame) > this.options.maxQueued) {
      // Too far behind: cut off rather than buffer without bound; it resumes where it was.
      this.end();
      return;
    }
    this.heartbeat?.refresh();
  }

  end(last?: Uint8Array): void {
    if (this.closed) return;
    if (this.held) {
      this.endAfterStart = { last };
      return;
    }
    this.finish(last);
    this.closed = true;
    this.closeOnce();
  }

  onClose(listener: () => void): void {
    if (this.finished) listener();
    else this.listeners.push(listener);
  }

  /** The client went away. */
  protected gone(): void {
    this.closed = true;
    this.closeOnce();
  }

  private beat(): void {
    if (this.closed) return;
    this.write(HEARTBEAT);
    this.heartbeat?.refresh();
  }

  private closeOnce(): void {
    this.finished = true;
    clearTimeout(this.heartbeat);
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }
}

/**
 * Under @hono/node-server: straight to the socket. One `write` per frame, no web-stream
 * reader, TransformStream or per-write promise in between (what made 1,000 subscribers slow).
 */
class NodeSink extends BaseSink {
  private backlog = 0;

  constructor(
    private readonly c: Context<AppEnv>,
    private readonly res: ServerResponse,
    options: SseSinkOptions,
  ) {
    super(options);
    res.on('close', () => this.gone());
    res.on('drain', () => {
      this.backlog = 0;
    });
  }

  protected open(): Response {
    if (!this.closed) {
      // Headers the middleware prepared (rate limits); X-Request-Id is already on `res`.
      for (const [k, v] of this.c.res.headers) this.res.setHeader(k, v);
      for (const [k, v] of Object.entries(SSE_HEADERS)) this.res.setHeader(k, v);
      this.res.writeHead(200);
    }
    return this.c.body(null, 200, { ...SSE_HEADERS, [ALREADY_SENT]: '1' });
  }

  protected write(frame: Uint8Array): number {
    if (!this.res.write(frame)) this.backlog += 1;
    return this.backlog;
  }

  protected finish(last?: Uint8Array): void {
    this.res.end(last);
  }
}

/** Anywhere else (app.fetch in tests, other runtimes): a ReadableStream fed directly. */
class WebSink extends BaseSink {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly stream: ReadableStream<Uint8Array>;

  constructor(
    private readonly c: Context<AppEnv>,
    options: SseSinkOptions,
  ) {
    super(options);
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => this.gone(),
    });
    const signal = c.req.raw.signal;
    if (signal.aborted) this.gone();
    else signal.addEventListener('abort', () => this.gone(), { once: true });
  }

  protected open(): Response {
    return this.c.body(this.stream, 200, SSE_HEADERS);
  }

  protected write(frame: Uint8Array): number {
    this.controller.enqueue(frame);
    return Math.max(0, 1 - (this.controller.desiredSize ?? 0));
  }

  protected finish(last?: Uint8Array): void {
    if (last) this.controller.enqueue(last);
    this.controller.close();
  }

  protected override gone(): void {
    if (this.closed) return;
    try {
      this.controller.close();
    } catch {
      // Already closed or cancelled.
    }
    super.gone();
  }
}

/** The raw Node response, when @hono/node-server serves this request. */
function nodeResponse(c: Context<AppEnv>): ServerResponse | undefined {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  return env?.outgoing && typeof env.outgoing.writeHead === 'function' && env.incoming ? env.outgoing : undefined;
}

export function openSseSink(c: Context<AppEnv>, options: SseSinkOptions): SseSink {
  const out = nodeResponse(c);
  return out ? new NodeSink(c, out, options) : new WebSink(c, options);
}
