import type { Logger } from '../../lib/logger.ts';

export interface LastUsedOptions {
  /** At most one database write per key per interval, per process. */
  intervalMs: number;
  write(keyId: string, at: number): Promise<void>;
  logger: Logger;
}

/**
 * When each key was last used, without a database write per request: the newest time is
 * kept in memory, and the database is written on a key's first use and then at most once
 * per `intervalMs` (per process). Readers combine the two (`seen`), so the process that
 * served a request reports it exactly; the stored value lags by at most the interval.
 * A failed write is logged and never fails the request.
 */
export class LastUsedTracker {
  private readonly latest = new Map<string, number>();
  private readonly written = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: LastUsedOptions) {}

  record(keyId: string, at: number): void {
    this.latest.set(keyId, at);
    const last = this.written.get(keyId);
    if (last !== undefined && at - last < this.options.intervalMs) return;
    this.written.set(keyId, at);
    this.persist(keyId, at);
  }

  /** The newest use this process saw, if any. */
  seen(keyId: string): number | undefined {
    return this.latest.get(keyId);
  }

  forget(keyId: string): void {
    this.latest.delete(keyId);
    this.written.delete(keyId);
  }

  /** Writes every use not yet stored and waits for writes in flight (shutdown, tests). */
  async flush(): Promise<void> {
    for (const [keyId, at] of this.latest) {
      if ((this.written.get(keyId) ?? -1) < at) {
        this.written.set(keyId, at);
        this.persist(keyId, at);
      }
    }
    await Promise.all([...this.pending]);
  }

  private persist(keyId: string, at: number): void {
    const p = this.options.write(keyId, at).catch((err: unknown) => this.options.logger.warn({ err, keyId }, 'could not record API key last use'));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
