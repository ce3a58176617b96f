import type { NodeHost, NodeId } from '../network/nodeHost.js';
import type { Network } from '../network/network.js';
import type { PartitionTable } from '../network/partitions.js';
import type { Log } from '../log/log.js';
import type { ProducerStateManager } from '../log/producerState.js';
import type { Broker, BrokerDurable } from './broker/broker.js';
import type { Partition } from './broker/partition.js';
import type { Controller, ControllerDurable } from './controller/controller.js';
import type { MetadataImage } from './controller/metadataImage.js';
import type { KafkaMessage } from './protocol.js';
import type { KafkaRaftClient } from './controller/raft/kafkaRaftClient.js';
import { RaftLog } from './controller/raft/raftLog.js';
import { QuorumStateStore } from './controller/raft/quorumStateStore.js';
import { snapshotView, type RaftMemberView } from './controller/raft/raftInvariants.js';
import { brokerIdOf } from './nodeId.js';
import type { Producer, ProducerDurable } from './producer/producer.js';
import type { Consumer, ConsumerDurable } from './consumer/consumer.js';

/** A broker's host, typed with the process it runs. */
export type BrokerHost = NodeHost<KafkaMessage, BrokerDurable, Broker>;
/** The controller's host, typed with the process it runs. */
export type ControllerHost = NodeHost<KafkaMessage, ControllerDurable, Controller>;

/** A producer's host, typed with the process it runs. */
export type ProducerHost = NodeHost<KafkaMessage, ProducerDurable, Producer>;
/** A consumer group member's host, typed with the process it runs. */
export type ConsumerHost = NodeHost<KafkaMessage, ConsumerDurable, Consumer>;

/** Any host, as the probe reads its liveness. */
export type HostView = Readonly<Pick<NodeHost<KafkaMessage>, 'id' | 'roles' | 'state' | 'paused' | 'pausedUntil' | 'incarnation'>>;

/** The network as the probe reads it: its hosts, whether a partition blocks a directed pair, and who a partition cuts off. */
export type NetworkView = { allHosts(): readonly HostView[] } & Pick<Network<KafkaMessage>, 'isCutOff'> & Pick<PartitionTable, 'isBlocked'>;

/** A producer's unfinished batches, read only. */
export type ProducerView = Pick<Producer, 'pendingBatches'>;
/** A group member's side of its group and its positions, read only. */
export type ConsumerView = Pick<Consumer, 'describe'>;
/** A broker's coordinators, as DescribeGroups and DescribeTransactions show them. */
export type CoordinatorView = Pick<Broker, 'describeGroup' | 'describeTransactions'>;
/** A controller, as the probe reads it: its image and since when partitions have had no leader. */
export type ControllerView = { readonly image: MetadataView } & Pick<Controller, 'offlineSince'>;

/** A node's liveness at a moment: down (crashed or stopped), paused (a GC pause, SIGSTOP) or up. */
export interface NodeStatus {
  readonly node: NodeId;
  readonly roles: readonly string[];
  readonly state: 'up' | 'down' | 'paused';
  /** When paused: the instant (simulated microseconds) the pause ends. */
  readonly pausedUntil?: number;
  readonly incarnation: number;
  /** On the side a network partition in force cuts off (see cutOffSide). */
  readonly cutOff: boolean;
}

/** The clients' hosts and the network, which the probe reads besides the controller and the brokers. */
export interface ProbeClients {
  readonly producers: readonly ProducerHost[];
  readonly consumers: readonly ConsumerHost[];
  readonly network: NetworkView;
}

/** A replica's log as the harness reads it: offsets, batches and transactions, no writes. */
export type ReplicaLogView = Readonly<Pick<Log, 'logStartOffset' | 'logEndOffset' | 'lastStableOffset' | 'abortedTransactions' | 'forEachBatch' | 'forEachBatchSummary' | 'forEachAppendedBatch'>> & {
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
  /** A down controller's log end, read from its disk once per stay down (nothing writes to it meanwhile), by node. */
  private readonly downLogEnds = new Map<NodeId, { readonly incarnation: number; readonly end: number }>();

  constructor(
    private readonly isHostUp: (node: NodeId) => boolean,
    private readonly controllerHosts: readonly ControllerHost[],
    private readonly brokerHosts: readonly BrokerHost[],
    private readonly clients: ProbeClients,
  ) {}

  /** The brokers' ids, in the order they were built (1, 2, …). */
  brokerIds(): number[] {
    return this.brokerHosts.map((_, i) => i + 1);
  }

  /** True when `node`'s current incarnation is up. */
  isUp(node: NodeId): boolean {
    return this.isHostUp(node);
  }

  /**
   * The metadata image of the active controller; between two, the image of the running
   * controller furthest along the log; undefined when every controller is down.
   */
  metadataImage(): MetadataView | undefined {
    const active = this.activeController();
    if (active !== undefined) return active.image;
    let best: Controller | undefined;
    for (const h of this.controllerHosts) {
      const c = h.process;
      if (c !== undefined && (best === undefined || c.image.offset > best.image.offset)) best = c;
    }
    return best?.image;
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

  /** Every node's liveness, in the order the hosts were built (controllers, brokers, clients). */
  nodes(): NodeStatus[] {
    return this.clients.network.allHosts().map((h) => ({
      node: h.id,
      roles: h.roles,
      state: h.state === 'down' ? 'down' : h.paused ? 'paused' : 'up',
      ...(h.pausedUntil === undefined ? {} : { pausedUntil: h.pausedUntil }),
      incarnation: h.incarnation,
      cutOff: this.clients.network.isCutOff(h.id),
    }));
  }

  /** The nodes a network partition in force keeps `node` from reaching or hearing from, in build order. */
  cutOffFrom(node: NodeId): NodeId[] {
    const net = this.clients.network;
    return net.allHosts().map((h) => h.id).filter((peer) => peer !== node && (net.isBlocked(node, peer) || net.isBlocked(peer, node)));
  }

  /** The controllers, each with whether it is the active one (the quorum's leader, caught up with its epoch). */
  controllers(): { readonly node: NodeId; readonly active: boolean }[] {
    return this.controllerHosts.map((h) => ({ node: h.id, active: h.process?.isActive === true }));
  }

  /** True when `node` is up and paused (a GC pause, SIGSTOP). */
  isPaused(node: NodeId): boolean {
    return this.clients.network.allHosts().find((h) => h.id === node)?.paused === true;
  }

  /** The controllers that believe they are active, each with its epoch and whether its image has a broker fenced. */
  activeControllers(): { readonly node: NodeId; readonly epoch: number; readonly fenced: (brokerId: number) => boolean }[] {
    const out: { node: NodeId; epoch: number; fenced: (brokerId: number) => boolean }[] = [];
    for (const h of this.controllerHosts) {
      const c = h.process;
      if (c?.activeEpoch !== undefined) out.push({ node: h.id, epoch: c.activeEpoch, fenced: (id) => c.image.broker(id)?.fenced === true });
    }
    return out;
  }

  /** The broker id of node `node`, when it is a broker. */
  brokerIdOf(node: NodeId): number | undefined {
    return brokerIdOf(node);
  }

  /** The active controller's node name, when there is one. */
  activeControllerNode(): NodeId | undefined {
    return this.activeHost()?.id;
  }

  /**
   * The active controller, when there is one. Should two believe they are (an old leader cut
   * off from the quorum, without check-quorum), the one of the newest epoch.
   */
  activeController(): ControllerView | undefined {
    return this.activeHost()?.process;
  }

  private activeHost(): ControllerHost | undefined {
    let best: ControllerHost | undefined;
    for (const h of this.controllerHosts) {
      const epoch = h.process?.activeEpoch;
      if (epoch !== undefined && (best === undefined || epoch > (best.process?.activeEpoch ?? -1))) best = h;
    }
    return best;
  }

  /**
   * The quorum as RaftEventSimulationTest's invariants read it: each controller (a voter) by
   * its quorum-state file and log, live or from its disk when down, and each running broker
   * (an observer) by its live metadata log.
   */
  quorumMembers(): RaftMemberView[] {
    const members = this.controllerHosts.map((h) => {
      const c = h.process?.quorumMember;
      const disk = h.durable.disk;
      if (c !== undefined) this.downLogEnds.delete(h.id);
      const logEndOffset = c?.log.endOffset ?? this.downLogEnd(h);
      return { id: c?.id ?? h.durable.config.nodeId, node: h.id, voter: true, storedElection: new QuorumStateStore(disk).read(), logEndOffset, live: liveView(c, h.incarnation) };
    });
    for (const h of this.brokerHosts) {
      const c = h.process?.metadataQuorumMember;
      if (c !== undefined) members.push({ id: c.id, node: h.id, voter: false, storedElection: undefined, logEndOffset: c.log.endOffset, live: liveView(c, h.incarnation) });
    }
    return members;
  }

  private downLogEnd(h: ControllerHost): number {
    const known = this.downLogEnds.get(h.id);
    if (known !== undefined && known.incarnation === h.incarnation) return known.end;
    const end = RaftLog.peekEndOffset(h.durable.disk);
    this.downLogEnds.set(h.id, { incarnation: h.incarnation, end });
    return end;
  }

  /** Producer `node`'s unfinished batches, when it is up. */
  producer(node: NodeId): ProducerView | undefined {
    return this.clients.producers.find((h) => h.id === node)?.process;
  }

  /** Group member `node`'s view of its group and positions, when it is up. */
  consumer(node: NodeId): ConsumerView | undefined {
    return this.clients.consumers.find((h) => h.id === node)?.process;
  }

  /** Broker `id`'s group and transaction coordinators, when it is up. */
  coordinators(id: number): CoordinatorView | undefined {
    return this.broker(id);
  }

  private broker(id: number): Broker | undefined {
    return this.brokerHosts[id - 1]?.process;
  }
}

/** A running quorum member's live state, as the Raft invariants read it. */
function liveView(c: KafkaRaftClient | undefined, incarnation: number): RaftMemberView['live'] {
  if (c === undefined) return undefined;
  return {
    epoch: c.quorum.epoch,
    isLeader: c.quorum.state.kind === 'leader',
    highWatermark: c.highWatermark,
    logEndOffset: c.log.endOffset,
    incarnation,
    records: (from, end) => c.log.read(from, end - from),
    ...snapshotView(c),
  };
}
