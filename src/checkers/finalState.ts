/**
 * What the post-run checkers read besides the history: the partitions' logs as they stood
 * after the drain. The cluster layer builds it from the brokers' logs; the checkers never
 * see a broker.
 */

/** A message id, "producer#sequence": the workload stamps one into every record it sends. */
export type MessageId = string;

export interface LoggedRecord {
  readonly offset: number;
  /** The message id the record carries, if it carries one (markers and foreign records do not). */
  readonly id: MessageId | undefined;
  /** The leader epoch of the batch that holds it. */
  readonly epoch: number;
}

export interface ReplicaLog {
  readonly broker: string;
  readonly highWatermark: number;
  readonly logEndOffset: number;
  readonly records: readonly LoggedRecord[];
}

export interface PartitionState {
  /** "orders-0". */
  readonly partition: string;
  /** The final leader's log start offset: records below it may have gone by retention. */
  readonly logStartOffset?: number;
  /** The committed log: the final leader's records below its high watermark. */
  readonly committed: readonly LoggedRecord[];
  readonly replicas: readonly ReplicaLog[];
}

/** Who accepted writes as leader of a partition in one leader epoch, as the ghost observer saw it. */
export interface LeaderClaim {
  readonly partition: string;
  readonly leaderEpoch: number;
  readonly brokers: readonly number[];
  /** When the second broker first appended in this epoch, if one did. */
  readonly at?: number;
}

/** A record that a leader's high watermark made visible to consumers, as it was then. */
export interface ExposedRecord extends LoggedRecord {
  /** When it became visible. */
  readonly at: number;
}

export interface ClusterFinalState {
  readonly partitions: readonly PartitionState[];
  readonly leaderClaims?: readonly LeaderClaim[];
  /** By partition: every record that was ever below a leader's high watermark. */
  readonly exposed?: ReadonlyMap<string, readonly ExposedRecord[]>;
}

/** The value of a send operation in the history. */
/** What a send's completion carries: where the message went, and for ok its offset (-1 under acks=0). */
export interface SendCompletion {
  readonly partition?: string;
  readonly offset?: number;
}

export interface SendValue {
  readonly id: MessageId;
  readonly producer: string;
  /** The producer's own sequence for this message, 0, 1, 2 … in send order. */
  readonly seq: number;
  /** Known once the send completed (ok), or when the producer chose it before sending. */
  readonly partition?: string;
  readonly offset?: number;
}
