/**
 * The soak benchmark's scenario (issue 21): a configuration that must lose nothing, run for
 * a long simulated time under a nemesis of every fault kind Kafka promises to survive.
 *
 * - 3 brokers, RF 3, min.insync.replicas 2, unclean election off: an acknowledged write is on
 *   two replicas, and only an in-sync one may lead (KIP-966's premise; Kafka's docs,
 *   "Replicated Logs: Quorums, In-Sync Replicas, and State").
 * - `orders` and `receipts` keep a minute of records per 1,000 msg/s (at least a minute) in
 *   256 KB segments, so segments roll every few seconds and retention deletes them all through
 *   the run, on each replica on its own schedule (log.retention.check.interval.ms 10 s). The
 *   retention grows with the rate because the transactional processor's catch-up after a fault
 *   takes longer the closer the rate is to its throughput: at 5,000 msg/s it fell more than a
 *   minute behind, and retention deleted what it had not read, as Kafka would
 *   (reports/bench.md, "Soak after the memory work"). A configuration that must lose nothing
 *   keeps records longer than its consumers can lag.
 * - An idempotent acks=all producer (p1); a transactional consume-transform-produce processor
 *   (t1, three instances, 500 records a transaction, orders → receipts, as in the eos lessons); a read_committed consumer
 *   group (c1, two instances) reading receipts with auto-commit (each poll's records are processed
 *   before the next poll commits their positions: at least once).
 * - The nemesis: process and power crashes, graceful shutdowns, partitions, pauses and clock
 *   jumps, on brokers, the controller and the clients, one target down at a time. Left out:
 *   media faults (disk bit flips, truncations), and anything that takes out a majority at
 *   once (a power loss of two brokers with unflushed data loses acknowledged writes in Kafka
 *   too, which relies on replication rather than fsync: Kafka's docs, "Replicated Logs").
 */
import { CHECK_KINDS, type CheckKind } from '../src/scenarios/schema.js';

export interface SoakParameters {
  /** Simulated minutes of traffic and faults (the drain comes after). */
  readonly minutes: number;
  /** Messages a second from p1. */
  readonly rate: number;
  readonly seed?: number;
}

/**
 * The checks the soak asks for: every one that judges what Kafka promises in this
 * configuration. Left out: reprocessed (at least once allows it) and tombstone-loss (no
 * compacted topic of the scenario's own).
 */
export const SOAK_CHECKS: readonly CheckKind[] = CHECK_KINDS.filter((k) => k !== 'reprocessed' && k !== 'tombstone-loss');

/** A minute of records per 1,000 msg/s, and never less than a minute. */
export function retentionMs(rate: number): number {
  return 60_000 * Math.max(1, Math.ceil(rate / 1_000));
}

/** The scenario file's text, for parseScenario. Durations are written in seconds so fractional minutes work. */
export function soakScenario({ minutes, rate, seed = 1 }: SoakParameters): string {
  const seconds = Math.round(minutes * 60);
  const retained = `{ retention.ms: ${retentionMs(rate)}, internal.segment.bytes: 262144 }`;
  return `
name: soak
description: Issue 21's soak. A configuration that must lose nothing (acks=all, idempotence, RF 3, min.insync.replicas 2, no unclean election, read_committed) with retention and segment rolls active, under a nemesis of every non-media fault kind.
seed: ${seed}
duration: ${seconds}s
drain: 60s
cluster:
  brokers: 3
  config: { min.insync.replicas: 2, unclean.leader.election.enable: false, log.retention.check.interval.ms: 10000, offsets.topic.num.partitions: 5, transaction.state.log.num.partitions: 5 }
  network: { latency: { dist: uniform, min: 1ms, max: 5ms } }
topics:
  - { name: orders, partitions: 6, replication.factor: 3, config: ${retained} }
  - { name: receipts, partitions: 6, replication.factor: 3, config: ${retained} }
clients:
  - id: p1
    type: producer
    topic: orders
    config: { acks: all, enable.idempotence: true, linger.ms: 5 }
    workload: { rate: ${rate}/s, keys: 1000, valueBytes: 100, start: 1s, stop: ${Math.max(1, seconds - 5)}s }
  - id: t1
    type: processor
    from: orders
    to: receipts
    group: g1
    instances: 3
    config: { auto.offset.reset: earliest, isolation.level: read_committed, session.timeout.ms: 10000, transaction.timeout.ms: 10000 }
    processing: { mode: transactional, transactionRecords: 500 }
  - id: c1
    type: consumer
    group: readers
    topics: [receipts]
    instances: 2
    config: { auto.offset.reset: earliest, isolation.level: read_committed, session.timeout.ms: 10000, max.poll.records: 500 }
    processing: { mode: auto-commit }
nemesis: { kinds: [crash, shutdown, partition, pause, clock], interval: 10s..30s, healAfter: 2s..10s, maxDown: 1, targets: [brokers, controller, clients], crashModes: [process, power] }
checks: [${SOAK_CHECKS.join(', ')}]
expect: { violations: none }
`;
}
