import type { KafkaRaftClient } from '../controller/raft/kafkaRaftClient.js';
import type { NodeContext, Process } from '../../network/nodeHost.js';
import type { Disk } from '../../log/disk.js';
import type { Log, LogConfig } from '../../log/log.js';
import { millis, toMillis } from '../../sim/time.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';
import { MetadataImage } from '../controller/metadataImage.js';
import type { KafkaMessage } from '../protocol.js';
import type { Partition } from './partition.js';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../coordinator/groupCoordinator.js';
import { NEW_MEMBER_JOIN_TIMEOUT_MS, type GroupSummary } from '../coordinator/consumerGroup.js';
import type { BrokerSettings } from '../config/brokerSettings.js';
import { OFFSETS_TOPIC } from '../coordinator/offsetsTopic.js';
import { TransactionCoordinator, type TransactionDescription, type TxnCoordinatorConfig } from '../coordinator/transactionCoordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/transactionLog.js';
import { LogManager } from './logManager.js';
import { DelayedOperationPurgatory } from './delayedOperations.js';
import { ReplicaManager } from './replicaManager.js';
import { ReplicaFetcherManager } from './replicaFetcherManager.js';
import { BrokerLifecycleManager } from './brokerLifecycle.js';
import type { QuorumConfig } from '../controller/raft/kafkaNetworkChannel.js';
import { KafkaApis } from './kafkaApis.js';
import { TransactionMarkerChannelManager } from './transactionMarkerChannelManager.js';
import { AddPartitionsToTxnManager } from './addPartitionsToTxnManager.js';
import { ProducerIdManager } from './producerIdManager.js';

/**
 * A broker's configuration: its id and rack, its settings by their Kafka names
 * (src/nodes/config/brokerSettings.ts), and each topic's log settings.
 */
export interface BrokerConfig {
  readonly brokerId: number;
  /** broker.rack */
  readonly rack: string | undefined;
  /** The broker settings, by Kafka name, as KafkaConfig holds them. */
  readonly settings: BrokerSettings;
  /** The log settings of each topic. */
  readonly logConfig: (topic: string) => LogConfig;
  /**
   * False when the scenario has no consumer groups: `__consumer_offsets` is never created, so
   * the group coordinator owns nothing and its periodic tasks (the session tick, the offsets
   * expiry) are not scheduled. They would find no group to look at; skipping them only saves
   * the simulator's events. Default true.
   */
  readonly groups?: boolean;
  /** The controller quorum the broker observes (controller.quorum.voters, controller.quorum.*). */
  readonly quorum: QuorumConfig;
}

/** What survives a broker crash: its disk (the log dir) and its configuration. */
export interface BrokerDurable {
  readonly disk: Disk;
  readonly config: BrokerConfig;
  /** Where this broker publishes its JMX metrics (outside the process, as an exporter is). */
  readonly metrics?: NodeMetrics;
}

/**
 * How often the group coordinator looks for expired sessions and rebalance deadlines: not a
 * Kafka setting (Kafka's coordinator runtime uses timers), the simulator's own tick.
 */
const GROUP_TICK_MS = 100;

/**
 * A broker (Kafka's KafkaServer/BrokerServer): it wires together the roles Kafka's broker
 * is made of. Its lifecycle manager registers with the controller, heartbeats and follows
 * the metadata log; its replica manager leads or follows each of its partitions as the
 * metadata says and asks the controller for ISR changes; its replica fetchers pull from
 * their leaders; KafkaApis serves Produce, Fetch, Metadata and the rest, holding what must
 * wait in the purgatory; the group and transaction coordinators write to their internal
 * topics through the replica manager.
 */
export class Broker implements Process<KafkaMessage> {
  private readonly image = new MetadataImage();
  private readonly logManager: LogManager;
  private readonly purgatory: DelayedOperationPurgatory;
  private readonly replicaManager: ReplicaManager;
  private readonly fetcherManager: ReplicaFetcherManager;
  private readonly lifecycle: BrokerLifecycleManager;
  private readonly producerIds: ProducerIdManager;
  private readonly coordinator: GroupCoordinator;
  private readonly txnCoordinator: TransactionCoordinator;
  private readonly markerChannel: TransactionMarkerChannelManager;
  private readonly apis: KafkaApis;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly durable: BrokerDurable,
  ) {
    const config = durable.config;
    const nowMs = (): number => this.nowMs();
    this.logManager = new LogManager({
      trace: ctx.trace,
      brokerId: config.brokerId,
      disk: durable.disk,
      logConfig: (topic) => config.logConfig(topic),
      producerIdExpirationMs: config.settings['producer.id.expiration.ms'],
      partitions: () => this.replicaManager.all(),
      nowMs,
    });
    this.purgatory = new DelayedOperationPurgatory(ctx);
    this.fetcherManager = new ReplicaFetcherManager({ ctx, config, traceAppend: (p, base, last) => this.replicaManager.traceAppend(p, base, last), brokerEpoch: () => this.lifecycle.epoch, uncleanLeaderElection: (topic) => this.uncleanLeaderElection(topic) });
    this.lifecycle = new BrokerLifecycleManager({ ctx, config, disk: durable.disk, image: this.image, onMetadata: () => this.replicaManager.applyDelta(), close: (brokerEpoch) => this.logManager.shutdown(brokerEpoch) });
    this.replicaManager = new ReplicaManager({
      ctx,
      config,
      image: this.image,
      logs: this.logManager,
      purgatory: this.purgatory,
      metrics: durable.metrics,
      nowMs,
      fetchers: this.fetcherManager,
      inControlledShutdown: () => this.lifecycle.inControlledShutdown,
      brokerEpoch: () => this.lifecycle.epoch,
      onBecomeLeader: (topic, p, log, leaderEpoch) => this.onBecomeLeader(topic, p, log, leaderEpoch),
      onBecomeFollower: (topic, p) => this.onBecomeFollower(topic, p),
      controllerNode: () => this.lifecycle.controllerNode,
    });
    this.producerIds = new ProducerIdManager(config.brokerId, ctx.incarnation);
    this.coordinator = new GroupCoordinator({ trace: ctx.trace, brokerId: config.brokerId, incarnation: ctx.incarnation, append: (p, records, done) => this.replicaManager.appendInternal(OFFSETS_TOPIC, p, records, done), awaitHighWatermark: (p, offset, done) => this.replicaManager.awaitHighWatermark(OFFSETS_TOPIC, p, offset, done) }, groupCoordinatorConfig(config.settings));
    this.txnCoordinator = new TransactionCoordinator(
      {
        trace: ctx.trace,
        brokerId: config.brokerId,
        append: (p, records, done) => this.replicaManager.appendInternal(TRANSACTION_STATE_TOPIC, p, records, done),
        writeMarkers: (req, done) => this.markerChannel.sendMarkers(req, done),
        nextProducerId: () => this.producerIds.generateProducerId(),
        after: (delayMs, fn) => void this.ctx.after(ms(delayMs), fn),
      },
      txnCoordinatorConfig(config.settings),
    );
    this.markerChannel = new TransactionMarkerChannelManager({ ctx, brokerId: config.brokerId, requestTimeoutMs: config.settings['request.timeout.ms'], image: this.image, writeLocally: (req, reply) => this.apis.handleWriteTxnMarkers(req, reply) });
    this.apis = new KafkaApis({
      ctx,
      config,
      image: this.image,
      replicaManager: this.replicaManager,
      purgatory: this.purgatory,
      groupCoordinator: this.coordinator,
      txnCoordinator: this.txnCoordinator,
      addPartitionsToTxn: new AddPartitionsToTxnManager({ ctx, brokerId: config.brokerId, requestTimeoutMs: config.settings['request.timeout.ms'], image: this.image, txnCoordinator: this.txnCoordinator, nowMs }),
      producerIds: this.producerIds,
      nowMs,
    });
    durable.metrics?.gauge(JMX.underReplicatedPartitions, () => this.replicaManager.underReplicatedCount());
  }

  private get config(): BrokerConfig {
    return this.durable.config;
  }

  get id(): number {
    return this.config.brokerId;
  }

  onStart(): void {
    this.lifecycle.start();
    // The periodic tasks, as KafkaScheduler runs them (ReplicaManager.startup, LogManager
    // .startup, GroupCoordinator.startup, TransactionCoordinator.startup).
    const every = (intervalMs: number, task: () => void): void => this.ctx.every(ms(intervalMs), task);
    const settings = this.config.settings;
    every(settings['replica.high.watermark.checkpoint.interval.ms'], () => this.logManager.checkpoint());
    every(this.replicaManager.isrCheckIntervalMs, () => this.replicaManager.maybeShrinkIsr());
    every(settings['log.retention.check.interval.ms'], () => this.logManager.applyRetention());
    every(settings['log.cleaner.backoff.ms'], () => this.logManager.clean());
    every(settings['producer.id.expiration.check.interval.ms'], () => this.logManager.removeExpiredProducers());
    const groups = this.config.groups ?? true;
    if (groups) every(GROUP_TICK_MS, () => this.coordinator.tick(this.nowMs()));
    every(settings['transaction.abort.timed.out.transaction.cleanup.interval.ms'], () => this.txnCoordinator.tick(this.nowMs()));
    if (groups) every(settings['offsets.retention.check.interval.ms'], () => this.coordinator.cleanupGroupMetadata(this.nowMs()));
  }

  onRequest(_from: string, req: KafkaMessage, reply: (r: KafkaMessage) => void): void {
    this.apis.handle(req, reply);
  }

  onMessage(from: string, msg: KafkaMessage): void {
    this.apis.handleOneWay(from, msg);
  }

  onShutdown(exit: () => void): void {
    this.lifecycle.shutdown(exit);
  }

  /** unclean.leader.election.enable for `topic`: its own config in the metadata, else the broker's (LogConfig.fromProps). */
  private uncleanLeaderElection(topic: string): boolean {
    const own = this.image.topic(topic)?.config['unclean.leader.election.enable'];
    return typeof own === 'boolean' ? own : this.config.settings['unclean.leader.election.enable'];
  }

  /** A new leadership of a coordinator's partition reloads it from the log, as Kafka's onElection does. */
  private onBecomeLeader(topic: string, partition: number, log: Log, leaderEpoch: number): void {
    if (topic === OFFSETS_TOPIC) {
      this.coordinator.unload(partition);
      this.coordinator.load(partition, log, this.nowMs());
    } else if (topic === TRANSACTION_STATE_TOPIC) {
      this.txnCoordinator.unload(partition);
      this.txnCoordinator.load(partition, log, leaderEpoch, this.nowMs());
    }
  }

  /** Following a coordinator's partition unloads it (onResignation). */
  private onBecomeFollower(topic: string, partition: number): void {
    if (topic === OFFSETS_TOPIC) this.coordinator.unload(partition);
    if (topic === TRANSACTION_STATE_TOPIC) this.txnCoordinator.unload(partition);
  }

  private nowMs(): number {
    return toMillis(this.ctx.now());
  }

  /** For the runner's ghost observers: one of this broker's partitions, by name ("orders-0"). */
  partitionNamed(name: string): Partition | undefined {
    return this.replicaManager.get(name);
  }

  /** For the runner's final state: the offsets a group has committed, if this broker coordinates it. */
  groupOffsets(groupId: string): ReadonlyMap<string, { readonly offset: number }> | undefined {
    return this.coordinator.committedOffsets(groupId);
  }

  /** For the probe: group `groupId` as DescribeGroups shows it, if this broker coordinates it. */
  describeGroup(groupId: string): GroupSummary | undefined {
    return this.coordinator.describeGroup(groupId);
  }

  /** For the probe: the transactions this broker's transaction coordinator holds (DescribeTransactions). */
  describeTransactions(): TransactionDescription[] {
    return this.txnCoordinator.describeTransactions();
  }

  /** For the runner and tests: this broker's partitions. */
  allPartitions(): readonly Partition[] {
    return [...this.replicaManager.all()];
  }

  get isRegistered(): boolean {
    return this.lifecycle.isRegistered;
  }

  /** Its observer of the metadata quorum, for the probe's online Raft checks (read only). */
  get metadataQuorumMember(): KafkaRaftClient {
    return this.lifecycle.metadataQuorumMember;
  }
}

/** The group coordinator's settings (offsets.topic.num.partitions, group.*, offsets.retention.minutes in ms), from the broker's. */
function groupCoordinatorConfig(settings: BrokerSettings): GroupCoordinatorConfig {
  return {
    offsetsPartitions: settings['offsets.topic.num.partitions'],
    initialRebalanceDelayMs: settings['group.initial.rebalance.delay.ms'],
    expirePendingSync: settings['sim.group.pending.sync.expiry'],
    newMemberJoinTimeoutMs: settings['sim.group.new.member.join.timeout'] ? NEW_MEMBER_JOIN_TIMEOUT_MS : undefined,
    minSessionTimeoutMs: settings['group.min.session.timeout.ms'],
    maxSessionTimeoutMs: settings['group.max.session.timeout.ms'],
    fencing: settings['sim.group.fencing'],
    runtime: settings['sim.group.coordinator'] === 'runtime',
    offsetsRetentionMs: settings['offsets.retention.minutes'] * 60_000,
    offsetExpiration: settings['sim.offsets.expiration'],
  };
}

/** The transaction coordinator's settings, from the broker's. */
function txnCoordinatorConfig(settings: BrokerSettings): TxnCoordinatorConfig {
  return {
    partitions: settings['transaction.state.log.num.partitions'],
    maxTimeoutMs: settings['transaction.max.timeout.ms'],
    offsetsPartitions: settings['offsets.topic.num.partitions'],
    version: settings['transaction.version'],
  };
}

const ms = millis;
