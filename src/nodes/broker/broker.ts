import type { NodeContext, Process } from '../../network/nodeHost.js';
import type { Disk } from '../../log/disk.js';
import type { Log, LogConfig } from '../../log/log.js';
import { millis, toMillis } from '../../sim/time.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';
import { MetadataImage } from '../controller/metadataImage.js';
import type { KafkaMessage } from '../protocol.js';
import type { Partition, TruncationMode } from './partition.js';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../coordinator/groupCoordinator.js';
import { OFFSETS_TOPIC } from '../coordinator/offsetsTopic.js';
import { TransactionCoordinator } from '../coordinator/transactionCoordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/transactionLog.js';
import { LogManager } from './logManager.js';
import { DelayedOperationPurgatory } from './delayedOperations.js';
import { ReplicaManager } from './replicaManager.js';
import { ReplicaFetcherManager } from './replicaFetcherManager.js';
import { BrokerLifecycleManager } from './brokerLifecycle.js';
import { KafkaApis } from './kafkaApis.js';
import { TransactionMarkerChannelManager } from './transactionMarkerChannelManager.js';
import { AddPartitionsToTxnManager } from './addPartitionsToTxnManager.js';
import { ProducerIdManager } from './producerIdManager.js';

export interface BrokerConfig {
  readonly brokerId: number;
  /** broker.rack */
  readonly rack: string | undefined;
  /** broker.heartbeat.interval.ms */
  readonly heartbeatIntervalMs: number;
  /** controlled.shutdown.enable (default true): a shutdown first has the controller move this broker's leaderships away. */
  readonly controlledShutdownEnable?: boolean;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms: how long a follower waits before fetching again when nothing came. */
  readonly replicaFetchWaitMaxMs: number;
  /**
   * replica.fetch.backoff.ms: how long a fetcher leaves a partition alone after its fetch
   * failed, or after the whole request did (AbstractFetcherThread.handlePartitionsWithErrors
   * and processFetchRequest both delay by it).
   */
  readonly replicaFetchBackoffMs: number;
  readonly replicaFetchMaxBytes: number;
  /** replica.socket.timeout.ms: how long a replica fetcher waits for the leader's answer (ReplicaFetcherBlockingSend). */
  readonly replicaSocketTimeoutMs?: number;
  /** request.timeout.ms (the broker's): how long its requests to the controller and to other brokers' coordinators and leaders may take. */
  readonly requestTimeoutMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms: how often high watermarks are written to disk (and flush.ms checked). */
  readonly highWatermarkCheckpointIntervalMs?: number;
  /** num.replica.fetchers: fetchers per source broker, each fetching its share of the partitions. */
  readonly replicaFetchers: number;
  /** min.insync.replicas, the broker default. */
  readonly minInsyncReplicas: number;
  /** The eligible.leader.replicas.version feature is on (KIP-966). */
  readonly eligibleLeaderReplicas?: boolean;
  readonly truncation: TruncationMode;
  /** The log settings of each topic. */
  readonly logConfig: (topic: string) => LogConfig;
  /** log.retention.check.interval.ms: how often retention deletes old segments. */
  readonly retentionCheckIntervalMs: number;
  /** log.cleaner.backoff.ms: how often the cleaner looks for logs to compact. */
  readonly cleanerBackoffMs: number;
  /** producer.id.expiration.ms: a producer idle this long (by its batches' timestamps) is forgotten. */
  readonly producerIdExpirationMs: number;
  /** producer.id.expiration.check.interval.ms: how often idle producers are looked for. */
  readonly producerIdExpirationCheckIntervalMs: number;
  /** offsets.commit.timeout.ms: how long a write to `__consumer_offsets` may wait for the ISR. */
  readonly offsetsCommitTimeoutMs: number;
  /** offsets.retention.check.interval.ms: how often the group coordinator expires offsets. */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** The group coordinator's settings (offsets.topic.num.partitions, group.*). */
  readonly group: GroupCoordinatorConfig;
  /** The transaction coordinator's settings, and KIP-890's partition verification. */
  readonly transactions: TransactionsConfig;
}

export interface TransactionsConfig {
  /** transaction.state.log.num.partitions */
  readonly partitions: number;
  /** transaction.max.timeout.ms */
  readonly maxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutIntervalMs: number;
  /** transaction.partition.verification.enable (KIP-890 part 1) */
  readonly verification: boolean;
  /** The finalized transaction.version feature: 2 bumps the epoch with every transaction (KIP-890 part 2). */
  readonly version: 1 | 2;
}

/** Kafka's defaults for the broker settings that tests and most scenarios leave alone. */
export const BROKER_DEFAULTS = {
  replicaFetchers: 1,
  retentionCheckIntervalMs: 300_000,
  cleanerBackoffMs: 15_000,
  producerIdExpirationMs: 86_400_000,
  producerIdExpirationCheckIntervalMs: 600_000,
  offsetsCommitTimeoutMs: 5_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  group: { offsetsPartitions: 50, initialRebalanceDelayMs: 3_000, minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 1_800_000, fencing: true, offsetsRetentionMs: 10_080 * 60_000, offsetExpiration: 'kip-211' },
  transactions: { partitions: 50, maxTimeoutMs: 900_000, abortTimedOutIntervalMs: 10_000, verification: true, version: 2 as const },
} as const satisfies Partial<BrokerConfig>;

/** What survives a broker crash: its disk (the log dir) and its configuration. */
export interface BrokerDurable {
  readonly disk: Disk;
  readonly config: BrokerConfig;
  /** Where this broker publishes its JMX metrics (outside the process, as an exporter is). */
  readonly metrics?: NodeMetrics;
}

/** What survives a broker crash: its disk (the log dir) and its configuration. */
export interface BrokerDurable {
  readonly disk: Disk;
  readonly config: BrokerConfig;
  /** Where this broker publishes its JMX metrics (outside the process, as an exporter is). */
  readonly metrics?: NodeMetrics;
}

/** How often the group coordinator looks for expired sessions and rebalance deadlines. */
const GROUP_TICK_MS = 100;
/** replica.high.watermark.checkpoint.interval.ms, Kafka's default. */
const HW_CHECKPOINT_INTERVAL_MS = 5_000;

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
      producerIdExpirationMs: config.producerIdExpirationMs,
      partitions: () => this.replicaManager.all(),
      nowMs,
    });
    this.purgatory = new DelayedOperationPurgatory(ctx);
    this.fetcherManager = new ReplicaFetcherManager({ ctx, config, traceAppend: (p, base, last) => this.replicaManager.traceAppend(p, base, last) });
    this.lifecycle = new BrokerLifecycleManager({ ctx, config, image: this.image, onMetadata: () => this.replicaManager.applyDelta(), close: (brokerEpoch) => this.logManager.shutdown(brokerEpoch) });
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
      onBecomeLeader: (topic, p, log, leaderEpoch) => this.onBecomeLeader(topic, p, log, leaderEpoch),
      onBecomeFollower: (topic, p) => this.onBecomeFollower(topic, p),
    });
    this.producerIds = new ProducerIdManager(config.brokerId, ctx.incarnation);
    this.coordinator = new GroupCoordinator({ trace: ctx.trace, brokerId: config.brokerId, incarnation: ctx.incarnation, append: (p, records, done) => this.replicaManager.appendInternal(OFFSETS_TOPIC, p, records, done) }, config.group);
    this.txnCoordinator = new TransactionCoordinator(
      {
        trace: ctx.trace,
        brokerId: config.brokerId,
        append: (p, records, done) => this.replicaManager.appendInternal(TRANSACTION_STATE_TOPIC, p, records, done),
        writeMarkers: (req, done) => this.markerChannel.sendMarkers(req, done),
        nextProducerId: () => this.producerIds.generateProducerId(),
        after: (delayMs, fn) => void this.ctx.after(ms(delayMs), fn),
      },
      { partitions: config.transactions.partitions, maxTimeoutMs: config.transactions.maxTimeoutMs, offsetsPartitions: config.group.offsetsPartitions, version: config.transactions.version },
    );
    this.markerChannel = new TransactionMarkerChannelManager({ ctx, brokerId: config.brokerId, requestTimeoutMs: config.requestTimeoutMs, image: this.image, writeLocally: (req, reply) => this.apis.handleWriteTxnMarkers(req, reply) });
    this.apis = new KafkaApis({
      ctx,
      config,
      image: this.image,
      replicaManager: this.replicaManager,
      purgatory: this.purgatory,
      groupCoordinator: this.coordinator,
      txnCoordinator: this.txnCoordinator,
      addPartitionsToTxn: new AddPartitionsToTxnManager({ ctx, brokerId: config.brokerId, requestTimeoutMs: config.requestTimeoutMs, image: this.image, txnCoordinator: this.txnCoordinator, nowMs }),
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
    this.lifecycle.register();
    // The periodic tasks, as KafkaScheduler runs them (ReplicaManager.startup, LogManager
    // .startup, GroupCoordinator.startup, TransactionCoordinator.startup).
    const every = (intervalMs: number, task: () => void): void => this.ctx.every(ms(intervalMs), task);
    every(this.config.highWatermarkCheckpointIntervalMs ?? HW_CHECKPOINT_INTERVAL_MS, () => this.logManager.checkpoint());
    every(this.replicaManager.isrCheckIntervalMs, () => this.replicaManager.maybeShrinkIsr());
    every(this.config.retentionCheckIntervalMs, () => this.logManager.applyRetention());
    every(this.config.cleanerBackoffMs, () => this.logManager.clean());
    every(this.config.producerIdExpirationCheckIntervalMs, () => this.logManager.removeExpiredProducers());
    every(GROUP_TICK_MS, () => this.coordinator.tick(this.nowMs()));
    every(this.config.transactions.abortTimedOutIntervalMs, () => this.txnCoordinator.tick(this.nowMs()));
    every(this.config.offsetsRetentionCheckIntervalMs, () => this.coordinator.cleanupGroupMetadata(this.nowMs()));
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

  /** For the runner and tests: this broker's partitions. */
  allPartitions(): readonly Partition[] {
    return [...this.replicaManager.all()];
  }

  get isRegistered(): boolean {
    return this.lifecycle.isRegistered;
  }
}

const ms = millis;
