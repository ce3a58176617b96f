import { bool, changed, int, listOf, oneOf, str, type SettingValues } from './setting.js';

/** Settings every Kafka client has (CommonClientConfigs), by Kafka's names and with Kafka's defaults. */
export const COMMON_CLIENT_SETTINGS = {
  'request.timeout.ms': int(30_000, 'How long the client waits for the answer to a request before it fails it (and closes the connection).', { min: 1, unit: 'ms' }),
  'retry.backoff.ms': int(100, 'How long the client waits before retrying a failed request.', { min: 0, unit: 'ms' }),
  'reconnect.backoff.ms': int(50, 'How long the client waits before reconnecting to a broker, at first.', { min: 0, unit: 'ms' }),
  'reconnect.backoff.max.ms': int(1_000, 'The longest reconnect backoff, which doubles with each failed attempt.', { min: 0, unit: 'ms' }),
  'socket.connection.setup.timeout.ms': changed(int(10_000, 'How long the client waits for a connection to a broker to be established before it closes it and backs off (KIP-601, Kafka 2.7); it doubles with each consecutive failed connect, with 20% jitter. Before 2.7 there was none: an attempt lasted until the operating system gave up (127 s on Linux), the value for those releases.', { min: 1, unit: 'ms' }), [['0.10', 127_000], ['2.7', 10_000]], 'KIP-601'),
  'socket.connection.setup.timeout.max.ms': changed(int(30_000, 'The longest connection setup timeout, which socket.connection.setup.timeout.ms doubles to (KIP-601, Kafka 2.7).', { min: 1, unit: 'ms' }), [['0.10', 127_000], ['2.7', 30_000]], 'KIP-601'),
  'metadata.max.age.ms': int(300_000, 'How often the client refreshes its metadata even when nothing failed.', { min: 1, unit: 'ms' }),
} as const;

/** Producer settings (ProducerConfig), by Kafka's names and with Kafka's defaults. */
export const PRODUCER_SETTINGS = {
  acks: changed(oneOf(['0', '1', 'all'], 'all', 'How many replicas must have a write before it is acknowledged: none, the leader, or every in-sync replica (-1 is all).'), [['0.10', '1'], ['3.0', 'all']], 'KIP-679'),
  'enable.idempotence': changed(bool(undefined, 'Whether the producer writes each record once per partition, by producer id and sequence; unset, on unless acks or retries rule it out.'), [['0.10', false], ['3.0', undefined]], 'KIP-679'),
  retries: changed(int(2_147_483_647, 'How often a failed batch is retried before it fails.', { min: 0 }), [['0.10', 0], ['2.1', 2_147_483_647]], 'KIP-91'),
  'delivery.timeout.ms': int(undefined, 'How long a record may take from send() to its outcome, retries included; unset, 120 s, or linger.ms + request.timeout.ms if that is more.', { min: 1, unit: 'ms' }),
  ...COMMON_CLIENT_SETTINGS,
  'retry.backoff.max.ms': int(1_000, 'The longest backoff before a failed batch is retried (KIP-580, Kafka 3.7; see sim.retry.backoff): retry.backoff.ms doubles with each failed attempt up to this, with 20% jitter.', { min: 0, unit: 'ms' }),
  'linger.ms': changed(int(5, 'How long a batch waits for more records before it is sent.', { min: 0, unit: 'ms' }), [['0.10', 0], ['4.0', 5]], 'KIP-1030'),
  'batch.size': int(16_384, "A batch's size in bytes before it is sent without waiting for linger.ms.", { min: 1, unit: 'bytes' }),
  'max.in.flight.requests.per.connection': int(5, 'How many produce requests may wait for their answer on one connection.', { min: 1 }),
  'max.request.size': int(1_048_576, "The largest produce request's size.", { min: 1, unit: 'bytes' }),
  'max.block.ms': int(60_000, "How long send() waits for the topic's metadata before it throws TimeoutException.", { min: 0, unit: 'ms' }),
  'compression.type': oneOf(['none', 'gzip'], 'none', 'How batches are compressed: none or gzip (snappy, lz4 and zstd are not implemented).'),
  partitioner: changed(oneOf(['default', 'sticky', 'round-robin'], 'default', "How keyless records are spread: Kafka's default (KIP-794's built-in sticky), the old sticky partitioner, or round-robin."), [['0.10', 'round-robin'], ['2.4', 'sticky'], ['3.3', 'default']], 'KIP-480, KIP-794'),
  'sim.batch.expiry': changed(oneOf(['delivery-timeout', 'request-timeout'], 'delivery-timeout', "When a batch that waits in the accumulator fails with TimeoutException, and how long a failed batch is retried. `delivery-timeout` (Kafka since 2.1, KIP-91): delivery.timeout.ms after its batch began, retries included. `request-timeout` (before, ProducerBatch.maybeExpire): request.timeout.ms after it lingered, or after it came back for a retry, and only while it waits in the accumulator; a batch that keeps failing is retried while retries last, however long that takes, and delivery.timeout.ms does not exist."), [['0.10', 'request-timeout'], ['2.1', 'delivery-timeout']], 'KIP-91'),
  'sim.retry.backoff': changed(oneOf(['exponential', 'constant'], 'exponential', "How a failed batch's retry backoff grows (RecordAccumulator's retryBackoff): `exponential` (Kafka since 3.7, KIP-580: KAFKA-9800): retry.backoff.ms doubling with each attempt up to retry.backoff.max.ms, with 20% jitter; `constant` (before): retry.backoff.ms every time."), [['0.10', 'constant'], ['3.7', 'exponential']], 'KIP-580 (KAFKA-9800)'),
  'sim.idle.partition.sequences': changed(oneOf(['reset', 'kept'], 'reset', "After a KIP-360 epoch bump, what a partition that did not ask for it does with its sequences (TransactionManager.maybeUpdateProducerIdAndEpoch): `reset` (Kafka since 2.7.1 and 2.8, KAFKA-12152): once its batches in flight are done it starts at 0 in the new epoch; `kept` (2.5 to 2.7.0): only a partition whose last batch in flight was acknowledged starts over (handleCompletedBatch), so an idle one sends the new epoch with its old sequence, is refused OUT_OF_ORDER_SEQUENCE_NUMBER and bumps the epoch again; nothing is lost. Matters only with sim.unknown.producer.id bump-epoch."), [['0.10', 'kept'], ['2.7', 'reset']], 'KAFKA-12152'),
  'sim.unknown.producer.id': changed(oneOf(['bump-epoch', 'reset-sequence'], 'bump-epoch', "What an idempotent producer does when a partition no longer knows it (UNKNOWN_PRODUCER_ID): `bump-epoch`, since KIP-360, bumps its epoch locally and starts the sequences of the partitions that lost it over at 0; `reset-sequence` is a Kafka 2.4 client's heuristic, which restarts the partition's sequence at 0 in the same epoch when the log now starts past its last acknowledged offset, and otherwise fails the batch and takes a new producer id."), [['0.10', 'reset-sequence'], ['2.5', 'bump-epoch']], 'KIP-360'),
} as const;

export type ProducerSettings = SettingValues<typeof PRODUCER_SETTINGS>;

/** Consumer settings (ConsumerConfig), by Kafka's names and with Kafka's defaults. */
export const CONSUMER_SETTINGS = {
  'group.instance.id': str('A static member\u2019s id (KIP-345): a member that restarts with it keeps its assignment without a rebalance.', /^[A-Za-z0-9._-]+$/),
  'auto.offset.reset': oneOf(['earliest', 'latest', 'none'], 'latest', 'Where a member starts in a partition with no committed offset, or one out of range: the log start, the log end, or an error.'),
  'enable.auto.commit': bool(undefined, "Whether the consumer commits the previous poll's positions every auto.commit.interval.ms; unset, on for processing.mode auto-commit, off otherwise (Kafka's default is on)."),
  'auto.commit.interval.ms': int(5_000, 'How often positions are committed with enable.auto.commit.', { min: 1, unit: 'ms' }),
  'fetch.min.bytes': int(1, 'How many bytes a fetch waits for before the broker answers it.', { min: 1, unit: 'bytes' }),
  'fetch.max.wait.ms': int(500, 'How long the broker holds a fetch that has less than fetch.min.bytes to return.', { min: 0, unit: 'ms' }),
  'max.partition.fetch.bytes': int(1_048_576, 'The most bytes a fetch returns per partition.', { min: 1, unit: 'bytes' }),
  'max.poll.records': int(500, 'The most records one poll returns.', { min: 1, unit: 'messages' }),
  'max.poll.interval.ms': int(300_000, 'A member that does not poll again within this long leaves the group.', { min: 1, unit: 'ms' }),
  'session.timeout.ms': changed(int(45_000, 'A member whose heartbeats stop for this long is removed from the group.', { min: 1, unit: 'ms' }), [['0.10', 10_000], ['3.0', 45_000]], 'KIP-735'),
  'heartbeat.interval.ms': int(3_000, 'How often a member heartbeats to its group coordinator.', { min: 1, unit: 'ms' }),
  'partition.assignment.strategy': changed(listOf(['range', 'roundrobin', 'sticky', 'cooperative-sticky'], ['range', 'cooperative-sticky'], 'The assignors the member supports, most preferred first.'), [['0.10', ['range']], ['3.0', ['range', 'cooperative-sticky']]], 'KIP-726'),
  ...COMMON_CLIENT_SETTINGS,
  'sim.consumer.truncation.detection': changed(bool(true, "Whether the consumer's fetches and ListOffsets name the leader epoch it knows and the epoch of what it last consumed (KIP-320, Kafka since 2.3: KAFKA-7440, KAFKA-7747), so a leader change that truncated the log under its position is detected and the position moved back to where the logs agree. Off (before 2.3) nothing is checked: a position past the new log end is reset by auto.offset.reset, and one inside it silently reads the records that replaced the ones it had."), [['0.10', false], ['2.3', true]], 'KIP-320 (KAFKA-7440, KAFKA-7747)'),
  'isolation.level': oneOf(['read_uncommitted', 'read_committed'], 'read_uncommitted', 'Whether a fetch returns records of open and aborted transactions (read_uncommitted) or stops at the last stable offset and skips aborted ones (read_committed).'),
} as const;

export type ConsumerSettings = SettingValues<typeof CONSUMER_SETTINGS>;

/** What a transactional processor adds to its consumer's settings. */
export const PROCESSOR_SETTINGS = {
  'transaction.timeout.ms': int(60_000, 'How long a transaction may stay open before the coordinator aborts it.', { min: 1, unit: 'ms' }),
  'delivery.timeout.ms': int(120_000, "How long the processor's producer gives a record before it fails it.", { min: 1, unit: 'ms' }),
} as const;

export type ProcessorSettings = SettingValues<typeof PROCESSOR_SETTINGS>;
