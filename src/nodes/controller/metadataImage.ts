import { compareNumbers, compareStrings } from '../../sim/order.js';
import { NO_LEADER, type MetadataRecord, type PartitionChangeRecord, type PartitionRecord } from './metadataRecords.js';

export interface BrokerState {
  readonly brokerId: number;
  readonly incarnation: number;
  /** The offset of its latest registration record (KIP-903's broker epoch). */
  readonly epoch: number;
  readonly rack: string | undefined;
  readonly fenced: boolean;
  /** In controlled shutdown: it may neither lead nor join an ISR until it registers again. */
  readonly inControlledShutdown: boolean;
}

/** A partition as the image holds it: its PartitionRecord with every change applied. */
export type PartitionState = Omit<PartitionRecord, 'type'>;

export interface TopicState {
  readonly name: string;
  readonly config: Readonly<Record<string, number | string | boolean>>;
  readonly partitions: number;
}

/** Thrown when a record does not apply to the image (a bug in whoever wrote it). */
export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

export function partitionName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * The cluster metadata as of some offset of the metadata log (KRaft's MetadataImage): the
 * brokers, the topics and every partition's replicas, ISR, leader and epochs. It changes
 * only by applying records, in log order, so the controller and every broker that applied
 * the same prefix hold the same image.
 */
export class MetadataImage {
  private readonly brokerMap = new Map<number, BrokerState>();
  private readonly topicMap = new Map<string, TopicState>();
  private readonly partitionMap = new Map<string, PartitionState>();
  /** Sorted views, rebuilt after the next record changes them. */
  private brokerList: readonly BrokerState[] | undefined;
  private partitionList: readonly PartitionState[] | undefined;
  /** How many records have been applied: the metadata offset this image reflects. */
  offset = 0;

  /** Empties the image, for a replay from the start of the log (a controller going back to its committed state). */
  reset(): void {
    this.brokerMap.clear();
    this.topicMap.clear();
    this.partitionMap.clear();
    this.brokerList = undefined;
    this.partitionList = undefined;
    this.offset = 0;
  }

  apply(record: MetadataRecord): void {
    this.brokerList = undefined;
    this.partitionList = undefined;
    switch (record.type) {
      case 'RegisterBroker':
        this.brokerMap.set(record.brokerId, { brokerId: record.brokerId, incarnation: record.incarnation, epoch: record.brokerEpoch, rack: record.rack, fenced: true, inControlledShutdown: false });
        break;
      case 'FenceBroker':
      case 'UnfenceBroker': {
        const b = this.brokerMap.get(record.brokerId);
        if (b === undefined) throw new MetadataError(`${record.type} for unregistered broker ${record.brokerId}`);
        this.brokerMap.set(record.brokerId, { ...b, fenced: record.type === 'FenceBroker' });
        break;
      }
      case 'BrokerRegistrationChange': {
        const b = this.brokerMap.get(record.brokerId);
        if (b === undefined) throw new MetadataError(`${record.type} for unregistered broker ${record.brokerId}`);
        this.brokerMap.set(record.brokerId, { ...b, inControlledShutdown: record.inControlledShutdown });
        break;
      }
      case 'Topic':
        if (this.topicMap.has(record.name)) throw new MetadataError(`topic ${record.name} already exists`);
        this.topicMap.set(record.name, { name: record.name, config: record.config, partitions: 0 });
        break;
      case 'Partition': {
        const topic = this.topicMap.get(record.topic);
        if (topic === undefined) throw new MetadataError(`partition of unknown topic ${record.topic}`);
        const { type: _type, ...state } = record;
        this.partitionMap.set(partitionName(record.topic, record.partition), state);
        this.topicMap.set(record.topic, { ...topic, partitions: Math.max(topic.partitions, record.partition + 1) });
        break;
      }
      case 'PartitionChange':
        this.applyChange(record);
        break;
    }
    this.offset++;
  }

  private applyChange(change: PartitionChangeRecord): void {
    const name = partitionName(change.topic, change.partition);
    const p = this.partitionMap.get(name);
    if (p === undefined) throw new MetadataError(`change to unknown partition ${name}`);
    const leaderChanged = change.leader !== undefined && change.leader !== p.leader;
    this.partitionMap.set(name, {
      ...p,
      isr: change.isr ?? p.isr,
      elr: change.elr ?? p.elr,
      lastKnownElr: change.lastKnownElr ?? p.lastKnownElr,
      leader: change.leader ?? p.leader,
      leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
      partitionEpoch: p.partitionEpoch + 1,
    });
  }

  broker(id: number): BrokerState | undefined {
    return this.brokerMap.get(id);
  }

  /** Registered brokers, by id. */
  brokers(): readonly BrokerState[] {
    return (this.brokerList ??= [...this.brokerMap.values()].sort((a, b) => compareNumbers(a.brokerId, b.brokerId)));
  }

  /** Brokers that may lead and be in ISRs: registered, not fenced, not in controlled shutdown (ClusterControlManager.isActive). */
  isActive(id: number): boolean {
    const b = this.brokerMap.get(id);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  }

  topic(name: string): TopicState | undefined {
    return this.topicMap.get(name);
  }

  topics(): TopicState[] {
    return [...this.topicMap.values()].sort((a, b) => compareStrings(a.name, b.name));
  }

  partition(topic: string, partition: number): PartitionState | undefined {
    return this.partitionMap.get(partitionName(topic, partition));
  }

  /** Every partition, by topic then number. */
  partitions(): readonly PartitionState[] {
    return (this.partitionList ??= [...this.partitionMap.values()].sort((a, b) => compareStrings(a.topic, b.topic) || compareNumbers(a.partition, b.partition)));
  }

  /** Partitions with no leader: Kafka's OfflinePartitionsCount. */
  offlinePartitions(): PartitionState[] {
    return this.partitions().filter((p) => p.leader === NO_LEADER);
  }
}
