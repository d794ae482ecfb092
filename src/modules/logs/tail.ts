import type { QueuedLogBatch } from '../../ports/log-queue.ts';
import { batchEntries, type StoredEntry } from './entry.ts';

/** Where the writer announces each batch it stored (the live tail's source). Must not throw. */
export interface TailSink {
  emit(batch: QueuedLogBatch): void | Promise<void>;
}

export type TailListener = (entries: readonly StoredEntry[]) => void;

/**
 * This process's live-tail fan-out: stored batches in, entries out to the subscribers of
 * their project. A batch is parsed only when its project has a subscriber here. Listeners
 * run synchronously and must not throw; each SSE stream buffers on its own side.
 */
export class LogTailHub {
  private readonly subscribers = new Map<string, Set<TailListener>>();
  private readonly interestListeners = new Set<(projects: string[]) => void>();

  subscribe(projectId: string, listener: TailListener): () => void {
    let set = this.subscribers.get(projectId);
    if (!set) {
      set = new Set();
      this.subscribers.set(projectId, set);
      this.announce();
    }
    set.add(listener);
    return () => {
      const s = this.subscribers.get(projectId);
      if (!s?.delete(listener) || s.size > 0) return;
      this.subscribers.delete(projectId);
      this.announce();
    };
  }

  hasSubscribers(projectId: string): boolean {
    return this.subscribers.has(projectId);
  }

  /** Projects with at least one subscriber here. */
  projects(): string[] {
    return [...this.subscribers.keys()];
  }

  /** Called with the subscribed projects whenever that set changes (a writer thread filters by it). */
  onInterest(listener: (projects: string[]) => void): () => void {
    this.interestListeners.add(listener);
    listener(this.projects());
    return () => void this.interestListeners.delete(listener);
  }

  deliverBatch(batch: Pick<QueuedLogBatch, 'projectId' | 'seq' | 'payload' | 'receivedAt'>): void {
    const set = this.subscribers.get(batch.projectId);
    if (!set) return;
    const entries = batchEntries(batch.seq, batch.payload, batch.receivedAt);
    for (const l of set) l(entries);
  }

  /** A sink delivering straight here (writer in this thread). */
  sink(): TailSink {
    return { emit: (b) => this.deliverBatch(b) };
  }

  clear(): void {
    this.subscribers.clear();
    this.announce();
  }

  private announce(): void {
    const projects = this.projects();
    for (const l of this.interestListeners) l(projects);
  }
}
