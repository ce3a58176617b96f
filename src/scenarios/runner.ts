import { Simulation } from '../sim/simulation.js';
import type { Op } from '../sim/history.js';
import { runCheckers, type Violation } from '../sim/checker.js';
import type { TraceSink } from '../sim/trace.js';
import { seconds, time, type Time } from '../sim/time.js';
import { memberNode } from '../nodes/nodeId.js';
import type { FaultInjector, TimedFault } from '../network/faults.js';
import type { ClusterProbe } from '../nodes/clusterProbe.js';
import type { KafkaMessage } from '../nodes/protocol.js';
import { OFFSETS_TOPIC, partitionForGroup } from '../nodes/coordinator/offsetsTopic.js';
import { deliveryCheckers } from '../checkers/deliveryCheckers.js';
import { groupCheckers, groupLag } from '../checkers/groupCheckers.js';
import { txnCheckers } from '../checkers/txnCheckers.js';
import { quorumCheckers } from '../checkers/quorumCheckers.js';
import type { ClusterFinalState, GroupFinalState, PartitionState, PipelineState } from '../checkers/finalState.js';
import { countSends } from '../checkers/sends.js';
import type { MetricsReport } from './metricsRecorder.js';
import { logSnapshot } from './logSnapshot.js';
import { buildCluster, type Cluster } from './clusterBuilder.js';
import type { MemoryDisk } from '../log/memoryDisk.js';
import { attachObservers, type Observers } from './observers.js';
import { planFaults } from './faultPlan.js';
import type { ConsumerClient, Scenario } from './schema.js';
import { appliedFaultLabel, type SkippedFault } from './skippedFaults.js';
import type { FaultAvailability } from './availability.js';

export interface RunOptions {
  readonly seed?: number;
  readonly checks?: readonly string[];
  /** Keep the trace in memory (for explain and tests). */
  readonly keepTrace?: boolean;
  readonly sinks?: readonly TraceSink[];
  /** Check the replication invariants of the TLA+ specs after every replication event (default on). */
  readonly onlineChecks?: boolean;
  /** Called every `everyMs` of simulated time during the run (not the drain), and at its end: for long runs' progress (the soak benchmark). It must not touch the simulation. */
  readonly progress?: RunProgress;
}

export interface RunProgress {
  readonly everyMs: number;
  readonly report: (simulation: Simulation, cluster: Cluster) => void;
}

export interface RunStats {
  readonly simulatedMs: number;
  readonly events: number;
  readonly produced: number;
  readonly acked: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Kafka's JMX metrics at the end, and how they moved around each fault. */
  readonly metrics: MetricsReport;
  /** With consumer groups: per partition, the committed offset's distance from the high watermark at the end (the largest over groups). */
  readonly lag?: Readonly<Record<string, number>>;
  /** With consumer groups: what their members did. */
  readonly consumers?: ConsumerStats;
  /** Per fault: the partitions it left unable to take writes and for how long, and the sends that failed. */
  readonly availability: readonly FaultAvailability[];
}

export interface ConsumerStats {
  /** Records processed to the end (every member, every time). */
  readonly processed: number;
  readonly commits: number;
  /** Commits the coordinator refused or that failed. */
  readonly failedCommits: number;
  /** The highest generation any member was assigned in. */
  readonly generations: number;
}

function consumerStats(history: Iterable<Op>): ConsumerStats {
  let processed = 0;
  let commits = 0;
  let failedCommits = 0;
  let generations = 0;
  for (const op of history) {
    if (op.f === 'process' && op.type === 'ok') processed++;
    else if (op.f === 'commit' && op.type !== 'invoke') {
      commits++;
      if (op.type !== 'ok') failedCommits++;
    } else if (op.f === 'assign' && op.type === 'ok') generations = Math.max(generations, (op.value as { generation: number }).generation);
  }
  return { processed, commits, failedCommits, generations };
}

export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly fingerprint: string;
  readonly violations: readonly Violation[];
  readonly expectMet: boolean;
  readonly stats: RunStats;
  readonly simulation: Simulation;
  /** Every fault the run scheduled: the scenario's own, then the nemesis's, before target resolution. */
  readonly schedule: readonly TimedFault[];
  /** The faults that fired but did nothing (a restart of a running broker, a target that resolved to no node), in the order they fired. */
  readonly skippedFaults: readonly SkippedFault[];
  /** What the checkers judged besides the history: the final logs, groups and commits. */
  readonly state: ClusterFinalState;
  /** Each broker's disk as the run left it, by node (`run --keep-logs` writes them out). */
  readonly disks: ReadonlyMap<string, MemoryDisk>;
}

/**
 * Runs one scenario with one seed: builds the cluster on a simulated network, drives the
 * workloads, injects the faults and the nemesis, then drains (faults stop, everything heals
 * and restarts, clients finish) and judges the final logs and the history with the checkers.
 */
export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  const run = startRun(scenario, options);
  run.runTo(run.end, options.progress);
  return finishRun(run, options);
}

/**
 * A run under way: built, its observers and faults in place, its hosts started, advanced
 * as far as asked. Stopping it between two events and reading the cluster (through the
 * probe) changes nothing: `runTo(a)` then `runTo(b)` fires the same events in the same order
 * as `runTo(b)`, and a run taken to its end is the run `runScenario` makes.
 */
export interface RunInProgress {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly sim: Simulation;
  readonly cluster: Cluster;
  /** When the scenario's own time ends and the drain begins. */
  readonly drainStart: Time;
  /** When the run ends: after the drain, and with transactions the quiesce. */
  readonly end: Time;
  /** Runs every event up to `until` (clamped to the end), passing into the drain and the quiesce when their time comes. */
  runTo(until: Time, progress?: RunProgress): void;
}

interface StartedRun extends RunInProgress {
  readonly observers: Observers;
  readonly faults: ReturnType<typeof planFaults>;
}

/** Builds the run and starts its hosts; nothing has fired yet. */
export function startRun(scenario: Scenario, options: Omit<RunOptions, 'progress' | 'checks'> = {}): RunInProgress {
  return startRunInternal(scenario, options);
}

function startRunInternal(scenario: Scenario, options: Omit<RunOptions, 'progress' | 'checks'>): StartedRun {
  const seed = options.seed ?? scenario.seed;
  const sim = new Simulation({ seed, trace: options.keepTrace ? 'memory' : 'none', sinks: options.sinks });
  // The order of these steps is the fingerprint's: hosts, then observers, then starts, then faults.
  const cluster = buildCluster(sim, scenario);
  const observers = attachObservers(sim, cluster, options.onlineChecks !== false, scenario.cluster.config['broker.session.timeout.ms']);
  observers.availability.watchGroups(sim.trace, {
    members: cluster.consumers.flatMap((c) => Array.from({ length: c.instances }, (_, i) => ({ process: `${c.id}-${i + 1}`, node: memberNode(c.id, i + 1), group: c.group }))),
    offsetsPartitions: scenario.cluster.config['offsets.topic.num.partitions'],
    readCommitted: cluster.consumers.filter((c) => c.config['isolation.level'] === 'read_committed').map((c) => c.group),
  });
  for (const h of cluster.net.allHosts()) h.start();
  const faults = planFaults(sim, scenario, cluster, observers.recorder);
  observers.availability.labelFaults((index, nodes) => appliedFaultLabel(index, faults.schedule[index]?.fault, index >= scenario.faults.length, nodes));
  const drainStart = time(scenario.duration);
  const drainEnd = time(scenario.duration + scenario.drain);
  const end = cluster.transactional ? time(scenario.duration + scenario.drain + QUIESCE) : drainEnd;
  // 0: the scenario's own time; 1: the drain; 2: the quiesce (with transactions); 3: done.
  let phase = 0;
  const runTo = (until: Time, progress?: RunProgress): void => {
    const limit = Math.min(until, end);
    // A phase ends, and the next begins, once the run goes past its last instant, or runs to the end
    // (a drain of 0 s still heals and restarts): a pause at a phase's last instant sees it unchanged.
    const passes = (phaseEnd: Time): boolean => limit > phaseEnd || limit === end;
    if (phase === 0) {
      runReporting(sim, cluster, time(Math.min(limit, drainStart)), progress);
      if (!passes(drainStart)) return;
      beginDrain(cluster, faults.injector);
      phase = 1;
    }
    if (phase === 1) {
      sim.run({ until: time(Math.min(limit, drainEnd)) });
      if (!cluster.transactional || !passes(drainEnd)) return;
      beginQuiesce(cluster);
      phase = 2;
    }
    if (phase === 2) sim.run({ until: time(limit) });
  };
  return { scenario, seed, sim, cluster, drainStart, end, runTo, observers, faults };
}

/** Judges a run taken to its end (by `runTo(run.end)`): the final snapshot, the checkers, the result. */
export function finishRun(run: RunInProgress, options: Pick<RunOptions, 'checks'> = {}): RunResult {
  const { scenario, seed, sim, cluster, observers, faults } = run as StartedRun;
  observers.online?.finish(sim.now);
  const metricsReport = withClientRates(observers.recorder.finish(sim.now), sim.now);
  const state = finalSnapshot(sim, scenario, cluster, observers);
  const report = runCheckers(ALL_CHECKERS, sim.history, state, options.checks ?? scenario.checks);
  const lag = state.groups === undefined || state.groups.length === 0 ? undefined : groupLag(state);
  const violations = [...report.violations, ...(observers.online?.violations ?? [])];
  const sends = countSends(sim.history);
  return {
    scenario: scenario.name,
    seed,
    fingerprint: sim.fingerprint,
    violations,
    expectMet: expectMet(scenario, violations, observers.online !== undefined),
    stats: {
      simulatedMs: sim.now / 1000,
      events: sim.scheduler.eventsFired,
      produced: sends.produced,
      acked: sends.ok,
      failed: sends.fail,
      indeterminate: sends.produced - sends.ok - sends.fail,
      metrics: metricsReport,
      availability: observers.availability.finish(sim.now, sim.history.sends, time(scenario.duration + scenario.drain), caughtUpWith(state)),
      ...(lag === undefined ? {} : { lag, consumers: consumerStats(sim.history.otherOps) }),
    },
    simulation: sim,
    schedule: faults.schedule,
    skippedFaults: faults.skipped,
    state,
    disks: cluster.disks,
  };
}

/**
 * Whether a group's final committed offset of a partition reached the end of what it had to
 * read: the final high watermark, less a tail of transaction markers and of aborted or open
 * transactions' batches, which a consumer's position passes or never reaches.
 */
function caughtUpWith(state: ClusterFinalState): (group: string, partition: string) => boolean {
  const ends = new Map(state.partitions.map((p) => [p.partition, readableEnd(p)]));
  return (group, partition) => (state.groups?.find((g) => g.group === group)?.committed.get(partition) ?? -1) >= (ends.get(partition) ?? 0);
}

function readableEnd(p: PartitionState): number {
  let end = p.highWatermark ?? 0;
  const batches = p.txnBatches ?? [];
  for (let i = batches.length - 1; i >= 0; i--) {
    const b = batches[i];
    if (b.lastOffset + 1 < end) break;
    if (b.lastOffset + 1 === end && (b.control || b.outcome === 'aborted' || b.outcome === 'open')) end = b.baseOffset;
    else if (b.lastOffset + 1 === end) break;
  }
  return end;
}

/** The drain begins: no more faults, everything heals and comes back, and the cluster settles. */
function beginDrain(cluster: Cluster, injector: FaultInjector<KafkaMessage>): void {
  const { net } = cluster;
  injector.cancelPending();
  net.heal();
  // A node still shutting down starts again as soon as it has stopped.
  for (const h of net.allHosts()) if (h.state === 'down' || h.stopping) h.restart();
}

/**
 * With transactions, after the drain, quiesce: the clients stop, and the coordinators finish
 * the commits and aborts they have decided (their markers), so a transaction caught between
 * PrepareCommit and its last marker is judged as what it is, committed.
 */
function beginQuiesce(cluster: Cluster): void {
  for (const h of cluster.net.allHosts()) if (h.hasRole('client') && h.state === 'up') h.pause(QUIESCE);
}

/**
 * Runs until `end`, in steps of `progress.everyMs` when given, reporting after each. A run
 * in steps is the same run: the scheduler fires the same events in the same order and only
 * stops between them.
 */
function runReporting(sim: Simulation, cluster: Cluster, end: Time, progress: RunProgress | undefined): void {
  if (progress === undefined) {
    sim.run({ until: end });
    return;
  }
  const step = Math.max(1, progress.everyMs * 1000);
  for (let t = sim.now + step; ; t += step) {
    sim.run({ until: time(Math.min(t, end)) });
    progress.report(sim, cluster);
    if (t >= end) return;
  }
}

/** What the checkers judge besides the history, after the drain: the final logs, groups and commits, and what the observers gathered. */
function finalSnapshot(sim: Simulation, scenario: Scenario, cluster: Cluster, observers: Observers): ClusterFinalState {
  const { probe, consumers, processors } = cluster;
  const groups = groupsFinalState(scenario, consumers, probe, observers.nodeStarts);
  const pipelines: PipelineState[] = processors.map((p) => ({ client: p.id, group: p.group, from: p.from, to: p.to, transactional: p.processing.mode === 'transactional', transactionTimeoutMs: p.config['transaction.timeout.ms'] }));
  return {
    ...logSnapshot(scenario, probe, observers.compactedAway),
    leaderClaims: observers.leaderClaims,
    quorum: observers.quorum,
    exposed: observers.exposed,
    groups,
    commits: observers.commits,
    offsetChanges: observers.offsetChanges,
    resets: observers.resets,
    pipelines,
    endMs: Math.floor(sim.now / 1000),
  };
}

/** Whether the run found what the scenario expects. Spec kinds in `expect` are judged only when the online checks ran. */
function expectMet(scenario: Scenario, violations: readonly Violation[], onlineChecked: boolean): boolean {
  const expected = !onlineChecked && Array.isArray(scenario.expect?.violations) ? scenario.expect.violations.filter((k) => !k.startsWith('spec:')) : scenario.expect?.violations;
  const kinds = new Set(violations.map((v) => v.kind));
  return expected === undefined || expected === 'none' ? violations.length === 0 : expected.every((k) => kinds.has(k));
}

const ALL_CHECKERS = [...deliveryCheckers, ...groupCheckers, ...txnCheckers, ...quorumCheckers];

/** Each consumer group's final committed offsets, from the broker that leads its `__consumer_offsets` partition. */
function groupsFinalState(
  scenario: Scenario,
  consumers: readonly ConsumerClient[],
  probe: ClusterProbe,
  started: ReadonlyMap<string, number>,
): GroupFinalState[] {
  const byGroup = new Map<string, { members: string[]; topics: Set<string> }>();
  for (const c of consumers) {
    const g = byGroup.get(c.group) ?? { members: [], topics: new Set<string>() };
    for (let i = 1; i <= c.instances; i++) g.members.push(`${c.id}-${i}`);
    for (const t of c.topics) g.topics.add(t);
    byGroup.set(c.group, g);
  }
  const n = scenario.cluster.config['offsets.topic.num.partitions'];
  return [...byGroup].map(([group, g]) => {
    const leader = probe.metadataImage()?.partition(OFFSETS_TOPIC, partitionForGroup(group, n))?.leader ?? -1;
    const offsets = leader < 0 ? undefined : probe.groupOffsets(leader, group);
    const partitions = scenario.topics.filter((t) => g.topics.has(t.name)).flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}-${p}`));
    const alive = new Map<string, number>();
    for (const m of g.members) {
      const since = started.get(`consumer-${m}`);
      if (since !== undefined && probe.isUp(`consumer-${m}`)) alive.set(m, since);
    }
    return { group, members: g.members, partitions, committed: new Map([...(offsets ?? new Map())].map(([tp, o]) => [tp, o.offset])), alive };
  });
}

/** How long a run with transactions lets its coordinators finish after the drain, clients paused. */
const QUIESCE = seconds(5);

/**
 * The Java client's *-rate attributes from its *-total ones, over the whole run (Kafka's
 * are windowed over metrics.sample.window.ms; a run-long average is what a report needs).
 */
function withClientRates(report: MetricsReport, now: Time): MetricsReport {
  const seconds = Math.max(1e-9, now / 1_000_000);
  const final: Record<string, Record<string, Record<string, number>>> = {};
  for (const [mbean, byNode] of Object.entries(report.final)) {
    final[mbean] = {};
    for (const [node, values] of Object.entries(byNode)) {
      const rates = mbean.startsWith('kafka.producer:')
        ? Object.fromEntries(Object.entries(values).filter(([k]) => k.endsWith('-total')).map(([k, v]) => [k.replace(/-total$/, '-rate'), v / seconds]))
        : {};
      final[mbean][node] = { ...values, ...rates };
    }
  }
  return { ...report, final };
}

