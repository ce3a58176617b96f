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
 */
import type { Checker, Violation } from '../sim/checker.js';
import type { History } from '../sim/history.js';
import type { Trace } from '../sim/trace.js';
import { time } from '../sim/time.js';
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

/** What the ghost reads of the cluster (ClusterProbe's methods). */
export interface QuorumGhostProbe {
  quorumMembers(): RaftMemberView[];
  isUp(node: string): boolean;
  isPaused(node: string): boolean;
  cutOffFrom(node: string): string[];
  /** The controllers that believe they are active, each with its epoch and whether its image has `broker` fenced. */
  activeControllers(): { readonly node: string; readonly epoch: number; readonly fenced: (brokerId: number) => boolean }[];
  brokerIdOf(node: string): number | undefined;
}

export interface QuorumAnomalies {
  readonly disruptiveElections: readonly DisruptiveElection[];
  readonly staleControllerAnswers: readonly StaleControllerAnswer[];
}

/** The answers a controller sends a broker: the metadata log's Fetch (wrapped as Raft), heartbeats. */
const ANSWERS_TO_BROKERS: ReadonlySet<string> = new Set(['Raft', 'BrokerHeartbeatResponse']);

/** Subscribes the ghost to `trace`: candidacies (raft.state) and controllers' answers to brokers (net.send). */
export function observeQuorumAnomalies(trace: Trace, probe: QuorumGhostProbe): QuorumAnomalies {
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
  return { disruptiveElections, staleControllerAnswers };
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

export const quorumCheckers: readonly Checker<ClusterFinalState>[] = [disruptiveElectionChecker, staleControllerChecker];
