import type { Simulation } from '../sim/simulation.js';
import type { Trace } from '../sim/trace.js';
import { millis } from '../sim/time.js';
import { RowLog, type RowCodec } from '../sim/columns.js';
import type { ClusterProbe } from '../nodes/clusterProbe.js';
import type { AppliedCommit, CommittedOffsetChange, ConsumerReset, ExposedBatch, LeaderClaim } from '../checkers/finalState.js';
import { OnlineSpecChecker } from '../checkers/onlineSpec.js';
import { ExposedBatches } from '../checkers/exposedBatches.js';
import { observeQuorumAnomalies, type QuorumAnomalies } from '../checkers/quorumCheckers.js';
import { MetricsRecorder } from './metricsRecorder.js';
import { AvailabilityRecorder } from './availability.js';
import type { Cluster } from './clusterBuilder.js';

/**
 * What the run watches while it runs, as ghosts: they read the trace, and through the probe
 * the nodes' state, which no node may do. The checkers judge what they gathered after the
 * drain; the online spec checks judge as the run goes; the metrics recorder samples Kafka's
 * JMX metrics around each fault.
 */
export interface Observers {
  /** Who appended as leader, in which epoch, in the order claims were first made. */
  readonly leaderClaims: readonly LeaderClaim[];
  /** By partition: every batch a leader's high watermark exposed to consumers. */
  readonly exposed: ReadonlyMap<string, Iterable<ExposedBatch>>;
  /** When each node's current incarnation started. */
  readonly nodeStarts: ReadonlyMap<string, number>;
  /** What the group coordinators did with commits. */
  readonly commits: Iterable<AppliedCommit>;
  readonly offsetChanges: Iterable<CommittedOffsetChange>;
  /** Positions consumers took by auto.offset.reset for want of a committed offset. */
  readonly resets: readonly ConsumerReset[];
  /** By partition: the offsets cleaners compacted away. */
  readonly compactedAway: ReadonlyMap<string, ReadonlySet<number>>;
  /** Disruptive elections and stale controllers' answers in the controller quorum. */
  readonly quorum: QuorumAnomalies;
  /** The online spec checks, unless turned off. */
  readonly online: OnlineSpecChecker | undefined;
  readonly recorder: MetricsRecorder;
  /** Which partitions each fault left unable to take writes, and for how long. */
  readonly availability: AvailabilityRecorder;
}

/** Applied commits in columns: one row per partition of every commit, all run long. */
const APPLIED_COMMIT: RowCodec<AppliedCommit> = {
  numbers: 6,
  strings: 3,
  write(c, n, s) {
    [n[0], n[1], n[2], n[3], n[4], n[5]] = [c.at, c.broker, c.generation, c.currentGeneration, c.stale ? 1 : 0, c.offset];
    [s[0], s[1], s[2]] = [c.group, c.member, c.partition];
  },
  read: (n, s) => ({ at: n[0], broker: n[1], group: s[0], member: s[1], generation: n[2], currentGeneration: n[3], stale: n[4] === 1, partition: s[2], offset: n[5] }),
};

const SOURCES: readonly CommittedOffsetChange['source'][] = ['commit', 'load', 'expire'];

/** Committed offset changes in columns: one row per partition of every commit and load. */
const OFFSET_CHANGE: RowCodec<CommittedOffsetChange> = {
  numbers: 4,
  strings: 2,
  write(c, n, s) {
    [n[0], n[1], n[2], n[3]] = [c.at, c.broker, c.offset, SOURCES.indexOf(c.source)];
    [s[0], s[1]] = [c.group, c.partition];
  },
  read: (n, s) => ({ at: n[0], broker: n[1], group: s[0], partition: s[1], offset: n[2], source: SOURCES[n[3]] }),
};

/** The fetcher's reason for a reset when its group had committed nothing (consumer/fetcher.ts). */
const NO_COMMITTED_OFFSET = 'no-committed-offset';

/** How often gauges are sampled for their peaks between faults. */
const METRICS_SAMPLE_INTERVAL = millis(500);

/**
 * Subscribes the observers to `sim`'s trace and schedules the metrics sampling, in the order
 * the run's fingerprint depends on. Call before any host starts.
 */
export function attachObservers(sim: Simulation, cluster: Cluster, onlineChecks: boolean, brokerSessionTimeoutMs: number): Observers {
  const { probe } = cluster;
  const leaderClaims = observeLeaderClaims(sim.trace);
  const exposed = observeExposedBatches(sim.trace, probe);
  // The ghost observer, continued: when each node's current incarnation started ...
  const nodeStarts = new Map<string, number>();
  sim.trace.observe('node.start', (r) => nodeStarts.set(r.node, r.at));
  // ... what the group coordinators did with commits ...
  const commits = new RowLog(APPLIED_COMMIT);
  const offsetChanges = new RowLog(OFFSET_CHANGE);
  sim.trace.observe('group.commit', (r) => commits.push({ at: r.at, broker: r.broker, group: r.group, member: r.member, generation: r.generation, currentGeneration: r.currentGeneration, stale: r.stale, partition: r.partition, offset: r.offset }));
  sim.trace.observe('group.offset', (r) => offsetChanges.push({ at: r.at, broker: r.broker, group: r.group, partition: r.partition, offset: r.offset, source: r.source }));
  // ... where consumers with no committed offset started reading ...
  const resets: ConsumerReset[] = [];
  sim.trace.observe('consumer.reset', (r) => {
    if (r.reason === NO_COMMITTED_OFFSET) resets.push({ at: r.at, member: r.member, partition: r.partition, policy: r.policy, offset: r.offset });
  });
  // ... and which records cleaners compacted away, by partition.
  const compactedAway = new Map<string, Set<number>>();
  sim.trace.observe('log.clean', (r) => {
    let set = compactedAway.get(r.partition);
    if (set === undefined) compactedAway.set(r.partition, (set = new Set()));
    for (const o of r.removedOffsets) set.add(o);
  });
  const quorum = observeQuorumAnomalies(sim.trace, probe, brokerSessionTimeoutMs);
  const online = onlineChecks ? new OnlineSpecChecker((broker, name) => probe.replicaLog(broker, name), () => probe.quorumMembers()) : undefined;
  online?.attach(sim.trace);
  const recorder = new MetricsRecorder(cluster.metrics, (node) => probe.isUp(node), sim.now);
  const availability = new AvailabilityRecorder(sim.now);
  // Before the recorder's: the recorder takes the fault's label from the availability recorder's newest window.
  availability.attach(sim.trace);
  sim.trace.observe('fault.apply', (r) => recorder.onFault(r.at, `${r.action} ${r.targets.join(', ')}`.trim(), availability.currentFault));
  const sampleMetrics = (): void => {
    recorder.sample();
    sim.scheduler.after(METRICS_SAMPLE_INTERVAL, sampleMetrics);
  };
  sim.scheduler.after(METRICS_SAMPLE_INTERVAL, sampleMetrics);
  return { leaderClaims, exposed, nodeStarts, commits, offsetChanges, resets, compactedAway, quorum, online, recorder, availability };
}

/**
 * The ghost observer: who appends as leader, in which epoch. Keyed by partition, then
 * epoch, with a list that keeps the order claims were first made in.
 */
function observeLeaderClaims(trace: Trace): readonly LeaderClaim[] {
  type Claim = { partition: string; leaderEpoch: number; brokers: number[]; at?: number };
  const claims: Claim[] = [];
  const claimsByPartition = new Map<string, Map<number, Claim>>();
  trace.observeFields('replica.append', (r, at) => {
    if (r.role !== 'leader') return;
    let byEpoch = claimsByPartition.get(r.partition);
    if (byEpoch === undefined) claimsByPartition.set(r.partition, (byEpoch = new Map()));
    let claim = byEpoch.get(r.leaderEpoch);
    if (claim === undefined) {
      claim = { partition: r.partition, leaderEpoch: r.leaderEpoch, brokers: [] };
      byEpoch.set(r.leaderEpoch, claim);
      claims.push(claim);
    }
    if (!claim.brokers.includes(r.broker)) {
      claim.brokers.push(r.broker);
      if (claim.brokers.length === 2) claim.at = at;
    }
  });
  return claims;
}

/** The ghost observer, continued: which batches each leader's high watermark exposes to consumers. */
function observeExposedBatches(trace: Trace, probe: ClusterProbe): ReadonlyMap<string, Iterable<ExposedBatch>> {
  const exposed = new Map<string, ExposedBatches>();
  const exposedUpTo = new Map<string, number>();
  trace.observeFields('replica.hw', (r, at) => {
    const from = exposedUpTo.get(r.partition) ?? 0;
    const hw = r.highWatermark;
    if (hw <= from) return;
    const partition = probe.partition(r.broker, r.partition);
    if (partition === undefined) return;
    let list = exposed.get(r.partition);
    if (list === undefined) exposed.set(r.partition, (list = new ExposedBatches()));
    const into = list;
    partition.log.forEachAppendedBatch(from, hw, (baseOffset, lastOffset, epoch, crc) => {
      into.push({ baseOffset, lastOffset, epoch, crc, exposedUpTo: Math.min(hw, lastOffset + 1), at });
    });
    exposedUpTo.set(r.partition, hw);
  });
  return exposed;
}
