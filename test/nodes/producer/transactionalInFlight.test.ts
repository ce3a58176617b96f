import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/**
 * A processor writing one output partition: its outputs leave every 5 ms while it works
 * through a poll, so a transaction has several batches for that partition, and the network's
 * 10-20 ms latency lets them overlap.
 */
const scenario = (latency: string, outputPartitions = 1) => `
name: transactional-in-flight
duration: 12s
drain: 20s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 3, transaction.state.log.num.partitions: 3 }, network: { latency: ${latency} } }
topics:
  - { name: orders, partitions: 1, replication.factor: 3 }
  - { name: receipts, partitions: ${outputPartitions}, replication.factor: 3 }
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 500/s, stop: 10s } }
  - { id: t1, type: processor, from: orders, to: receipts, group: g1, config: { auto.offset.reset: earliest }, processing: { mode: transactional, time: 1ms, transactionRecords: 200 } }
checks: [exactly-once, aborted-read, zombie-write, hanging-txn]
`;

/** The most Produce requests the processor's producer had unanswered at once, in all and to any one broker. */
function maxInFlight(records: readonly { kind: string; at: number }[]): { all: number; perBroker: number } {
  let all = 0;
  let perBroker = 0;
  const pending = new Map<number, string>();
  for (const r of records) {
    if (r.kind !== 'net.send') continue;
    const s = r as unknown as { from: string; to: string; type: string; id: number };
    if (s.from === 'consumer-t1-1' && s.type === 'Produce') pending.set(s.id, s.to);
    else if (!(s.to === 'consumer-t1-1' && s.type === 'ProduceResponse' && pending.delete(s.id))) continue;
    all = Math.max(all, pending.size);
    const counts = new Map<string, number>();
    for (const b of pending.values()) counts.set(b, (counts.get(b) ?? 0) + 1);
    perBroker = Math.max(perBroker, ...counts.values(), 0);
  }
  return { all, perBroker };
}

describe('a transactional producer', () => {
  it('keeps several batches of a partition in flight, never more than five, and stays exactly-once', () => {
    const r = runScenario(parseScenario(scenario('{ dist: uniform, min: 10ms, max: 20ms }')), { keepTrace: true });
    expect(r.violations).toEqual([]);
    const most = maxInFlight(r.simulation.memory?.records ?? []);
    expect(most.all).toBeGreaterThan(1);
    expect(most.all).toBeLessThanOrEqual(5);
  });

  it('has at most five Produce requests unanswered per broker (max.in.flight.requests.per.connection), however many partitions it leads', () => {
    const r = runScenario(parseScenario(scenario('{ dist: uniform, min: 20ms, max: 40ms }', 9)), { keepTrace: true });
    expect(r.violations).toEqual([]);
    const most = maxInFlight(r.simulation.memory?.records ?? []);
    expect(most.perBroker).toBe(5);
    expect(most.all).toBeGreaterThan(5);
  });
});
