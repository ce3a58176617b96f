import type { Trace, TraceKind, TraceRecord } from '../sim/trace.js';
import { formatTime, time, toMillis, type Time } from '../sim/time.js';
import type { ClusterProbe, MetadataView, NodeStatus, PartitionView } from '../nodes/clusterProbe.js';
import { brokerNode } from '../nodes/nodeId.js';
import { NO_LEADER, type MetadataRecord } from '../nodes/controller/metadataRecords.js';
import { OFFSETS_TOPIC, partitionForGroup } from '../nodes/coordinator/offsetsTopic.js';
import { decodeAssignment } from '../nodes/consumer/consumerProtocol.js';
import { startRun, type RunInProgress } from './runner.js';
import type { Scenario } from './schema.js';

/**
 * The cluster at one moment of a run, as plain JSON-able data: what `kafkasim state` prints
 * and what a playground draws. It is read only through the ClusterProbe, as an operator reads
 * a cluster through kafka-topics --describe (each partition's leader, epoch, ISR and ELR),
 * kafka-log-dirs and GetOffsetShell (each replica's log start, log end and high watermark),
 * kafka-consumer-groups --describe (a group's state, members, assignment, committed offsets
 * and lag), kafka-transactions describe (KIP-664) and the producer's JMX metrics.
 */
export interface ClusterState {
  readonly scenario: string;
  readonly seed: number;
  /** The Kafka release simulated (cluster.version). */
  readonly release: string;
  /** The moment, in simulated milliseconds. */
  readonly atMs: number;
  /** Which part of the run the moment falls in: the scenario's own time, the drain, or the quiesce that ends a run with transactions. */
  readonly phase: 'run' | 'drain' | 'quiesce';
  /** The controllers (one today), each with whether it is the active one. */
  readonly controllers: readonly ControllerAtMoment[];
  readonly brokers: readonly BrokerAtMoment[];
  /** The scenario's topics' partitions (not the internal topics'). */
  readonly partitions: readonly PartitionAtMoment[];
  readonly producers: readonly ProducerAtMoment[];
  readonly consumers: readonly ConsumerAtMoment[];
  readonly groups: readonly GroupAtMoment[];
  /** Transactions begun and not yet completed (Ongoing, PrepareCommit, PrepareAbort, PrepareEpochFence). */
  readonly transactions: readonly TransactionAtMoment[];
  /** The last few events of interest up to the moment, oldest first. */
  readonly recent: readonly RecentEvent[];
}

/** A node's liveness: up, down (crashed or stopped) or paused, and whom a network partition keeps it from. */
export interface NodeAtMoment {
  readonly node: string;
  readonly state: 'up' | 'down' | 'paused';
  /** When paused: when the pause ends, in simulated milliseconds. */
  readonly pausedUntilMs?: number;
  /** On the side a network partition in force cuts off: an isolated node, or one on the smaller side of a split. */
  readonly cutOff: boolean;
  /** The nodes it can neither reach nor hear from, or only one of the two, because of a partition in force. */
  readonly cutOffFrom: readonly string[];
}

export interface ControllerAtMoment extends NodeAtMoment {
  readonly active: boolean;
}

export interface BrokerAtMoment extends NodeAtMoment {
  readonly id: number;
  /** As the active controller's metadata has it; absent when no controller is active. */
  readonly fenced?: boolean;
  readonly inControlledShutdown?: boolean;
}

export interface ReplicaAtMoment {
  readonly broker: number;
  readonly state: 'up' | 'down' | 'paused';
  /** Absent while its broker is down or does not host the replica. */
  readonly role?: 'leader' | 'follower' | 'none';
  readonly logStart?: number;
  readonly logEnd?: number;
  readonly highWatermark?: number;
  /** The replica's own view of its leader epoch. */
  readonly leaderEpoch?: number;
}

export interface PartitionAtMoment {
  readonly name: string;
  /** Undefined (null in JSON) while the partition has no leader. */
  readonly leader: number | null;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** Eligible leader replicas (KIP-966), on releases that have them. */
  readonly elr?: readonly number[];
  /** With no leader: since when, in simulated milliseconds, when the active controller saw it go. */
  readonly noLeaderSinceMs?: number;
  /** Where leader, epoch and ISR come from: the active controller's metadata, or (no controller active) the replica that claims to lead in the highest epoch. */
  readonly source: 'controller' | 'replicas';
  readonly replicas: readonly ReplicaAtMoment[];
}

export interface ProducerAtMoment {
  readonly node: string;
  readonly state: 'up' | 'down' | 'paused';
  /** On the side a network partition in force cuts off. */
  readonly cutOff: boolean;
  /** Per partition with unfinished batches: in flight (sent, not answered) and waiting (in the accumulator). */
  readonly partitions: readonly { readonly partition: string; readonly inFlight: number; readonly waiting: number }[];
  readonly blockedOnMetadata: number;
}

export interface ConsumerAtMoment {
  readonly node: string;
  readonly state: 'up' | 'down' | 'paused';
  /** On the side a network partition in force cuts off. */
  readonly cutOff: boolean;
  readonly group: string;
  readonly joinState?: 'unjoined' | 'joining' | 'stable';
  readonly memberId?: string;
  readonly generation?: number;
  readonly assignment?: readonly string[];
  readonly positions?: readonly { readonly partition: string; readonly offset: number }[];
}

export interface GroupAtMoment {
  readonly group: string;
  /** The broker leading the group's __consumer_offsets partition; null when it has no leader or no controller is active. */
  readonly coordinator: number | null;
  /** As the coordinator holds it; absent while the coordinator is down or has not loaded it. */
  readonly state?: string;
  readonly generation?: number;
  readonly leader?: string;
  readonly members: readonly { readonly memberId: string; readonly clientId: string; readonly assignment: readonly string[] }[];
  /** Per partition of the group's topics: the committed offset (if any) and the lag, the leader's high watermark less it. */
  readonly offsets: readonly { readonly partition: string; readonly committed: number | null; readonly lag: number | null }[];
}

export interface TransactionAtMoment {
  readonly transactionalId: string;
  readonly coordinator: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly state: string;
  readonly partitions: readonly string[];
  readonly startedMs: number;
}

export interface RecentEvent {
  readonly atMs: number;
  readonly text: string;
}

const OPEN_TXN_STATES: ReadonlySet<string> = new Set(['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence']);

/** How many events of interest a state keeps by default. */
export const RECENT_EVENTS = 10;

/**
 * Watches the trace for events of interest (crashes, restarts, pauses, partitions, heals,
 * elections, ISR changes, truncations, fencing, rebalances, aborted transactions) and keeps
 * the last `keep` as sentences. Attach it before the run starts; it only reads records.
 */
export class RecentEvents {
  private readonly events: RecentEvent[] = [];
  /**
   * Since when each leaderless partition has had no leader (ms), from the metadata records
   * the run wrote: unlike the active controller's own record, it survives the controller's
   * restart or failover.
   */
  private readonly leaderless = new Map<string, number>();

  constructor(
    trace: Trace,
    private readonly topics: ReadonlySet<string>,
    private readonly keep: number = RECENT_EVENTS,
  ) {
    for (const kind of WATCHED) trace.observe(kind, (r) => this.see(r));
  }

  /** The events kept, oldest first. */
  get list(): readonly RecentEvent[] {
    return [...this.events];
  }

  /** Since when partition `name` has had no leader (ms), if it has none. */
  noLeaderSince(name: string): number | undefined {
    return this.leaderless.get(name);
  }

  private see(r: TraceRecord): void {
    if (r.kind === 'metadata.record') this.trackLeader(toMillis(r.at), JSON.parse(r.detail) as MetadataRecord);
    const text = describeEvent(r, this.topics);
    if (text === undefined) return;
    this.events.push({ atMs: toMillis(r.at), text });
    if (this.events.length > this.keep) this.events.shift();
  }

  private trackLeader(atMs: number, record: MetadataRecord): void {
    if (record.type !== 'Partition' && (record.type !== 'PartitionChange' || record.leader === undefined)) return;
    const name = `${record.topic}-${record.partition}`;
    if (record.leader !== NO_LEADER) this.leaderless.delete(name);
    else if (!this.leaderless.has(name)) this.leaderless.set(name, atMs);
  }
}

const WATCHED: readonly TraceKind[] = ['node.crash', 'node.stop', 'node.start', 'node.pause', 'net.partition', 'net.heal', 'controller.active', 'metadata.record', 'replica.truncate', 'group.generation', 'txn.state', 'consumer.leave', 'log.retention'];

/** One event of interest as a sentence, or undefined for a record that is not one. */
function describeEvent(r: TraceRecord, topics: ReadonlySet<string>): string | undefined {
  switch (r.kind) {
    case 'node.crash':
      return `${r.node} crashed (${r.mode === 'power' ? 'power loss' : 'kill -9'})`;
    case 'node.stop':
      return `${r.node} stopped`;
    case 'node.start':
      return r.incarnation > 1 ? `${r.node} restarted` : undefined;
    case 'node.pause':
      return `${r.node} paused until ${formatTime(r.until)}`;
    case 'net.partition':
      return `network partition ${r.name} cut ${r.cuts} links`;
    case 'net.heal':
      return r.names.length === 0 ? undefined : `network partition${r.names.length === 1 ? '' : 's'} ${r.names.join(', ')} healed`;
    case 'controller.active':
      // The quorum's leader claims once it has the committed metadata (QuorumController.claim), and renounces when it loses the lead.
      return r.active ? `${r.node} became the active controller (epoch ${r.epoch})` : `${r.node} is no longer the active controller (epoch ${r.epoch})`;
    case 'metadata.record':
      return describeMetadata(JSON.parse(r.detail) as MetadataRecord, topics);
    case 'replica.truncate':
      return topics.has(topicOf(r.partition)) ? `broker-${r.broker} truncated ${r.partition} to offset ${r.to} (${r.reason})` : undefined;
    case 'group.generation':
      return `group ${r.group} is ${r.state} in generation ${r.generation} with ${r.members.length} member${r.members.length === 1 ? '' : 's'}`;
    case 'txn.state':
      // Routine commits would crowd out everything else: aborts and fencing are what stand out.
      return !/Abort|Fence/.test(r.state) ? undefined : `transaction ${r.transactionalId} (producer ${r.producerId}, epoch ${r.producerEpoch}) is ${r.state}`;
    case 'consumer.leave':
      return `${r.member} left its group (${r.reason})`;
    case 'log.retention':
      return topics.has(topicOf(r.partition)) ? `retention moved broker-${r.broker}'s log start of ${r.partition} to ${r.logStartOffset}` : undefined;
    default:
      return undefined;
  }
}

/** A metadata record worth telling: a leader or ISR change of a scenario topic, a broker fenced or unfenced. */
function describeMetadata(m: MetadataRecord, topics: ReadonlySet<string>): string | undefined {
  if (m.type === 'FenceBroker') return `the controller fenced broker-${m.brokerId}`;
  if (m.type === 'UnfenceBroker') return `the controller unfenced broker-${m.brokerId}`;
  if (m.type !== 'PartitionChange' || !topics.has(m.topic)) return undefined;
  const name = `${m.topic}-${m.partition}`;
  const parts: string[] = [];
  if (m.leader !== undefined) parts.push(m.leader === NO_LEADER ? `${name} has no leader` : `broker-${m.leader} elected leader of ${name}${m.unclean === true ? ' (unclean)' : ''}`);
  if (m.isr !== undefined) parts.push(`ISR of ${name} now [${m.isr.join(',')}]`);
  if (m.elr !== undefined) parts.push(`ELR [${m.elr.join(',')}]`);
  return parts.length === 0 ? undefined : parts.join('; ');
}

function topicOf(partition: string): string {
  return partition.slice(0, partition.lastIndexOf('-'));
}

/** A run to look at: the run, and the cluster at a moment, the run advanced to it. */
export interface WatchedRun {
  readonly run: RunInProgress;
  /**
   * Runs up to `at` (simulated microseconds, not before the run's present and not after its
   * end) and reads the cluster there. Looking changes nothing: the run goes on as it would
   * have without stopping.
   */
  stateAt(at: Time): ClusterState;
}

/** Starts `scenario` to be looked at moment by moment. */
export function watchRun(scenario: Scenario, options: { readonly seed?: number; readonly recentEvents?: number } = {}): WatchedRun {
  const run = startRun(scenario, { seed: options.seed });
  const recent = new RecentEvents(run.sim.trace, new Set(scenario.topics.map((t) => t.name)), options.recentEvents);
  return {
    run,
    stateAt(at) {
      if (at < run.sim.now || at > run.end) throw new RangeError(`a moment must lie between ${formatTime(run.sim.now)} and the run's end at ${formatTime(run.end)}, got ${formatTime(at)}`);
      run.runTo(time(at));
      return clusterState(run, recent);
    },
  };
}

/** The cluster of a run stopped at `run.sim.now`, read through its probe. */
export function clusterState(run: RunInProgress, recent: RecentEvents | undefined): ClusterState {
  const { scenario, sim, cluster } = run;
  const { probe } = cluster;
  const now = sim.now;
  const statuses = new Map(probe.nodes().map((s) => [s.node, s]));
  const image = probe.activeController()?.image;
  return {
    scenario: scenario.name,
    seed: run.seed,
    release: scenario.cluster.version,
    atMs: toMillis(now),
    phase: now <= run.drainStart ? 'run' : now <= scenario.duration + scenario.drain ? 'drain' : 'quiesce',
    controllers: probe.controllers().map((c) => ({ ...nodeAtMoment(probe, statuses.get(c.node), c.node), active: c.active })),
    brokers: probe.brokerIds().map((id) => brokerAtMoment(probe, image, statuses.get(brokerNode(id)), id)),
    partitions: scenario.topics.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => partitionAtMoment(probe, image, statuses, `${t.name}-${p}`, scenario.cluster.config['eligible.leader.replicas.version'] === 1, recent))),
    producers: cluster.producers.map((c) => producerAtMoment(probe, statuses, `producer-${c.id}`)),
    consumers: cluster.consumers.flatMap((c) => Array.from({ length: c.instances }, (_, i) => consumerAtMoment(probe, statuses, `consumer-${c.id}-${i + 1}`, c.group))),
    groups: groupsAtMoment(run, image),
    transactions: transactionsAtMoment(probe),
    recent: recent?.list ?? [],
  };
}

function stateOf(status: NodeStatus | undefined): 'up' | 'down' | 'paused' {
  return status?.state ?? 'down';
}

function nodeAtMoment(probe: ClusterProbe, status: NodeStatus | undefined, node: string): NodeAtMoment {
  return {
    node,
    state: stateOf(status),
    ...(status?.pausedUntil === undefined ? {} : { pausedUntilMs: Math.floor(status.pausedUntil / 1000) }),
    cutOff: status?.cutOff ?? false,
    cutOffFrom: probe.cutOffFrom(node),
  };
}

function brokerAtMoment(probe: ClusterProbe, image: MetadataView | undefined, status: NodeStatus | undefined, id: number): BrokerAtMoment {
  const registered = image?.broker(id);
  return {
    id,
    ...nodeAtMoment(probe, status, brokerNode(id)),
    ...(registered === undefined ? {} : { fenced: registered.fenced, inControlledShutdown: registered.inControlledShutdown }),
  };
}

function partitionAtMoment(probe: ClusterProbe, image: MetadataView | undefined, statuses: ReadonlyMap<string, NodeStatus>, name: string, elr: boolean, recent: RecentEvents | undefined): PartitionAtMoment {
  const topic = topicOf(name);
  const number = Number(name.slice(topic.length + 1));
  const meta = image?.partition(topic, number);
  const views = probe.brokerIds().map((b) => ({ broker: b, view: probe.partition(b, name) }));
  const replicaIds = meta?.replicas ?? views.filter((v) => v.view !== undefined).map((v) => v.broker);
  const replicas = replicaIds.map((b) => replicaAtMoment(b, stateOf(statuses.get(brokerNode(b))), views.find((v) => v.broker === b)?.view));
  if (meta !== undefined) {
    const since = meta.leader === NO_LEADER ? (recent?.noLeaderSince(name) ?? probe.activeController()?.offlineSince(name)) : undefined;
    return {
      name,
      leader: meta.leader === NO_LEADER ? null : meta.leader,
      leaderEpoch: meta.leaderEpoch,
      isr: [...meta.isr],
      ...(elr ? { elr: [...(meta.elr ?? [])] } : {}),
      ...(since === undefined ? {} : { noLeaderSinceMs: since }),
      source: 'controller',
      replicas,
    };
  }
  // No active controller: the replica that claims to lead in the highest epoch.
  const claims = views.filter((v) => v.view?.role === 'leader').sort((a, b) => (b.view?.leaderEpoch ?? 0) - (a.view?.leaderEpoch ?? 0));
  const claim = claims[0]?.view;
  return { name, leader: claim === undefined ? null : claims[0].broker, leaderEpoch: claim?.leaderEpoch ?? -1, isr: claim === undefined ? [] : [...claim.isr], source: 'replicas', replicas };
}

function replicaAtMoment(broker: number, state: 'up' | 'down' | 'paused', view: PartitionView | undefined): ReplicaAtMoment {
  if (view === undefined) return { broker, state };
  return { broker, state, role: view.role, logStart: view.log.logStartOffset, logEnd: view.log.logEndOffset, highWatermark: view.highWatermark, leaderEpoch: view.leaderEpoch };
}

function producerAtMoment(probe: ClusterProbe, statuses: ReadonlyMap<string, NodeStatus>, node: string): ProducerAtMoment {
  const pending = probe.producer(node)?.pendingBatches();
  return { node, state: stateOf(statuses.get(node)), cutOff: statuses.get(node)?.cutOff ?? false, partitions: pending?.partitions ?? [], blockedOnMetadata: pending?.blockedOnMetadata ?? 0 };
}

function consumerAtMoment(probe: ClusterProbe, statuses: ReadonlyMap<string, NodeStatus>, node: string, group: string): ConsumerAtMoment {
  const d = probe.consumer(node)?.describe();
  const base = { node, state: stateOf(statuses.get(node)), cutOff: statuses.get(node)?.cutOff ?? false, group };
  return d === undefined ? base : { ...base, joinState: d.joinState, memberId: d.memberId, generation: d.generation, assignment: d.assignment, positions: d.positions };
}

function groupsAtMoment(run: RunInProgress, image: MetadataView | undefined): GroupAtMoment[] {
  const { scenario, cluster } = run;
  const { probe } = cluster;
  const topicsOf = new Map<string, Set<string>>();
  for (const c of cluster.consumers) {
    const topics = topicsOf.get(c.group) ?? new Set<string>();
    for (const t of c.topics) topics.add(t);
    topicsOf.set(c.group, topics);
  }
  return [...topicsOf].map(([group, topics]) => {
    const leader = image?.partition(OFFSETS_TOPIC, partitionForGroup(group, scenario.cluster.config['offsets.topic.num.partitions']))?.leader;
    const coordinator = leader === undefined || leader === NO_LEADER ? null : leader;
    const summary = coordinator === null ? undefined : probe.coordinators(coordinator)?.describeGroup(group);
    const committed = coordinator === null ? undefined : probe.groupOffsets(coordinator, group);
    const partitions = scenario.topics.filter((t) => topics.has(t.name)).flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}-${p}`));
    const offsets = partitions.map((partition) => {
      const offset = committed?.get(partition)?.offset;
      const hw = leaderHighWatermark(probe, image, partition);
      return { partition, committed: offset ?? null, lag: offset === undefined || hw === undefined ? null : Math.max(0, hw - offset) };
    });
    const members = (summary?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, assignment: m.assignment.length === 0 ? [] : decodeAssignment(m.assignment).map((tp) => `${tp.topic}-${tp.partition}`) }));
    return {
      group,
      coordinator,
      ...(summary === undefined ? {} : { state: summary.state, generation: summary.generation, ...(summary.leader === undefined ? {} : { leader: summary.leader }) }),
      members,
      offsets,
    };
  });
}

/** The high watermark of `partition` on its leader, as the controller names it, when that leader is up. */
function leaderHighWatermark(probe: ClusterProbe, image: MetadataView | undefined, partition: string): number | undefined {
  const topic = topicOf(partition);
  const leader = image?.partition(topic, Number(partition.slice(topic.length + 1)))?.leader;
  return leader === undefined || leader === NO_LEADER ? undefined : probe.partition(leader, partition)?.highWatermark;
}

function transactionsAtMoment(probe: ClusterProbe): TransactionAtMoment[] {
  return probe.brokerIds().flatMap((broker) =>
    (probe.coordinators(broker)?.describeTransactions() ?? [])
      .filter((t) => OPEN_TXN_STATES.has(t.state))
      .map((t) => ({ transactionalId: t.transactionalId, coordinator: broker, producerId: t.producerId, producerEpoch: t.producerEpoch, state: t.state, partitions: t.partitions, startedMs: t.startMs })),
  );
}
