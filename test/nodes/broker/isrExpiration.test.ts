import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

const scenario = `
name: isr-expiration
duration: 30s
drain: 5s
cluster: { brokers: 3, config: { replica.lag.time.max.ms: 10000 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 100/s, stop: 28s } }
faults:
  # The follower's fetches reach the leader, the answers do not: it stops catching up, but
  # still heartbeats to the controller (no fencing).
  - { at: 5700ms, action: partition, oneWay: { from: leader(orders-0), to: follower(orders-0) } }
`;

describe('ISR expiration', () => {
  it('checks every replica.lag.time.max.ms / 2, so a stopped follower leaves the ISR 1 to 1.5 times that later', () => {
    const r = runScenario(parseScenario(scenario), { keepTrace: true });
    const records = r.simulation.memory?.records ?? [];
    const cut = records.find((x) => x.kind === 'fault.apply');
    const follower = Number((cut?.kind === 'fault.apply' ? cut.targets[1] : 'broker-0').slice('broker-'.length));
    const shrink = records.find((x) => x.kind === 'metadata.record' && x.record === 'PartitionChange' && x.at > 5_700_000 && !((JSON.parse(x.detail) as { isr?: number[] }).isr ?? [follower]).includes(follower));
    expect(shrink).toBeDefined();
    const at = shrink?.at ?? 0;
    // Last caught up at about 5.7 s: out at the first tick past 15.7 s, 20 s (plus the AlterPartition round trip) ...
    expect(at).toBeGreaterThan(20_000_000);
    expect(at).toBeLessThan(20_300_000);
    // ... at the task's tick (every 5 s from the broker's start), not at any half second.
    expect(at % 5_000_000).toBeLessThan(300_000);
  });
});
