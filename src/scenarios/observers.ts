import type { Simulation } from '../sim/simulation.js';
import type { Trace } from '../sim/trace.js';
import { millis } from '../sim/time.js';
import type { ClusterProbe } from '../nodes/clusterProbe.js';
import type { AppliedCommit, CommittedOffsetChange, ExposedBatch, LeaderClaim } from '../checkers/finalState.js';
import { OnlineSpecChecker } from '../checkers/onlineSpec.js';
import { MetricsRecorder } from './metricsRecorder.js';
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
  readonly exposed: ReadonlyMap<string, readonly ExposedBatch[]>;
  /** When each node's current incarnation started. */
  readonly nodeStarts: ReadonlyMap<string, number>;
  /** What the group coordinators did with commits. */
  readonly commits: readonly AppliedCommit[];
  readonly offsetChanges: readonly CommittedOffsetChange[];
  /** By partition: the offsets cleaners compacted away. */
  readonly compactedAway: ReadonlyMap<string, ReadonlySet<number>>;
  /** The online spec checks, unless turned off. */
  readonly online: OnlineSpecChecker | undefined;
  readonly recorder: MetricsRecorder;
}

/** How often gauges are sampled for their peaks between faults. */
const METRICS_SAMPLE_INTERVAL = millis(500);

/**
 * Subscribes the observers to `sim`'s trace and schedules the metrics sampling, in the order
 * the run's fingerprint depends on. Call before any host starts.
 */
export function attachObservers(sim: Simulation, cluster: Cluster, onlineChecks: boolean): Observers {
  const { probe } = cluster;
  const leaderClaims = observeLeaderClaims(sim.trace);
  const exposed = observeExposedBatches(sim.trace, probe);
  // The ghost observer, continued: when each node's current incarnation started ...
  const nodeStarts = new Map<string, number>();
  sim.trace.observe('node.start', (r) => nodeStarts.set(r.node, r.at));
  // ... what the group coordinators did with commits ...
  const commits: AppliedCommit[] = [];
  const offsetChanges: CommittedOffsetChange[] = [];
  sim.trace.observe('group.commit', (r) => commits.push({ at: r.at, broker: r.broker, group: r.group, member: r.member, generation: r.generation, currentGeneration: r.currentGeneration, stale: r.stale, partition: r.partition, offset: r.offset }));
  sim.trace.observe('group.offset', (r) => offsetChanges.push({ at: r.at, broker: r.broker, group: r.group, partition: r.partition, offset: r.offset, source: r.source }));
  // ... and which records cleaners compacted away, by partition.
  const compactedAway = new Map<string, Set<number>>();
  sim.trace.observe('log.clean', (r) => {
    let set = compactedAway.get(r.partition);
    if (set === undefined) compactedAway.set(r.partition, (set = new Set()));
    for (const o of r.removedOffsets) set.add(o);
  });
  const online = onlineChecks ? new OnlineSpecChecker((broker, name) => probe.replicaLog(broker, name)) : undefined;
  online?.attach(sim.trace);
  const recorder = new MetricsRecorder(cluster.metrics, (node) => probe.isUp(node), sim.now);
  sim.trace.observe('fault.apply', (r) => recorder.onFault(r.at, `${r.action} ${r.targets.join(', ')}`.trim()));
  const sampleMetrics = (): void => {
    recorder.sample();
    sim.scheduler.after(METRICS_SAMPLE_INTERVAL, sampleMetrics);
  };
  sim.scheduler.after(METRICS_SAMPLE_INTERVAL, sampleMetrics);
  return { leaderClaims, exposed, nodeStarts, commits, offsetChanges, compactedAway, online, recorder };
}

/**
 * The ghost observer: who appends as leader, in which epoch. Keyed by partition, then
 * epoch, with a list that keeps the order claims were first made in.
 */
function observeLeaderClaims(trace: Trace): readonly LeaderClaim[] {
  type Claim = { partition: string; leaderEpoch: number; brokers: number[]; at?: number };
  const claims: Claim[] = [];
  const claimsByPartition = new Map<string, Map<number, Claim>>();
  trace.observe('replica.append', (r) => {
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
      if (claim.brokers.length === 2) claim.at = r.at;
    }
  });
  return claims;
}

/** The ghost observer, continued: which batches each leader's high watermark exposes to consumers. */
function observeExposedBatches(trace: Trace, probe: ClusterProbe): ReadonlyMap<string, readonly ExposedBatch[]> {
  const exposed = new Map<string, ExposedBatch[]>();
  const exposedUpTo = new Map<string, number>();
  trace.observe('replica.hw', (r) => {
    const from = exposedUpTo.get(r.partition) ?? 0;
    const hw = r.highWatermark;
    if (hw <= from) return;
    const partition = probe.partition(r.broker, r.partition);
    if (partition === undefined) return;
    let list = exposed.get(r.partition);
    if (list === undefined) exposed.set(r.partition, (list = []));
    const into = list;
    const at = r.at;
    partition.log.forEachBatchSummary(from, hw, (baseOffset, lastOffset, epoch, crc) => {
      into.push({ baseOffset, lastOffset, epoch, crc, exposedUpTo: Math.min(hw, lastOffset + 1), at });
    });
    exposedUpTo.set(r.partition, hw);
  });
  return exposed;
}
