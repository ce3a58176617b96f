import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseScenario, scenarioFromObject } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import { faultSchedule } from '../../../src/scenarios/arbitraries.js';

/**
 * A follower away for longer than retention comes back below its leader's log start offset.
 * Its fetch is out of range; as AbstractFetcherThread.handleOutOfRangeError does, it asks the
 * leader where its log starts, empties its own log, starts again there, and catches up.
 */
const scenario = `
name: follower-behind-log-start
duration: 40s
drain: 20s
cluster: { brokers: 3, config: { min.insync.replicas: 1, log.retention.check.interval.ms: 1000 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3, config: { retention.ms: 5000, internal.segment.bytes: 4096 } }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 100/s, stop: 35s } }
faults:
  - { at: 3s, action: crash, target: broker-3 }
  - { at: 25s, action: restart, target: broker-3 }
checks: [lost-write, duplicate, reorder, divergence]
`;

describe("a follower behind its leader's log start offset", () => {
  it("truncates fully, starts at the leader's log start offset, catches up and rejoins the ISR", () => {
    const r = runScenario(parseScenario(scenario, 'follower-behind-log-start.yaml'), { keepTrace: true });
    expect(r.violations).toEqual([]);
    const records = r.simulation.memory?.records ?? [];
    const restartAt = 25_000_000;
    const outOfRange = records.find((x) => x.kind === 'replica.truncate' && x.broker === 3 && x.reason === 'out-of-range');
    expect(outOfRange).toBeDefined();
    expect(outOfRange?.at).toBeGreaterThan(restartAt);
    // It starts where the leader's log then started, past everything it had before the crash.
    const before = records.filter((x) => x.kind === 'replica.append' && x.broker === 3 && x.at < restartAt).map((x) => (x.kind === 'replica.append' ? x.lastOffset + 1 : 0));
    expect(outOfRange?.kind === 'replica.truncate' && outOfRange.to).toBeGreaterThan(Math.max(0, ...before));
    // ... and it caught up: every replica ends where the leader does, and it is back in the ISR.
    const replicas = r.state.partitions[0].replicas;
    expect(new Set(replicas.map((x) => x.logEndOffset)).size).toBe(1);
    const lastIsr = records.filter((x) => x.kind === 'metadata.record' && x.record === 'PartitionChange').map((x) => (x.kind === 'metadata.record' ? (JSON.parse(x.detail) as { isr?: number[] }).isr : undefined)).filter((isr) => isr !== undefined).at(-1);
    expect(lastIsr).toContain(3);
  });
});

// Kafka: AbstractFetcherThreadTest.testFollowerFetchOutOfRangeHighUncleanLeaderElectionDisallowed
// (before KAFKA-7414, 2.0.1 and 2.1: the fetcher throws FatalExitError) and
// testFollowerFetchOutOfRangeHigh (since: it truncates to the leader's log end offset).
describe('a follower ahead of its leader, unclean election off (KAFKA-7414)', () => {
  const lesson = loadScenario(fileURLToPath(new URL('../../../src/scenarios/library/kip101-hw-truncation.yaml', import.meta.url)));
  const outcome = (mode: 'exit' | 'truncate') => {
    const r = runScenario({ ...lesson, cluster: { ...lesson.cluster, config: { ...lesson.cluster.config, 'sim.follower.ahead.of.leader': mode } } }, { keepTrace: true });
    const records = r.simulation.memory?.records ?? [];
    const fatal = records.filter((x) => x.kind === 'broker.fatal');
    const truncated = records.filter((x) => x.kind === 'replica.truncate' && x.reason === 'out-of-range');
    const stopped = records.filter((x) => x.kind === 'node.stop').map((x) => (x.kind === 'node.stop' ? x.node : ''));
    return { fatal, truncated, stopped };
  };

  it('before the fix the broker exits rather than truncate; since, it truncates to the leader and stays up', () => {
    const before = outcome('exit');
    expect(before.fatal.length).toBe(1);
    const f = before.fatal[0];
    if (f.kind !== 'broker.fatal') throw new Error(f.kind);
    expect(f.leaderEndOffset).toBeLessThan(f.logEndOffset);
    expect(before.stopped).toContain(`broker-${f.broker}`);
    expect(before.truncated).toEqual([]);
    const after = outcome('truncate');
    expect(after.fatal).toEqual([]);
    expect(after.truncated.length).toBeGreaterThan(0);
    expect(after.stopped).toEqual([]);
  });
});

describe('retention under faults', () => {
  it('loses nothing it should keep, and every replica ends where its leader does (property)', () => {
    const faults = faultSchedule({ brokers: 3, durationS: 14, maxFaults: 6, kinds: ['crash', 'restart', 'pause', 'isolate', 'heal'], partitions: ['orders-0', 'orders-1'] });
    fc.assert(
      fc.property(faults, fc.integer({ min: 1, max: 1_000_000 }), (schedule, seed) => {
        const s = scenarioFromObject(
          {
            name: 'retention-under-faults',
            duration: '15s',
            drain: '25s',
            cluster: { brokers: 3, config: { 'min.insync.replicas': 2, 'log.retention.check.interval.ms': 500 } },
            topics: [{ name: 'orders', partitions: 2, 'replication.factor': 3, config: { 'retention.ms': 3000, 'internal.segment.bytes': 2048 } }],
            clients: [{ id: 'p1', type: 'producer', topic: 'orders', config: { acks: 'all' }, workload: { rate: '200/s', start: '1s', stop: '14s' } }],
            // Process crashes only: a power loss of every replica can lose unflushed writes, by design.
            faults: schedule.map((f) => (f.mode === 'power' ? { ...f, mode: 'process' } : f)),
            checks: ['lost-write', 'duplicate', 'reorder', 'divergence'],
          },
          'retention-under-faults',
        );
        const r = runScenario(s, { seed });
        expect(r.violations).toEqual([]);
        for (const p of r.state.partitions) expect(new Set(p.replicas.map((x) => x.logEndOffset)).size).toBe(1);
      }),
      { numRuns: 12, seed: 7 },
    );
  });
});
