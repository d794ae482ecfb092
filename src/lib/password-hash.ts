import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors/index.ts';
import { eventLoopLoad } from './event-loop-load.ts';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
// algorithm 2 = Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

type Job = { op: 'hash'; password: string; options: typeof OPTIONS } | { op: 'verify'; hash: string; password: string };
type Reply = { ok: true; value: string | boolean } | { ok: false; error: string };

interface Task {
  job: Job;
  resolve(value: string | boolean): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  /** Posted to the worker, in order: the first is hashing, the rest wait in its port. */
  tasks: Task[];
  /** When the first task started. */
  startedAt: number;
}

/** Jobs a thread holds when the loop is not busy: the one hashing and the next. */
const PREFETCH = 2;

/**
 * argon2 on a pool of worker threads, one hash at a time each, the rest queued in order.
 *
 * Why not @node-rs/argon2's async calls: they run on libuv's thread pool (4 threads), so ten
 * concurrent sign-ups kept every core busy hashing and authenticated requests fell to a tenth
 * of their rate (bench/auth.bench.ts). Here the pool has one thread per core, and each lowers
 * its own scheduling priority (password-hash-worker.mjs): hashing takes what the event loop
 * leaves, and the event loop is never starved. The workers are unreferenced while idle, so
 * they never keep a process alive; one with a hash in flight does, so a CLI command that
 * hashes and exits still gets its answer.
 *
 * A priority alone does not keep hashing out of the way on a small machine: each hash sweeps
 * 19 MiB through the caches the event loop shares, and every finished sign-up brings the loop
 * its own work. So while the event loop is busy (`busy()`), fewer hashes run at once (`busySize`,
 * by default every core but one), and they are paced to `busyShare` of one core: with ten
 * sign-ups in flight and no pacing, authenticated requests kept only 45% of their rate on two
 * cores; paced to a tenth of a core, about 85% (bench/auth.bench.ts, "GET /v1/me with 10
 * sign-ups in flight"). Sign-ups and logins then queue while the server is saturated, and
 * run at full speed again as soon as it is not.
 *
 * Results are handed back to the event loop in small batches while hashes finish in quick
 * succession (`handOverMs`): each hash sweeps 19 MiB through the caches, so a sign-in handled
 * the moment its hash ends ran with cold caches, and cost the loop a third more than one handled
 * right after another (bench/auth.bench.ts). A result after a quiet spell goes back at once; under
 * a stream of them each waits at most `handOverMs`. Wrong passwords and unknown logins wait alike.
 */
export class Argon2Pool {
  private readonly threads: Thread[] = [];
  private readonly queue: Task[] = [];
  private closing = false;
  /** While busy, no hash starts before this time (performance.now()). */
  private pausedUntil = 0;
  private wake: NodeJS.Timeout | undefined;
  /** When results were last handed back (performance.now()), and those waiting for the next time. */
  private handedOverAt = Number.NEGATIVE_INFINITY;
  private readonly waiting: Array<() => void> = [];
  private handOverTimer: NodeJS.Timeout | undefined;

  /**
   * `busyShare`: while the event loop is busy, the share of one core hashing may take
   * (0 < share ≤ 1); after a hash of d ms, the next one waits d × (1 − share) / share.
   */
  constructor(
    private readonly size: number,
    private readonly busySize: number = size,
    private readonly busy: () => boolean = () => false,
    public busyShare: number = 1,
    public handOverMs: number = 0,
  ) {}

  /** Hashes running now (one per thread at most; a thread's next job waits behind it). */
  get inFlight(): number {
    let n = 0;
    for (const t of this.threads) if (t.tasks.length > 0) n++;
    return n;
  }

  run(job: Job): Promise<string | boolean> {
    this.closing = false;
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Ends idle threads now and busy ones after their current hash; later calls start new ones. */
  async close(): Promise<void> {
    this.closing = true;
    const idle = this.threads.filter((t) => t.tasks.length === 0);
    for (const t of idle) this.remove(t);
    await Promise.all(idle.map((t) => t.worker.terminate()));
  }

  private pump(): void {
    const busy = this.queue.length > 0 && this.busy();
    if (busy && this.paced()) return;
    // Not busy, each thread also holds its next job: it starts the moment the last one ends,
    // not when the event loop gets round to handing it over (on a loop busy finishing other
    // logins, that gap left the cores idle ~10% of the time). Busy, the loop decides each start.
    const depth = busy ? 1 : PREFETCH;
    const maxThreads = busy ? this.busySize : this.size;
    while (this.queue.length > 0) {
      const thread = this.pick(maxThreads, depth);
      if (thread === undefined) return;
      const task = this.queue.shift() as Task;
      if (thread.tasks.length === 0) thread.startedAt = performance.now();
      thread.tasks.push(task);
      thread.worker.ref();
      thread.worker.postMessage(task.job);
    }
  }

  /** An idle thread while fewer than `maxThreads` hash; else the least loaded one with room. */
  private pick(maxThreads: number, depth: number): Thread | undefined {
    if (this.inFlight < maxThreads) {
      const idle = this.threads.find((t) => t.tasks.length === 0) ?? (this.threads.length < this.size ? this.spawn() : undefined);
      if (idle !== undefined) return idle;
    }
    let best: Thread | undefined;
    for (const t of this.threads) if (t.tasks.length > 0 && t.tasks.length < depth && (best === undefined || t.tasks.length < best.tasks.length)) best = t;
    return best;
  }

  /** Settles a finished task now, or with the others at the end of the current hand-over window. */
  private handOver(settle: () => void, now: number): void {
    if (this.handOverTimer !== undefined) {
      this.waiting.push(settle);
      return;
    }
    const wait = this.handedOverAt + this.handOverMs - now;
    if (wait <= 0) {
      this.handedOverAt = now;
      settle();
      return;
    }
    this.waiting.push(settle);
    this.handOverTimer = setTimeout(() => {
      this.handOverTimer = undefined;
      this.handedOverAt = performance.now();
      for (const s of this.waiting.splice(0)) s();
    }, Math.ceil(wait));
  }

  /** True while a busy pool must wait before starting a hash (a wake-up is then set). */
  private paced(): boolean {
    const wait = this.pausedUntil - performance.now();
    if (wait <= 0) return false;
    this.wake ??= setTimeout(() => {
      this.wake = undefined;
      this.pump();
    }, Math.ceil(wait));
    return true;
  }

  private spawn(): Thread {
    const worker = new Worker(new URL('./password-hash-worker.mjs', import.meta.url));
    worker.unref();
    const thread: Thread = { worker, tasks: [], startedAt: 0 };
    worker.on('message', (reply: Reply) => {
      const task = thread.tasks.shift();
      const now = performance.now();
      if (this.busyShare < 1 && this.queue.length > 0 && this.busy()) {
        this.pausedUntil = Math.max(this.pausedUntil, now) + ((now - thread.startedAt) * (1 - this.busyShare)) / this.busyShare;
      }
      // A prefetched job starts in the worker now.
      thread.startedAt = now;
      if (thread.tasks.length === 0) worker.unref();
      if (task !== undefined) this.handOver(() => (reply.ok ? task.resolve(reply.value) : task.reject(new Error(reply.error))), now);
      if (this.closing && this.queue.length === 0 && thread.tasks.length === 0) {
        this.remove(thread);
        void worker.terminate();
        return;
      }
      this.pump();
    });
    // A thread that fails (cannot load the native module, runs out of memory) fails its hashes
    // and is replaced by the next one needed.
    const fail = (err: Error) => {
      if (!this.threads.includes(thread)) return;
      this.remove(thread);
      for (const task of thread.tasks.splice(0)) task.reject(err);
      this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`argon2 worker exited with code ${code}`)));
    this.threads.push(thread);
    return thread;
  }

  private remove(thread: Thread): void {
    const i = this.threads.indexOf(thread);
    if (i !== -1) this.threads.splice(i, 1);
  }
}

const CORES = Math.max(1, availableParallelism());
const load = eventLoopLoad(250);
// Busy (saturated): over the last quarter second the loop was never idle for more than 15% of
// it and was computing for most of it, as under a flood of requests; waiting for a CPU that
// other processes hold says nothing about requests being starved by hashing. Logins alone keep
// the loop far below that, so they keep every core (bench/auth.bench.ts).
const saturated = () => {
  const { utilization, cpu } = load();
  return utilization > 0.85 && (cpu === null || cpu > 0.5);
};
const pool = new Argon2Pool(CORES, Math.max(1, CORES - 1), saturated, 0.1, 25);

/** Settings from config (PASSWORD_HASH_BUSY_SHARE, PASSWORD_HASH_HANDOVER_MS), applied by the composition root. */
export function configurePasswordHashing(options: { busyShare: number; handOverMs: number }): void {
  pool.busyShare = options.busyShare;
  pool.handOverMs = options.handOverMs;
}

export async function hashPassword(password: string): Promise<string> {
  try {
    return (await pool.run({ op: 'hash', password, options: OPTIONS })) as string;
  } catch (cause) {
    throw new AppError('system:hashing_error', { cause });
  }
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return (await pool.run({ op: 'verify', hash: stored, password })) as boolean;
  } catch (cause) {
    throw new AppError('system:hashing_error', { cause });
  }
}

let dummy: Promise<string> | undefined;

/**
 * Verifies against a throw-away hash with the same parameters, so a login for an unknown
 * account costs what a wrong password costs (no enumeration through timing).
 */
export async function burnPasswordVerify(password: string): Promise<false> {
  dummy ??= hashPassword('basalt-dummy-password-for-timing');
  const stored = await dummy.catch(() => {
    dummy = undefined;
    return null;
  });
  if (stored !== null) await pool.run({ op: 'verify', hash: stored, password }).catch(() => false);
  return false;
}

/** Stops the hashing threads (graceful shutdown); hashing again later starts new ones. */
export function closePasswordHashing(): Promise<void> {
  return pool.close();
}
