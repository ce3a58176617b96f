import type { RpcError, RpcResult } from '../network/nodeHost.js';
import type { RaftMessage } from './controller/raft/raftMessages.js';
import type { KafkaErrorCode } from './errors.js';

/**
 * The messages nodes exchange, named after Kafka's ApiKeys. Each carries its size on the
 * wire (`bytes`): a fixed estimate for headers plus the record bytes it carries, which is
 * what the network's bandwidth model charges for.
 */

const HEADER_BYTES = 64;

// ------------------------------------------------------------------ controller APIs

export interface BrokerRegistrationRequest {
  readonly type: 'BrokerRegistration';
  readonly bytes: number;
  readonly brokerId: number;
  readonly incarnation: number;
  readonly rack: string | undefined;
}

export interface BrokerRegistrationResponse {
  readonly type: 'BrokerRegistrationResponse';
  readonly bytes: number;
  /** NOT_CONTROLLER from a controller that is not the active one (QuorumController's NotControllerException). */
  readonly error?: 'DUPLICATE_BROKER_REGISTRATION' | 'NOT_CONTROLLER';
  /** The offset of the registration record in the metadata log: KRaft's broker epoch. */
  readonly brokerEpoch?: number;
}

/** KRaft brokers heartbeat and fetch the metadata log; here the heartbeat carries both. */
export interface BrokerHeartbeatRequest {
  readonly type: 'BrokerHeartbeat';
  readonly bytes: number;
  readonly brokerId: number;
  readonly incarnation: number;
  /** How many metadata records the broker has applied. */
  readonly metadataOffset: number;
  /** The broker is in PENDING_CONTROLLED_SHUTDOWN (BrokerLifecycleManager): move my leaderships away. */
  readonly wantShutDown?: boolean;
}

export interface BrokerHeartbeatResponse {
  readonly type: 'BrokerHeartbeatResponse';
  readonly bytes: number;
  readonly error?: 'STALE_BROKER_EPOCH' | 'BROKER_ID_NOT_REGISTERED' | 'NOT_CONTROLLER';
  readonly fenced: boolean;
  /** The controller lets a broker in controlled shutdown stop: it leads nothing, and every active broker knows it. */
  readonly shouldShutDown?: boolean;
}

/**
 * A KRaft quorum RPC or its answer (Vote, BeginQuorumEpoch, EndQuorumEpoch, and the Fetch of
 * `__cluster_metadata` that voters and observing brokers send the quorum's leader): Kafka's
 * KafkaNetworkChannel sends them as ordinary requests on the controller listener. They
 * travel wrapped here, since the quorum's Fetch is not the brokers' Fetch of a partition.
 */
export interface RaftEnvelope {
  readonly type: 'Raft';
  readonly bytes: number;
  readonly body: RaftMessage;
}

/** A quorum message, wrapped: its size is the quorum message's. */
export function raftEnvelope(body: RaftMessage): RaftEnvelope {
  return { type: 'Raft', bytes: body.bytes, body };
}

export interface AlterPartitionRequest {
  readonly type: 'AlterPartition';
  readonly bytes: number;
  readonly brokerId: number;
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
  /**
   * AlterPartition v3's newIsrWithEpochs (KIP-903): each member with the broker epoch the
   * leader last saw in its fetches (-1: not known, not checked). Absent before 3.5.
   */
  readonly newIsrWithEpochs?: readonly IsrMember[];
}

/** AlterPartitionRequest's BrokerState: an ISR member named by its broker epoch. */
export interface IsrMember {
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

export interface AlterPartitionResponse {
  readonly type: 'AlterPartitionResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  /** On success, the partition as committed: the leader adopts it at once (Kafka's handleAlterPartitionUpdate). */
  readonly isr?: readonly number[];
  readonly leaderEpoch?: number;
  readonly partitionEpoch?: number;
}

// ------------------------------------------------------------------ client and replica APIs

export interface MetadataRequest {
  readonly type: 'Metadata';
  readonly bytes: number;
  readonly topics: readonly string[];
}

export interface PartitionMetadata {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface MetadataResponse {
  readonly type: 'MetadataResponse';
  readonly bytes: number;
  readonly brokers: readonly number[];
  readonly partitions: readonly PartitionMetadata[];
}

/** One partition's records in a Produce request. */
export interface ProducePartitionData {
  readonly partition: number;
  readonly records: Buffer;
}

/**
 * A Produce request carries a batch for each of several partitions the receiving broker
 * leads: Kafka's Sender sends one request per broker with at most one batch per partition
 * (RecordAccumulator.drain), and the broker answers once for all of them.
 */
export interface ProduceRequest {
  readonly type: 'Produce';
  readonly bytes: number;
  readonly acks: '0' | '1' | 'all';
  readonly timeoutMs: number;
  readonly topic: string;
  readonly partitions: readonly ProducePartitionData[];
  /** A transactional producer's transactional.id (KIP-890: the leader may verify the write with its coordinator). */
  readonly transactionalId?: string;
}

/** One partition's outcome in a Produce response. */
export interface ProducePartitionResponse {
  readonly partition: number;
  readonly error?: KafkaErrorCode;
  readonly baseOffset: number;
  /** The partition's log start offset (ProduceResponse v5+), given with a refusal: a client before KIP-360 reads it. */
  readonly logStartOffset?: number;
}

export interface ProduceResponse {
  readonly type: 'ProduceResponse';
  readonly bytes: number;
  /** In the order of the request's partitions. */
  readonly responses: readonly ProducePartitionResponse[];
}

const NO_ANSWER_FOR_PARTITION: ProducePartitionResponse = { partition: -1, error: 'UNKNOWN_SERVER_ERROR', baseOffset: -1 };

/** One partition's outcome as a producer sees it: a Kafka error from the leader, or a transport failure of the whole request. */
export interface ProduceOutcome {
  readonly error?: KafkaErrorCode | RpcError;
  readonly baseOffset: number;
  readonly logStartOffset?: number;
}

/** What a Produce exchange says of one of its partitions: the base offset, or why not (a failed exchange fails every partition alike). */
export function produceOutcome(r: RpcResult<KafkaMessage>, partition: number): ProduceOutcome {
  if (!r.ok) return { error: r.error, baseOffset: -1 };
  if (r.response.type !== 'ProduceResponse') return NO_ANSWER_FOR_PARTITION;
  for (const p of r.response.responses) if (p.partition === partition) return p;
  return NO_ANSWER_FOR_PARTITION;
}

/** One partition of a Fetch request: where to read from, and the epochs to check (KIP-320). */
export interface FetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
  readonly currentLeaderEpoch: number;
  /** At most this many bytes of the partition, or its first batch if larger (a consumer's max.partition.fetch.bytes; followers use the leader's replica.fetch.max.bytes). */
  readonly partitionMaxBytes?: number;
}

/**
 * A Fetch request reads several partitions from their leader: a follower's replica fetcher
 * asks for every partition it follows on that leader in one request (Kafka's
 * AbstractFetcherThread), and the leader holds it until any of them has records.
 */
export interface FetchRequest {
  readonly type: 'Fetch';
  readonly bytes: number;
  /** The fetching broker's id; -1 for a consumer. */
  readonly replicaId: number;
  /** Fetch v15's ReplicaState.ReplicaEpoch: the fetching broker's epoch (KIP-903); -1 or absent: not checked. */
  readonly replicaEpoch?: number;
  readonly partitions: readonly FetchPartition[];
  /** A consumer's fetch.max.wait.ms: how long the leader may hold the fetch while it has too little to send. */
  readonly maxWaitMs?: number;
  /** A consumer's fetch.min.bytes: the leader holds the fetch until it can send this much (default 1: anything). */
  readonly minBytes?: number;
  /** A consumer's isolation.level: read_committed reads only below the last stable offset. */
  readonly isolationLevel?: 'read_uncommitted' | 'read_committed';
}

/** One partition of a Fetch response. */
export interface FetchPartitionResponse {
  readonly topic: string;
  readonly partition: number;
  readonly error?: KafkaErrorCode;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: Buffer;
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
  /** For read_committed: the last stable offset, and the aborted transactions in the range read. */
  readonly lastStableOffset?: number;
  readonly abortedTransactions?: readonly { readonly producerId: number; readonly firstOffset: number }[];
}

export interface FetchResponse {
  readonly type: 'FetchResponse';
  readonly bytes: number;
  /** In the order of the request's partitions. */
  readonly responses: readonly FetchPartitionResponse[];
}

export interface InitProducerIdRequest {
  readonly type: 'InitProducerId';
  readonly bytes: number;
  /** KIP-360: an idempotent producer that knows its id and epoch asks for the epoch to be bumped. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  /** A transactional producer's transactional.id: the request goes to its transaction coordinator. */
  readonly transactionalId?: string;
  readonly transactionTimeoutMs?: number;
}

export interface InitProducerIdResponse {
  readonly type: 'InitProducerIdResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
}

// ------------------------------------------------------------------ consumer APIs

/** ListOffsets for one partition: the earliest (-2) or latest (-1) offset (Kafka's ListOffsetsRequest). */
export interface ListOffsetsRequest {
  readonly type: 'ListOffsets';
  readonly bytes: number;
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: -1 | -2;
  readonly currentLeaderEpoch: number;
  readonly isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** Set by a follower replica: the latest offset is then the log end offset. */
  readonly replicaId?: number;
}

export interface ListOffsetsResponse {
  readonly type: 'ListOffsetsResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  readonly offset: number;
  readonly leaderEpoch: number;
}

export interface FindCoordinatorRequest {
  readonly type: 'FindCoordinator';
  readonly bytes: number;
  readonly keyType: 'group' | 'transaction';
  readonly key: string;
}

export interface FindCoordinatorResponse {
  readonly type: 'FindCoordinatorResponse';
  readonly bytes: number;
  readonly error?: 'COORDINATOR_NOT_AVAILABLE';
  readonly nodeId: number;
}

/** The member's identity in a group request; groupInstanceId for static members (KIP-345). */
interface GroupMemberFields {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId?: string;
}

export interface JoinGroupRequest extends GroupMemberFields {
  readonly type: 'JoinGroup';
  readonly bytes: number;
  readonly clientId: string;
  readonly protocolType: string;
  readonly protocols: readonly { readonly name: string; readonly metadata: Uint8Array }[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

export interface JoinGroupResponse {
  readonly type: 'JoinGroupResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocol?: string;
  readonly leaderId?: string;
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId?: string; readonly metadata: Uint8Array }[];
}

export interface SyncGroupRequest extends GroupMemberFields {
  readonly type: 'SyncGroup';
  readonly bytes: number;
  readonly generationId: number;
  /** From the leader only: each member's assignment. */
  readonly assignments?: readonly { readonly memberId: string; readonly assignment: Uint8Array }[];
}

export interface SyncGroupResponse {
  readonly type: 'SyncGroupResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  readonly assignment: Uint8Array;
}

export interface HeartbeatRequest extends GroupMemberFields {
  readonly type: 'Heartbeat';
  readonly bytes: number;
  readonly generationId: number;
}

export interface HeartbeatResponse {
  readonly type: 'HeartbeatResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
}

export interface LeaveGroupRequest extends GroupMemberFields {
  readonly type: 'LeaveGroup';
  readonly bytes: number;
}

export interface LeaveGroupResponse {
  readonly type: 'LeaveGroupResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
}

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1 in an OffsetFetch answer: nothing committed. */
  readonly offset: number;
  readonly leaderEpoch: number;
}

export interface OffsetCommitRequest extends GroupMemberFields {
  readonly type: 'OffsetCommit';
  readonly bytes: number;
  /** -1 for a commit from outside the group (a standalone consumer or an admin tool). */
  readonly generationId: number;
  readonly offsets: readonly PartitionOffset[];
}

export interface OffsetCommitResponse {
  readonly type: 'OffsetCommitResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
}

export interface OffsetFetchRequest {
  readonly type: 'OffsetFetch';
  readonly bytes: number;
  readonly groupId: string;
  /** KIP-447: a read_committed consumer asks for stable offsets (UNSTABLE_OFFSET_COMMIT while a transaction has some pending). */
  readonly requireStable?: boolean;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

export interface OffsetFetchResponse {
  readonly type: 'OffsetFetchResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  readonly offsets: readonly PartitionOffset[];
}

// ------------------------------------------------------------------ transaction APIs (KIP-98, KIP-447, KIP-890)

/** The producer's identity in a transaction request. */
interface TxnProducerFields {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface AddPartitionsToTxnRequest extends TxnProducerFields {
  readonly type: 'AddPartitionsToTxn';
  readonly bytes: number;
  /** "topic-partition" names. */
  readonly partitions: readonly string[];
  /** KIP-890: a partition leader asks only whether the partitions are in the ongoing transaction. */
  readonly verifyOnly?: boolean;
}

export interface AddOffsetsToTxnRequest extends TxnProducerFields {
  readonly type: 'AddOffsetsToTxn';
  readonly bytes: number;
  readonly groupId: string;
}

export interface EndTxnRequest extends TxnProducerFields {
  readonly type: 'EndTxn';
  readonly bytes: number;
  readonly commit: boolean;
}

/** The answer to AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. */
export interface TxnResponse {
  readonly type: 'TxnResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
  /** KIP-890 part 2: an EndTxn answer carries the producer's next epoch. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
}

export interface WriteTxnMarkersRequest {
  readonly type: 'WriteTxnMarkers';
  readonly bytes: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  readonly partitions: readonly string[];
}

export interface WriteTxnMarkersResponse {
  readonly type: 'WriteTxnMarkersResponse';
  readonly bytes: number;
  /** The partitions whose marker was not written, with why. */
  readonly errors: readonly { readonly partition: string; readonly error: KafkaErrorCode }[];
}

export interface TxnOffsetCommitRequest extends TxnProducerFields {
  readonly type: 'TxnOffsetCommit';
  readonly bytes: number;
  readonly groupId: string;
  /** KIP-447: the consumer's group metadata, so a stale member's offsets are refused. */
  readonly memberId: string;
  readonly generationId: number;
  readonly groupInstanceId?: string;
  readonly offsets: readonly PartitionOffset[];
}

export interface TxnOffsetCommitResponse {
  readonly type: 'TxnOffsetCommitResponse';
  readonly bytes: number;
  readonly error?: KafkaErrorCode;
}

/**
 * A broker's answer to a request it does not serve on its listener (a response, a
 * controller-only request): Kafka's INVALID_REQUEST (error code 42), at once, rather than
 * silence that leaves the client waiting for its timeout.
 */
export interface ErrorResponse {
  readonly type: 'ErrorResponse';
  readonly bytes: number;
  /** The type of the request answered. */
  readonly requestType: string;
  readonly error: 'INVALID_REQUEST';
}

export type KafkaMessage =
  | BrokerRegistrationRequest
  | BrokerRegistrationResponse
  | BrokerHeartbeatRequest
  | BrokerHeartbeatResponse
  | RaftEnvelope
  | AlterPartitionRequest
  | AlterPartitionResponse
  | MetadataRequest
  | MetadataResponse
  | ProduceRequest
  | ProduceResponse
  | FetchRequest
  | FetchResponse
  | InitProducerIdRequest
  | InitProducerIdResponse
  | ListOffsetsRequest
  | ListOffsetsResponse
  | FindCoordinatorRequest
  | FindCoordinatorResponse
  | JoinGroupRequest
  | JoinGroupResponse
  | SyncGroupRequest
  | SyncGroupResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | LeaveGroupRequest
  | LeaveGroupResponse
  | OffsetCommitRequest
  | OffsetCommitResponse
  | OffsetFetchRequest
  | OffsetFetchResponse
  | AddPartitionsToTxnRequest
  | AddOffsetsToTxnRequest
  | EndTxnRequest
  | TxnResponse
  | WriteTxnMarkersRequest
  | WriteTxnMarkersResponse
  | TxnOffsetCommitRequest
  | TxnOffsetCommitResponse
  | ErrorResponse;

type Body<T> = Omit<T, 'type' | 'bytes'>;

/** Builds a message with its size: the header estimate plus any records it carries. */
export function message<T extends KafkaMessage>(type: T['type'], body: Body<T>): T {
  return { type, bytes: HEADER_BYTES + payloadBytes(type, body), ...body } as T;
}

/**
 * A Produce request, as message('Produce', body) builds it (the same fields in the same
 * order) without the body object it copies: the producer's Sender sends one per drain.
 */
export function produceRequest(acks: ProduceRequest['acks'], timeoutMs: number, topic: string, partitions: readonly ProducePartitionData[]): ProduceRequest {
  let bytes = HEADER_BYTES;
  for (let i = 0; i < partitions.length; i++) bytes += PARTITION_BYTES + partitions[i].records.length;
  return { type: 'Produce', bytes, acks, timeoutMs, topic, partitions };
}

/** Bytes per partition in a multi-partition request or response: its index, error code, offsets and the like. */
const PARTITION_BYTES = 16;

/** The records a message carries, directly or in its partitions' data. */
function payloadBytes(type: KafkaMessage['type'], body: object): number {
  if (type === 'Produce') {
    let n = 0;
    for (const p of (body as Body<ProduceRequest>).partitions) n += PARTITION_BYTES + p.records.length;
    return n;
  }
  if (type === 'ProduceResponse') return PARTITION_BYTES * (body as Body<ProduceResponse>).responses.length;
  if (type === 'Fetch') return PARTITION_BYTES * (body as Body<FetchRequest>).partitions.length;
  if (type === 'FetchResponse') {
    let n = 0;
    for (const p of (body as Body<FetchResponse>).responses) n += PARTITION_BYTES + p.records.length;
    return n;
  }
  const records = (body as { records?: unknown }).records;
  return Buffer.isBuffer(records) ? records.length : Array.isArray(records) ? records.length * 48 : 0;
}

export { partitionName, splitPartitionName } from '../log/topicPartition.js';

export { CONTROLLER_NODE, brokerIdOf, brokerNode } from './nodeId.js';
