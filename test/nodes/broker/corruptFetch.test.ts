import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { TraceRecord } from '../../../src/sim/trace.js';
import { explainViolation } from '../../../src/scenarios/explain.js';

/**
 * A follower that fetches records which fail their checksum (bits rotted on the leader's
 * disk) does what Kafka's AbstractFetcherThread does with a CorruptRecordException: it logs
 * it and fetches the partition again after replica.fetch.backoff.ms, rather than marking the
 * partition failed. Rot on disk fails every time, so the follower stays behind, until the
 * leader's copy changes: here retention deletes the rotted segment, the follower's next
 * fetch is out of range, and it starts again at the leader's log start and rejoins the ISR.
 */
const scenario = `
name: follower-fetches-rotted-batch
duration: 25s
drain: 10s
cluster: { brokers: 3, config: { min.insync.replicas: 1, log.retention.check.interval.ms: 1000 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3, config: { retention.ms: 8000, segment.ms: 4000 } }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: "1" }, workload: { rate: 200/s, stop: 24s } }
faults:
  - { at: 3s, action: crash, target: broker-3 }
  - { at: 5s, action: disk, target: leader(orders-0), fault: bitflip, count: 20, file: data/orders-0/00000000000000000000.log }
  - { at: 6s, action: restart, target: broker-3 }
checks: [lost-write, duplicate, reorder, divergence]
`;

describe('a follower fetching records that fail their checksum', () => {
  const r = runScenario(parseScenario(scenario, 'follower-fetches-rotted-batch.yaml'), { keepTrace: true });
  const records = r.simulation.memory?.records ?? [];
  const corrupt = records.filter((x): x is TraceRecord<'replica.fetch.corrupt'> => x.kind === 'replica.fetch.corrupt');

  it('fetches them again every replica.fetch.backoff.ms instead of giving the partition up', () => {
    expect(corrupt.length).toBeGreaterThanOrEqual(3);
    expect(corrupt.every((x) => x.broker === 3 && x.fetchOffset === corrupt[0].fetchOffset && x.reason.includes('CRC mismatch'))).toBe(true);
    for (let i = 1; i < corrupt.length; i++) expect(corrupt[i].at - corrupt[i - 1].at).toBeGreaterThanOrEqual(1_000_000);
    expect(records.some((x) => x.kind === 'replica.fetch.failed')).toBe(false);
  });

  it('catches up once retention has removed the rotted segment, and rejoins the ISR', () => {
    const retained = records.find((x) => x.kind === 'log.retention' && x.broker !== 3 && x.logStartOffset > corrupt[0].fetchOffset);
    expect(retained).toBeDefined();
    const restart = records.find((x) => x.kind === 'replica.truncate' && x.broker === 3 && x.reason === 'out-of-range');
    expect(restart?.at).toBeGreaterThan(retained?.at ?? Infinity);
    expect(corrupt.every((x) => x.at < (restart?.at ?? 0))).toBe(true);
    const isrs = records.filter((x) => x.kind === 'isr.propose' && x.at > (restart?.at ?? 0));
    expect(isrs.some((x) => x.kind === 'isr.propose' && x.isr.includes(3))).toBe(true);
    expect(r.violations).toEqual([]);
    expect(new Set(r.state.partitions[0].replicas.map((x) => x.logEndOffset)).size).toBe(1);
  });
});

describe("bits rotted on the leader's disk", () => {
  // The same cluster, with retention left alone: the rotted batches stay on the leader.
  const r = runScenario(parseScenario(scenario.replace(/config: \{ retention.ms: 8000, segment.ms: 4000 \}/, 'config: {}'), 'leader-rot.yaml'), { keepTrace: true });

  it('make acknowledged records unreadable on it while another replica still holds them: lost-write and divergence', () => {
    expect(r.violations.map((v) => v.kind).sort()).toEqual(['divergence', 'lost-write']);
    const records = r.simulation.memory?.records ?? [];
    expect(records.filter((x) => x.kind === 'replica.fetch.corrupt').length).toBeGreaterThanOrEqual(10);
  });

  it('and explain tells the media fault and the follower that cannot get past it', () => {
    const lost = r.violations.find((v) => v.kind === 'lost-write');
    const text = explainViolation(r.simulation.memory?.records ?? [], lost as (typeof r.violations)[number]).map((l) => l.text).join('\n');
    expect(text).toMatch(/a media fault damaged log bytes on broker-\d's disk \(the leader of orders-0\)/);
    expect(text).toMatch(/broker-3 fetched records of orders-0 from offset \d+ that fail their checksum/);
  });
});
