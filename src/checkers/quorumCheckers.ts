/**
 * The controller quorum's availability failures that KIP-996 (pre-vote) and KAFKA-15489
 * (check-quorum) were written to remove, watched by a ghost and judged after the run:
 *
 * - `disruptive-election`: a voter bumps the epoch by standing as candidate while the quorum
 *   has a healthy leader: running, not paused, and reaching a majority of the voters that
 *   are up. Without pre-vote a voter that was cut off, or paused, past
 *   controller.quorum.fetch.timeout.ms does so, and once its Vote reaches the others the
 *   leader steps down (KIP-996, "Disruptive server scenarios"). With pre-vote it first asks
 *   whether it could win, and voters that hear from the leader say no.
 * - `stale-controller`: a controller that still believes it is the active one keeps serving a
 *   broker (the broker's metadata fetches, as the quorum leader it follows, or its
 *   heartbeats) although a newer active controller has fenced that broker: the broker takes
 *   its metadata from a controller the quorum has left. Without check-quorum a leader cut
 *   off from the majority never learns it lost the lead (KAFKA-15489); with it, it resigns
 *   after 1.5 × controller.quorum.fetch.timeout.ms, long before a broker's session
 *   (broker.session.timeout.ms) can expire at its successor.
 * - `frozen-leadership`: a partition's leader is down and no controller can move its
 *   leadership, for at least broker.session.timeout.ms: no controller is active, or the
 *   active one reaches no majority of the voters, so nothing can fence the dead broker or
 *   commit the election (QuorumController writes every leader and ISR change through the
 *   metadata log, which commits only on a majority: KIP-595). A quorum of one whose
 *   controller is down, or a quorum that lost its majority, shows it; a quorum that keeps a
 *   majority elects a new active controller within an election timeout or two, well inside
 *   the session timeout a healthy controller waits anyway before it fences a silent broker
 *   (BrokerHeartbeatManager). Pauses are not counted: a paused node is up.
 */
import type { Checker, Violation } from '../sim/checker.js';
import type { History } from '../sim/history.js';
import type { Trace } from '../sim/trace.js';
import { time } from '../sim/time.js';
import { compareStrings } from '../sim/order.js';
import type { RaftMemberView } from '../nodes/controller/raft/raftInvariants.js';
import type { ClusterFinalState } from './finalState.js';

/** A candidacy while a healthy leader led. */
export interface DisruptiveElection {
  readonly at: number;
  readonly candidate: string;
  readonly epoch: number;
  readonly leader: string;
  readonly leaderEpoch: number;
}

/** An answer to a broker from a controller older than the one that fenced the broker. */
export interface StaleControllerAnswer {
  readonly at: number;
  readonly controller: string;
  readonly epoch: number;
  readonly broker: string;
  /** What it answered: Raft (a metadata fetch) or BrokerHeartbeatResponse. */
  readonly answer: string;
  readonly newer: string;
  readonly newerEpoch: number;
}

/** A partition that kept a dead leader while no controller could act, for at least broker.session.timeout.ms. */
export interface FrozenLeadership {
  readonly partition: string;
  /** The dead leader, as a node name (broker-2). */
  readonly broker: string;
  /** When the freeze began and ended: the leader was down and no controller could act throughout. */
  readonly from: number;
  readonly to: number;
  /** Why no controller could act, when it began: "no active controller: controller-1 down". */
  readonly why: string;
  /** Still frozen when the run ended. */
  readonly open: boolean;
}

/** What the ghost reads of the cluster (ClusterProbe's methods). */
export interface QuorumGhostProbe {
  quorumMembers(): RaftMemberView[];
  isUp(node: string): boolean;
  isPaused(node: string): boolean;
  cutOffFrom(node: string): string[];
  /** The controllers that believe they are active, each with its epoch and whether its image has `broker` fenced. */
  activeControllers(): { readonly node: string; readonly epoch: number; readonly fenced: (brokerId: number) => boolean }[];
  brokerIdOf(node: string): number | undefined;
  /** The controllers (every one a voter: the voter set is fixed). */
  controllers(): readonly { readonly node: string }[];
}

export interface QuorumAnomalies {
  readonly disruptiveElections: readonly DisruptiveElection[];
  readonly staleControllerAnswers: readonly StaleControllerAnswer[];
  /** The freezes so far, those still on included (to the last event the ghost saw). */
  frozenLeaderships(): readonly FrozenLeadership[];
}

/** The answers a controller sends a broker: the metadata log's Fetch (wrapped as Raft), heartbeats. */
const ANSWERS_TO_BROKERS: ReadonlySet<string> = new Set(['Raft', 'BrokerHeartbeatResponse']);

/**
 * Subscribes the ghost to `trace`: candidacies (raft.state), controllers' answers to brokers
 * (net.send), and partitions whose dead leader no controller can replace (frozen-leadership,
 * reported when it lasts `brokerSessionTimeoutMs` or longer).
 */
export function observeQuorumAnomalies(trace: Trace, probe: QuorumGhostProbe, brokerSessionTimeoutMs: number): QuorumAnomalies {
  const disruptiveElections: DisruptiveElection[] = [];
  const staleControllerAnswers: StaleControllerAnswer[] = [];
  trace.observe('raft.state', (r) => {
    if (r.state !== 'candidate') return;
    const leader = healthyLeader(probe, r.node);
    // A candidate of the leader's own epoch lost that election to it; only a newer epoch unseats it.
    if (leader !== undefined && r.epoch > leader.epoch) disruptiveElections.push({ at: r.at, candidate: r.node, epoch: r.epoch, leader: leader.node, leaderEpoch: leader.epoch });
  });
  trace.observeFields('net.send', (r, at) => {
    if (!ANSWERS_TO_BROKERS.has(r.type)) return;
    const brokerId = probe.brokerIdOf(r.to);
    if (brokerId === undefined) return;
    const actives = probe.activeControllers();
    const sender = actives.find((a) => a.node === r.from);
    if (sender === undefined) return;
    const newer = actives.find((a) => a.epoch > sender.epoch && a.fenced(brokerId));
    if (newer !== undefined) staleControllerAnswers.push({ at, controller: r.from, epoch: sender.epoch, broker: r.to, answer: r.type, newer: newer.node, newerEpoch: newer.epoch });
  });
  const frozen = new FrozenLeadershipWatch(probe, brokerSessionTimeoutMs * 1000);
  frozen.attach(trace);
  return { disruptiveElections, staleControllerAnswers, frozenLeaderships: () => frozen.freezes() };
}

/** The metadata records that name a partition's leader (controller/metadataRecords.ts), as the trace carries them. */
interface LeaderRecord {
  readonly type: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly leader?: number;
}

/**
 * Watches for partitions whose leader is down while no controller can act. Each partition's
 * leader comes from the metadata records the active controller writes; brokers go down on
 * node.crash and node.stop and come back on node.start; whether a controller can act changes
 * with raft.state and controller.active, a controller's crash or start, and the network's
 * partitions and heals, so the watch looks again at each of those.
 */
class FrozenLeadershipWatch {
  /** Each partition's leader (a broker id; -1 for none), as the metadata log says. */
  private readonly leaders = new Map<string, number>();
  private readonly downBrokers = new Set<number>();
  /** Partitions frozen now: since when, their dead leader, and why no controller can act. */
  private readonly current = new Map<string, { readonly from: number; readonly leader: number; readonly why: string }>();
  private readonly done: FrozenLeadership[] = [];
  private lastAt = 0;

  constructor(
    private readonly probe: QuorumGhostProbe,
    /** The shortest freeze reported, in microseconds. */
    private readonly minimum: number,
  ) {}

  attach(trace: Trace): void {
    trace.observe('metadata.record', (r) => {
      const record = JSON.parse(r.detail) as LeaderRecord;
      if ((record.type === 'Partition' || record.type === 'PartitionChange') && record.leader !== undefined) this.leaders.set(`${record.topic}-${record.partition}`, record.leader);
      this.recheck(r.at);
    });
    const brokerDown = (down: boolean) => (r: { readonly at: number; readonly node: string }) => {
      const id = this.probe.brokerIdOf(r.node);
      if (id !== undefined && down) this.downBrokers.add(id);
      if (id !== undefined && !down) this.downBrokers.delete(id);
      this.recheck(r.at);
    };
    trace.observe('node.crash', brokerDown(true));
    trace.observe('node.stop', brokerDown(true));
    trace.observe('node.start', brokerDown(false));
    for (const kind of ['raft.state', 'controller.active', 'net.partition', 'net.heal'] as const) trace.observe(kind, (r) => this.recheck(r.at));
  }

  /** Every freeze long enough to report, those still on ended at the last event seen; internal topics' partitions left out, as the availability report leaves them. */
  freezes(): FrozenLeadership[] {
    const open = [...this.current].map(([partition, f]) => this.freeze(partition, f, this.lastAt, true));
    return [...this.done, ...open].filter((f) => f.to - f.from >= this.minimum && !f.partition.startsWith('__')).sort((a, b) => a.from - b.from || compareStrings(a.partition, b.partition));
  }

  private recheck(at: number): void {
    this.lastAt = at;
    const deadLed = [...this.leaders].filter(([, leader]) => leader >= 0 && this.downBrokers.has(leader));
    if (deadLed.length === 0 && this.current.size === 0) return;
    const why = deadLed.length === 0 ? undefined : this.whyNoControllerCanAct();
    for (const [partition, f] of this.current) {
      if (why !== undefined && this.leaders.get(partition) === f.leader && this.downBrokers.has(f.leader)) continue;
      this.current.delete(partition);
      this.done.push(this.freeze(partition, f, at, false));
    }
    if (why === undefined) return;
    for (const [partition, leader] of deadLed) if (!this.current.has(partition)) this.current.set(partition, { from: at, leader, why });
  }

  private freeze(partition: string, f: { readonly from: number; readonly leader: number; readonly why: string }, to: number, open: boolean): FrozenLeadership {
    return { partition, broker: `broker-${f.leader}`, from: f.from, to, why: f.why, open };
  }

  /** Undefined when an active controller reaches a majority of the voters (itself included); else why none can act. */
  private whyNoControllerCanAct(): string | undefined {
    const voters = this.probe.controllers().map((c) => c.node);
    const up = voters.filter((v) => this.probe.isUp(v));
    const actives = this.probe.activeControllers().filter((a) => this.probe.isUp(a.node));
    if (actives.length === 0) {
      const down = voters.filter((v) => !up.includes(v));
      return `no active controller${down.length === 0 ? '' : `: ${down.join(', ')} down`}`;
    }
    const reach = actives.map((a) => {
      const cut = new Set(this.probe.cutOffFrom(a.node));
      return { node: a.node, reached: up.filter((v) => v === a.node || !cut.has(v)).length };
    });
    if (reach.some((r) => r.reached > voters.length / 2)) return undefined;
    return reach.map((r) => `${r.node}, active, reaches ${r.reached} of ${voters.length} voters`).join('; ');
  }
}

/** The leader of the newest epoch other than `candidate`, when it is running, not paused, and reaches a majority of the voters that are up. */
function healthyLeader(probe: QuorumGhostProbe, candidate: string): { node: string; epoch: number } | undefined {
  const voters = probe.quorumMembers().filter((m) => m.voter);
  let leader: RaftMemberView | undefined;
  for (const m of voters) if (m.node !== candidate && m.live?.isLeader === true && (leader?.live === undefined || m.live.epoch > leader.live.epoch)) leader = m;
  if (leader?.live === undefined || probe.isPaused(leader.node)) return undefined;
  const cut = new Set(probe.cutOffFrom(leader.node));
  const reached = voters.filter((m) => m.node === leader.node || (probe.isUp(m.node) && !probe.isPaused(m.node) && !cut.has(m.node))).length;
  return reached > voters.length / 2 ? { node: leader.node, epoch: leader.live.epoch } : undefined;
}

/** disruptive-election: a voter stood for election while a healthy leader led; one violation per candidate, with how often. */
export const disruptiveElectionChecker: Checker<ClusterFinalState> = {
  kind: 'disruptive-election',
  check(_history: History, state: ClusterFinalState): Violation[] {
    return firstOfEach(state.quorum?.disruptiveElections ?? [], (d) => d.candidate).map(([d, count]) => ({
      kind: 'disruptive-election',
      message: `${d.candidate} stood for election in epoch ${d.epoch} while ${d.leader} led epoch ${d.leaderEpoch}, running and reaching a majority of the voters (no pre-vote: KIP-996)${times(count)}`,
      at: time(d.at),
      details: { ...d, count },
    }));
  },
};

/** stale-controller: a controller the quorum had left served a broker its successor had fenced; one violation per controller and broker, with how often. */
export const staleControllerChecker: Checker<ClusterFinalState> = {
  kind: 'stale-controller',
  check(_history: History, state: ClusterFinalState): Violation[] {
    return firstOfEach(state.quorum?.staleControllerAnswers ?? [], (s) => `${s.controller} ${s.broker}`).map(([s, count]) => ({
      kind: 'stale-controller',
      message: `${s.controller}, still active in epoch ${s.epoch}, served ${s.broker} (${s.answer === 'Raft' ? 'its metadata fetch' : 'its heartbeat'}) after ${s.newer}, active in epoch ${s.newerEpoch}, had fenced it (no check-quorum: KAFKA-15489)${times(count)}`,
      at: time(s.at),
      details: { ...s, count },
    }));
  },
};

/** frozen-leadership: a dead leader no controller could replace for at least broker.session.timeout.ms; one violation per partition, with how often. */
export const frozenLeadershipChecker: Checker<ClusterFinalState> = {
  kind: 'frozen-leadership',
  check(_history: History, state: ClusterFinalState): Violation[] {
    return firstOfEach(state.quorum?.frozenLeaderships() ?? [], (f) => f.partition).map(([f, count]) => ({
      kind: 'frozen-leadership',
      message: `${f.partition} kept its dead leader ${f.broker} for ${((f.to - f.from) / 1e6).toFixed(1)} s${f.open ? ' (still when the run ended)' : ''} while no controller could fence it and elect another (${f.why})${times(count)}`,
      at: time(f.from),
      details: { ...f, count },
    }));
  },
};

/** The first item of each key, in order, with how many share its key. */
function firstOfEach<T>(items: readonly T[], key: (t: T) => string): [T, number][] {
  const out = new Map<string, [T, number]>();
  for (const t of items) {
    const k = key(t);
    const known = out.get(k);
    if (known === undefined) out.set(k, [t, 1]);
    else known[1]++;
  }
  return [...out.values()];
}

function times(count: number): string {
  return count === 1 ? '' : `; ${count} times in the run`;
}

export const quorumCheckers: readonly Checker<ClusterFinalState>[] = [disruptiveElectionChecker, staleControllerChecker, frozenLeadershipChecker];
