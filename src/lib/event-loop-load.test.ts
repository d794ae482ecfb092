import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eventLoopLoad } from './event-loop-load.ts';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Keeps the event loop busy, as a flood of requests would.
  }
}

describe('eventLoopLoad', () => {
  it('reads near 1 after the loop was kept busy and near 0 after it idled, once per window', async () => {
    const load = eventLoopLoad(50);
    spin(120);
    expect(load()).toBeGreaterThan(0.8);
    // Inside the window: the same reading, not a new one.
    expect(load()).toBeGreaterThan(0.8);
    await sleep(150);
    expect(load()).toBeLessThan(0.3);
  });
});
