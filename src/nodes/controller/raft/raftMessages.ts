/**
 * The KRaft quorum's RPCs as one discriminated union, after Kafka's VoteRequest/Response
 * (with KIP-996's PreVote flag), BeginQuorumEpoch, EndQuorumEpoch and Fetch as
 * KafkaRaftClient sends them (clients/src/main/resources/common/message/*.json). Errors in
 * a response are Kafka's error codes (Errors.java); a request that got no answer is the
 * transport's RpcError (network/nodeHost.ts), kept apart.
 */
import type { KafkaErrorCode } from '../../errors.js';

/**
 * The errors KafkaRaftClient answers quorum requests with (validateVoterOnlyRequest,
 * validateLeaderOnlyRequest; handleFetchSnapshotRequest's SNAPSHOT_NOT_FOUND and
 * POSITION_OUT_OF_RANGE).
 */
export type RaftErrorCode = Extract<KafkaErrorCode, 'FENCED_LEADER_EPOCH' | 'NOT_LEADER_OR_FOLLOWER' | 'UNKNOWN_LEADER_EPOCH' | 'INVALID_REQUEST' | 'SNAPSHOT_NOT_FOUND' | 'POSITION_OUT_OF_RANGE'>;

/** One entry of the replicated log: a data record, or the LeaderChange control record a new leader writes first (KafkaRaftClient.onBecomeLeader). */
export interface RaftRecord {
  readonly offset: number;
  /** The leader epoch it was appended in. */
  readonly epoch: number;
  readonly kind: 'data' | 'leader-change';
  /** The record's value (for a LeaderChange record, the new leader's id). */
  readonly data: string;
}

/** An (end offset, epoch) pair: Kafka's OffsetAndEpoch. */
export interface OffsetAndEpoch {
  readonly offset: number;
  readonly epoch: number;
}

export interface VoteRequest {
  readonly type: 'Vote';
  readonly bytes: number;
  readonly candidateId: number;
  /** A candidate's bumped epoch; for a pre-vote, the sender's current epoch (KIP-996 ReplicaEpoch). */
  readonly candidateEpoch: number;
  readonly lastEpoch: number;
  readonly lastEpochEndOffset: number;
  /** KIP-996: asks whether the voter would grant a vote, without anyone changing epoch. */
  readonly preVote: boolean;
}

export interface VoteResponse {
  readonly type: 'VoteResponse';
  readonly bytes: number;
  readonly error: RaftErrorCode | undefined;
  readonly leaderId: number | undefined;
  readonly leaderEpoch: number;
  readonly voteGranted: boolean;
  readonly preVote: boolean;
}

export interface BeginQuorumEpochRequest {
  readonly type: 'BeginQuorumEpoch';
  readonly bytes: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface EndQuorumEpochRequest {
  readonly type: 'EndQuorumEpoch';
  readonly bytes: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** Voters by descending fetch offset: the first may start an election at once (KafkaRaftClient.endEpochElectionBackoff). */
  readonly preferredSuccessors: readonly number[];
}

/** The answer to BeginQuorumEpoch and EndQuorumEpoch: an error, and the responder's view of the leader. */
export interface QuorumEpochResponse {
  readonly type: 'BeginQuorumEpochResponse' | 'EndQuorumEpochResponse';
  readonly bytes: number;
  readonly error: RaftErrorCode | undefined;
  readonly leaderId: number | undefined;
  readonly leaderEpoch: number;
}

export interface RaftFetchRequest {
  readonly type: 'Fetch';
  readonly bytes: number;
  readonly replicaId: number;
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
  readonly maxWaitMs: number;
}

export interface RaftFetchResponse {
  readonly type: 'FetchResponse';
  readonly bytes: number;
  readonly error: RaftErrorCode | undefined;
  readonly leaderId: number | undefined;
  readonly leaderEpoch: number;
  /** The leader's high watermark, or -1 when it has none yet. */
  readonly highWatermark: number;
  readonly records: readonly RaftRecord[];
  /** Set when the fetch offset and last fetched epoch do not match the leader's log: truncate to it and fetch again. */
  readonly divergingEpoch: OffsetAndEpoch | undefined;
  /** KIP-630: set when the fetch offset is below the leader's log start: fetch this snapshot (FetchResponse's SnapshotId). */
  readonly snapshotId?: OffsetAndEpoch;
}

/** KIP-630's FetchSnapshot: `maxBytes` of snapshot `snapshotId`'s file from `position`. */
export interface FetchSnapshotRequest {
  readonly type: 'FetchSnapshot';
  readonly bytes: number;
  readonly replicaId: number;
  readonly currentLeaderEpoch: number;
  readonly snapshotId: OffsetAndEpoch;
  readonly position: number;
  readonly maxBytes: number;
}

export interface FetchSnapshotResponse {
  readonly type: 'FetchSnapshotResponse';
  readonly bytes: number;
  readonly error: RaftErrorCode | undefined;
  readonly leaderId: number | undefined;
  readonly leaderEpoch: number;
  readonly snapshotId: OffsetAndEpoch | undefined;
  /** The whole snapshot's size. */
  readonly size: number;
  readonly position: number;
  /** The file's bytes from `position` (UnalignedRecords: not cut at record boundaries). */
  readonly chunk: Uint8Array;
}

export type RaftMessage =
  | VoteRequest
  | VoteResponse
  | BeginQuorumEpochRequest
  | EndQuorumEpochRequest
  | QuorumEpochResponse
  | RaftFetchRequest
  | RaftFetchResponse
  | FetchSnapshotRequest
  | FetchSnapshotResponse;

/** Header bytes of every quorum message (an estimate, as in nodes/protocol.ts). */
const HEADER_BYTES = 64;
/** Per record: offset, epoch, lengths, CRC. */
const RECORD_OVERHEAD = 24;

/** A record's size in a batch, as fetches and the snapshot generator count it. */
export function recordBytes(r: RaftRecord): number {
  return RECORD_OVERHEAD + r.data.length;
}

type Body<T> = Omit<T, 'type' | 'bytes'>;

export function voteRequest(body: Body<VoteRequest>): VoteRequest {
  return { type: 'Vote', bytes: HEADER_BYTES, ...body };
}

export function voteResponse(body: Body<VoteResponse>): VoteResponse {
  return { type: 'VoteResponse', bytes: HEADER_BYTES, ...body };
}

export function beginQuorumEpoch(body: Body<BeginQuorumEpochRequest>): BeginQuorumEpochRequest {
  return { type: 'BeginQuorumEpoch', bytes: HEADER_BYTES, ...body };
}

export function endQuorumEpoch(body: Body<EndQuorumEpochRequest>): EndQuorumEpochRequest {
  return { type: 'EndQuorumEpoch', bytes: HEADER_BYTES + 4 * body.preferredSuccessors.length, ...body };
}

export function quorumEpochResponse(type: QuorumEpochResponse['type'], body: Body<QuorumEpochResponse>): QuorumEpochResponse {
  return { type, bytes: HEADER_BYTES, ...body };
}

export function fetchRequest(body: Body<RaftFetchRequest>): RaftFetchRequest {
  return { type: 'Fetch', bytes: HEADER_BYTES, ...body };
}

export function fetchResponse(body: Body<RaftFetchResponse>): RaftFetchResponse {
  let bytes = HEADER_BYTES;
  for (const r of body.records) bytes += recordBytes(r);
  return { type: 'FetchResponse', bytes, ...body };
}

export function fetchSnapshotRequest(body: Body<FetchSnapshotRequest>): FetchSnapshotRequest {
  return { type: 'FetchSnapshot', bytes: HEADER_BYTES, ...body };
}

export function fetchSnapshotResponse(body: Body<FetchSnapshotResponse>): FetchSnapshotResponse {
  return { type: 'FetchSnapshotResponse', bytes: HEADER_BYTES + body.chunk.length, ...body };
}
