import { parentPort } from 'node:worker_threads';
import { SqliteKvStore } from './sqlite-kv.ts';

/** One racer: its own SqliteKvStore (its own connection) on the shared file. */
export type RaceTask =
  | { kind: 'take'; path: string; gate: SharedArrayBuffer; keys: string[] }
  | { kind: 'increment'; path: string; gate: SharedArrayBuffer; key: string; times: number };

export type RaceResult = { kind: 'take'; taken: [string, string][] } | { kind: 'increment'; seen: number[] };

export type RaceReply = { ok: true; result: RaceResult } | { ok: false; error: string };

async function race(task: RaceTask): Promise<RaceResult> {
  const store = new SqliteKvStore({ path: task.path });
  try {
    // Check in, then block until the parent opens the gate, so all racers start together
    // instead of one finishing before the next has opened its connection.
    const gate = new Int32Array(task.gate);
    Atomics.add(gate, 0, 1);
    Atomics.wait(gate, 1, 0);
    if (task.kind === 'take') {
      const taken: [string, string][] = [];
      for (const key of task.keys) {
        const value = await store.getAndDelete(key);
        if (value !== null) taken.push([key, value]);
      }
      return { kind: 'take', taken };
    }
    const seen: number[] = [];
    for (let i = 0; i < task.times; i++) seen.push(await store.increment(task.key));
    return { kind: 'increment', seen };
  } finally {
    await store.close();
  }
}

// The worker stays up between races (loading TypeScript is most of its start-up cost) and
// runs each task the parent posts.
if (parentPort) {
  const port = parentPort;
  port.on('message', (task: RaceTask) => {
    race(task).then(
      (result) => port.postMessage({ ok: true, result } satisfies RaceReply),
      (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies RaceReply),
    );
  });
}
