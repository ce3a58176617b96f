import { changed, defaultsOf, int, type SettingValues } from './setting.js';

/**
 * The KRaft quorum's settings, by Kafka's names and with Kafka's defaults
 * (org.apache.kafka.raft.QuorumConfig). The Raft module (src/nodes/controller/raft) reads
 * them, on the controllers and on the brokers that observe the quorum; a scenario sets them
 * under cluster.config, among the broker settings (brokerSettings.ts spreads them in).
 */
export const QUORUM_SETTINGS = {
  'controller.quorum.election.timeout.ms': int(1_000, 'How long a voter waits without a leader before it starts an election; each wait is drawn between this and twice this (QuorumState.randomElectionTimeoutMs).', { min: 0, unit: 'ms' }),
  'controller.quorum.fetch.timeout.ms': int(2_000, 'A follower that has not fetched from the leader for this long starts an election; a leader that has not heard Fetch from a majority of voters for this long resigns (check-quorum, KAFKA-15489).', { min: 1, unit: 'ms' }),
  'controller.quorum.election.backoff.max.ms': int(1_000, 'The longest a candidate backs off after a lost election before it tries again (binary exponential backoff from controller.quorum.retry.backoff.ms).', { min: 0, unit: 'ms' }),
  'controller.quorum.request.timeout.ms': int(2_000, 'How long a quorum member waits for the answer to a Vote, BeginQuorumEpoch, EndQuorumEpoch or Fetch request.', { min: 1, unit: 'ms' }),
  'controller.quorum.retry.backoff.ms': int(20, 'How long a quorum member waits before it sends a request again after a failed one, and the base of the election backoff.', { min: 0, unit: 'ms' }),
  // KIP-630's snapshots (KRaftConfigs; SnapshotGenerator and KafkaMetadataLog read them), on controllers and brokers alike.
  'metadata.log.max.record.bytes.between.snapshots': int(20 * 1024 * 1024, 'A quorum member writes a snapshot of its committed state once this many bytes of records have committed since its last one (SnapshotGenerator).', { min: 1, unit: 'bytes' }),
  'metadata.log.max.snapshot.interval.ms': changed(
    int(3_600_000, 'A quorum member writes a snapshot once this long has passed since its last one and records have committed since; 0 turns the time-based snapshot off (SnapshotGenerator). Time-based snapshots came with Kafka 3.4 (KIP-876).', { min: 0, unit: 'ms' }),
    [
      ['0.10', 0],
      ['3.4', 3_600_000],
    ],
    'KIP-876',
  ),
  'metadata.max.retention.bytes': changed(
    int(100 * 1024 * 1024, 'Once the metadata log and its snapshots are larger than this, the oldest snapshots are deleted and the log start offset moves up to the next one, deleting the log before it; at least one snapshot stays; -1: no size limit (KafkaMetadataLog.maybeClean). The 100 MiB default came with Kafka 3.4 (KIP-876); before, -1.', { min: -1, unit: 'bytes' }),
    [
      ['0.10', -1],
      ['3.4', 100 * 1024 * 1024],
    ],
    'KIP-876',
  ),
  'metadata.max.retention.ms': int(604_800_000, 'A snapshot older than this (by the time of the last record it contains) is deleted, and the log before the next one with it, keeping at least one snapshot; -1: no time limit (KafkaMetadataLog.maybeClean).', { min: -1, unit: 'ms' }),
};

export type QuorumSettings = SettingValues<typeof QUORUM_SETTINGS>;

/** Every quorum setting at Kafka's default. */
export const QUORUM_SETTING_DEFAULTS: QuorumSettings = defaultsOf(QUORUM_SETTINGS);
