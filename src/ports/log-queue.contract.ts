import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogQueueFullError, type LogBatchInput, type LogQueue, type QueuedLogBatch } from './log-queue.ts';

export interface LogQueueFactory {
  /**
   * A NEW instance on the SAME backing queue on every call (one file, one stream), opened
   * with `minSeq` and `maxBytes`. Each suite run starts from an empty queue.
   */
  open(options: { minSeq: number; maxBytes: number }): Promise<LogQueue>;
  /** Removes the backing queue (file, stream) once the suite is done. */
  cleanup(): Promise<void>;
}

const MIN_SEQ = 5_000;
const MAX_BYTES = 1 << 20;

function batch(label: string, count = 2): LogBatchInput {
  const entries = Array.from({ length: count }, (_, i) => [Date.now(), 2, `${label} ${i}`, null, null, null]);
  return { projectId: 'prj_contract', count, payload: Buffer.from(JSON.stringify(entries)), receivedAt: Date.now() };
}

/** Takes until `n` batches arrived or `ms` passed. */
async function takeAll(q: LogQueue, n: number, ms = 5_000): Promise<QueuedLogBatch[]> {
  const got: QueuedLogBatch[] = [];
  const end = Date.now() + ms;
  while (got.length < n && Date.now() < end) got.push(...(await q.take({ maxEntries: 10_000, waitMs: 200 })));
  return got;
}

/** The LogQueue contract (src/ports/log-queue.ts): every adapter runs it. */
export function runLogQueueContract(name: string, factory: () => Promise<LogQueueFactory>): void {
  describe(`LogQueue contract: ${name}`, () => {
    let f: LogQueueFactory;
    let producer: LogQueue;
    let consumer: LogQueue;
    const run = randomBytes(3).toString('hex');

    beforeAll(async () => {
      f = await factory();
      producer = await f.open({ minSeq: MIN_SEQ, maxBytes: MAX_BYTES });
      consumer = await f.open({ minSeq: MIN_SEQ, maxBytes: MAX_BYTES });
    });
    afterAll(async () => {
      await producer?.close();
      await consumer?.close();
      await f?.cleanup();
    });

    it('delivers an enqueued batch unchanged, with the sequence enqueue returned, never below minSeq', async () => {
      const input = batch(`one-${run}`, 3);
      const { seq } = await producer.enqueue(input);
      expect(seq).toBeGreaterThanOrEqual(MIN_SEQ);
      const [got, ...rest] = await takeAll(consumer, 1);
      expect(rest).toEqual([]);
      expect(got).toEqual({ ...input, seq });
      await consumer.ack([got as QueuedLogBatch]);
    });

    it('gives concurrent enqueues distinct, growing sequences and delivers them in sequence order', async () => {
      const inputs = Array.from({ length: 40 }, (_, i) => batch(`conc-${run}-${i}`, 1 + (i % 5)));
      const seqs = (await Promise.all(inputs.map((b) => producer.enqueue(b)))).map((r) => r.seq);
      expect(new Set(seqs).size).toBe(inputs.length);
      const got = await takeAll(consumer, inputs.length);
      expect(got.map((b) => b.seq)).toEqual([...seqs].sort((a, b) => a - b));
      const bySeq = new Map(got.map((b) => [b.seq, Buffer.from(b.payload).toString()]));
      inputs.forEach((b, i) => expect(bySeq.get(seqs[i] as number)).toBe(Buffer.from(b.payload).toString()));
      const later = await producer.enqueue(batch(`after-${run}`));
      expect(later.seq).toBeGreaterThan(Math.max(...seqs));
      await consumer.ack([...got, ...(await takeAll(consumer, 1))]);
    });

    it('take returns at most maxEntries entries, but a larger single batch alone', async () => {
      await producer.enqueue(batch(`big-${run}`, 8));
      await producer.enqueue(batch(`small-${run}-a`, 2));
      await producer.enqueue(batch(`small-${run}-b`, 2));
      const first = await consumer.take({ maxEntries: 3, waitMs: 2_000 });
      expect(first.map((b) => b.count)).toEqual([8]);
      const rest = await takeAll(consumer, 2);
      expect(rest.map((b) => b.count)).toEqual([2, 2]);
      await consumer.ack([...first, ...rest]);
    });

    it('waits for a batch up to waitMs, and returns nothing when none comes', async () => {
      const started = Date.now();
      expect(await consumer.take({ maxEntries: 100, waitMs: 300 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const pending = consumer.take({ maxEntries: 100, waitMs: 5_000 });
      await new Promise((r) => setTimeout(r, 100));
      const { seq } = await producer.enqueue(batch(`late-${run}`));
      const got = await pending;
      expect(got.map((b) => b.seq)).toEqual([seq]);
      await consumer.ack(got);
    });

    it('redelivers a batch taken but never acknowledged (same sequence) to the next consumer, and never an acknowledged one', async () => {
      const acked = await producer.enqueue(batch(`acked-${run}`));
      const lost = await producer.enqueue(batch(`lost-${run}`));
      const got = await takeAll(consumer, 2);
      expect(got.map((b) => b.seq)).toEqual([acked.seq, lost.seq]);
      await consumer.ack(got.filter((b) => b.seq === acked.seq));
      // The consumer "crashes": a new one must see the unacknowledged batch again.
      await consumer.close();
      consumer = await f.open({ minSeq: MIN_SEQ, maxBytes: MAX_BYTES });
      const again = await takeAll(consumer, 1, 10_000);
      expect(again.map((b) => b.seq)).toEqual([lost.seq]);
      await consumer.ack(again);
      expect(await consumer.take({ maxEntries: 100, waitMs: 300 })).toEqual([]);
    });

    it('counts what is queued and refuses past maxBytes with LogQueueFullError, queuing nothing', async () => {
      const before = await consumer.stats();
      expect(before.batches).toBe(0);
      const chunk = { ...batch(`fill-${run}`), payload: Buffer.from(JSON.stringify([[Date.now(), 2, 'x'.repeat(200_000), null, null, null]])), count: 1 };
      const accepted: number[] = [];
      let refused: unknown;
      for (let i = 0; i < 10 && refused === undefined; i++) {
        try {
          accepted.push((await producer.enqueue(chunk)).seq);
        } catch (err) {
          refused = err;
        }
      }
      expect(refused).toBeInstanceOf(LogQueueFullError);
      expect((refused as LogQueueFullError).retryAfterMs).toBeGreaterThan(0);
      expect(accepted.length).toBeGreaterThanOrEqual(3);
      const stats = await consumer.stats();
      expect(stats.batches).toBe(accepted.length);
      expect(stats.bytes).toBeGreaterThan(accepted.length * 200_000);
      const drained = await takeAll(consumer, accepted.length);
      expect(drained.map((b) => b.seq)).toEqual(accepted);
      await consumer.ack(drained);
      expect((await consumer.stats()).batches).toBe(0);
      // Room again once drained.
      await expect(producer.enqueue(batch(`room-${run}`))).resolves.toMatchObject({ seq: expect.any(Number) });
      await consumer.ack(await takeAll(consumer, 1));
    });

    it('never hands out a sequence twice across instances (after the newest batches were acknowledged)', async () => {
      const a = await producer.enqueue(batch(`x-${run}`));
      await consumer.ack(await takeAll(consumer, 1));
      const other = await f.open({ minSeq: MIN_SEQ, maxBytes: MAX_BYTES });
      const b = await other.enqueue(batch(`y-${run}`));
      expect(b.seq).toBeGreaterThan(a.seq);
      await other.close();
      await consumer.ack(await takeAll(consumer, 1));
    });

    it('rejects calls after close', async () => {
      const q = await f.open({ minSeq: MIN_SEQ, maxBytes: MAX_BYTES });
      await q.close();
      await expect(q.enqueue(batch('closed'))).rejects.toThrow();
    });
  });
}
