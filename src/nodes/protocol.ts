import type { MetadataRecord } from './controller/metadataRecords.js';

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
  readonly error?: 'DUPLICATE_BROKER_REGISTRATION';
}

/** KRaft brokers heartbeat and fetch the metadata log; here the heartbeat carries both. */
export interface BrokerHeartbeatRequest {
  readonly type: 'BrokerHeartbeat';
  readonly bytes: number;
  readonly brokerId: number;
  readonly incarnation: number;
  /** How many metadata records the broker has applied. */
  readonly metadataOffset: number;
}

export interface BrokerHeartbeatResponse {
  readonly type: 'BrokerHeartbeatResponse';
  readonly bytes: number;
  readonly error?: 'STALE_BROKER_EPOCH' | 'BROKER_ID_NOT_REGISTERED';
  readonly fenced: boolean;
  /** Metadata records from the broker's offset on. */
  readonly records: readonly MetadataRecord[];
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
}

export interface AlterPartitionResponse {
  readonly type: 'AlterPartitionResponse';
  readonly bytes: number;
  readonly error?: string;
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

export interface ProduceRequest {
  readonly type: 'Produce';
  readonly bytes: number;
  readonly acks: '0' | '1' | 'all';
  readonly timeoutMs: number;
  readonly topic: string;
  readonly partition: number;
  readonly records: Buffer;
}

export interface ProduceResponse {
  readonly type: 'ProduceResponse';
  readonly bytes: number;
  readonly error?: string;
  readonly baseOffset: number;
}

export interface FetchRequest {
  readonly type: 'Fetch';
  readonly bytes: number;
  /** The fetching broker's id; -1 for a consumer. */
  readonly replicaId: number;
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
  readonly currentLeaderEpoch: number;
}

export interface FetchResponse {
  readonly type: 'FetchResponse';
  readonly bytes: number;
  readonly error?: string;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: Buffer;
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
}

export interface InitProducerIdRequest {
  readonly type: 'InitProducerId';
  readonly bytes: number;
  /** KIP-360: an idempotent producer that knows its id and epoch asks for the epoch to be bumped. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
}

export interface InitProducerIdResponse {
  readonly type: 'InitProducerIdResponse';
  readonly bytes: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export type KafkaMessage =
  | BrokerRegistrationRequest
  | BrokerRegistrationResponse
  | BrokerHeartbeatRequest
  | BrokerHeartbeatResponse
  | AlterPartitionRequest
  | AlterPartitionResponse
  | MetadataRequest
  | MetadataResponse
  | ProduceRequest
  | ProduceResponse
  | FetchRequest
  | FetchResponse
  | InitProducerIdRequest
  | InitProducerIdResponse;

type Body<T> = Omit<T, 'type' | 'bytes'>;

/** Builds a message with its size: the header estimate plus any records it carries. */
export function message<T extends KafkaMessage>(type: T['type'], body: Body<T>): T {
  const records = (body as { records?: unknown }).records;
  const payload = Buffer.isBuffer(records) ? records.length : Array.isArray(records) ? records.length * 48 : 0;
  return { type, bytes: HEADER_BYTES + payload, ...body } as T;
}

/** Node ids on the network: `controller-1`, `broker-3`. */
export function brokerNode(id: number): string {
  return `broker-${id}`;
}

export const CONTROLLER_NODE = 'controller-1';

export function brokerIdOf(node: string): number | undefined {
  const m = /^broker-(\d+)$/.exec(node);
  return m === null ? undefined : Number(m[1]);
}
