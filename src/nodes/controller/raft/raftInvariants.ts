/**
 * The safety properties of the quorum, checked online after every event as Kafka's
 * RaftEventSimulationTest checks them (its Invariant and Validation classes):
 * SingleLeader (at most one leader per epoch, from the quorum-state files), MonotonicEpoch
 * (no member's stored epoch goes back), MonotonicHighWatermark (the newest leader's high
 * watermark never goes back), MajorityReachedHighWatermark (a majority of voters' logs
 * reach it), and, at the end or whenever asked, ConsistentCommittedData (an offset below a
 * member's high watermark holds the same record on every member, for the whole run). For
 * an observer (a broker) the same comparison is the MetadataLogMatchingProperty of Jack
 * Vanlightly's kafka-tlaplus specification: a broker's metadata log agrees with the
 * controller's at every offset it holds. A Raft observer may hold records past the high
 * watermark that the next leader truncates, so the comparison stops at the observer's high
 * watermark, the part of the log it applies to its metadata image.
 *
 * With KIP-630's snapshots, ConsistentCommittedData compares records where a member still
 * has them (from its log start) and reads a snapshot's id as committed: the record before its
 * end offset is of its epoch on every member, and every member's snapshot at that id holds the
 * same state. As RaftEventSimulationTest's SnapshotAtLogStart, a member whose log start is past
 * 0 has its oldest snapshot there (reported as ConsistentCommittedData: the records below the
 * log start are committed only in that snapshot).
 */
import type { NodeId } from '../../../network/nodeHost.js';
import type { ElectionState } from './quorumStateStore.js';
import type { OffsetAndEpoch, RaftRecord } from './raftMessages.js';
import type { RaftLog } from './raftLog.js';

/** What the checks read of one quorum member. */
export interface RaftMemberView {
  readonly id: number;
  readonly node: NodeId;
  readonly voter: boolean;
  /** The quorum-state file, read from its disk whether the member runs or not. */
  readonly storedElection: ElectionState | undefined;
  /** Its log end: the live log's, or for a member that is down, what its disk holds. */
  readonly logEndOffset: number;
  /** The live state, undefined while the member is down. */
  readonly live:
    | {
        readonly epoch: number;
        readonly isLeader: boolean;
        readonly highWatermark: number | undefined;
        readonly logEndOffset: number;
        /**
         * Which life of the member this is: given, {@link RaftInvariants.validate} reads only
         * what it has not compared yet of this life's log; absent, the whole log every time.
         */
        readonly incarnation?: number;
        /** Its records in [from, end) (those it still has: from its log start). */
        readonly records: (from: number, end: number) => readonly RaftRecord[];
        /** KIP-630: its log start offset (absent: 0). */
        readonly logStartOffset?: number;
        /** KIP-630: its snapshots' ids, oldest first, and each one's records (absent: none). */
        readonly snapshots?: () => readonly OffsetAndEpoch[];
        readonly snapshotData?: (id: OffsetAndEpoch) => readonly string[] | undefined;
      }
    | undefined;
}

/** What the checks read of a running member's KIP-630 state: its log start and its snapshots. */
export function snapshotView(c: { readonly log: RaftLog }): Pick<NonNullable<RaftMemberView['live']>, 'logStartOffset' | 'snapshots' | 'snapshotData'> {
  return { logStartOffset: c.log.startOffset, snapshots: () => c.log.snapshots.allIds(), snapshotData: (id) => c.log.snapshots.read(id)?.data };
}

export const RAFT_INVARIANT_KINDS = [
  'spec:SingleLeader',
  'spec:MonotonicEpoch',
  'spec:MonotonicHighWatermark',
  'spec:MajorityReachedHighWatermark',
  'spec:ConsistentCommittedData',
  'spec:MetadataLogMatchingProperty',
] as const;
export type RaftInvariantKind = (typeof RAFT_INVARIANT_KINDS)[number];

export interface RaftViolation {
  readonly kind: RaftInvariantKind;
  /** Simulated microseconds. */
  readonly at: number;
  readonly node: NodeId;
  readonly message: string;
}

export class RaftInvariants {
  private readonly storedEpochs = new Map<number, number>();
  private singleLeader: { epoch: number; leaderId: number | undefined } = { epoch: 0, leaderId: undefined };
  private highWatermark = 0;
  /** The epoch of the leader that reported `highWatermark`. */
  private highWatermarkEpoch = 0;
  private readonly committed = new Map<number, string>();
  /** KIP-630: by end offset, the epoch of each snapshot seen, and by id, its records as the first member showed them. */
  private readonly snapshotEpochs = new Map<number, number>();
  private readonly snapshotStates = new Map<string, { readonly node: NodeId; readonly data: string }>();
  /** Snapshots already compared, by member, life and id. */
  private readonly comparedSnapshots = new Set<string>();
  /** By member id: the life of the member whose log was compared, and up to where. */
  private readonly comparedTo = new Map<number, { incarnation: number; end: number }>();
  readonly violations: RaftViolation[] = [];
  /** Kinds left out, as RaftEventSimulationTest leaves some out when a member loses its disk. */
  private readonly skipped: ReadonlySet<RaftInvariantKind>;

  constructor(skip: readonly RaftInvariantKind[] = []) {
    this.skipped = new Set(skip);
  }

  /** The checks to run after every event. */
  verify(members: readonly RaftMemberView[], at: number): void {
    this.checkMonotonicEpoch(members, at);
    this.checkSingleLeader(members, at);
    this.checkHighWatermark(members, at);
  }

  /** RaftEventSimulationTest.MonotonicEpoch: a stored epoch never decreases, and a running member's live epoch is the stored one. */
  private checkMonotonicEpoch(members: readonly RaftMemberView[], at: number): void {
    for (const m of members) {
      const stored = m.storedElection;
      if (stored === undefined) continue;
      const old = this.storedEpochs.get(m.id) ?? 0;
      if (stored.epoch < old) this.report('spec:MonotonicEpoch', at, m.node, `the stored epoch of ${m.node} went from ${old} to ${stored.epoch}`);
      if (m.live !== undefined && m.live.epoch !== stored.epoch) this.report('spec:MonotonicEpoch', at, m.node, `${m.node} runs in epoch ${m.live.epoch} but stored epoch ${stored.epoch}`);
      this.storedEpochs.set(m.id, stored.epoch);
    }
  }

  /** RaftEventSimulationTest.SingleLeader: no two members' quorum-state files name different leaders for one epoch. */
  private checkSingleLeader(members: readonly RaftMemberView[], at: number): void {
    for (const m of members) {
      const e = m.storedElection;
      if (e === undefined || e.leaderId === undefined || e.epoch < this.singleLeader.epoch) continue;
      if (e.epoch === this.singleLeader.epoch && this.singleLeader.leaderId !== undefined) {
        if (e.leaderId !== this.singleLeader.leaderId) this.report('spec:SingleLeader', at, m.node, `${m.node} has leader ${e.leaderId} in epoch ${e.epoch}, where leader ${this.singleLeader.leaderId} was elected`);
      } else {
        this.singleLeader = { epoch: e.epoch, leaderId: e.leaderId };
      }
    }
  }

  /**
   * MonotonicHighWatermark and MajorityReachedHighWatermark, on the running leader of the
   * highest epoch. Unlike Kafka's test, a leader of an older epoch than the one that last
   * moved the high watermark is not held to it: without check-quorum a leader cut off from
   * the quorum still runs, with the high watermark it had, after its successor stopped.
   */
  private checkHighWatermark(members: readonly RaftMemberView[], at: number): void {
    let leader: RaftMemberView | undefined;
    for (const m of members) if (m.live?.isLeader === true && (leader?.live === undefined || m.live.epoch > leader.live.epoch)) leader = m;
    const hw = leader?.live?.highWatermark;
    const epoch = leader?.live?.epoch ?? 0;
    if (leader === undefined || hw === undefined || epoch < this.highWatermarkEpoch) return;
    if (hw < this.highWatermark) this.report('spec:MonotonicHighWatermark', at, leader.node, `the high watermark went from ${this.highWatermark} to ${hw} (leader ${leader.node})`);
    this.highWatermark = hw;
    this.highWatermarkEpoch = epoch;
    const voters = members.filter((m) => m.voter);
    // Down voters count by what their disks hold, as Kafka's test reads each node's persistent log.
    const reached = voters.filter((m) => m.logEndOffset >= hw).length;
    const majority = Math.floor(voters.length / 2) + 1;
    if (reached < majority) this.report('spec:MajorityReachedHighWatermark', at, leader.node, `only ${reached} of ${voters.length} voters' logs reach the high watermark ${hw} (leader ${leader.node})`);
  }

  /**
   * RaftEventSimulationTest.ConsistentCommittedData: every running member's records below
   * its high watermark agree with what any member ever had committed at those offsets (for
   * an observer, MetadataLogMatchingProperty).
   */
  validate(members: readonly RaftMemberView[], at: number): void {
    for (const m of members) {
      const live = m.live;
      if (live?.highWatermark === undefined) continue;
      const from = this.comparedFrom(m.id, live.incarnation, live.logEndOffset);
      this.checkSnapshots(m, live.highWatermark, at);
      if (live.highWatermark <= from) continue;
      for (const r of live.records(from, live.highWatermark)) this.compare(m, r, at);
      if (live.incarnation !== undefined) this.comparedTo.set(m.id, { incarnation: live.incarnation, end: live.highWatermark });
    }
  }

  /** Where to start comparing a member's log: past what this life of it was compared up to, unless its log got shorter. */
  private comparedFrom(id: number, incarnation: number | undefined, logEnd: number): number {
    const last = this.comparedTo.get(id);
    if (incarnation === undefined || last === undefined || last.incarnation !== incarnation) return 0;
    return Math.min(last.end, logEnd);
  }

  /**
   * KIP-630 in ConsistentCommittedData (RaftEventSimulationTest.assertCommittedData): a
   * snapshot ends at or below the high watermark; the record before its end offset is of its
   * epoch; the same snapshot id holds the same state on every member; and (SnapshotAtLogStart)
   * a log that starts past 0 starts at its oldest snapshot.
   */
  private checkSnapshots(m: RaftMemberView, hw: number, at: number): void {
    const live = m.live;
    const ids = live?.snapshots?.() ?? [];
    if (live === undefined || ids.length === 0) return;
    const start = live.logStartOffset ?? 0;
    if (start > 0 && ids[0].offset !== start) this.report('spec:ConsistentCommittedData', at, m.node, `${m.node}'s log starts at ${start}, but its oldest snapshot ends at ${ids[0].offset}: nothing holds the committed records below its log start`);
    for (const id of ids) {
      const key = `${m.id}:${live.incarnation ?? -1}:${id.offset}:${id.epoch}`;
      if (this.comparedSnapshots.has(key)) continue;
      if (id.offset > hw) {
        this.report('spec:ConsistentCommittedData', at, m.node, `${m.node} has a snapshot ending at ${id.offset}, past its high watermark ${hw}`);
        continue;
      }
      if (live.incarnation !== undefined) this.comparedSnapshots.add(key);
      this.compareSnapshotEpoch(m, id, at);
      this.compareSnapshotState(m, id, live.snapshotData?.(id), at);
    }
  }

  /** The record before a snapshot's end offset is of the snapshot's epoch. */
  private compareSnapshotEpoch(m: RaftMemberView, id: OffsetAndEpoch, at: number): void {
    const known = this.snapshotEpochs.get(id.offset);
    const record = this.committed.get(id.offset - 1);
    const recordEpoch = record === undefined ? undefined : Number(record.slice(0, record.indexOf(':')));
    if (known === undefined) this.snapshotEpochs.set(id.offset, id.epoch);
    const expected = known ?? recordEpoch;
    if (expected !== undefined && expected !== id.epoch) this.mismatch(m, at, `${m.node}'s snapshot ending at ${id.offset} is of epoch ${id.epoch}, but the committed record before it is of epoch ${expected}`);
  }

  private compareSnapshotState(m: RaftMemberView, id: OffsetAndEpoch, data: readonly string[] | undefined, at: number): void {
    if (data === undefined) return;
    const key = `${id.offset}:${id.epoch}`;
    const state = data.join('\n');
    const seen = this.snapshotStates.get(key);
    if (seen === undefined) this.snapshotStates.set(key, { node: m.node, data: state });
    else if (seen.data !== state) this.mismatch(m, at, `${m.node}'s snapshot (${id.offset}, ${id.epoch}) holds another state than ${seen.node}'s`);
  }

  /** A committed record or snapshot that differs: ConsistentCommittedData on a voter, MetadataLogMatchingProperty on an observer. */
  private mismatch(m: RaftMemberView, at: number, message: string): void {
    this.report(m.voter ? 'spec:ConsistentCommittedData' : 'spec:MetadataLogMatchingProperty', at, m.node, message);
  }

  private compare(m: RaftMemberView, r: RaftRecord, at: number): void {
    const value = `${r.epoch}:${r.kind}:${r.data}`;
    const snapshotEpoch = this.snapshotEpochs.get(r.offset + 1);
    if (snapshotEpoch !== undefined && snapshotEpoch !== r.epoch) this.mismatch(m, at, `${m.node} committed a record of epoch ${r.epoch} at offset ${r.offset}, where a snapshot ending at ${r.offset + 1} is of epoch ${snapshotEpoch}`);
    const seen = this.committed.get(r.offset);
    if (seen === undefined) this.committed.set(r.offset, value);
    else if (seen === value) return;
    else if (m.voter) this.report('spec:ConsistentCommittedData', at, m.node, `the committed record at offset ${r.offset} is ${value} on ${m.node}, but was ${seen}`);
    else this.report('spec:MetadataLogMatchingProperty', at, m.node, `${m.node}'s metadata log holds ${value} at offset ${r.offset}, below its high watermark, where the quorum committed ${seen}`);
  }

  private report(kind: RaftInvariantKind, at: number, node: NodeId, message: string): void {
    if (!this.skipped.has(kind)) this.violations.push({ kind, at, node, message });
  }
}
