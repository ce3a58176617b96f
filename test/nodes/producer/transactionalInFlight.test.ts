import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/**
 * A processor writing one output partition: its outputs leave every 5 ms while it works
 * through a poll, so a transaction has several batches for that partition, and the network's
 * 10-20 ms latency lets them overlap.
 */
const scenario = (latency: string) => `
name: transactional-in-flight
duration: 12s
drain: 20s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 3, transaction.state.log.num.partitions: 3 }, network: { latency: ${latency} } }
topics:
  - { name: orders, partitions: 1, replication.factor: 3 }
  - { name: receipts, partitions: 1, replication.factor: 3 }
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 500/s, stop: 10s } }
  - { id: t1, type: processor, from: orders, to: receipts, group: g1, config: { auto.offset.reset: earliest }, processing: { mode: transactional, time: 1ms, transactionRecords: 200 } }
checks: [exactly-once, aborted-read, zombie-write, hanging-txn]
`;

/** The most Produce requests the processor's producer had unanswered at once. */
function maxInFlight(records: readonly { kind: string; at: number }[]): number {
  let open = 0;
  let most = 0;
  const pending = new Set<number>();
  for (const r of records) {
    if (r.kind !== 'net.send') continue;
    const s = r as unknown as { from: string; to: string; type: string; id: number };
    if (s.from === 'consumer-t1-1' && s.type === 'Produce') pending.add(s.id);
    else if (s.to === 'consumer-t1-1' && s.type === 'ProduceResponse' && pending.delete(s.id)) open--;
    else continue;
    open = pending.size;
    most = Math.max(most, open);
  }
  return most;
}

describe('a transactional producer', () => {
  it('keeps several batches of a partition in flight, never more than five, and stays exactly-once', () => {
    const r = runScenario(parseScenario(scenario('{ dist: uniform, min: 10ms, max: 20ms }')), { keepTrace: true });
    expect(r.violations).toEqual([]);
    const most = maxInFlight(r.simulation.memory?.records ?? []);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(5);
  });
});
