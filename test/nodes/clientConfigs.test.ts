import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import type { TraceRecord } from '../../src/sim/trace.js';

/** Client settings that shape traffic without any fault: each must reach the client that reads it. */
function scenario(producer: string, consumer: string): string {
  return `
name: client-configs
duration: 12s
cluster: { brokers: 1, config: { offsets.topic.num.partitions: 5, offsets.topic.replication.factor: 1 } }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
clients:
  - { id: p1, type: producer, topic: t, config: { ${producer} }, workload: { rate: 500/s, start: 2s, stop: 6s } }
  - { id: c1, type: consumer, group: g1, topics: [t], config: { auto.offset.reset: earliest, ${consumer} }, processing: { mode: commit-after-process } }
`;
}

function run(producer: string, consumer: string) {
  return runScenario(parseScenario(scenario(producer, consumer)), { keepTrace: true });
}

describe('metadata.max.age.ms', () => {
  it('refreshes a client\'s metadata that old even though nothing failed', () => {
    const metadataRequests = (producer: string, consumer: string, from: string): number =>
      (run(producer, consumer).simulation.memory?.records ?? []).filter((r): r is TraceRecord<'net.send'> => r.kind === 'net.send' && r.type === 'Metadata' && r.from === from).length;
    // By default (5 minutes) only the refreshes while the cluster starts (every retry.backoff.ms until leaders are known).
    const quiet = { producer: metadataRequests('', '', 'producer-p1'), consumer: metadataRequests('', '', 'consumer-c1-1') };
    // Every second: about one more per simulated second of the run and its drain (42 s).
    expect(metadataRequests('metadata.max.age.ms: 1000', '', 'producer-p1')).toBeGreaterThanOrEqual(quiet.producer + 30);
    expect(metadataRequests('', 'metadata.max.age.ms: 1000', 'consumer-c1-1')).toBeGreaterThanOrEqual(quiet.consumer + 30);
  });
});

describe('max.partition.fetch.bytes', () => {
  it('caps what one fetch returns of a partition (a whole first batch at least)', () => {
    const pollSizes = (consumer: string): number[] => {
      const r = run('', consumer);
      expect(r.violations).toEqual([]);
      return r.simulation.history.others.filter((op) => op.f === 'poll' && op.type === 'ok').map((op) => (op.value as { records: unknown[] }).records.length);
    };
    // The member joins after group.initial.rebalance.delay.ms, with a backlog: by default a poll takes max.poll.records of it.
    expect(Math.max(...pollSizes(''))).toBe(500);
    // With 1 KiB, a fetch brings ~6 records of ~150 bytes; only the producer's first batch
    // (what it gathered while waiting for metadata) is bigger, and comes whole.
    const capped = pollSizes('max.partition.fetch.bytes: 1024');
    expect(capped.filter((n) => n > 8).length).toBeLessThanOrEqual(1);
    expect(capped.length).toBeGreaterThan(100);
  });
});

describe('compression.type', () => {
  it('gzip: the producer sends compressed batches (fewer bytes for these repetitive values), and everything is read back', () => {
    const produceBytes = (r: ReturnType<typeof run>): number =>
      (r.simulation.memory?.records ?? []).filter((x): x is TraceRecord<'net.send'> => x.kind === 'net.send' && x.type === 'Produce').reduce((n, x) => n + x.bytes, 0);
    const plain = run('', '');
    const gzip = run('compression.type: gzip', '');
    for (const r of [plain, gzip]) {
      expect(r.violations).toEqual([]);
      expect(r.stats.consumers?.processed).toBe(r.stats.acked);
    }
    expect(gzip.stats.acked).toBe(plain.stats.acked);
    expect(produceBytes(gzip)).toBeLessThan(produceBytes(plain) * 0.8);
  });

  it('refuses a codec kafkasim does not write, by name', () => {
    expect(() => parseScenario(scenario('compression.type: zstd', ''))).toThrow(/compression.type"\]: kafkasim compresses with none or gzip/);
  });
});
