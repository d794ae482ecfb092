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
    expect(load().utilization).toBeGreaterThan(0.8);
    // Inside the window: the same reading, not a new one.
    expect(load().utilization).toBeGreaterThan(0.8);
    await sleep(150);
    expect(load().utilization).toBeLessThan(0.3);
  });

  it.runIf(process.platform === 'linux')('on Linux, also tells computing from being held up', async () => {
    const load = eventLoopLoad(50);
    spin(200);
    expect(load().cpu).toBeGreaterThan(0.7);
    await sleep(60);
    load();
    block(200);
    const held = load();
    expect(held.utilization).toBeGreaterThan(0.8);
    expect(held.cpu).toBeLessThan(0.3);
  });

  it('without a CPU reading, reports none', () => {
    const load = eventLoopLoad(50, () => null);
    block(100);
    expect(load()).toMatchObject({ cpu: null, utilization: expect.any(Number) });
  });
});
