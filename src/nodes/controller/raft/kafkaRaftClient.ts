/**
 * A member of the KRaft controller quorum, after Kafka's org.apache.kafka.raft
 * .KafkaRaftClient (KIP-595): it elects a leader with Vote (and KIP-996 pre-votes when the
 * release has them), announces it with BeginQuorumEpoch, hands over with EndQuorumEpoch,
 * and replicates the log by followers' Fetch, the leader answering with records, a
 * diverging epoch to truncate to, and its high watermark. KIP-630: every member writes
 * snapshots of its state machine's committed state (SnapshotGenerator), the log start offset
 * moves up past the oldest ones (maybeClean, every 60 s), and a follower or observer whose
 * fetch offset is below the leader's log start is sent a snapshot id, downloads it with
 * FetchSnapshot, starts its log at it (truncateToLatestSnapshot) and its listener loads it
 * (handleLoadSnapshot). Kafka's client is a poll loop; here
 * every handler and timer ends with {@link KafkaRaftClient.poll}, which acts on expired
 * timeouts, sends what is due, and sets one timer for the next deadline, as the loop's
 * poll timeout does.
 */
import type { NodeContext, NodeId, Process, RpcResult } from '../../../network/nodeHost.js';
import type { Disk } from '../../../log/disk.js';
import type { Rng } from '../../../sim/rng.js';
import type { TimerHandle } from '../../../sim/scheduler.js';
import { MICROS_PER_MS, micros } from '../../../sim/time.js';
import { declareTraceKind } from '../../../sim/trace.js';
import { atLeast, type KafkaRelease } from '../../config/releases.js';
import type { QuorumSettings } from '../../config/quorumSettings.js';
import { QuorumState, type CandidateState, type EpochElection, type FollowerState, type ProspectiveState, type ResignedState } from './quorumState.js';
import { QuorumStateStore } from './quorumStateStore.js';
import { RaftLog } from './raftLog.js';
import { sameSnapshotId, type RaftSnapshot } from './raftSnapshots.js';
import { SnapshotGenerator } from './snapshotGenerator.js';
import type { RaftInvariantKind } from './raftInvariants.js';
import {
  beginQuorumEpoch,
  endQuorumEpoch,
  fetchRequest,
  fetchResponse,
  fetchSnapshotRequest,
  fetchSnapshotResponse,
  recordBytes,
  quorumEpochResponse,
  voteRequest,
  voteResponse,
  type BeginQuorumEpochRequest,
  type EndQuorumEpochRequest,
  type FetchSnapshotRequest,
  type FetchSnapshotResponse,
  type OffsetAndEpoch,
  type QuorumEpochResponse,
  type RaftErrorCode,
  type RaftFetchRequest,
  type RaftFetchResponse,
  type RaftMessage,
  type RaftRecord,
  type VoteRequest,
  type VoteResponse,
} from './raftMessages.js';

/**
 * Protocol features that came with later Kafka releases, switched per simulated release:
 * pre-vote (KIP-996; Kafka 4.0, KAFKA-16164), check-quorum (KAFKA-15489; Kafka 3.7) and a
 * resigned replica that keeps its leadership to itself (KAFKA-17333; Kafka 3.9).
 */
export interface RaftFeatures {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /**
   * KafkaRaftClient.pollListeners fires no leader change in ResignedState (KAFKA-17333,
   * apache/kafka#16900, on the 3.9 branch): before it, a former leader that restarts resigned
   * in its old epoch (QuorumState.initialize) told its listener it led that epoch, and
   * QuorumController.QuorumMetaLogListener.handleLeaderChange claimed.
   */
  readonly quietResigned: boolean;
}

/** The newest release's features. */
export const LATEST_RAFT_FEATURES: RaftFeatures = { preVote: true, checkQuorum: true, quietResigned: true };

/**
 * The release each feature came with, as the release table shows it. Check-quorum:
 * KAFKA-15489 (commit 37416e1, first tagged 3.7.0, not on the 3.6 branch). Pre-vote: KIP-996
 * in two parts, KAFKA-17641 (the Vote RPC's PreVote field, apache/kafka#17807) and
 * KAFKA-17642 (ProspectiveState, #18240), both merged for 4.0 under KAFKA-16164. The quiet
 * resigned state: KAFKA-17333 (commit 283b82d on the 3.9 branch).
 */
export const RAFT_FEATURE_RELEASES: Readonly<Record<keyof RaftFeatures, { readonly since: KafkaRelease; readonly what: string }>> = {
  preVote: { since: '4.0', what: 'pre-vote (KIP-996, KAFKA-16164)' },
  checkQuorum: { since: '3.7', what: 'check-quorum: a leader without a majority of fetches resigns (KAFKA-15489)' },
  quietResigned: { since: '3.9', what: 'a former leader restarting resigned does not claim to be the active controller (KAFKA-17333)' },
};

/** The features of `release`. */
export function raftFeaturesAt(release: KafkaRelease): RaftFeatures {
  const at = (f: keyof RaftFeatures): boolean => atLeast(release, RAFT_FEATURE_RELEASES[f].since);
  return { preVote: at('preVote'), checkQuorum: at('checkQuorum'), quietResigned: at('quietResigned') };
}

/** How long the leader holds a Fetch with nothing new (KafkaRaftManager passes 500 ms as fetchMaxWaitMs). */
export const FETCH_MAX_WAIT_MS = 500;
/** The most records one Fetch response carries (a stand-in for the 8 MiB fetch size). */
const MAX_FETCH_RECORDS = 1_000;
/** The most snapshot bytes one FetchSnapshot asks for (KafkaRaftClient.MAX_FETCH_SIZE_BYTES, 8 MiB). */
export const MAX_FETCH_SNAPSHOT_BYTES = 8 * 1024 * 1024;
/** How often the log's old snapshots and prefix are cleaned (KafkaRaftClient's RaftMetadataLogCleanerManager, 60 s). */
export const SNAPSHOT_CLEAN_INTERVAL_MS = 60_000;

/**
 * The state machine on top of the client (RaftClient.Listener): it hears committed records
 * in log order (handleCommit) and leadership changes (handleLeaderChange). A member that
 * became leader hears of it only once every record before its epoch's start has reached
 * it, so it acts on the whole committed state (ListenerContext.maybeFireLeaderChange).
 */
export interface RaftListener {
  handleCommit(records: readonly RaftRecord[]): void;
  /**
   * RaftClient.Listener.handleLoadSnapshot: the state machine's state is replaced by the
   * snapshot's, as of `snapshot.id.offset`; committed records from there follow.
   */
  handleLoadSnapshot(snapshot: RaftSnapshot): void;
  handleLeaderChange(leaderId: number | undefined, epoch: number): void;
  /**
   * The state machine's state after the last committed record it heard, as the records of a
   * snapshot (the SnapshotGenerator's emitter writing the image); undefined when it cannot
   * give that state now (an active controller whose state runs ahead of the commit).
   */
  snapshotData?(): readonly string[] | undefined;
}

export interface RaftClientConfig {
  readonly nodeId: number;
  /** The voters' ids (controller.quorum.voters); a member not among them is an observer. */
  readonly voters: readonly number[];
  readonly settings: QuorumSettings;
  readonly features: RaftFeatures;
  /** The network name of quorum member `id`. */
  readonly hostOf: (id: number) => NodeId;
  readonly listener?: RaftListener;
  /** The most snapshot bytes one FetchSnapshot asks for; {@link MAX_FETCH_SNAPSHOT_BYTES} unless a test sets it smaller. */
  readonly snapshotChunkBytes?: number;
}

/** What a quorum member keeps across crashes: its disk (the log and the quorum-state file). */
export interface RaftDurable {
  readonly disk: Disk;
}

/** A Fetch waiting at the leader for records (KafkaRaftClient's fetchPurgatory). */
interface HeldFetch {
  readonly from: number;
  readonly request: RaftFetchRequest;
  readonly reply: (r: RaftMessage) => void;
  readonly timer: TimerHandle;
}

export class KafkaRaftClient implements Process<RaftMessage> {
  readonly log: RaftLog;
  readonly quorum: QuorumState;
  /** Destinations with a request in flight, and until when each is backed off (RequestManager). */
  private readonly inflight = new Set<number>();
  private readonly backoffUntil = new Map<number, number>();
  /** Bumped by resetConnections: answers to older requests no longer clear `inflight`. */
  private connectionGeneration = 0;
  private heldFetches: HeldFetch[] = [];
  private pollTimer: TimerHandle | undefined;
  private pollAt = Number.POSITIVE_INFINITY;
  /** Set during a graceful shutdown: how to exit once another leader is known (KafkaRaftClient.GracefulShutdown). */
  private shutdownExit: (() => void) | undefined;
  private exited = false;
  private readonly backoffRng: Rng;
  private readonly majority: number;
  /** The listener's progress (KafkaRaftClient.ListenerContext): the next offset it hears, the last leadership it heard. */
  private listenerNextOffset = 0;
  /** ListenerContext.lastFiredLeaderChange: before any, no leader in epoch 0. */
  private lastFiredLeader: { readonly leaderId: number | undefined; readonly epoch: number } = { leaderId: undefined, epoch: 0 };
  private notifying = false;
  /** The listener has heard nothing yet: the latest snapshot comes first (ListenerContext.STARTING_NEXT_OFFSET). */
  private listenerStarting = true;
  private readonly snapshotGenerator: SnapshotGenerator;
  /** The snapshot a follower is downloading with FetchSnapshot (FollowerState.fetchingSnapshot). */
  private fetchingSnapshot: OffsetAndEpoch | undefined;
  /** When the log's snapshots and prefix are next cleaned (RaftMetadataLogCleanerManager). */
  private cleanAt: number;
  /** The violations reported so far, each once: a broken invariant is reported where it broke, not at every answer after. */
  private readonly reportedViolations = new Set<string>();

  constructor(
    private readonly ctx: NodeContext<RaftMessage>,
    durable: RaftDurable,
    private readonly config: RaftClientConfig,
  ) {
    this.log = RaftLog.open(durable.disk);
    const timeouts = { electionTimeoutMs: config.settings['controller.quorum.election.timeout.ms'], fetchTimeoutMs: config.settings['controller.quorum.fetch.timeout.ms'] };
    this.quorum = new QuorumState(config.nodeId, config.voters, new QuorumStateStore(durable.disk), timeouts, ctx.rng.fork('raft/election'));
    this.backoffRng = ctx.rng.fork('raft/backoff');
    this.majority = Math.floor(config.voters.length / 2) + 1;
    // KafkaRaftClient.initialize: the state comes back from the quorum-state file and the log before anything runs.
    this.quorum.initialize(this.log.endOffsetAndEpoch(), this.nowMs());
    this.snapshotGenerator = new SnapshotGenerator(config.settings['metadata.log.max.record.bytes.between.snapshots'], config.settings['metadata.log.max.snapshot.interval.ms'], this.nowMs());
    this.cleanAt = this.nowMs() + SNAPSHOT_CLEAN_INTERVAL_MS;
    this.traceState();
  }

  get id(): number {
    return this.config.nodeId;
  }

  /** The high watermark this member knows: the leader's, or a follower's from its last Fetch. */
  get highWatermark(): number | undefined {
    const s = this.quorum.state;
    if (s.kind === 'leader') return s.leader.highWatermark;
    if (s.kind === 'follower') return s.highWatermark;
    return undefined;
  }

  onStart(): void {
    // KafkaRaftClient.initialize: a lone voter becomes candidate at once, and so leader.
    const kind = this.quorum.state.kind;
    if (this.quorum.isVoter && this.config.voters.length === 1 && kind !== 'candidate' && kind !== 'leader') this.becomeCandidate();
    this.poll();
  }

  /**
   * A graceful shutdown (KafkaRaftClient.shutdown): a leader resigns and tells the voters; a
   * voter stays in the quorum, starting no election, until another leader is known or the
   * shutdown times out (maybeCompleteShutdown); an observer or a lone voter exits at once.
   */
  onShutdown(exit: () => void): void {
    this.shutdownExit = exit;
    const s = this.quorum.state;
    if (s.kind === 'leader' && this.config.voters.length > 1) this.resign(s.leader.nonLeaderVotersByDescendingFetchOffset());
    this.ctx.after(micros(this.config.settings['controller.quorum.request.timeout.ms'] * MICROS_PER_MS), () => this.exit());
    this.poll();
  }

  /** KafkaRaftClient.maybeCompleteShutdown: an observer, a lone voter, or one that knows another leader may go. */
  private maybeCompleteShutdown(): boolean {
    if (this.shutdownExit === undefined) return false;
    if (this.quorum.isVoter && this.config.voters.length > 1 && this.quorum.state.kind !== 'follower') return false;
    this.exit();
    return true;
  }

  private exit(): void {
    if (this.exited) return;
    this.exited = true;
    this.shutdownExit?.();
  }

  /**
   * Appends records at the leader, flushes them, and returns the offset of the last one;
   * undefined when this member does not lead (KafkaRaftClient.prepareAppend).
   */
  append(values: readonly string[]): number | undefined {
    const s = this.quorum.state;
    if (s.kind !== 'leader' || this.shutdownExit !== undefined || values.length === 0) return undefined;
    const records = this.log.appendAsLeader(s.epoch, 'data', values);
    this.flushLeaderLog();
    this.poll();
    return records[records.length - 1].offset;
  }

  onRequest(from: NodeId, request: RaftMessage, reply: (response: RaftMessage) => void): void {
    switch (request.type) {
      case 'Vote':
        reply(this.handleVoteRequest(request));
        break;
      case 'BeginQuorumEpoch':
        reply(this.handleBeginQuorumEpochRequest(request));
        break;
      case 'EndQuorumEpoch':
        reply(this.handleEndQuorumEpochRequest(request));
        break;
      case 'Fetch':
        this.handleFetchRequest(request, reply);
        break;
      case 'FetchSnapshot':
        reply(this.handleFetchSnapshotRequest(request));
        break;
      default:
        throw new Error(`${this.ctx.id}: ${request.type} from ${from} is a response, not a request`);
    }
    this.poll();
  }

  // ------------------------------------------------------------------ Vote

  /** KafkaRaftClient.handleVoteRequest: one vote per epoch, to a log at least as up to date, written down before the answer. */
  private handleVoteRequest(req: VoteRequest): VoteResponse {
    const invalidEpochs = req.preVote ? req.lastEpoch > req.candidateEpoch : req.lastEpoch >= req.candidateEpoch;
    if (req.lastEpochEndOffset < 0 || req.lastEpoch < 0 || invalidEpochs) return this.voteAnswer('INVALID_REQUEST', false, req.preVote);
    if (req.candidateEpoch < this.quorum.epoch) return this.voteAnswer('FENCED_LEADER_EPOCH', false, req.preVote);
    // A pre-vote's epoch is one its sender already has, so a voter behind it moves up to it too (KIP-996).
    if (req.candidateEpoch > this.quorum.epoch) this.transitionToUnattached(req.candidateEpoch);
    const local = this.log.endOffsetAndEpoch();
    const upToDate = req.lastEpoch > local.epoch || (req.lastEpoch === local.epoch && req.lastEpochEndOffset >= local.offset);
    const granted = this.quorum.canGrantVote(req.candidateId, upToDate, req.preVote);
    const s = this.quorum.state;
    if (granted && !req.preVote && (s.kind === 'unattached' || s.kind === 'prospective') && s.votedId === undefined) {
      this.quorum.transitionToUnattachedVoted(this.quorum.epoch, req.candidateId, this.nowMs());
      this.traceState();
    }
    return this.voteAnswer(undefined, granted, req.preVote);
  }

  private voteAnswer(error: RaftErrorCode | undefined, voteGranted: boolean, preVote: boolean): VoteResponse {
    return voteResponse({ error, leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch, voteGranted, preVote });
  }

  /** KafkaRaftClient.handleVoteResponse, with KIP-996's pre-vote answers to a prospective; false for an error it could not handle. */
  private handleVoteResponse(from: number, resp: VoteResponse): boolean {
    if (this.maybeHandleCommonResponse(resp.error, resp.leaderId, resp.leaderEpoch)) return true;
    if (resp.error !== undefined) return false;
    const s = this.quorum.state;
    if (s.kind === 'prospective' && resp.preVote) {
      recordVote(s.election, from, resp.voteGranted);
      if (s.election.granted.size >= this.majority) this.becomeCandidate();
    } else if (s.kind === 'candidate' && !resp.preVote) {
      recordVote(s.election, from, resp.voteGranted);
      if (s.election.granted.size >= this.majority) this.becomeLeader();
      // Without pre-vote a rejected candidate backs off at once; with it, it waits out its election timeout and asks for pre-votes again (KIP-996).
      else if (this.isVoteRejected(s.election) && s.backoffUntil === undefined && !this.config.features.preVote) s.backoffUntil = this.nowMs() + this.electionBackoffMs(s.retries);
    }
    return true;
  }

  private isVoteRejected(election: EpochElection): boolean {
    return this.config.voters.length - election.rejected.size < this.majority;
  }

  /** KafkaRaftClient.binaryExponentialElectionBackoffMs: retry.backoff × a random number below 2^retries, capped. */
  private electionBackoffMs(retries: number): number {
    const base = this.config.settings['controller.quorum.retry.backoff.ms'];
    const bound = 2 << Math.min(20, Math.max(1, retries) - 1);
    return Math.min(base * this.backoffRng.int(0, bound - 1), this.config.settings['controller.quorum.election.backoff.max.ms']);
  }

  // ------------------------------------------------------------------ BeginQuorumEpoch, EndQuorumEpoch

  /** KafkaRaftClient.handleBeginQuorumEpochRequest: a leader announces its epoch. */
  private handleBeginQuorumEpochRequest(req: BeginQuorumEpochRequest): QuorumEpochResponse {
    if (req.leaderEpoch < this.quorum.epoch) return this.epochAnswer('BeginQuorumEpochResponse', 'FENCED_LEADER_EPOCH');
    this.maybeTransition(req.leaderId, req.leaderEpoch);
    return this.epochAnswer('BeginQuorumEpochResponse', undefined);
  }

  private handleBeginQuorumEpochResponse(resp: QuorumEpochResponse): boolean {
    // An acknowledgement needs nothing more: the leader announces its epoch to every voter on a timer.
    return this.maybeHandleCommonResponse(resp.error, resp.leaderId, resp.leaderEpoch) || resp.error === undefined;
  }

  /**
   * KafkaRaftClient.handleEndQuorumEpochRequest: the leader resigned; its followers start an
   * election after a backoff by their place among its preferred successors.
   */
  private handleEndQuorumEpochRequest(req: EndQuorumEpochRequest): QuorumEpochResponse {
    if (req.leaderEpoch < this.quorum.epoch) return this.epochAnswer('EndQuorumEpochResponse', 'FENCED_LEADER_EPOCH');
    this.maybeTransition(req.leaderId, req.leaderEpoch);
    const s = this.quorum.state;
    if (s.kind === 'follower' && s.leaderId === req.leaderId) s.fetchDeadline = this.nowMs() + this.endEpochElectionBackoff(req.preferredSuccessors);
    return this.epochAnswer('EndQuorumEpochResponse', undefined);
  }

  /** KafkaRaftClient.endEpochElectionBackoff and strictExponentialElectionBackoffMs. */
  private endEpochElectionBackoff(successors: readonly number[]): number {
    const max = this.config.settings['controller.quorum.election.backoff.max.ms'];
    const position = successors.indexOf(this.id);
    if (position === 0) return 0;
    if (position < 0) return max;
    return Math.min(max, (max >> (successors.length - 1)) << (position - 1));
  }

  private handleEndQuorumEpochResponse(from: number, resp: QuorumEpochResponse): boolean {
    if (this.maybeHandleCommonResponse(resp.error, resp.leaderId, resp.leaderEpoch)) return true;
    if (resp.error !== undefined) return false;
    const s = this.quorum.state;
    if (s.kind === 'resigned') s.unackedVoters.delete(from);
    return true;
  }

  private epochAnswer(type: QuorumEpochResponse['type'], error: RaftErrorCode | undefined): QuorumEpochResponse {
    return quorumEpochResponse(type, { error, leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch });
  }

  // ------------------------------------------------------------------ Fetch

  /** KafkaRaftClient.handleFetchRequest: answer at once, or hold until there are records or maxWaitMs passes. */
  private handleFetchRequest(req: RaftFetchRequest, reply: (r: RaftMessage) => void): void {
    if (req.maxWaitMs < 0 || req.fetchOffset < 0 || req.lastFetchedEpoch < 0 || req.lastFetchedEpoch > req.currentLeaderEpoch) {
      reply(this.emptyFetchResponse('INVALID_REQUEST'));
      return;
    }
    const resp = this.tryCompleteFetchRequest(req);
    if (resp.error !== undefined || resp.records.length > 0 || req.maxWaitMs === 0 || resp.divergingEpoch !== undefined || resp.snapshotId !== undefined) {
      reply(resp);
      return;
    }
    const timer = this.ctx.after(micros(req.maxWaitMs * MICROS_PER_MS), () => this.expireHeldFetch(timer));
    this.heldFetches.push({ from: req.replicaId, request: req, reply, timer });
  }

  private expireHeldFetch(timer: TimerHandle): void {
    const held = this.heldFetches.find((h) => h.timer === timer);
    if (held === undefined) return;
    this.heldFetches = this.heldFetches.filter((h) => h !== held);
    held.reply(this.tryCompleteFetchRequest(held.request));
    this.poll();
  }

  /** Answers every held fetch now: new records, a new high watermark, or (`error`) lost leadership. */
  private completeHeldFetches(error?: RaftErrorCode): void {
    const held = this.heldFetches;
    this.heldFetches = [];
    for (const h of held) {
      this.ctx.cancel(h.timer);
      h.reply(error === undefined ? this.tryCompleteFetchRequest(h.request) : this.emptyFetchResponse(error));
    }
  }

  /**
   * KafkaRaftClient.tryCompleteFetchRequest: records from the fetch offset, where the logs
   * diverge, or (KIP-630) the snapshot to fetch: always for an empty log when there is a
   * snapshot, and for a fetch offset below the log start.
   */
  private tryCompleteFetchRequest(req: RaftFetchRequest): RaftFetchResponse {
    const error = this.validateLeaderOnlyRequest(req.currentLeaderEpoch);
    const s = this.quorum.state;
    if (error !== undefined || s.kind !== 'leader') return this.emptyFetchResponse(error ?? 'NOT_LEADER_OR_FOLLOWER');
    const latest = this.log.snapshots.latestId();
    const valid = req.fetchOffset === 0 && latest !== undefined ? { kind: 'snapshot' as const, at: latest } : this.log.validateOffsetAndEpoch(req.fetchOffset, req.lastFetchedEpoch);
    if (valid.kind !== 'valid') {
      const diverging = valid.kind === 'diverging' ? valid.at : undefined;
      const snapshotId = valid.kind === 'snapshot' ? valid.at : undefined;
      return fetchResponse({ error: undefined, leaderId: this.id, leaderEpoch: s.epoch, highWatermark: s.leader.highWatermark ?? -1, records: [], divergingEpoch: diverging, ...(snapshotId === undefined ? {} : { snapshotId }) });
    }
    if (s.leader.updateReplicaState(req.replicaId, req.fetchOffset, this.nowMs())) this.onUpdateLeaderHighWatermark();
    const records = this.log.read(req.fetchOffset, MAX_FETCH_RECORDS);
    return fetchResponse({ error: undefined, leaderId: this.id, leaderEpoch: s.epoch, highWatermark: s.leader.highWatermark ?? -1, records, divergingEpoch: undefined });
  }

  /** KafkaRaftClient.validateLeaderOnlyRequest. */
  private validateLeaderOnlyRequest(epoch: number): RaftErrorCode | undefined {
    if (epoch < this.quorum.epoch) return 'FENCED_LEADER_EPOCH';
    if (epoch > this.quorum.epoch) return 'UNKNOWN_LEADER_EPOCH';
    if (this.quorum.state.kind !== 'leader' || this.shutdownExit !== undefined) return 'NOT_LEADER_OR_FOLLOWER';
    return undefined;
  }

  private emptyFetchResponse(error: RaftErrorCode): RaftFetchResponse {
    return fetchResponse({ error, leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch, highWatermark: -1, records: [], divergingEpoch: undefined });
  }

  /**
   * KafkaRaftClient.handleFetchResponse: truncate where the leader says the logs diverge
   * (never below the high watermark), or append and flush what came and take the leader's
   * high watermark (KafkaRaftClient.appendAsFollower, updateFollowerHighWatermark).
   */
  private handleFetchResponse(resp: RaftFetchResponse): boolean {
    if (this.maybeHandleCommonResponse(resp.error, resp.leaderId, resp.leaderEpoch)) return true;
    if (resp.error !== undefined) return false;
    const s = this.quorum.state;
    if (s.kind !== 'follower') return true;
    if (resp.snapshotId !== undefined) {
      this.startFetchingSnapshot(s, resp.snapshotId);
    } else if (resp.divergingEpoch !== undefined) {
      // Kafka fails the Raft client here (an IllegalStateException in handleFetchResponse);
      // the simulator records it and truncates, so the run shows what a lost commit does.
      if (s.highWatermark !== undefined && resp.divergingEpoch.offset < s.highWatermark) {
        this.reportViolation('spec:ConsistentCommittedData', `the leader asked ${this.ctx.id} to truncate to ${resp.divergingEpoch.offset}, below its high watermark ${s.highWatermark}`);
      }
      const from = this.log.endOffset;
      const to = this.log.truncateToEndOffset(resp.divergingEpoch);
      this.ctx.trace.emit('raft.truncate', { node: this.ctx.id, from, to });
    } else {
      this.appendAsFollower(resp);
      this.updateFollowerHighWatermark(s, resp.highWatermark);
    }
    s.hasFetchedFromLeader = true;
    s.fetchDeadline = this.nowMs() + this.config.settings['controller.quorum.fetch.timeout.ms'];
    return true;
  }

  /**
   * The leader asked for a snapshot to be fetched (handleFetchResponse's SnapshotId): the
   * download starts at position 0 (createNewSnapshotUnchecked); a snapshot already here is
   * installed at once.
   */
  private startFetchingSnapshot(s: FollowerState, id: OffsetAndEpoch): void {
    if (this.log.snapshots.has(id)) {
      this.installFetchedSnapshot(s, id);
      return;
    }
    this.abortFetchingSnapshot();
    this.fetchingSnapshot = id;
    this.log.snapshots.beginPartial(id);
  }

  private abortFetchingSnapshot(): void {
    if (this.fetchingSnapshot !== undefined) this.log.snapshots.abortPartial(this.fetchingSnapshot);
    this.fetchingSnapshot = undefined;
  }

  /**
   * KafkaRaftClient.handleFetchSnapshotRequest: a chunk of the snapshot from the requested
   * position, or SNAPSHOT_NOT_FOUND (cleaned meanwhile) or POSITION_OUT_OF_RANGE. A voter
   * fetching a snapshot counts for check-quorum.
   */
  private handleFetchSnapshotRequest(req: FetchSnapshotRequest): FetchSnapshotResponse {
    if (req.position < 0 || req.maxBytes <= 0 || req.snapshotId.offset < 0 || req.snapshotId.epoch < 0) return this.fetchSnapshotAnswer('INVALID_REQUEST');
    const error = this.validateLeaderOnlyRequest(req.currentLeaderEpoch);
    const s = this.quorum.state;
    if (error !== undefined || s.kind !== 'leader') return this.fetchSnapshotAnswer(error ?? 'NOT_LEADER_OR_FOLLOWER');
    const snapshot = this.log.snapshots.read(req.snapshotId);
    if (snapshot === undefined) return this.fetchSnapshotAnswer('SNAPSHOT_NOT_FOUND');
    if (req.position >= snapshot.sizeInBytes) return this.fetchSnapshotAnswer('POSITION_OUT_OF_RANGE');
    const chunk = this.log.snapshots.slice(req.snapshotId, req.position, Math.min(req.maxBytes, snapshot.sizeInBytes));
    s.leader.updateCheckQuorumForFollowingVoter(req.replicaId, this.nowMs());
    return fetchSnapshotResponse({ error: undefined, leaderId: this.id, leaderEpoch: s.epoch, snapshotId: req.snapshotId, size: snapshot.sizeInBytes, position: req.position, chunk });
  }

  private fetchSnapshotAnswer(error: RaftErrorCode): FetchSnapshotResponse {
    return fetchSnapshotResponse({ error, leaderId: this.quorum.leaderId, leaderEpoch: this.quorum.epoch, snapshotId: undefined, size: -1, position: -1, chunk: new Uint8Array(0) });
  }

  /**
   * KafkaRaftClient.handleFetchSnapshotResponse: the chunk goes to the partial snapshot; the
   * last one freezes it, the log starts afresh at it (truncateToLatestSnapshot) and the
   * listener loads it. SNAPSHOT_NOT_FOUND (the leader cleaned it) starts over with a Fetch.
   * A chunk for another snapshot or position than the one being fetched, where Kafka throws,
   * is dropped.
   */
  private handleFetchSnapshotResponse(resp: FetchSnapshotResponse): boolean {
    if (this.maybeHandleCommonResponse(resp.error, resp.leaderId, resp.leaderEpoch)) return true;
    const s = this.quorum.state;
    if (resp.error === 'SNAPSHOT_NOT_FOUND' || (resp.error === undefined && resp.snapshotId === undefined)) {
      this.abortFetchingSnapshot();
      if (s.kind === 'follower') s.fetchDeadline = this.nowMs() + this.config.settings['controller.quorum.fetch.timeout.ms'];
      return true;
    }
    if (resp.error !== undefined) return false;
    const id = this.fetchingSnapshot;
    if (s.kind !== 'follower' || id === undefined || !sameSnapshotId(id, resp.snapshotId) || this.log.snapshots.partialSize(id) !== resp.position) return true;
    this.log.snapshots.appendPartial(id, resp.chunk);
    if (this.log.snapshots.partialSize(id) >= resp.size) {
      this.fetchingSnapshot = undefined;
      if (this.log.snapshots.freezePartial(id) !== undefined) this.installFetchedSnapshot(s, id);
    }
    s.fetchDeadline = this.nowMs() + this.config.settings['controller.quorum.fetch.timeout.ms'];
    return true;
  }

  /** The downloaded snapshot replaces the log (truncateToLatestSnapshot); its end offset is committed, so the high watermark is at least there. */
  private installFetchedSnapshot(s: FollowerState, id: OffsetAndEpoch): void {
    if (!this.log.truncateToLatestSnapshot()) return;
    this.ctx.trace.emit('raft.snapshot', { node: this.ctx.id, offset: id.offset, epoch: id.epoch, how: 'fetched' });
    if (s.highWatermark === undefined || s.highWatermark < id.offset) s.highWatermark = id.offset;
  }

  private appendAsFollower(resp: RaftFetchResponse): void {
    if (resp.records.length === 0) return;
    this.log.appendAsFollower(resp.records);
    // Voters flush before their next Fetch reports the new end: the leader counts on it.
    if (this.quorum.isVoter) this.log.flush();
    this.ctx.trace.emit('raft.append', { node: this.ctx.id, epoch: resp.leaderEpoch, from: resp.records[0].offset, to: this.log.endOffset });
  }

  private updateFollowerHighWatermark(s: FollowerState, leaderHw: number): void {
    if (leaderHw < 0) return;
    const hw = Math.min(leaderHw, this.log.endOffset);
    if (s.highWatermark !== undefined && hw <= s.highWatermark) return;
    s.highWatermark = hw;
  }

  // ------------------------------------------------------------------ responses common to every RPC

  /**
   * KafkaRaftClient.maybeHandleCommonResponse: a stale answer is dropped; a newer epoch or
   * a fencing error moves this member on; a leader named for its own epoch is followed.
   * True when the response needs no further handling.
   */
  private maybeHandleCommonResponse(error: RaftErrorCode | undefined, leaderId: number | undefined, epoch: number): boolean {
    if (epoch < this.quorum.epoch || error === 'UNKNOWN_LEADER_EPOCH') return true;
    if (epoch > this.quorum.epoch || error === 'FENCED_LEADER_EPOCH' || error === 'NOT_LEADER_OR_FOLLOWER') {
      this.maybeTransition(leaderId, epoch);
      return true;
    }
    if (leaderId !== undefined && this.quorum.leaderId === undefined) {
      this.transitionToFollower(epoch, leaderId);
      return error !== undefined;
    }
    return false;
  }

  /** KafkaRaftClient.maybeTransition: to a newer epoch, or to the leader of this one once known. */
  private maybeTransition(leaderId: number | undefined, epoch: number): void {
    const known = this.quorum.leaderId;
    // Kafka's maybeTransition throws IllegalStateException on both: two leaders in one epoch.
    if (epoch === this.quorum.epoch && leaderId !== undefined && known !== undefined && leaderId !== known) {
      this.reportViolation('spec:SingleLeader', `${this.ctx.id} was told leader ${leaderId} in epoch ${epoch}, where it knows leader ${known}`);
      return;
    }
    if (leaderId === this.id && epoch === this.quorum.epoch && this.quorum.state.kind !== 'leader' && this.quorum.state.kind !== 'resigned') {
      this.reportViolation('spec:SingleLeader', `${this.ctx.id} was told it leads epoch ${epoch}, which it does not`);
      return;
    }
    if (epoch > this.quorum.epoch) {
      if (leaderId !== undefined && leaderId !== this.id) this.transitionToFollower(epoch, leaderId);
      else this.transitionToUnattached(epoch);
    } else if (leaderId !== undefined && known === undefined && leaderId !== this.id) {
      this.transitionToFollower(epoch, leaderId);
    }
  }

  // ------------------------------------------------------------------ transitions

  private transitionToUnattached(epoch: number): void {
    const wasLeader = this.quorum.state.kind === 'leader';
    this.quorum.transitionToUnattached(epoch, this.nowMs());
    this.afterTransition(wasLeader);
  }

  private transitionToFollower(epoch: number, leaderId: number): void {
    const wasLeader = this.quorum.state.kind === 'leader';
    this.quorum.transitionToFollower(epoch, leaderId, this.nowMs());
    this.afterTransition(wasLeader);
  }

  /** Starts an election: with pre-vote as a prospective in this epoch, else as a candidate in the next. */
  private startElection(): void {
    if (this.config.features.preVote) {
      this.quorum.transitionToProspective(this.nowMs());
      this.afterTransition(false);
      this.maybeWinPreVote();
    } else {
      this.becomeCandidate();
    }
  }

  private maybeWinPreVote(): void {
    const s = this.quorum.state;
    if (s.kind === 'prospective' && s.election.granted.size >= this.majority) this.becomeCandidate();
  }

  /** KafkaRaftClient.transitionToCandidate and onBecomeCandidate: a quorum of one wins at once. */
  private becomeCandidate(): void {
    this.quorum.transitionToCandidate(this.nowMs());
    this.afterTransition(false);
    const s = this.quorum.state;
    if (s.kind === 'candidate' && s.election.granted.size >= this.majority) this.becomeLeader();
  }

  /** KafkaRaftClient.onBecomeLeader: leads from its log end and writes a LeaderChange record first, so the high watermark can move. */
  private becomeLeader(): void {
    this.quorum.transitionToLeader(this.log.endOffset, this.nowMs());
    this.afterTransition(false);
    this.log.appendAsLeader(this.quorum.epoch, 'leader-change', [String(this.id)]);
    this.flushLeaderLog();
  }

  /** KafkaRaftClient.transitionToResigned: held fetches fail, the voters are told. */
  private resign(successors: readonly number[]): void {
    this.quorum.transitionToResigned(successors, this.nowMs());
    this.afterTransition(true);
  }

  /** KafkaRaftClient.flushLeaderLog: the leader's own end counts once flushed. */
  private flushLeaderLog(): void {
    const s = this.quorum.state;
    if (s.kind !== 'leader') return;
    this.log.flush();
    if (s.leader.updateLocalState(this.log.endOffset)) this.onUpdateLeaderHighWatermark();
    this.completeHeldFetches();
  }

  private onUpdateLeaderHighWatermark(): void {
    const s = this.quorum.state;
    if (s.kind !== 'leader' || s.leader.highWatermark === undefined) return;
    this.ctx.trace.emit('raft.hw', { node: this.ctx.id, epoch: s.epoch, hw: s.leader.highWatermark });
    this.completeHeldFetches();
  }

  /** Every transition: the trace hears of it, requests in flight are forgotten (resetConnections), a former leader's held fetches fail. */
  private afterTransition(wasLeader: boolean): void {
    this.traceState();
    this.inflight.clear();
    this.backoffUntil.clear();
    this.connectionGeneration++;
    // FollowerState.close: a snapshot half downloaded is dropped with the state that fetched it.
    this.abortFetchingSnapshot();
    if (wasLeader) this.completeHeldFetches('NOT_LEADER_OR_FOLLOWER');
  }

  /**
   * A broken protocol invariant, recorded at the event that broke it (where Kafka's client
   * would throw and stop: KafkaRaftClientDriver.doWork hands the exception to the fatal fault
   * handler, which halts the process). kafkasim's member goes on, so the same answer comes
   * back at every retry; it is reported the first time only.
   */
  private reportViolation(kind: RaftInvariantKind, message: string): void {
    const key = `${kind}\u0000${message}`;
    if (this.reportedViolations.has(key)) return;
    this.reportedViolations.add(key);
    this.ctx.trace.emit('raft.violation', { node: this.ctx.id, invariant: kind, message });
  }

  private traceState(): void {
    const s = this.quorum.state;
    this.ctx.trace.emit('raft.state', { node: this.ctx.id, state: s.kind, epoch: s.epoch, leader: this.quorum.leaderId ?? -1 });
  }

  // ------------------------------------------------------------------ the poll loop

  /** KafkaRaftClient.poll: act on what is due in the current state, then sleep until the next deadline. */
  private poll(): void {
    if (this.exited || this.maybeCompleteShutdown()) return;
    this.pollListeners();
    const cleanAt = this.maybeClean(this.nowMs());
    for (let i = 0; i < 8; i++) {
      const before = this.quorum.state;
      const next = this.pollCurrentState(this.nowMs());
      if (this.quorum.state === before) {
        this.schedulePoll(Math.min(next, cleanAt));
        return;
      }
    }
    this.schedulePoll(this.nowMs());
  }

  /**
   * RaftMetadataLogCleanerManager.maybeClean: every 60 s the log cleans old snapshots and the
   * log before them (KafkaMetadataLog.maybeClean). Returns when next to wake for it: never
   * while the log has fewer than two snapshots, when cleaning could do nothing.
   */
  private maybeClean(now: number): number {
    if (this.log.snapshots.allIds().length < 2) return Number.POSITIVE_INFINITY;
    if (now >= this.cleanAt) {
      this.cleanAt = now + SNAPSHOT_CLEAN_INTERVAL_MS;
      const from = this.log.startOffset;
      const retention = { bytes: this.config.settings['metadata.max.retention.bytes'], ms: this.config.settings['metadata.max.retention.ms'] };
      if (this.log.maybeClean(retention, now)) this.ctx.trace.emit('raft.log-start', { node: this.ctx.id, from, to: this.log.startOffset });
    }
    return this.cleanAt;
  }

  /**
   * KafkaRaftClient.pollListeners: committed records the listener has not had yet, then a
   * leadership it has not heard of. Re-entered from the listener (an append), it does nothing.
   */
  private pollListeners(): void {
    const listener = this.config.listener;
    if (listener === undefined || this.notifying) return;
    this.notifying = true;
    const known = this.highWatermark;
    if (known !== undefined) this.maybeLoadSnapshot(listener, known);
    for (let hw = this.highWatermark ?? 0; hw > this.listenerNextOffset; hw = this.highWatermark ?? 0) {
      const records = this.log.read(this.listenerNextOffset, hw - this.listenerNextOffset);
      this.listenerNextOffset = hw;
      listener.handleCommit(records);
      this.maybeCreateSnapshot(listener, records);
    }
    this.maybeFireLeaderChange(listener);
    this.notifying = false;
  }

  /**
   * KafkaRaftClient.updateListenersProgress: a listener that has heard nothing yet, or is
   * behind the log start, first loads the latest snapshot (fireHandleSnapshot), when there
   * are committed records past it to hear.
   */
  private maybeLoadSnapshot(listener: RaftListener, hw: number): void {
    const starting = this.listenerStarting;
    this.listenerStarting = false;
    const latest = this.log.snapshots.latestId();
    if (latest === undefined || this.listenerNextOffset >= hw || (!starting && this.listenerNextOffset >= this.log.startOffset)) return;
    const snapshot = this.log.snapshots.read(latest);
    if (snapshot === undefined) return;
    this.listenerNextOffset = latest.offset;
    listener.handleLoadSnapshot(snapshot);
    this.snapshotGenerator.reset(this.nowMs());
    this.ctx.trace.emit('raft.snapshot', { node: this.ctx.id, offset: latest.offset, epoch: latest.epoch, how: 'loaded' });
  }

  /**
   * SnapshotGenerator.publishLogDelta and the emitter: once enough committed bytes (or
   * time) have gone by, the listener's state after `records` is written as a snapshot
   * (KafkaRaftClient.createSnapshot at the next offset and the last record's epoch).
   */
  private maybeCreateSnapshot(listener: RaftListener, records: readonly RaftRecord[]): void {
    let bytes = 0;
    for (const r of records) bytes += recordBytes(r);
    const now = this.nowMs();
    if (records.length === 0 || listener.snapshotData === undefined || !this.snapshotGenerator.publishLogDelta(bytes, now)) return;
    const data = listener.snapshotData();
    if (data === undefined) return;
    const last = records[records.length - 1];
    const id = { offset: last.offset + 1, epoch: last.epoch };
    const hw = this.highWatermark ?? 0;
    if (this.log.createNewSnapshot(id, hw, now, data) !== undefined) this.ctx.trace.emit('raft.snapshot', { node: this.ctx.id, offset: id.offset, epoch: id.epoch, how: 'created' });
    this.snapshotGenerator.reset(now);
  }

  /**
   * ListenerContext.maybeFireLeaderChange: a new leader fires once the listener is past its
   * epoch's start. Since KAFKA-17333 a resigned replica fires nothing (pollListeners: it does
   * not track its epoch's start, and every append would fail NotLeaderException).
   */
  private maybeFireLeaderChange(listener: RaftListener): void {
    const leaderId = this.quorum.leaderId;
    const epoch = this.quorum.epoch;
    if (!this.shouldFireLeaderChange(leaderId, epoch)) return;
    const s = this.quorum.state;
    if (s.kind === 'resigned' && this.config.features.quietResigned) return;
    if (s.kind === 'leader' && this.listenerNextOffset <= s.leader.epochStartOffset) return;
    this.lastFiredLeader = { leaderId, epoch };
    listener.handleLeaderChange(leaderId, epoch);
  }

  /**
   * ListenerContext.shouldFireLeaderChange: a newer epoch, or a leader where the last one
   * fired had none in the same epoch. Not a leader lost within an epoch: the listener keeps
   * the last leader it heard of.
   */
  private shouldFireLeaderChange(leaderId: number | undefined, epoch: number): boolean {
    const last = this.lastFiredLeader;
    if (last.leaderId === leaderId && last.epoch === epoch) return false;
    if (epoch > last.epoch) return true;
    return leaderId !== undefined && last.leaderId === undefined;
  }

  private pollCurrentState(now: number): number {
    const s = this.quorum.state;
    switch (s.kind) {
      case 'leader':
        return this.pollLeader(now);
      case 'resigned':
        return this.pollResigned(s, now);
      case 'candidate':
        return this.pollCandidate(s, now);
      case 'prospective':
        return this.pollProspective(s, now);
      case 'follower':
        return this.quorum.isVoter ? this.pollFollowerAsVoter(s, now) : this.pollFollowerAsObserver(s, now);
      case 'unattached':
        if (!this.quorum.isVoter) return this.maybeSendAnyVoterFetch(now);
        // Shutting down, it waits for a leader and starts no election (pollUnattachedAsVoter).
        if (this.shutdownExit !== undefined) return Number.POSITIVE_INFINITY;
        if (now >= s.electionDeadline) {
          this.startElection();
          return now;
        }
        return s.electionDeadline;
    }
  }

  /** KafkaRaftClient.pollLeader: check-quorum, and BeginQuorumEpoch to every other voter each half fetch timeout (maybeSendBeginQuorumEpochRequests). */
  private pollLeader(now: number): number {
    const s = this.quorum.state;
    if (s.kind !== 'leader') return now;
    const untilCheckQuorum = this.config.features.checkQuorum ? s.leader.timeUntilCheckQuorumExpires(now) : Number.POSITIVE_INFINITY;
    if (untilCheckQuorum === 0) {
      this.resign(s.leader.nonLeaderVotersByDescendingFetchOffset());
      return now;
    }
    if (now >= s.leader.beginQuorumEpochDue) {
      for (const voter of this.config.voters) this.maybeSend(voter, now, beginQuorumEpoch({ leaderId: this.id, leaderEpoch: s.epoch }));
      s.leader.beginQuorumEpochDue = now + this.config.settings['controller.quorum.fetch.timeout.ms'] / 2;
    }
    return Math.min(now + untilCheckQuorum, s.leader.beginQuorumEpochDue);
  }

  /** KafkaRaftClient.pollResigned: EndQuorumEpoch to the voters, then an election once the timeout passes. */
  private pollResigned(s: ResignedState, now: number): number {
    for (const voter of s.unackedVoters) this.maybeSend(voter, now, endQuorumEpoch({ leaderId: this.id, leaderEpoch: s.epoch, preferredSuccessors: s.preferredSuccessors }));
    if (this.shutdownExit !== undefined) return this.nextRetry(now);
    if (now >= s.electionDeadline) {
      this.startElection();
      return now;
    }
    return Math.min(s.electionDeadline, this.nextRetry(now));
  }

  /** KafkaRaftClient.pollCandidate: votes until won, lost or timed out, then a random backoff and another election. */
  private pollCandidate(s: CandidateState, now: number): number {
    if (s.backoffUntil !== undefined) {
      if (this.shutdownExit !== undefined) return Number.POSITIVE_INFINITY;
      if (now >= s.backoffUntil) {
        this.startElection();
        return now;
      }
      return s.backoffUntil;
    }
    if (now >= s.electionDeadline) {
      s.backoffUntil = this.config.features.preVote ? now : now + this.electionBackoffMs(s.retries);
      return s.backoffUntil;
    }
    if (!this.isVoteRejected(s.election)) this.sendVotes(s.election, s.epoch, false, now);
    return Math.min(s.electionDeadline, this.nextRetry(now));
  }

  /** KIP-996's ProspectiveState: pre-votes until a majority grants, or back to what it was when it loses or times out. */
  private pollProspective(s: ProspectiveState, now: number): number {
    if (now >= s.electionDeadline || this.isVoteRejected(s.election)) {
      if (s.leaderId !== undefined) this.transitionToFollower(s.epoch, s.leaderId);
      else this.transitionToUnattached(s.epoch);
      return now;
    }
    this.sendVotes(s.election, s.epoch, true, now);
    return Math.min(s.electionDeadline, this.nextRetry(now));
  }

  private sendVotes(election: EpochElection, epoch: number, preVote: boolean, now: number): void {
    const last = this.log.endOffsetAndEpoch();
    for (const voter of this.config.voters) {
      if (election.granted.has(voter) || election.rejected.has(voter)) continue;
      this.maybeSend(voter, now, voteRequest({ candidateId: this.id, candidateEpoch: epoch, lastEpoch: last.epoch, lastEpochEndOffset: last.offset, preVote }));
    }
  }

  /** KafkaRaftClient.pollFollowerAsVoter: fetch from the leader; an election when it has been silent for the fetch timeout. */
  private pollFollowerAsVoter(s: FollowerState, now: number): number {
    if (now >= s.fetchDeadline) {
      this.startElection();
      return now;
    }
    this.maybeSendFetchOrFetchSnapshot(s.leaderId, now);
    return Math.min(s.fetchDeadline, this.nextRetry(now));
  }

  /** KafkaRaftClient.maybeSendFetchOrFetchSnapshot: the next chunk of the snapshot being downloaded, else a Fetch. */
  private maybeSendFetchOrFetchSnapshot(leaderId: number, now: number): void {
    const id = this.fetchingSnapshot;
    if (id === undefined) {
      this.maybeSend(leaderId, now, this.buildFetchRequest());
      return;
    }
    const maxBytes = this.config.snapshotChunkBytes ?? MAX_FETCH_SNAPSHOT_BYTES;
    this.maybeSend(leaderId, now, fetchSnapshotRequest({ replicaId: this.id, currentLeaderEpoch: this.quorum.epoch, snapshotId: id, position: this.log.snapshots.partialSize(id), maxBytes }));
  }

  /** KafkaRaftClient.pollFollowerAsObserver: fetch from the leader, or from any voter when it is silent or failing. */
  private pollFollowerAsObserver(s: FollowerState, now: number): number {
    if (now >= s.fetchDeadline || (this.backoffUntil.get(s.leaderId) ?? 0) > now) return Math.min(this.maybeSendAnyVoterFetch(now), Math.max(s.fetchDeadline, now + 1));
    this.maybeSendFetchOrFetchSnapshot(s.leaderId, now);
    return Math.min(s.fetchDeadline, this.nextRetry(now));
  }

  /** KafkaRaftClient.maybeSendAnyVoterFetch: an observer finds the leader by asking a random voter. */
  private maybeSendAnyVoterFetch(now: number): number {
    if (this.inflight.size === 0) {
      const ready = this.config.voters.filter((v) => (this.backoffUntil.get(v) ?? 0) <= now);
      if (ready.length > 0) this.maybeSend(this.backoffRng.pick(ready), now, this.buildFetchRequest());
    }
    return this.nextRetry(now);
  }

  private buildFetchRequest(): RaftFetchRequest {
    return fetchRequest({ replicaId: this.id, currentLeaderEpoch: this.quorum.epoch, fetchOffset: this.log.endOffset, lastFetchedEpoch: this.log.lastEpoch, maxWaitMs: FETCH_MAX_WAIT_MS });
  }

  /** The earliest end of a backoff, when nothing is in flight to wake this member first. */
  private nextRetry(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const until of this.backoffUntil.values()) if (until > now) next = Math.min(next, until);
    return next;
  }

  // ------------------------------------------------------------------ requests

  /** Sends `message` to `to` unless a request to it is in flight or backing off (RequestManager). */
  private maybeSend(to: number, now: number, message: RaftMessage): void {
    if (to === this.id || this.inflight.has(to) || (this.backoffUntil.get(to) ?? 0) > now) return;
    this.inflight.add(to);
    const generation = this.connectionGeneration;
    const timeout = micros(this.config.settings['controller.quorum.request.timeout.ms'] * MICROS_PER_MS);
    this.ctx.request(this.config.hostOf(to), message, { timeout }, (result) => this.onResult(to, generation, result));
  }

  /**
   * A request's end (RequestManager.onResponseResult): a transport failure, or an error
   * response the handler could not act on, backs the destination off
   * controller.quorum.retry.backoff.ms; an answer handled clears the way at once.
   */
  private onResult(from: number, generation: number, result: RpcResult<RaftMessage>): void {
    if (generation === this.connectionGeneration) this.inflight.delete(from);
    const handled = result.ok && this.handleResponse(from, result.response);
    if (!handled && generation === this.connectionGeneration) this.backoffUntil.set(from, this.nowMs() + this.config.settings['controller.quorum.retry.backoff.ms']);
    this.poll();
  }

  /** KafkaRaftClient.handleResponse: whether the response was handled successfully. */
  private handleResponse(from: number, response: RaftMessage): boolean {
    switch (response.type) {
      case 'VoteResponse':
        return this.handleVoteResponse(from, response);
      case 'BeginQuorumEpochResponse':
        return this.handleBeginQuorumEpochResponse(response);
      case 'EndQuorumEpochResponse':
        return this.handleEndQuorumEpochResponse(from, response);
      case 'FetchResponse':
        return this.handleFetchResponse(response);
      case 'FetchSnapshotResponse':
        return this.handleFetchSnapshotResponse(response);
      default:
        throw new Error(`${this.ctx.id}: ${response.type} from ${from} is a request, not a response`);
    }
  }

  // ------------------------------------------------------------------ time

  private nowMs(): number {
    return this.ctx.now() / MICROS_PER_MS;
  }

  private schedulePoll(atMs: number): void {
    if (atMs === this.pollAt && this.pollTimer !== undefined) return;
    if (this.pollTimer !== undefined) this.ctx.cancel(this.pollTimer);
    this.pollTimer = undefined;
    this.pollAt = atMs;
    if (atMs === Number.POSITIVE_INFINITY) return;
    const delay = Math.max(0, Math.ceil((atMs - this.nowMs()) * MICROS_PER_MS));
    this.pollTimer = this.ctx.after(micros(delay), () => {
      this.pollTimer = undefined;
      this.pollAt = Number.POSITIVE_INFINITY;
      this.poll();
    });
  }
}

/** Records a voter's answer once (EpochElection.recordVote). */
function recordVote(election: EpochElection, voter: number, granted: boolean): void {
  if (election.granted.has(voter) || election.rejected.has(voter)) return;
  (granted ? election.granted : election.rejected).add(voter);
}

declare module '../../../sim/trace.js' {
  interface TraceRecordMap {
    /** A quorum member changed state (QuorumState's transitions); leader -1 when unknown. */
    'raft.state': { readonly node: NodeId; readonly state: string; readonly epoch: number; readonly leader: number };
    /** The leader's high watermark moved. */
    'raft.hw': { readonly node: NodeId; readonly epoch: number; readonly hw: number };
    /** A follower appended fetched records [from, to). */
    'raft.append': { readonly node: NodeId; readonly epoch: number; readonly from: number; readonly to: number };
    /** A follower truncated its log from `from` to `to` on a diverging epoch. */
    'raft.truncate': { readonly node: NodeId; readonly from: number; readonly to: number };
    /** KIP-630: a member wrote a snapshot of its state machine, installed one fetched from the leader, or its listener loaded one. */
    'raft.snapshot': { readonly node: NodeId; readonly offset: number; readonly epoch: number; readonly how: 'created' | 'fetched' | 'loaded' };
    /** Cleaning moved a member's log start offset from `from` to `to`, deleting the records and snapshots before it. */
    'raft.log-start': { readonly node: NodeId; readonly from: number; readonly to: number };
    /** A member saw a protocol invariant broken (two leaders in an epoch, a truncation below the high watermark). */
    'raft.violation': { readonly node: NodeId; readonly invariant: RaftInvariantKind; readonly message: string };
  }
}

declareTraceKind('raft.state', ['node', 'state', 'epoch', 'leader']);
declareTraceKind('raft.hw', ['node', 'epoch', 'hw']);
declareTraceKind('raft.append', ['node', 'epoch', 'from', 'to']);
declareTraceKind('raft.truncate', ['node', 'from', 'to']);
declareTraceKind('raft.snapshot', ['node', 'offset', 'epoch', 'how']);
declareTraceKind('raft.log-start', ['node', 'from', 'to']);
declareTraceKind('raft.violation', ['node', 'invariant', 'message']);
