import { describe, expect, it } from 'vitest';
import { runEventStreamContract } from '../../ports/events.contract.ts';
import { MemoryEventStream } from './memory-event-stream.ts';
import { newEventId } from './sql-event-outbox.ts';

runEventStreamContract('in-process', async () => {
  const stream = new MemoryEventStream({ retentionMs: 60_000, maxRetained: 10_000 });
  return { a: stream, b: stream, cleanup: () => stream.close() };
});

describe('MemoryEventStream retention', () => {
  it('forgets events past the window: resume from them reports resumed: false', async () => {
    let now = 1_000_000;
    const stream = new MemoryEventStream({ retentionMs: 1_000, maxRetained: 100, now: () => now });
    const old = { id: newEventId(now), type: 't.x', audience: { userIds: ['u'] }, data: {}, occurredAt: now };
    await stream.publish([old]);
    now += 2_000;
    const got: string[] = [];
    const sub = await stream.subscribe({ userIds: new Set(['u']) }, (e) => got.push(e.id), { after: old.id });
    expect(sub.resumed).toBe(false);
    expect(got).toEqual([]);
    await stream.close();
    await expect(stream.publish([old])).rejects.toThrow(/closed/);
  });

  it('primed history is replayable but not delivered', async () => {
    const stream = new MemoryEventStream({ retentionMs: 60_000, maxRetained: 100 });
    const a = { id: newEventId(), type: 't.x', audience: { userIds: ['u'] }, data: {}, occurredAt: Date.now() };
    const b = { ...a, id: newEventId() };
    const live: string[] = [];
    await stream.subscribe({ all: true }, (e) => live.push(e.id));
    stream.prime([a, b]);
    expect(live).toEqual([]);
    const got: string[] = [];
    const sub = await stream.subscribe({ userIds: new Set(['u']) }, (e) => got.push(e.id), { after: a.id });
    expect(sub.resumed).toBe(true);
    expect(got).toEqual([b.id]);
    await stream.close();
  });
});
