import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stacks } from '../accounts/harness.ts';
import { entry, startLogsApp, type LogsApp } from './harness.ts';

const T = Date.UTC(2026, 4, 1);
const minute = (n: number) => T + n * 60_000;

// Full-text results go by timestamp, whatever the arrival order: the entry that arrived
// first (the lowest id, tens of thousands of ids before the rest: one batch each) has the
// newest timestamp, and must still come first.
describe.each(stacks())('full-text results in timestamp order, whatever the arrival order ($name)', (stack) => {
  let app: LogsApp;
  const word = `needle${Date.now()}`;
  beforeAll(async () => {
    app = await startLogsApp({ stack });
    await app.ingest(entry({ message: `${word} zero`, timestamp: minute(1000), level: 'error' }));
    for (let k = 1; k <= 24; k++) {
      await app.ingest({ entries: [entry({ message: `${word} ${k}`, timestamp: minute(k), level: k % 2 ? 'error' : 'info' }), entry({ message: `hay ${k}`, timestamp: minute(k) })] });
    }
    // A late arrival (the highest id) with an old timestamp.
    await app.ingest(entry({ message: `${word} late`, timestamp: minute(0.5), level: 'error' }));
    await app.drained();
  });
  afterAll(() => app?.close());

  const messages = (res: { body: { data: Array<{ message: string }> } }) => res.body.data.map((e) => e.message);

  it('puts the newest timestamp first', async () => {
    expect(messages(await app.query({ q: word, limit: 3 }))).toEqual([`${word} zero`, `${word} 24`, `${word} 23`]);
  });

  it('pages through every match in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.query({ q: word, limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...messages(res));
      cursor = res.body.meta.nextCursor ?? null;
    } while (cursor);
    expect(seen).toEqual([`${word} zero`, ...Array.from({ length: 24 }, (_, i) => `${word} ${24 - i}`), `${word} late`]);
  });

  it('combines with the other filters', async () => {
    expect(messages(await app.query({ q: word, level: 'error', limit: 3 }))).toEqual([`${word} zero`, `${word} 23`, `${word} 21`]);
    expect(messages(await app.query({ q: word, to: minute(20), limit: 2 }))).toEqual([`${word} 19`, `${word} 18`]);
    expect(messages(await app.query({ q: word, from: minute(500) }))).toEqual([`${word} zero`]);
    expect(messages(await app.query({ q: word, to: minute(2) }))).toEqual([`${word} 1`, `${word} late`]);
    expect(messages(await app.query({ q: word, level: 'error', from: minute(0), to: minute(1) }))).toEqual([`${word} late`]);
  });
});
