/**
 * The records of the cluster metadata log, as KRaft names them (metadata/src/main/resources/
 * common/metadata/*.json in Apache Kafka). The controller appends them to its log before
 * they take effect; brokers apply the same records, in the same order, to their own image.
 * Only the fields kafkasim uses are kept.
 */

/** -1: no leader (the partition is offline). */
export const NO_LEADER = -1;

export interface RegisterBrokerRecord {
  readonly type: 'RegisterBroker';
  readonly brokerId: number;
  /** Changes on every registration (KIP-631's incarnation id), so a restart is told apart. */
  readonly incarnation: number;
  readonly rack: string | undefined;
  /**
   * The broker epoch: the offset of this record in the metadata log, which the controller
   * passes as the next write offset (ClusterControlManager.registerBroker, newBrokerEpoch).
   * Fetches and AlterPartition name replicas by it (KIP-903).
   */
  readonly brokerEpoch: number;
  /** Brokers register fenced and are unfenced once they have caught up with the metadata. */
  readonly fenced: true;
}

export interface FenceBrokerRecord {
  readonly type: 'FenceBroker';
  readonly brokerId: number;
}

export interface UnfenceBrokerRecord {
  readonly type: 'UnfenceBroker';
  readonly brokerId: number;
}

/**
 * A change to a broker's registration (BrokerRegistrationChangeRecord v1): here only its
 * entry into controlled shutdown, which KRaft persists so that a new active controller
 * keeps the broker out of elections and ISRs (KIP-841's isActive).
 */
export interface BrokerRegistrationChangeRecord {
  readonly type: 'BrokerRegistrationChange';
  readonly brokerId: number;
  readonly inControlledShutdown: true;
}

export interface TopicRecord {
  readonly type: 'Topic';
  readonly name: string;
  /** Topic-level configuration overrides, by Kafka name. */
  readonly config: Readonly<Record<string, number | string | boolean>>;
}

export interface PartitionRecord {
  readonly type: 'Partition';
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /**
   * Eligible leader replicas (KIP-966): replicas that left the ISR while it was below
   * min.insync.replicas, so they hold everything below the high watermark and may lead
   * when no ISR member can. Absent when empty, and always without ELR.
   */
  readonly elr?: readonly number[];
  /**
   * With ELR: the leader the partition had when its ISR became empty (Kafka's
   * lastKnownElr with useLastKnownLeaderInBalancedRecovery), elected again when no ISR or
   * ELR member is left. Absent when empty.
   */
  readonly lastKnownElr?: readonly number[];
}

/**
 * A change to one partition. Absent fields are unchanged. A new leader bumps the leader
 * epoch; any change bumps the partition epoch (KIP-841), which AlterPartition requests
 * must carry so that a stale one is refused.
 */
export interface PartitionChangeRecord {
  readonly type: 'PartitionChange';
  readonly topic: string;
  readonly partition: number;
  readonly isr?: readonly number[];
  /** The new eligible leader replicas (KIP-966). */
  readonly elr?: readonly number[];
  /** The new last known leader (PartitionChangeBuilder.maybeUpdateLastKnownLeader). */
  readonly lastKnownElr?: readonly number[];
  readonly leader?: number;
  /** The election that chose `leader` was unclean: it came from outside the ISR. */
  readonly unclean?: boolean;
}

export type MetadataRecord = RegisterBrokerRecord | FenceBrokerRecord | UnfenceBrokerRecord | BrokerRegistrationChangeRecord | TopicRecord | PartitionRecord | PartitionChangeRecord;
