import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/**
 * Issue 21, anomaly 2: an idempotent acks=all producer with a short request.timeout.ms under a
 * nemesis of crashes, partitions and pauses. A retry of a later batch overtook an earlier one
 * still on its way; the leader, which did not know the producer yet, answered
 * UNKNOWN_PRODUCER_ID, and the epoch bump that followed wrote the earlier batch twice. Kafka's
 * producer sends a retried batch only as the partition's first sequence in flight
 * (RecordAccumulator.shouldStopDrainBatchesForPartition). Seed 38 of the first scenario and
 * seeds 19, 91 and 99 of the second duplicated before.
 */
const deep = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';

const scenario = (partitions: number, rate: number): ReturnType<typeof parseScenario> =>
  parseScenario(`
name: idempotent-retries-${partitions}
seed: 1
duration: 30s
drain: 30s
cluster:
  brokers: 3
  config: { min.insync.replicas: 2, unclean.leader.election.enable: false }
  network: { latency: { dist: lognormal, median: 4ms, sigma: 1.0, floor: 1ms } }
topics:
  - { name: orders, partitions: ${partitions}, replication.factor: 3 }
clients:
  - id: p1
    type: producer
    topic: orders
    config: { acks: all, enable.idempotence: true, request.timeout.ms: 500 }
    workload: { rate: ${rate}/s, keys: 50, valueBytes: 50, start: 1s, stop: 28s }
nemesis: { kinds: [crash, partition, pause], interval: 1s..3s, maxDown: 1, targets: [brokers, controller] }
checks: [lost-write, duplicate, reorder, divergence, split-brain, hw-regression]
`);

const kindsOf = (s: ReturnType<typeof parseScenario>, seeds: readonly number[]): string[] =>
  seeds.flatMap((seed) => runScenario(s, { seed }).violations.map((v) => `seed ${seed}: ${v.kind}: ${v.message}`));

describe('idempotent retries under a nemesis, with a short request timeout', () => {
  const six = scenario(6, 600);
  const three = scenario(3, 300);
  it('write nothing twice on the seeds that once did', { timeout: 600_000 }, () => {
    expect(kindsOf(six, [38])).toEqual([]);
    expect(kindsOf(three, [19])).toEqual([]);
  });

  it.runIf(deep)('write nothing twice over a sweep (40 and 120 seeds)', { timeout: 1_800_000 }, () => {
    const seeds = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
    expect(kindsOf(six, seeds(40))).toEqual([]);
    expect(kindsOf(three, seeds(120))).toEqual([]);
  });
});
