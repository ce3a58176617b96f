import type { SendRef } from '../../sim/sendLog.js';
import type { BatchBuilder, ClosedBatch } from '../../log/batchBuilder.js';
import type { RpcError } from '../../network/nodeHost.js';
import type { KafkaErrorCode } from '../errors.js';

/**
 * Kafka's ProducerBatch: one partition's records on their way, from the accumulator that
 * fills it, through the Sender's attempts, to its outcome; with the sequence the
 * TransactionManager gave it.
 */
export interface ProducerBatch {
  readonly partition: number;
  /** Its sends' rows in the history, in record order. */
  readonly refs: SendRef[];
  /** Filling: records are encoded into the partition's scratch buffer as they come. */
  builder: BatchBuilder | undefined;
  /** Once it takes no more records: the encoded records, stamped with a header when sent. */
  closed: ClosedBatch | undefined;
  /** Its size as the accumulator reckons it, to hold it to batch.size (see append). */
  estimatedBytes: number;
  createdMs: number;
  /** Local time it was started, for linger.ms. */
  createdAt: number;
  /** Local time it came back to the accumulator for a retry (before KIP-91 its expiry counts from there). */
  requeuedAt?: number;
  /** Set on first send; idempotent retries keep it, unless the epoch was bumped meanwhile. */
  baseSequence: number | undefined;
  /** The producer id and epoch its sequence belongs to. */
  sequenceProducerId: number;
  sequenceEpoch: number;
  /** Its sequence was started over at 0 in the same epoch (a client before KIP-360, TransactionManager.startSequencesAtBeginning). */
  sequenceReset?: boolean;
  attempts: number;
  /** The broker its last attempt went to: the answer to that Produce request is handled for it (Sender.onProduceAnswer). */
  sentTo?: number;
  /** Some attempt ended without knowing whether it was written. */
  uncertain: boolean;
  /** Drained once: it takes no more records (Kafka closes a batch when the sender drains it). */
  sealed: boolean;
  /** An attempt timed out, so a copy of it may still reach the broker later. */
  mayStillArrive?: boolean;
}

/** Errors a Kafka producer retries (RetriableException). */
export const RETRIABLE: ReadonlySet<KafkaErrorCode | RpcError> = new Set<KafkaErrorCode | RpcError>(['NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT', 'UNKNOWN_TOPIC_OR_PARTITION', 'timeout', 'disconnected', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID']);

/**
 * Answers that leave the producer not knowing whether the attempt was written: no answer
 * (the request timed out or its connection broke), or an error an acks=all leader gives
 * after it appended, while the batch waited to be replicated. Kafka's DelayedProduce
 * .tryComplete completes a waiting partition with REQUEST_TIMED_OUT on expiry, with
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas
 * (Partition.checkEnoughReplicasReachOffset), with NOT_LEADER_OR_FOLLOWER when the broker
 * stopped leading it (case B: leaderLogIfLocal is None; the records may survive on the new
 * leader), and with whatever ReplicaManager.getPartitionOrError says once the replica is
 * gone (case A: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, KAFKA_STORAGE_ERROR).
 * The client cannot tell these from the same codes given before an append, so after any
 * of them the send is indeterminate.
 */
export const UNKNOWN_OUTCOME: ReadonlySet<KafkaErrorCode | RpcError> = new Set<KafkaErrorCode | RpcError>(['REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_TOPIC_OR_PARTITION', 'KAFKA_STORAGE_ERROR', 'timeout', 'disconnected']);
