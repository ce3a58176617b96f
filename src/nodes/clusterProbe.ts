import type { NodeHost, NodeId } from '../network/nodeHost.js';
import type { Log } from '../log/log.js';
import type { ProducerStateManager } from '../log/producerState.js';
import type { Broker, BrokerDurable } from './broker/broker.js';
import type { Partition } from './broker/partition.js';
import type { Controller, ControllerDurable } from './controller/controller.js';
import type { MetadataImage } from './controller/metadataImage.js';
import type { KafkaMessage } from './protocol.js';

/** A broker's host, typed with the process it runs. */
export type BrokerHost = NodeHost<KafkaMessage, BrokerDurable, Broker>;
/** The controller's host, typed with the process it runs. */
export type ControllerHost = NodeHost<KafkaMessage, ControllerDurable, Controller>;

/** A replica's log as the harness reads it: offsets, batches and transactions, no writes. */
export type ReplicaLogView = Readonly<Pick<Log, 'logStartOffset' | 'logEndOffset' | 'lastStableOffset' | 'abortedTransactions' | 'forEachBatch' | 'forEachBatchSummary'>> & {
  readonly producers: Pick<ProducerStateManager, 'allEntries'>;
};

/** A partition replica as the harness reads it: its leadership, ISR and high watermark, and its log. */
export type PartitionView = Readonly<Pick<Partition, 'name' | 'role' | 'leader' | 'leaderEpoch' | 'replicas' | 'isr' | 'highWatermark'>> & { readonly log: ReplicaLogView };

/** The controller's metadata image, read only. */
export type MetadataView = Pick<MetadataImage, 'broker' | 'brokers' | 'topic' | 'topics' | 'partition' | 'partitions'>;

/**
 * The harness's read-only window into the nodes (the final snapshot, the ghost observers,
 * the online spec checks, the fault target resolver), as Kafka's RaftEventSimulationTest
 * reads node state through its cluster helpers. It reads the live incarnation of each
 * node, which no node may do: nodes still never touch each other's memory.
 */
export class ClusterProbe {
  constructor(
    private readonly isHostUp: (node: NodeId) => boolean,
    private readonly controllerHost: ControllerHost,
    private readonly brokerHosts: readonly BrokerHost[],
  ) {}

  /** The brokers' ids, in the order they were built (1, 2, …). */
  brokerIds(): number[] {
    return this.brokerHosts.map((_, i) => i + 1);
  }

  /** True when `node`'s current incarnation is up. */
  isUp(node: NodeId): boolean {
    return this.isHostUp(node);
  }

  /** The controller's metadata image, when it is up. */
  metadataImage(): MetadataView | undefined {
    return this.controllerHost.process?.image;
  }

  /** Partition `name` ("orders-0") on `broker`, when it is up and hosts it. */
  partition(broker: number, name: string): PartitionView | undefined {
    return this.broker(broker)?.partitionNamed(name);
  }

  /** The log of `broker`'s replica of partition `name`; the same object for as long as that incarnation holds it. */
  replicaLog(broker: number, name: string): ReplicaLogView | undefined {
    return this.partition(broker, name)?.log;
  }

  /** The offsets group `groupId` has committed, if `broker` is up and coordinates it. */
  groupOffsets(broker: number, groupId: string): ReadonlyMap<string, { readonly offset: number }> | undefined {
    return this.broker(broker)?.groupOffsets(groupId);
  }

  private broker(id: number): Broker | undefined {
    return this.brokerHosts[id - 1]?.process;
  }
}
