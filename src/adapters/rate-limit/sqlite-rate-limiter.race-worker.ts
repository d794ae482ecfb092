import { parentPort, workerData } from 'node:worker_threads';
import { SqliteRateLimiter } from './sqlite-rate-limiter.ts';

/** One racer: its own SqliteRateLimiter (its own connection) on the shared file. */
export interface RaceTask {
  path: string;
  gate: SharedArrayBuffer;
  key: string;
  limit: number;
  windowMs: number;
  times: number;
}

export interface RaceResult {
  allowed: number;
  /** `remaining` of every admitted hit. */
  remaining: number[];
}

async function race(task: RaceTask): Promise<RaceResult> {
  const limiter = new SqliteRateLimiter({ path: task.path, busyTimeoutMs: 5_000 });
  try {
    // Check in, then block until the parent opens the gate, so all racers start together.
    const gate = new Int32Array(task.gate);
    Atomics.add(gate, 0, 1);
    Atomics.wait(gate, 1, 0);
    const remaining: number[] = [];
    for (let i = 0; i < task.times; i++) {
      const d = await limiter.hit(task.key, { limit: task.limit, windowMs: task.windowMs });
      if (d.allowed) remaining.push(d.remaining);
    }
    return { allowed: remaining.length, remaining };
  } finally {
    await limiter.close();
  }
}

if (parentPort) {
  const port = parentPort;
  race(workerData as RaceTask).then(
    (result) => port.postMessage(result),
    (err: unknown) => {
      throw err;
    },
  );
}
