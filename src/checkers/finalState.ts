/**
 * What the post-run checkers read besides the history: the partitions' logs as they stood
 * after the drain. The cluster layer builds it from the brokers' logs; the checkers never
 * see a broker.
 */

import type { LogIds } from './logIds.js';

/** A message id, "producer#sequence": the workload stamps one into every record it sends. */
export type MessageId = string;

export interface LoggedRecord {
  readonly offset: number;
  /** The message id the record carries, if it carries one (markers and foreign records do not). */
  readonly id: MessageId | undefined;
  /** The leader epoch of the batch that holds it. */
  readonly epoch: number;
  /**
   * For transactions: a control marker, a record of an aborted transaction, or one of a
   * transaction still open (past the last stable offset). None of these is committed data.
   */
  readonly txn?: 'control' | 'aborted' | 'open';
}

/** A transactional batch of a partition's log, with how its transaction ended. */
export interface TxnBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly control: boolean;
  /** Of a transaction that was aborted, or (for data) is still open. */
  readonly outcome: 'committed' | 'aborted' | 'open' | 'marker';
  /** The batch's max timestamp, in the producer's milliseconds. */
  readonly timestampMs: number;
}

/** One record batch as its header describes it: enough to tell two copies apart. */
export interface BatchSummary {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The partition leader epoch stamped in the batch. */
  readonly epoch: number;
  readonly crc: number;
}

export interface ReplicaLog {
  readonly broker: string;
  readonly highWatermark: number;
  readonly logEndOffset: number;
  /**
   * This replica's own log start offset. Each replica's retention deletes old segments on
   * its own schedule (LogManager.cleanupLogs runs on every broker, followers too), and a
   * follower's log start only ever moves up to its leader's, so replicas may start at
   * different offsets: below a replica's log start it holds nothing to compare.
   */
  readonly logStartOffset: number;
  /** Every record; the runner decodes these only if a checker reads them. */
  readonly records: readonly LoggedRecord[];
  /** The batches, when known: replicas whose batches agree need no record comparison. */
  readonly batches?: readonly BatchSummary[];
}

export interface PartitionState {
  /** "orders-0". */
  readonly partition: string;
  /** The final leader's log start offset: records below it may have gone by retention. */
  readonly logStartOffset?: number;
  /** The committed log: the final leader's records below its high watermark. */
  readonly committed: readonly LoggedRecord[];
  /** The same committed log in columns, when the runner read it so (else built from `committed`). */
  readonly committedIds?: LogIds;
  /** The final leader's batches that start below its high watermark. */
  readonly committedBatches?: readonly BatchSummary[];
  /** The final leader's high watermark. */
  readonly highWatermark?: number;
  /** The final leader's last stable offset (below it, every transaction has ended). */
  readonly lastStableOffset?: number;
  /** The final leader's transactional batches, in log order (only when the log has any). */
  readonly txnBatches?: readonly TxnBatch[];
  readonly replicas: readonly ReplicaLog[];
  /**
   * Offsets some replica's cleaner removed (compaction: superseded records, aborted data,
   * expired tombstones): absent from a log by design, not lost.
   */
  readonly compactedAway?: ReadonlySet<number>;
  /**
   * For a compacted topic: the table the committed log stands for, each key's latest record
   * (a tombstone means the key is deleted).
   */
  readonly keyTable?: ReadonlyMap<string, KeyedRecord>;
}

/** A key's latest record in a compacted log. */
export interface KeyedRecord {
  readonly offset: number;
  readonly id: MessageId | undefined;
  readonly tombstone: boolean;
}

/** Who accepted writes as leader of a partition in one leader epoch, as the ghost observer saw it. */
export interface LeaderClaim {
  readonly partition: string;
  readonly leaderEpoch: number;
  readonly brokers: readonly number[];
  /** When the second broker first appended in this epoch, if one did. */
  readonly at?: number;
}

/** A batch that a leader's high watermark made visible to consumers (up to `exposedUpTo`), as it was then. */
export interface ExposedBatch extends BatchSummary {
  /** The high watermark that exposed it: offsets below this were visible. */
  readonly exposedUpTo: number;
  /** When they became visible. */
  readonly at: number;
}

/** A consumer group after the drain, as its coordinator holds it. */
export interface GroupFinalState {
  readonly group: string;
  /** The history processes of its members ("c1-1", "c1-2" …). */
  readonly members: readonly string[];
  /** The partitions of the topics it subscribes to. */
  readonly partitions: readonly string[];
  /** Its committed offsets, by partition, as the final coordinator holds them. */
  readonly committed: ReadonlyMap<string, number>;
  /** Members up when the run ended, with when their incarnation started: what they had begun and not finished was still in progress, not lost. */
  readonly alive?: ReadonlyMap<string, number>;
}

/** A commit a coordinator applied, as the ghost observer saw it. */
export interface AppliedCommit {
  readonly at: number;
  readonly broker: number;
  readonly group: string;
  readonly member: string;
  readonly generation: number;
  readonly currentGeneration: number;
  /** The member or its generation would have failed the coordinator's checks. */
  readonly stale: boolean;
  readonly partition: string;
  readonly offset: number;
}

/** A consumer that had no committed offset for a partition took its position by `auto.offset.reset` (Kafka's SubscriptionState.resetInitializingPositions). */
export interface ConsumerReset {
  readonly at: number;
  /** The member's history process ("c1-1"). */
  readonly member: string;
  readonly partition: string;
  readonly policy: 'earliest' | 'latest';
  readonly offset: number;
}

/** A group's committed offset for a partition as a coordinator came to hold it, by a commit or a load. */
export interface CommittedOffsetChange {
  readonly at: number;
  readonly broker: number;
  readonly group: string;
  readonly partition: string;
  readonly offset: number;
  /** 'expire': the coordinator's cleanup deleted it (offsets.retention.minutes); the offset is the one that expired. */
  readonly source: 'commit' | 'load' | 'expire';
}

/** A processor's pipeline: the group that reads `from` and writes `to`. */
export interface PipelineState {
  readonly client: string;
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly transactional: boolean;
  /** transaction.timeout.ms */
  readonly transactionTimeoutMs: number;
}

export interface ClusterFinalState {
  readonly partitions: readonly PartitionState[];
  /** When the run ended, in milliseconds of simulated time. */
  readonly endMs?: number;
  readonly pipelines?: readonly PipelineState[];
  readonly groups?: readonly GroupFinalState[];
  readonly commits?: Iterable<AppliedCommit>;
  readonly offsetChanges?: Iterable<CommittedOffsetChange>;
  /** Where consumers took a position by `auto.offset.reset` because their group had no committed offset, in the order they did. */
  readonly resets?: readonly ConsumerReset[];
  readonly leaderClaims?: readonly LeaderClaim[];
  /** What the controller quorum's ghost saw: disruptive elections, stale controllers' answers. */
  readonly quorum?: QuorumAnomalies;
  /** By partition: every batch that was ever (partly) below a leader's high watermark. */
  readonly exposed?: ReadonlyMap<string, Iterable<ExposedBatch>>;
}

import type { QuorumAnomalies } from './quorumCheckers.js';
export type { SendCompletion, SendValue } from '../sim/history.js';
