/**
 * The leader's view of its epoch, after Kafka's org.apache.kafka.raft.LeaderState: how far
 * each voter and observer has fetched, the high watermark (the largest offset a majority of
 * voters holds, once an entry of this epoch is among it: maybeUpdateHighWatermark), when
 * to announce the epoch to the voters again (BeginQuorumEpoch), and check-quorum
 * (KAFKA-15489, Kafka 3.7): a leader that has not heard Fetch from a majority of voters
 * within 1.5 × controller.quorum.fetch.timeout.ms resigns (timeUntilCheckQuorumExpires).
 * Times are local milliseconds.
 */
import { compareNumbers } from '../../../sim/order.js';

/** LeaderState.CHECK_QUORUM_TIMEOUT_FACTOR. */
export const CHECK_QUORUM_TIMEOUT_FACTOR = 1.5;

/** What the leader knows of one replica: LeaderState.ReplicaState. */
interface ReplicaState {
  /** Its log end: its last fetch offset, or for the leader its flushed log end. */
  endOffset: number | undefined;
}

export class LeaderState {
  private readonly voterStates = new Map<number, ReplicaState>();
  private readonly observerStates = new Map<number, ReplicaState>();
  private hw: number | undefined;
  /** Voters heard from (Fetch) since check-quorum last passed. */
  private readonly fetchedVoters = new Set<number>();
  private checkQuorumDeadline: number;
  private readonly checkQuorumTimeoutMs: number;
  /** When BeginQuorumEpoch goes to every other voter again, every half fetch timeout (LeaderState.beginQuorumEpochTimer). */
  beginQuorumEpochDue: number;

  constructor(
    readonly epoch: number,
    readonly localId: number,
    voters: readonly number[],
    /** The log end when it was elected: the high watermark must pass it (an entry of its own epoch). */
    readonly epochStartOffset: number,
    fetchTimeoutMs: number,
    nowMs: number,
  ) {
    for (const v of voters) this.voterStates.set(v, { endOffset: undefined });
    this.checkQuorumTimeoutMs = Math.floor(fetchTimeoutMs * CHECK_QUORUM_TIMEOUT_FACTOR);
    this.checkQuorumDeadline = nowMs + this.checkQuorumTimeoutMs;
    this.beginQuorumEpochDue = nowMs;
  }

  get highWatermark(): number | undefined {
    return this.hw;
  }

  /** The leader flushed its log up to `endOffset` (LeaderState.updateLocalState). True when the high watermark moved. */
  updateLocalState(endOffset: number): boolean {
    const s = this.voterStates.get(this.localId);
    if (s === undefined) return false;
    s.endOffset = endOffset;
    return this.maybeUpdateHighWatermark();
  }

  /**
   * A replica fetched from `fetchOffset` (LeaderState.updateReplicaState): an observer's
   * position is kept but never counts; a voter's counts for the high watermark and for
   * check-quorum. True when the high watermark moved.
   */
  updateReplicaState(replicaId: number, fetchOffset: number, nowMs: number): boolean {
    const voter = this.voterStates.get(replicaId);
    if (voter === undefined) {
      this.observerStates.set(replicaId, { endOffset: fetchOffset });
      return false;
    }
    voter.endOffset = fetchOffset;
    this.updateCheckQuorumForFollowingVoter(replicaId, nowMs);
    return this.maybeUpdateHighWatermark();
  }

  /** Milliseconds until check-quorum fails (0: resign now); never for a quorum of one (KAFKA-16144). */
  timeUntilCheckQuorumExpires(nowMs: number): number {
    if (this.voterStates.size === 1) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.checkQuorumDeadline - nowMs);
  }

  /** The other voters by descending fetch offset: the preferred successors of a resigning leader. */
  nonLeaderVotersByDescendingFetchOffset(): number[] {
    return [...this.voterStates]
      .filter(([id]) => id !== this.localId)
      .sort(([a, sa], [b, sb]) => compareNumbers(sb.endOffset ?? -1, sa.endOffset ?? -1) || compareNumbers(a, b))
      .map(([id]) => id);
  }

  /** A voter fetched (Fetch or FetchSnapshot): it counts for check-quorum; an observer does not. */
  updateCheckQuorumForFollowingVoter(id: number, nowMs: number): void {
    if (!this.voterStates.has(id)) return;
    this.fetchedVoters.add(id);
    // The leader counts itself: a majority of 3 needs one fetching voter.
    const majority = Math.floor(this.voterStates.size / 2) + 1 - 1;
    if (this.fetchedVoters.size >= majority) {
      this.fetchedVoters.clear();
      this.checkQuorumDeadline = nowMs + this.checkQuorumTimeoutMs;
    }
  }

  /**
   * The largest offset a majority of voters (the leader among them) has reached becomes the
   * high watermark, if it is past the epoch's start offset (so it covers an entry of this
   * epoch, the LeaderChange record) and past the current one (LeaderState.maybeUpdateHighWatermark).
   */
  private maybeUpdateHighWatermark(): boolean {
    const offsets = [...this.voterStates.values()].map((s) => s.endOffset ?? -1).sort((a, b) => compareNumbers(b, a));
    const candidate = offsets[Math.floor(this.voterStates.size / 2)];
    if (candidate <= this.epochStartOffset) return false;
    if (this.hw !== undefined && candidate <= this.hw) return false;
    this.hw = candidate;
    return true;
  }
}
