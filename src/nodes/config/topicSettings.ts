import { bool, int, num, oneOf, type SettingValues } from './setting.js';

/** Topic-level settings (Kafka's TopicConfig), by Kafka's names and with Kafka's defaults. */
export const TOPIC_SETTINGS = {
  'retention.ms': int(604_800_000, 'How long a segment is kept after its last record was written; -1 keeps it for ever.', { min: -1, unit: 'ms' }),
  'retention.bytes': int(-1, 'How large a partition may grow before its oldest segments are deleted; -1 for no limit.', { min: -1, unit: 'bytes' }),
  'cleanup.policy': oneOf(['delete', 'compact', 'compact,delete'], 'delete', 'Whether old segments are deleted by retention, compacted to the last record of each key, or both.'),
  'segment.bytes': int(undefined, "A segment's size before a new one is rolled; unset, the broker's log.segment.bytes.", { min: 1, unit: 'bytes' }),
  'internal.segment.bytes': int(undefined, "Kafka 4.x's internal topic config (LogConfig, defineInternal), which its own tests use for segments below segment.bytes' 1 MiB minimum (KIP-1030); set, it overrides segment.bytes. kafkasim's lessons use it to roll small segments fast on any release.", { min: 1, unit: 'bytes' }),
  'segment.ms': int(604_800_000, 'How long a segment stays active before a new one is rolled.', { min: 1, unit: 'ms' }),
  'min.insync.replicas': int(undefined, "This topic's min.insync.replicas; unset, the broker's.", { min: 1, unit: 'replicas' }),
  'unclean.leader.election.enable': bool(undefined, "This topic's unclean.leader.election.enable; unset, the broker's."),
  'min.cleanable.dirty.ratio': num(0.5, 'The share of a log that must be uncompacted before the cleaner compacts it.', { min: 0, max: 1 }),
  'min.compaction.lag.ms': int(0, 'How long a record stays uncompacted after it is written.', { min: 0, unit: 'ms' }),
  'delete.retention.ms': int(86_400_000, 'How long a tombstone is kept after compaction reached it, so consumers can see the delete.', { min: 0, unit: 'ms' }),
  'message.timestamp.type': oneOf(['CreateTime', 'LogAppendTime'], 'CreateTime', "Whether a record keeps the producer's timestamp or gets the broker's at append."),
} as const;

export type TopicSettings = SettingValues<typeof TOPIC_SETTINGS>;
