/**
 * Where a quorum member stands in the election, after Kafka's org.apache.kafka.raft
 * .QuorumState and its EpochState variants: UnattachedState (no leader known, maybe a
 * vote cast), ProspectiveState (KIP-996: asking for pre-votes without bumping the epoch),
 * CandidateState, LeaderState, FollowerState and ResignedState. Every transition writes
 * the election state (epoch, leader, vote) to the quorum-state file before the member acts
 * on it (QuorumState.durableTransitionTo). Times are local milliseconds.
 */
import type { Rng } from '../../../sim/rng.js';
import { LeaderState } from './leaderState.js';
import type { ElectionState, QuorumStateStore } from './quorumStateStore.js';
import type { OffsetAndEpoch } from './raftMessages.js';

/** Votes gathered by a prospective or a candidate: Kafka's EpochElection. */
export interface EpochElection {
  readonly granted: Set<number>;
  readonly rejected: Set<number>;
}

export interface UnattachedState {
  readonly kind: 'unattached';
  readonly epoch: number;
  readonly leaderId: number | undefined;
  readonly votedId: number | undefined;
  readonly electionDeadline: number;
}

export interface ProspectiveState {
  readonly kind: 'prospective';
  readonly epoch: number;
  /** The leader it last followed in this epoch, if any: it goes back to following it if the pre-vote fails. */
  readonly leaderId: number | undefined;
  readonly votedId: number | undefined;
  readonly election: EpochElection;
  readonly electionDeadline: number;
  /** How many elections it has lost in a row, for the backoff (carried to the candidate). */
  readonly retries: number;
}

export interface CandidateState {
  readonly kind: 'candidate';
  readonly epoch: number;
  readonly election: EpochElection;
  readonly retries: number;
  readonly electionDeadline: number;
  /** Set after a lost or timed-out election: when it may try again (CandidateState.startBackingOff). */
  backoffUntil: number | undefined;
}

export interface FollowerState {
  readonly kind: 'follower';
  readonly epoch: number;
  readonly leaderId: number;
  readonly votedId: number | undefined;
  fetchDeadline: number;
  /** It has had a successful Fetch from the leader in this state: it then rejects pre-votes (KIP-996). */
  hasFetchedFromLeader: boolean;
  highWatermark: number | undefined;
}

export interface LeaderEpochState {
  readonly kind: 'leader';
  readonly epoch: number;
  readonly leader: LeaderState;
}

export interface ResignedState {
  readonly kind: 'resigned';
  readonly epoch: number;
  readonly electionDeadline: number;
  readonly preferredSuccessors: readonly number[];
  readonly unackedVoters: Set<number>;
}

export type EpochState = UnattachedState | ProspectiveState | CandidateState | FollowerState | LeaderEpochState | ResignedState;

/** The timing settings the states need. */
export interface QuorumTimeouts {
  readonly electionTimeoutMs: number;
  readonly fetchTimeoutMs: number;
}

export class QuorumState {
  private current: EpochState;

  constructor(
    readonly localId: number,
    readonly voters: readonly number[],
    private readonly store: QuorumStateStore,
    private readonly timeouts: QuorumTimeouts,
    /** The member's seeded stream for election timeouts. */
    private readonly rng: Rng,
  ) {
    this.current = { kind: 'unattached', epoch: 0, leaderId: undefined, votedId: undefined, electionDeadline: Number.POSITIVE_INFINITY };
  }

  get state(): EpochState {
    return this.current;
  }

  get epoch(): number {
    return this.current.epoch;
  }

  get isVoter(): boolean {
    return this.voters.includes(this.localId);
  }

  /** The leader of the current epoch, when known. */
  get leaderId(): number | undefined {
    const s = this.current;
    switch (s.kind) {
      case 'leader':
      case 'resigned':
        return this.localId;
      case 'follower':
        return s.leaderId;
      case 'unattached':
      case 'prospective':
        return s.leaderId;
      default:
        return undefined;
    }
  }

  /** What the quorum-state file holds for the current state (EpochState.election). */
  election(): ElectionState {
    const s = this.current;
    switch (s.kind) {
      case 'leader':
      case 'resigned':
        return { epoch: s.epoch, leaderId: this.localId, votedId: undefined };
      case 'candidate':
        return { epoch: s.epoch, leaderId: undefined, votedId: this.localId };
      case 'follower':
        return { epoch: s.epoch, leaderId: s.leaderId, votedId: s.votedId };
      case 'unattached':
      case 'prospective':
        return { epoch: s.epoch, leaderId: s.leaderId, votedId: s.votedId };
    }
  }

  /**
   * The state to start in from the quorum-state file and the log (QuorumState.initialize):
   * a former leader starts resigned in its epoch, a former candidate as candidate, a voter
   * that knew a leader as its follower, anyone else unattached.
   */
  initialize(logEnd: OffsetAndEpoch, nowMs: number): void {
    const stored = this.store.read() ?? { epoch: 0, leaderId: undefined, votedId: undefined };
    if (stored.epoch < logEnd.epoch) {
      this.transition({ kind: 'unattached', epoch: logEnd.epoch, leaderId: undefined, votedId: undefined, electionDeadline: this.electionDeadline(nowMs) });
    } else if (stored.leaderId === this.localId) {
      this.transition({ kind: 'resigned', epoch: stored.epoch, electionDeadline: this.electionDeadline(nowMs), preferredSuccessors: [], unackedVoters: new Set() });
    } else if (stored.votedId === this.localId) {
      this.transition({ kind: 'candidate', epoch: stored.epoch, election: selfVote(this.localId), retries: 1, electionDeadline: this.electionDeadline(nowMs), backoffUntil: undefined });
    } else if (stored.votedId === undefined && stored.leaderId !== undefined) {
      this.transitionToFollower(stored.epoch, stored.leaderId, nowMs);
    } else {
      this.transition({ kind: 'unattached', epoch: stored.epoch, leaderId: undefined, votedId: stored.votedId, electionDeadline: this.electionDeadline(nowMs) });
    }
  }

  /**
   * A higher epoch with no leader known (QuorumState.transitionToUnattached). A member
   * already waiting for an election (unattached, prospective, candidate) keeps its
   * deadline: a stale candidate's repeated Votes must not put everyone else's elections off.
   */
  transitionToUnattached(epoch: number, nowMs: number): void {
    const s = this.current;
    const waiting = s.kind === 'unattached' || s.kind === 'prospective' || s.kind === 'candidate';
    const electionDeadline = waiting ? s.electionDeadline : this.electionDeadline(nowMs);
    this.transition({ kind: 'unattached', epoch, leaderId: undefined, votedId: undefined, electionDeadline });
  }

  /** It granted its vote in `epoch` (QuorumState.transitionToUnattachedVotedState). */
  transitionToUnattachedVoted(epoch: number, candidateId: number, nowMs: number): void {
    this.transition({ kind: 'unattached', epoch, leaderId: undefined, votedId: candidateId, electionDeadline: this.electionDeadline(nowMs) });
  }

  /** KIP-996: asks for pre-votes in its current epoch (QuorumState.transitionToProspective). */
  transitionToProspective(nowMs: number): void {
    const s = this.current;
    const retries = s.kind === 'candidate' || s.kind === 'prospective' ? s.retries : 0;
    const leaderId = s.kind === 'follower' || s.kind === 'unattached' || s.kind === 'prospective' ? s.leaderId : undefined;
    const votedId = s.kind === 'follower' || s.kind === 'unattached' || s.kind === 'prospective' ? s.votedId : undefined;
    this.transition({ kind: 'prospective', epoch: s.epoch, leaderId, votedId, election: selfVote(this.localId), electionDeadline: this.electionDeadline(nowMs), retries });
  }

  /** Bumps the epoch and votes for itself (QuorumState.transitionToCandidate). */
  transitionToCandidate(nowMs: number): void {
    const s = this.current;
    const retries = s.kind === 'candidate' || s.kind === 'prospective' ? s.retries + 1 : 1;
    this.transition({ kind: 'candidate', epoch: s.epoch + 1, election: selfVote(this.localId), retries, electionDeadline: this.electionDeadline(nowMs), backoffUntil: undefined });
  }

  /** Won the election: leads from the log end (QuorumState.transitionToLeader). */
  transitionToLeader(epochStartOffset: number, nowMs: number): LeaderState {
    const leader = new LeaderState(this.epoch, this.localId, this.voters, epochStartOffset, this.timeouts.fetchTimeoutMs, nowMs);
    this.transition({ kind: 'leader', epoch: this.epoch, leader });
    return leader;
  }

  /** Follows `leaderId` in `epoch` (QuorumState.transitionToFollower); a vote cast in the same epoch is kept. */
  transitionToFollower(epoch: number, leaderId: number, nowMs: number): void {
    const s = this.current;
    const votedId = s.epoch === epoch && (s.kind === 'unattached' || s.kind === 'prospective') ? s.votedId : undefined;
    this.transition({ kind: 'follower', epoch, leaderId, votedId, fetchDeadline: nowMs + this.timeouts.fetchTimeoutMs, hasFetchedFromLeader: false, highWatermark: undefined });
  }

  /** The leader steps down in its epoch (QuorumState.transitionToResigned). */
  transitionToResigned(preferredSuccessors: readonly number[], nowMs: number): void {
    this.transition({ kind: 'resigned', epoch: this.epoch, electionDeadline: this.electionDeadline(nowMs), preferredSuccessors, unackedVoters: new Set(preferredSuccessors) });
  }

  /**
   * Whether it may vote for `candidateId` (EpochState.canGrantVote): only unattached (and,
   * for pre-votes, prospective, candidate, resigned, and a follower that has not fetched
   * from its leader: KIP-996) members grant, one vote per epoch, to an up-to-date log.
   */
  canGrantVote(candidateId: number, isLogUpToDate: boolean, preVote: boolean): boolean {
    const s = this.current;
    if (!isLogUpToDate) return false;
    switch (s.kind) {
      case 'unattached':
        if (preVote) return true;
        return s.votedId === undefined || s.votedId === candidateId;
      case 'prospective':
        if (preVote) return true;
        return s.leaderId === undefined && (s.votedId === undefined || s.votedId === candidateId);
      case 'follower':
        return preVote && !s.hasFetchedFromLeader;
      case 'candidate':
      case 'resigned':
        return preVote;
      case 'leader':
        return false;
    }
  }

  /** A random election timeout: the setting plus up to as much again (QuorumState.randomElectionTimeoutMs). */
  electionDeadline(nowMs: number): number {
    const base = this.timeouts.electionTimeoutMs;
    return nowMs + (base === 0 ? 0 : base + this.rng.int(0, base - 1));
  }

  private transition(next: EpochState): void {
    this.current = next;
    this.store.write(this.election());
  }
}

function selfVote(localId: number): EpochElection {
  return { granted: new Set([localId]), rejected: new Set() };
}
