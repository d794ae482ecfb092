import { writeSync } from 'node:fs';

export interface LogDestinationOptions {
  /** Lines held while the descriptor answers EAGAIN (a full non-blocking pipe); beyond this, lines are dropped and counted. */
  maxPendingBytes?: number;
  /** How long to wait before retrying a descriptor that answered EAGAIN. */
  retryMs?: number;
}

const WOULD_BLOCK = new Set(['EAGAIN', 'EWOULDBLOCK']);

/**
 * Where JSON log lines go (stdout by default), batched: the lines written during one turn
 * of the event loop leave together in one write(2), in order, at the end of that turn.
 * pino's default destination (sonic-boom) measures its whole pending buffer on each line,
 * which made one access-log line cost about 3 µs; here a line costs an array push.
 *
 * Writes are synchronous, so nothing is ever in flight: `process.exit` (the CLI, signal
 * handlers) writes what is pending, and only a `kill -9` can lose lines, those of the
 * current turn. A full pipe holds lines back (up to `maxPendingBytes`) and retries.
 */
export class LogDestination {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private retrying = false;
  private closed = false;
  /** Lines dropped because the descriptor stayed blocked past maxPendingBytes. */
  dropped = 0;
  private readonly maxPendingBytes: number;
  private readonly retryMs: number;

  constructor(private readonly fd: number, options: LogDestinationOptions = {}) {
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 10;
    process.once('exit', () => this.flushSync());
  }

  write(line: string): boolean {
    if (this.closed) return false;
    if (this.pendingBytes + line.length > this.maxPendingBytes) {
      this.dropped++;
      return false;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.scheduled && !this.retrying) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
    return true;
  }

  /** pino's `logger.flush(cb)` calls this: writes what is pending now. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  /** Writes everything pending, unless the descriptor would block (then a retry is scheduled). */
  flushSync(): void {
    if (this.pending.length === 0 || this.closed) return;
    const data = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    let offset = 0;
    try {
      while (offset < data.length) offset += writeSync(this.fd, data, offset, data.length - offset);
    } catch (err) {
      if (WOULD_BLOCK.has((err as NodeJS.ErrnoException).code ?? '')) {
        // Keep the unwritten rest, first in line, and try again shortly.
        const rest = data.subarray(offset).toString('utf8');
        this.pending.unshift(rest);
        this.pendingBytes += rest.length;
        this.retryLater();
        return;
      }
      // A closed or broken stdout (EPIPE, EBADF): nowhere left to log.
      this.closed = true;
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    this.flushSync();
  };

  private retryLater(): void {
    if (this.retrying) return;
    this.retrying = true;
    setTimeout(() => {
      this.retrying = false;
      this.flushSync();
    }, this.retryMs).unref();
  }
}
