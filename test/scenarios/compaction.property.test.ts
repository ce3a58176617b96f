import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { faultSchedule } from '../../src/scenarios/arbitraries.js';
import { scenarioFromObject } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

/**
 * Compaction under faults: a compacted topic written with acks=all and idempotence while
 * brokers crash, restart, pause and are cut off, its cleaners running
 * every 500 ms over small segments. A consumer group reads it from the start and rebuilds
 * the table; at the end nothing acknowledged may be lost (records the cleaner removed are
 * compaction, not loss), replicas may not diverge, and the group's table must be the
 * topic's (tombstones are kept a day, longer than any run). max.poll.interval.ms is short
 * because a JoinGroup waits that long plus 5 s for its answer, as Kafka's does: sent to a
 * coordinator that has just lost power, it would otherwise hold the group past the drain;
 * and the drain is long because a member may also spend request.timeout.ms (30 s) asking a
 * broker that lost power where its coordinator is, before the broker is fenced. The default suite runs a few
 * cases; `npm run test:deep` runs more.
 */
const deep = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';

function compactedScenario(faults: readonly Record<string, unknown>[], seed: number): Record<string, unknown> {
  return {
    name: 'compaction-under-faults',
    seed,
    duration: '16s',
    drain: '60s',
    cluster: { brokers: 3, config: { 'min.insync.replicas': 2, 'unclean.leader.election.enable': false, 'offsets.topic.num.partitions': 5, 'log.cleaner.backoff.ms': 500 } },
    topics: [{ name: 'users', partitions: 2, 'replication.factor': 3, config: { 'cleanup.policy': 'compact', 'internal.segment.bytes': 4096, 'min.cleanable.dirty.ratio': 0.2 } }],
    clients: [
      { id: 'p1', type: 'producer', topic: 'users', config: { acks: 'all' }, workload: { rate: '150/s', keys: 30, keyDistribution: 'zipf', tombstones: 0.15, start: '1s', stop: '14s' } },
      { id: 'c1', type: 'consumer', group: 'g1', topics: ['users'], instances: 2, config: { 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10_000, 'max.poll.interval.ms': 15_000 }, processing: { mode: 'commit-after-process', time: '1ms' } },
    ],
    faults,
    // Not 'duplicate': with every replica of a partition down at once, an idempotent producer
    // can write a batch twice in Kafka too. The restarted leader's producer state comes from a
    // snapshot that keeps only each producer's last batch (ProducerStateManager), so a retried
    // in-flight batch older than it meets OUT_OF_ORDER_SEQUENCE_NUMBER, and the producer
    // bumps its epoch (KIP-360) and sends it again. Compaction plays no part in it.
    checks: ['lost-write', 'reorder', 'divergence', 'tombstone-loss', 'skipped'],
  };
}

describe('property: compaction keeps every acknowledged latest value, under broker faults', () => {
  const runs = deep ? 60 : 6;
  it(`finds no loss, divergence, or stale table (${runs} generated fault schedules)`, { timeout: 1_200_000 }, () => {
    fc.assert(
      fc.property(faultSchedule({ brokers: 3, durationS: 16, maxFaults: 6, kinds: ['crash', 'restart', 'pause', 'isolate', 'heal'], partitions: ['users-0', 'users-1'] }), fc.integer({ min: 1, max: 1_000 }), (schedule, seed) => {
        // Process crashes only: power losses of the ISR's last members lose committed data by
        // design (Kafka does not fsync; the last-replica-standing lesson), compaction or not.
        const faults = schedule.map((f) => (f.action === 'crash' ? { ...f, mode: 'process' } : f));
        const r = runScenario(scenarioFromObject(compactedScenario(faults, seed)));
        expect(r.violations.map((v) => `${v.kind}: ${v.message}`)).toEqual([]);
        // The cleaner did its work, and the group read the tables.
        expect(r.state.partitions.some((p) => (p.compactedAway?.size ?? 0) > 0)).toBe(true);
        expect(r.stats.consumers?.processed ?? 0).toBeGreaterThan(0);
      }),
      { numRuns: runs, seed: Number(process.env.PSEED ?? 20261124) },
    );
  });
});
