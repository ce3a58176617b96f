import { describe, expect, it } from 'vitest';
import { miniCluster } from '../../helpers/miniCluster.js';
import type { Time } from '../../../src/sim/time.js';

const minutes = (n: number): Time => (n * 60_000_000) as Time;

describe("a broker's periodic tasks", () => {
  // Each periodic task keeps one timer pending (NodeContext.every). The group tick once
  // started another self-rescheduling offset-expiration chain every 100 ms, so after
  // offsets.retention.check.interval.ms (10 minutes) the pending timers grew by ten a second.
  it('keep the number of pending timers bounded over two simulated hours', () => {
    const c = miniCluster({ brokers: 1, rf: 1, partitions: 1, minIsr: 1 });
    const pending: number[] = [];
    for (let m = 10; m <= 120; m += 10) {
      c.sim.run({ until: minutes(m) });
      pending.push(c.sim.scheduler.pending);
    }
    expect(c.broker(1).isRegistered).toBe(true);
    expect(Math.max(...pending)).toBeLessThan(50);
    expect(pending.at(-1)).toBeLessThanOrEqual(pending[0]);
  });
});
