/**
 * The Kafka error codes kafkasim's brokers, controller and coordinators answer with: Kafka's
 * own names and numbers (org.apache.kafka.common.protocol.Errors). A request that ends
 * without an answer is not among them: that is a transport failure (`RpcError`: 'timeout',
 * 'disconnected'), which the network reports and a client must tell apart, since a timed-out
 * request may still have been processed.
 */
export const KAFKA_ERRORS = {
  UNKNOWN_SERVER_ERROR: -1,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  STALE_BROKER_EPOCH: 77,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  PRODUCER_FENCED: 90,
  INVALID_UPDATE_VERSION: 95,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INELIGIBLE_REPLICA: 107,
} as const;

/** One of Kafka's error codes, by its name in Errors.java. */
export type KafkaErrorCode = keyof typeof KAFKA_ERRORS;

/** Whether `name` is one of Kafka's error codes (and not a transport failure or anything else). */
export function isKafkaErrorCode(name: string): name is KafkaErrorCode {
  return Object.hasOwn(KAFKA_ERRORS, name);
}

/**
 * Exceptions Kafka's clients raise themselves, named by their Java class: no broker answers
 * with them, so they are not Kafka error codes. A batch that outlived delivery.timeout.ms
 * or max.block.ms (org.apache.kafka.common.errors.TimeoutException); a consumer with no
 * committed offset and auto.offset.reset=none (NoOffsetForPartitionException); a consumer
 * whose position is past a truncated log, with no reset policy (LogTruncationException); an
 * offset commit refused because the member's generation moved on (CommitFailedException).
 */
export type ClientException = 'TimeoutException' | 'NoOffsetForPartitionException' | 'LogTruncationException' | 'CommitFailedException';
