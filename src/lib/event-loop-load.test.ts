import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eventLoopLoad } from './event-loop-load.ts';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Keeps the event loop busy, as a flood of requests would.
  }
}

/** Blocks the thread without using a CPU, as waiting for one that others hold does. */
function block(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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

  it.runIf(process.platform === 'linux')('on Linux, counts the CPU the loop used, not time it was held up', () => {
    const load = eventLoopLoad(50);
    block(200);
    expect(load()).toBeLessThan(0.3);
  });

  it('without a CPU reading, falls back to utilization (held up counts as busy)', () => {
    const load = eventLoopLoad(50, () => null);
    block(200);
    expect(load()).toBeGreaterThan(0.8);
  });
});
