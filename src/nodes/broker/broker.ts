import type { NodeContext, Process } from '../../network/nodeHost.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import type { Disk } from '../../log/disk.js';
import { LogDir } from '../../log/logDir.js';
import { LogError, type LogConfig } from '../../log/log.js';
import { micros, millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';
import { MetadataImage, type PartitionState } from '../controller/metadataImage.js';
import { metadataResponse } from '../controller/controller.js';
import { CONTROLLER_NODE, brokerNode, message, partitionName, type FetchPartition, type FetchPartitionResponse, type FetchRequest, type FetchResponse, type KafkaMessage, type ProduceRequest, type ProducePartitionData, type ProducePartitionResponse, type ProduceResponse, type WriteTxnMarkersRequest, type AddPartitionsToTxnRequest } from '../protocol.js';
import { Partition, type FollowerFetchResult, type PartitionConfig, type TruncationMode } from './partition.js';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../coordinator/groupCoordinator.js';
import { OFFSETS_TOPIC, javaStringHashCode, kafkaAbs } from '../coordinator/offsetsTopic.js';
import { TransactionCoordinator } from '../coordinator/transactionCoordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/transactionLog.js';
import { encodeControlBatch, isTransactional, readBatchHeader } from '../../log/recordBatch.js';
import { applyRetention } from '../../log/retention.js';
import { cleanLog } from '../../log/cleaner.js';
import { isCompacted } from '../../log/log.js';

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

/** Kafka's defaults of request.timeout.ms and replica.socket.timeout.ms. */
const REQUEST_TIMEOUT_MS = 30_000;
/** KafkaRaftClient's fetch wait, and controller.quorum.request.timeout.ms and controller.quorum.retry.backoff.ms. */
const METADATA_FETCH_WAIT_MS = 500;
const METADATA_REQUEST_TIMEOUT_MS = 2_000;
const METADATA_RETRY_BACKOFF_MS = 20;
/** How often the group coordinator looks for expired sessions and rebalance deadlines. */
const GROUP_TICK_MS = 100;
/** replica.high.watermark.checkpoint.interval.ms, Kafka's default. */
const HW_CHECKPOINT_INTERVAL_MS = 5_000;
/** How long a broker waits for the controller to approve its controlled shutdown (KafkaBroker.shutdown's 5 minutes). */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 300_000;
/** BrokerLifecycleManager asks again this soon after the controller's first "not yet". */
const CONTROLLED_SHUTDOWN_RECHECK_MS = 50;

/**
 * A broker (Kafka's KafkaServer with its ReplicaManager): it registers with the controller
 * and heartbeats, applying the metadata records each heartbeat returns; it leads or follows
 * each of its partitions as the metadata says; it serves Produce, Fetch and Metadata; its
 * replica fetchers pull from their leaders; and it asks the controller for ISR changes.
 */
export class Broker implements Process<KafkaMessage> {
  private readonly logDir: LogDir;
  private readonly image = new MetadataImage();
  private readonly partitions = new Map<string, Partition>();
  /** Partitions with a replica fetcher running, by name, with the leader epoch it fetches in. */
  private readonly fetching = new Map<string, number>();
  /** Replica fetchers, by source broker and fetcher id (see startFetcher). */
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private registered = false;
  /** The controller's last heartbeat answer said unfenced (BrokerState RUNNING rather than RECOVERY). */
  private running = false;
  /** The broker epoch of this incarnation's registration, written to the clean-shutdown marker. */
  private brokerEpoch = -1;
  /** PENDING_CONTROLLED_SHUTDOWN: how to exit once the controller agrees, and whether it has answered once. */
  private controlledShutdown: { readonly exit: () => void; answered: boolean } | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private heartbeatInFlight = false;
  /** The next heartbeat goes out as soon as the one in flight is answered. */
  private heartbeatSoon = false;
  private nextProducerId = 0;
  private readonly coordinator: GroupCoordinator;
  private readonly txnCoordinator: TransactionCoordinator;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly durable: BrokerDurable,
  ) {
    this.logDir = LogDir.open(durable.disk, 'data', (topic) => this.config.logConfig(topic), () => this.nowMs()).dir;
    this.coordinator = new GroupCoordinator({ trace: ctx.trace, brokerId: durable.config.brokerId, incarnation: ctx.incarnation, append: (p, records, done) => this.appendInternal(OFFSETS_TOPIC, p, records, done) }, durable.config.group);
    this.txnCoordinator = new TransactionCoordinator(
      {
        trace: ctx.trace,
        brokerId: durable.config.brokerId,
        append: (p, records, done) => this.appendInternal(TRANSACTION_STATE_TOPIC, p, records, done),
        writeMarkers: (req, done) => this.sendMarkers(req, done),
        nextProducerId: () => this.allocateProducerId(),
        after: (delayMs, fn) => void this.ctx.after(ms(delayMs), fn),
      },
      { partitions: durable.config.transactions.partitions, maxTimeoutMs: durable.config.transactions.maxTimeoutMs, offsetsPartitions: durable.config.group.offsetsPartitions, version: durable.config.transactions.version },
    );
    durable.metrics?.gauge(JMX.underReplicatedPartitions, () => {
      let n = 0;
      for (const p of this.partitions.values()) if (p.role === 'leader' && p.isr.length < p.replicas.length) n++;
      return n;
    });
  }

  private get config(): BrokerConfig {
    return this.durable.config;
  }

  get id(): number {
    return this.config.brokerId;
  }

  onStart(): void {
    this.register();
    // The periodic tasks, as KafkaScheduler runs them (ReplicaManager.startup, LogManager
    // .startup, GroupCoordinator.startup, TransactionCoordinator.startup).
    const every = (intervalMs: number, task: () => void): void => this.ctx.every(ms(intervalMs), task);
    every(this.config.highWatermarkCheckpointIntervalMs ?? HW_CHECKPOINT_INTERVAL_MS, () => this.checkpoint());
    every(this.isrCheckIntervalMs, () => this.maybeShrinkIsr());
    every(this.config.retentionCheckIntervalMs, () => this.applyRetention());
    every(this.config.cleanerBackoffMs, () => this.clean());
    every(this.config.producerIdExpirationCheckIntervalMs, () => this.removeExpiredProducers());
    every(GROUP_TICK_MS, () => this.coordinator.tick(this.nowMs()));
    every(this.config.transactions.abortTimedOutIntervalMs, () => this.txnCoordinator.tick(this.nowMs()));
    every(this.config.offsetsRetentionCheckIntervalMs, () => this.coordinator.cleanupGroupMetadata(this.nowMs()));
  }

  // ------------------------------------------------------------------ controller

  private register(): void {
    const req = message('BrokerRegistration', { brokerId: this.id, incarnation: this.ctx.incarnation, rack: this.config.rack });
    this.ctx.request(CONTROLLER_NODE, req, { timeout: ms(this.config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS), channel: Channel.Lifecycle }, (r) => {
      if (r.ok && r.response.type === 'BrokerRegistrationResponse' && r.response.error === undefined) {
        this.registered = true;
        this.brokerEpoch = r.response.brokerEpoch ?? -1;
        this.heartbeat();
        this.fetchMetadata();
      } else this.ctx.after(ms(this.config.heartbeatIntervalMs), () => this.register());
    });
  }

  /** BrokerLifecycleManager's heartbeat loop; in controlled shutdown each one asks to stop. */
  private heartbeat(): void {
    this.heartbeatTimer = undefined;
    this.heartbeatInFlight = true;
    const wantShutDown = this.controlledShutdown !== undefined;
    const req = message('BrokerHeartbeat', { brokerId: this.id, incarnation: this.ctx.incarnation, metadataOffset: this.image.offset, ...(wantShutDown ? { wantShutDown } : {}) });
    this.ctx.request(CONTROLLER_NODE, req, { timeout: ms(this.config.heartbeatIntervalMs * 2), channel: Channel.Lifecycle }, (r) => {
      this.heartbeatInFlight = false;
      let next = this.config.heartbeatIntervalMs;
      if (r.ok && r.response.type === 'BrokerHeartbeatResponse') {
        if (r.response.error !== undefined) {
          this.registered = false;
          this.running = false;
          this.register();
          return;
        }
        this.running = !r.response.fenced;
        const shutdown = this.controlledShutdown;
        if (shutdown !== undefined && wantShutDown) {
          if (r.response.shouldShutDown === true) {
            this.finishShutdown();
            return;
          }
          if (!shutdown.answered) next = CONTROLLED_SHUTDOWN_RECHECK_MS;
          shutdown.answered = true;
        }
      }
      if (this.heartbeatSoon) next = 0;
      this.heartbeatSoon = false;
      this.heartbeatTimer = this.ctx.after(ms(next), () => this.heartbeat());
    });
  }

  /** Sends the next heartbeat now, or right after the one in flight (scheduleNextCommunicationImmediately). */
  private heartbeatNow(): void {
    if (this.heartbeatInFlight) {
      this.heartbeatSoon = true;
      return;
    }
    if (this.heartbeatTimer !== undefined) this.ctx.cancel(this.heartbeatTimer);
    this.heartbeat();
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * SIGTERM (BrokerServer.shutdown). With controlled.shutdown.enable, a running broker
   * first enters PENDING_CONTROLLED_SHUTDOWN: its heartbeats ask the controller to move its
   * leaderships away and take it out of every ISR, and it keeps serving meanwhile; once the
   * controller answers that it may stop (or after five minutes), it closes. A broker not
   * yet running (fenced, or not registered) skips straight to closing, as Kafka's does.
   */
  onShutdown(exit: () => void): void {
    if (this.config.controlledShutdownEnable === false || !this.registered || !this.running) {
      this.close();
      exit();
      return;
    }
    this.controlledShutdown = { exit, answered: false };
    this.ctx.trace.emit('broker.controlled-shutdown', { broker: this.id });
    this.ctx.after(ms(CONTROLLED_SHUTDOWN_TIMEOUT_MS), () => this.finishShutdown());
    this.heartbeatNow();
  }

  private finishShutdown(): void {
    const shutdown = this.controlledShutdown;
    if (shutdown === undefined) return;
    this.controlledShutdown = undefined;
    this.close();
    shutdown.exit();
  }

  /**
   * The rest of the shutdown: the request handlers, coordinators and fetchers stop with the
   * process; what matters is LogManager.shutdown, which flushes and closes every log,
   * writes the checkpoints and leaves the clean-shutdown marker.
   */
  private close(): void {
    this.logDir.shutdown(this.brokerEpoch);
  }

  /** A metadata fetch is out (one at a time, as KafkaRaftClient has). */
  private fetchingMetadata = false;

  /**
   * KRaft: the broker follows the metadata log as an observer of the controller quorum,
   * fetching `__cluster_metadata` from where its image is (KafkaRaftClient, with its 500 ms
   * fetch wait and 2 s request timeout); records are applied as they come, so a new leader
   * learns of its election a round trip after the controller commits it. A failed fetch is
   * retried after controller.quorum.retry.backoff.ms (20 ms).
   */
  private fetchMetadata(): void {
    if (this.fetchingMetadata || !this.registered) return;
    this.fetchingMetadata = true;
    const req = message('MetadataFetch', { brokerId: this.id, fetchOffset: this.image.offset, maxWaitMs: METADATA_FETCH_WAIT_MS });
    this.ctx.request(CONTROLLER_NODE, req, { timeout: ms(METADATA_REQUEST_TIMEOUT_MS), channel: Channel.Metadata }, (r) => {
      this.fetchingMetadata = false;
      if (r.ok && r.response.type === 'MetadataFetchResponse') {
        for (const record of r.response.records) this.image.apply(record);
        if (r.response.records.length > 0) this.reconcile();
        this.fetchMetadata();
      } else this.ctx.after(ms(METADATA_RETRY_BACKOFF_MS), () => this.fetchMetadata());
    });
  }

  /** Makes every local replica lead or follow as the metadata image says (Kafka's applyDelta). */
  private reconcile(): void {
    for (const p of this.image.partitions()) {
      if (!p.replicas.includes(this.id)) continue;
      const partition = this.partitionFor(p);
      const info = { leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, replicas: p.replicas, isr: p.isr };
      if (p.leader === this.id) {
        if (partition.role !== 'leader' || partition.leaderEpoch !== p.leaderEpoch) {
          const hwBefore = partition.highWatermark;
          partition.becomeLeader(info, this.nowMs());
          this.ctx.trace.emit('replica.role', { broker: this.id, partition: partition.name, role: 'leader', leaderEpoch: p.leaderEpoch });
          this.traceHw(partition, hwBefore);
          if (p.topic === OFFSETS_TOPIC) {
            // A new leadership reloads from the log, as Kafka's onElection does.
            this.coordinator.unload(p.partition);
            this.coordinator.load(p.partition, partition.log, this.nowMs());
          } else if (p.topic === TRANSACTION_STATE_TOPIC) {
            this.txnCoordinator.unload(p.partition);
            this.txnCoordinator.load(p.partition, partition.log, p.leaderEpoch, this.nowMs());
          }
        } else partition.updateLeadership(info);
      } else if (partition.role !== 'follower' || partition.leaderEpoch !== p.leaderEpoch) {
        const leoBefore = partition.log.logEndOffset;
        partition.becomeFollower(info);
        if (p.topic === OFFSETS_TOPIC) this.coordinator.unload(p.partition);
        if (p.topic === TRANSACTION_STATE_TOPIC) this.txnCoordinator.unload(p.partition);
        if (partition.log.logEndOffset < leoBefore) this.ctx.trace.emit('replica.truncate', { broker: this.id, partition: partition.name, to: partition.log.logEndOffset, reason: 'high-watermark' });
        this.ctx.trace.emit('replica.role', { broker: this.id, partition: partition.name, role: 'follower', leaderEpoch: p.leaderEpoch });
        if (p.leader >= 0 && !this.stopsFetching(p)) this.startFetcher(partition);
      } else {
        partition.updateLeadership(info);
        if (partition.role === 'follower' && this.stopsFetching(p)) this.fetching.delete(partition.name);
      }
    }
  }

  /** ReplicaManager in controlled shutdown stops fetching for replicas with no leader or out of the ISR. */
  private stopsFetching(p: PartitionState): boolean {
    return this.controlledShutdown !== undefined && (p.leader < 0 || !p.isr.includes(this.id));
  }

  private partitionFor(p: PartitionState): Partition {
    const name = `${p.topic}-${p.partition}`;
    let partition = this.partitions.get(name);
    if (partition === undefined) {
      const logConfig = this.config.logConfig(p.topic);
      const log = this.logDir.getOrCreate({ topic: p.topic, partition: p.partition }, logConfig, () => this.nowMs());
      const topicMinIsr = this.image.topic(p.topic)?.config['min.insync.replicas'];
      const config: PartitionConfig = {
        minInsyncReplicas: typeof topicMinIsr === 'number' ? topicMinIsr : this.config.minInsyncReplicas,
        replicaLagTimeMaxMs: this.config.replicaLagTimeMaxMs,
        maxFetchBytes: this.config.replicaFetchMaxBytes,
        truncation: this.config.truncation,
        holdHighWatermarkBelowMinIsr: this.config.eligibleLeaderReplicas === true,
      };
      partition = new Partition(p.topic, p.partition, this.id, log, config);
      this.partitions.set(name, partition);
      // What this incarnation found on disk: after a power loss, less than it had written.
      this.ctx.trace.emit('replica.open', { broker: this.id, partition: name, logEndOffset: log.logEndOffset });
    }
    return partition;
  }

  // ------------------------------------------------------------------ follower

  /**
   * Adds `partition` to a replica fetcher for its leader, starting one if there is none. As
   * Kafka's ReplicaFetcherManager does, each source broker gets num.replica.fetchers
   * fetchers, a partition goes to the one its topic and number hash to
   * (AbstractFetcherManager.getFetcherId), and each fetcher fetches all of its partitions
   * there in one request at a time.
   */
  private startFetcher(partition: Partition): void {
    this.fetching.set(partition.name, partition.leaderEpoch);
    const n = Math.max(1, this.config.replicaFetchers);
    const id = fetcherIdOf(partition.topic, partition.partition, n);
    const key = partition.leader * n + id;
    let fetcher = this.fetchers.get(key);
    if (fetcher === undefined) {
      fetcher = { key, id, leader: partition.leader, partitions: new Map(), running: false };
      this.fetchers.set(key, fetcher);
    }
    fetcher.partitions.set(partition.name, { partition, epoch: partition.leaderEpoch, delayedUntil: 0 });
    if (!fetcher.running) {
      fetcher.running = true;
      this.runFetcher(fetcher);
    }
  }

  /**
   * One round of a replica fetcher (AbstractFetcherThread.doWork): a Fetch for each of its
   * partitions still followed in the epoch it was added for and not backing off after an
   * error; each answer is applied partition by partition. An answered fetch goes straight
   * out again (the leader held it while it had nothing); a failed one backs off.
   */
  private runFetcher(fetcher: ReplicaFetcher): void {
    const now = this.ctx.now();
    const live: FetchedPartition[] = [];
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const [name, e] of fetcher.partitions) {
      const p = e.partition;
      if (p.role !== 'follower' || p.leaderEpoch !== e.epoch || p.leader !== fetcher.leader || this.fetching.get(name) !== e.epoch) fetcher.partitions.delete(name);
      else if (e.resolving === true) continue;
      else if (e.delayedUntil > now) wakeAt = Math.min(wakeAt, e.delayedUntil);
      else live.push(e);
    }
    if (live.length === 0) {
      if (fetcher.partitions.size === 0) {
        fetcher.running = false;
        this.fetchers.delete(fetcher.key);
      } else if (wakeAt < Number.POSITIVE_INFINITY) this.ctx.after(micros(wakeAt - now), () => this.runFetcher(fetcher));
      // Only partitions resolving an out-of-range fetch: the last to finish starts it again.
      else fetcher.running = false;
      return;
    }
    const partitions = live.map((e) => e.partition.nextFetch());
    const req = message<FetchRequest>('Fetch', { replicaId: this.id, partitions });
    this.ctx.request(brokerNode(fetcher.leader), req, { timeout: ms(this.config.replicaSocketTimeoutMs ?? REQUEST_TIMEOUT_MS), channel: Channel.Fetchers + fetcher.id }, (r) => {
      // A failed request (a timeout, a lost connection) backs every partition off; an error
      // backs off its partition only.
      const backoffUntil = this.ctx.now() + this.config.replicaFetchBackoffMs * 1000;
      const responses = r.ok && r.response.type === 'FetchResponse' ? r.response.responses : undefined;
      live.forEach((e, i) => {
        const partition = e.partition;
        if (partition.role !== 'follower' || partition.leaderEpoch !== e.epoch) return;
        const res = responses?.[i];
        if (res?.error === 'OFFSET_OUT_OF_RANGE') this.resolveOutOfRange(fetcher, e);
        else if (res === undefined || res.error !== undefined || !this.applyFetched(partition, e.epoch, res)) e.delayedUntil = backoffUntil;
      });
      this.runFetcher(fetcher);
    });
  }

  /**
   * The leader refused a fetch offset outside its log (AbstractFetcherThread
   * .handleOutOfRangeError and fetchOffsetAndTruncate): ask the leader for its log end
   * offset; a follower ahead of it (possible only after an unclean election) truncates to
   * it, and one behind the leader's log start offset (retention went on while it was away)
   * empties its log and starts again there. The partition sits out fetches meanwhile.
   */
  private resolveOutOfRange(fetcher: ReplicaFetcher, e: FetchedPartition): void {
    const partition = e.partition;
    e.resolving = true;
    const resume = (backoff: boolean): void => {
      e.resolving = false;
      e.delayedUntil = backoff ? this.ctx.now() + this.config.replicaFetchBackoffMs * 1000 : 0;
      if (!fetcher.running && this.fetchers.get(fetcher.key) === fetcher) {
        fetcher.running = true;
        this.runFetcher(fetcher);
      }
    };
    const still = (): boolean => partition.role === 'follower' && partition.leaderEpoch === e.epoch;
    const ask = (timestamp: -1 | -2, then: (offset: number) => void): void => {
      const req = message('ListOffsets', { topic: partition.topic, partition: partition.partition, timestamp, currentLeaderEpoch: e.epoch, replicaId: this.id });
      this.ctx.request(brokerNode(fetcher.leader), req, { timeout: ms(this.config.replicaSocketTimeoutMs ?? REQUEST_TIMEOUT_MS), channel: Channel.Fetchers + fetcher.id }, (r) => {
        if (!still()) return resume(false);
        if (!r.ok || r.response.type !== 'ListOffsetsResponse' || r.response.error !== undefined) return resume(true);
        then(r.response.offset);
      });
    };
    ask(-1, (leaderEnd) => {
      const leo = partition.log.logEndOffset;
      if (leaderEnd < leo) {
        partition.log.truncateTo(leaderEnd);
        this.ctx.trace.emit('replica.truncate', { broker: this.id, partition: partition.name, to: partition.log.logEndOffset, reason: 'out-of-range' });
        return resume(false);
      }
      ask(-2, (leaderStart) => {
        if (leaderStart > partition.log.logEndOffset) {
          partition.log.truncateFullyAndStartAt(leaderStart);
          this.ctx.trace.emit('replica.truncate', { broker: this.id, partition: partition.name, to: leaderStart, reason: 'out-of-range' });
        }
        resume(false);
      });
    });
  }

  /**
   * Appends (or truncates to) what the leader sent for one partition. False when the
   * records failed their checksum: the partition backs off and fetches them again.
   */
  private applyFetched(partition: Partition, epoch: number, res: FetchPartitionResponse): boolean {
    const leoBefore = partition.log.logEndOffset;
    let applied: ReturnType<Partition['applyFetch']>;
    try {
      applied = partition.applyFetch({ records: res.records, highWatermark: res.highWatermark, logStartOffset: res.logStartOffset, divergingEpoch: res.divergingEpoch });
    } catch (err) {
      if (!(err instanceof LogError)) throw err;
      if (err.code === 'CORRUPT_MESSAGE') {
        // AbstractFetcherThread.processFetchRequest: a CorruptRecordException is logged and the
        // partition retried after replica.fetch.backoff.ms, in case the damage was passing
        // (a partial write, a truncation). A batch that rotted on the leader's disk fails
        // every time: the follower stays where it is and drops out of the ISR.
        this.ctx.trace.emit('replica.fetch.corrupt', { broker: this.id, partition: partition.name, fetchOffset: leoBefore, reason: err.message });
        return false;
      }
      // Any other error marks the partition failed, and the fetcher stops fetching it until
      // its leadership changes (markPartitionFailed); the replica falls out of the ISR.
      // Before KIP-101 this is how a follower that truncated to a high watermark inside the
      // leader's batch ended up.
      this.ctx.trace.emit('replica.fetch.failed', { broker: this.id, partition: partition.name, leaderEpoch: epoch, reason: err.message });
      this.fetching.delete(partition.name);
      return true;
    }
    if (applied.truncatedTo !== undefined) this.ctx.trace.emit('replica.truncate', { broker: this.id, partition: partition.name, to: applied.truncatedTo, reason: 'diverging-epoch' });
    if (applied.appended > 0) this.traceAppend(partition, leoBefore, partition.log.logEndOffset - 1);
    return true;
  }

  // ------------------------------------------------------------------ leader

  /**
   * acks=0 produces arrive as one-way messages: nothing is sent back, even on error. With no
   * response to carry an error, Kafka's KafkaApis closes the connection instead, once every
   * partition of the request has been tried: the producer notices and refreshes its metadata.
   */
  onMessage(from: string, msg: KafkaMessage): void {
    if (msg.type !== 'Produce') return;
    let failed = false;
    const appended: Partition[] = [];
    for (const data of msg.partitions) {
      const partition = this.partitions.get(partitionName(msg.topic, data.partition));
      if (partition === undefined) {
        failed = true;
        continue;
      }
      const result = partition.appendAsLeader(data.records, '0', this.traceAppendTo(partition));
      if ('error' in result) {
        this.markFailedProduce(result.error);
        failed = true;
        continue;
      }
      appended.push(partition);
    }
    for (const partition of appended) this.wakeFetches(partition.name);
    if (failed) this.ctx.closeConnection(from);
  }

  onRequest(_from: string, req: KafkaMessage, reply: (r: KafkaMessage) => void): void {
    switch (req.type) {
      case 'Produce':
        this.handleProduce(req, reply);
        return;
      case 'Fetch':
        if (req.replicaId < 0) this.consumerFetch(req, reply);
        else this.replicaFetch(req, reply);
        return;
      case 'Metadata':
        reply(metadataResponse(this.image, req.topics));
        return;
      case 'ListOffsets': {
        const partition = this.partitions.get(partitionName(req.topic, req.partition));
        const r = partition === undefined ? { error: 'NOT_LEADER_OR_FOLLOWER' as const, leaderEpoch: -1 } : partition.listOffset(req.timestamp, req.currentLeaderEpoch, req.replicaId !== undefined && req.replicaId >= 0 ? 'none' : req.isolationLevel);
        reply(message('ListOffsetsResponse', 'error' in r ? { error: r.error, offset: -1, leaderEpoch: r.leaderEpoch } : { offset: r.offset, leaderEpoch: r.leaderEpoch }));
        return;
      }
      case 'FindCoordinator': {
        // The coordinator is the leader of the group's partition of __consumer_offsets
        // (Kafka's KafkaApis.handleFindCoordinatorRequest, from this broker's metadata).
        const p =
          req.keyType === 'transaction'
            ? this.image.partition(TRANSACTION_STATE_TOPIC, this.txnCoordinator.partitionFor(req.key))
            : this.image.partition(OFFSETS_TOPIC, this.coordinator.partitionFor(req.key));
        if (p === undefined || p.leader < 0) reply(message('FindCoordinatorResponse', { error: 'COORDINATOR_NOT_AVAILABLE', nodeId: -1 }));
        else reply(message('FindCoordinatorResponse', { nodeId: p.leader }));
        return;
      }
      case 'JoinGroup':
      case 'SyncGroup':
      case 'Heartbeat':
      case 'LeaveGroup':
      case 'OffsetCommit':
      case 'OffsetFetch':
      case 'TxnOffsetCommit':
        this.coordinator.handle(req, this.nowMs(), reply);
        return;
      case 'InitProducerId':
        if (req.transactionalId !== undefined) {
          this.txnCoordinator.handle(req, this.nowMs(), reply);
          return;
        }
        if (req.producerId !== undefined && req.producerId >= 0 && req.producerEpoch !== undefined) {
          // KIP-360: the same producer id in the next epoch, so its sequences start over at 0.
          reply(message('InitProducerIdResponse', { producerId: req.producerId, producerEpoch: req.producerEpoch + 1 }));
          return;
        }
        // Each broker hands out producer ids from its own range (Kafka gets blocks from the controller).
        reply(message('InitProducerIdResponse', { producerId: this.allocateProducerId(), producerEpoch: 0 }));
        return;
      case 'AddPartitionsToTxn':
      case 'AddOffsetsToTxn':
      case 'EndTxn':
        this.txnCoordinator.handle(req, this.nowMs(), reply);
        return;
      case 'WriteTxnMarkers':
        this.writeMarkers(req, reply);
        return;
      default:
        return;
    }
  }

  /**
   * Produce (KafkaApis.handleProduceRequest and ReplicaManager.appendRecords): each
   * partition's batch is appended, and the request is answered once for all of them. With
   * acks=all the answer waits, as Kafka's DelayedProduce does, until every partition has
   * committed its batch or the request's timeout passes. With
   * transaction.partition.verification.enable (KIP-890), a transactional write that would
   * start a transaction in a partition is first checked with the producer's transaction
   * coordinator: a write the coordinator does not know to be in an ongoing transaction (a
   * late retry of an aborted one) is refused.
   */
  private handleProduce(req: ProduceRequest, reply: (r: KafkaMessage) => void): void {
    const responses: ProducePartitionResponse[] = new Array<ProducePartitionResponse>(req.partitions.length);
    let left = req.partitions.length;
    /** acks=all waits still open, to give up on when the request times out. */
    const waiting = new Map<Partition, (error: string | undefined) => void>();
    let expiry: TimerHandle | undefined;
    const answer = (i: number, r: ProducePartitionResponse): void => {
      responses[i] = r;
      if (--left > 0) return;
      if (expiry !== undefined) this.ctx.cancel(expiry);
      reply(message<ProduceResponse>('ProduceResponse', { responses }));
    };
    const wait = (partition: Partition, done: (error: string | undefined) => void): void => {
      waiting.set(partition, done);
      // Kafka's DelayedProduce expires after the request's timeout.
      expiry ??= this.ctx.after(ms(req.timeoutMs), () => {
        expiry = undefined;
        for (const [p, d] of [...waiting]) {
          p.cancelDelayed(d);
          d('REQUEST_TIMED_OUT');
        }
      });
    };
    // Fetches held for these partitions are answered once every partition the request
    // could append at once is appended (Kafka completes delayed fetches after the appends,
    // ReplicaManager's action queue), so a follower fetching several of them gets them all.
    let appendedNow: Partition[] | undefined = [];
    const appended = (p: Partition): void => {
      if (appendedNow === undefined) this.wakeFetches(p.name);
      else appendedNow.push(p);
    };
    req.partitions.forEach((data, i) => {
      const partition = this.partitions.get(partitionName(req.topic, data.partition));
      const produce = (): void => this.produceTo(partition, data, req.acks, (r) => answer(i, r), wait, (p) => waiting.delete(p), appended);
      if (partition !== undefined && partition.role === 'leader' && req.transactionalId !== undefined && this.config.transactions.verification && data.records.length > 0) {
        const h = readBatchHeader(data.records, 0);
        if (isTransactional(h) && partition.log.producers.entry(h.producerId)?.currentTxnFirstOffset === undefined) {
          this.verifyTransaction(req.transactionalId, h.producerId, h.producerEpoch, partition.name, (error) => {
            if (error !== undefined) answer(i, { partition: data.partition, error, baseOffset: -1 });
            else produce();
          });
          return;
        }
      }
      produce();
    });
    const toWake = appendedNow;
    appendedNow = undefined;
    for (const p of toWake) this.wakeFetches(p.name);
  }

  /** Appends one partition's batch of a Produce request; `done` gets its outcome, at once or (acks=all) once committed. */
  private produceTo(
    partition: Partition | undefined,
    data: ProducePartitionData,
    acks: ProduceRequest['acks'],
    done: (r: ProducePartitionResponse) => void,
    wait: (partition: Partition, done: (error: string | undefined) => void) => void,
    settled: (partition: Partition) => void,
    appended: (partition: Partition) => void,
  ): void {
    if (partition === undefined) {
      done({ partition: data.partition, error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1 });
      return;
    }
    const hwBefore = partition.highWatermark;
    const result = partition.appendAsLeader(data.records, acks, this.traceAppendTo(partition));
    this.traceHw(partition, hwBefore);
    if ('error' in result) {
      this.markFailedProduce(result.error);
      done({ partition: data.partition, error: result.error, baseOffset: -1, logStartOffset: partition.log.logStartOffset });
      return;
    }
    appended(partition);
    if (acks !== 'all') {
      done({ partition: data.partition, baseOffset: result.baseOffset });
      return;
    }
    // A recognised duplicate is answered with its original offsets, but under acks=all
    // only once those are committed too, as Kafka's DelayedProduce waits for them.
    let answered = false;
    const committed = (error: string | undefined): void => {
      if (answered) return;
      answered = true;
      settled(partition);
      done({ partition: data.partition, error, baseOffset: error === undefined ? result.baseOffset : -1 });
    };
    wait(partition, committed);
    partition.awaitCommit(result.lastOffset, committed);
  }

  /** KIP-890: asks the transaction coordinator whether `partition` is in the producer's ongoing transaction. */
  private verifyTransaction(transactionalId: string, producerId: number, producerEpoch: number, partition: string, done: (error: string | undefined) => void): void {
    const req = message<AddPartitionsToTxnRequest>('AddPartitionsToTxn', { transactionalId, producerId, producerEpoch, partitions: [partition], verifyOnly: true });
    const answer = (r: KafkaMessage): void => {
      const error = r.type === 'TxnResponse' ? r.error : 'UNKNOWN_SERVER_ERROR';
      done(error === undefined ? undefined : error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' ? 'NOT_ENOUGH_REPLICAS' : 'INVALID_TXN_STATE');
    };
    const coordinator = this.image.partition(TRANSACTION_STATE_TOPIC, this.txnCoordinator.partitionFor(transactionalId))?.leader ?? -1;
    if (coordinator === this.id) {
      this.txnCoordinator.handle(req, this.nowMs(), answer);
      return;
    }
    if (coordinator < 0) {
      done('NOT_ENOUGH_REPLICAS');
      return;
    }
    this.ctx.request(brokerNode(coordinator), req, { timeout: ms(this.config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS), channel: Channel.Verification }, (r) => (r.ok ? answer(r.response) : done('NOT_ENOUGH_REPLICAS')));
  }

  /**
   * The coordinator's markers, to each partition's leader (TransactionMarkerChannelManager):
   * partitions this broker leads are written here, the others through WriteTxnMarkers.
   */
  private sendMarkers(req: Omit<WriteTxnMarkersRequest, 'type' | 'bytes'>, done: (failed: readonly string[]) => void): void {
    const byLeader = new Map<number, string[]>();
    const failed: string[] = [];
    for (const name of req.partitions) {
      const m = /^(.*)-(\d+)$/.exec(name);
      const leader = m === null ? -1 : (this.image.partition(m[1], Number(m[2]))?.leader ?? -1);
      if (leader < 0) failed.push(name);
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), name]);
    }
    let waiting = byLeader.size;
    if (waiting === 0) {
      done(failed);
      return;
    }
    const settle = (more: readonly string[]): void => {
      failed.push(...more);
      if (--waiting === 0) done(failed);
    };
    for (const [leader, partitions] of byLeader) {
      const markers = message<WriteTxnMarkersRequest>('WriteTxnMarkers', { ...req, partitions });
      if (leader === this.id) {
        this.writeMarkers(markers, (r) => settle(r.type === 'WriteTxnMarkersResponse' ? r.errors.map((e) => e.partition) : partitions));
        continue;
      }
      this.ctx.request(brokerNode(leader), markers, { timeout: ms(this.config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS), channel: Channel.TxnMarkers }, (r) => {
        settle(r.ok && r.response.type === 'WriteTxnMarkersResponse' ? r.response.errors.map((e) => e.partition) : partitions);
      });
    }
  }

  /**
   * WriteTxnMarkers (KafkaApis.handleWriteTxnMarkersRequest): a COMMIT or ABORT control batch
   * in each partition this broker leads, under the producer's id and the coordinator's
   * epoch, acks=all. A marker in `__consumer_offsets` also settles the transaction's offsets.
   */
  private writeMarkers(req: WriteTxnMarkersRequest, reply: (r: KafkaMessage) => void): void {
    const errors: { partition: string; error: string }[] = [];
    let waiting = req.partitions.length;
    const settle = (partition: string, error: string | undefined): void => {
      if (error !== undefined) errors.push({ partition, error });
      if (--waiting === 0) reply(message('WriteTxnMarkersResponse', { errors }));
    };
    for (const name of req.partitions) {
      const partition = this.partitions.get(name);
      if (partition === undefined || partition.role !== 'leader') {
        settle(name, 'NOT_LEADER_OR_FOLLOWER');
        continue;
      }
      const marker = encodeControlBatch({ type: req.commit ? 'COMMIT' : 'ABORT', coordinatorEpoch: req.coordinatorEpoch }, { producerId: req.producerId, producerEpoch: req.producerEpoch, timestamp: this.nowMs() });
      this.appendInternal(partition.topic, partition.partition, marker, (error, offset) => {
        if (error === undefined) {
          this.ctx.trace.emit('txn.marker', { broker: this.id, partition: name, commit: req.commit, producerId: req.producerId, producerEpoch: req.producerEpoch, offset: offset ?? -1 });
          if (partition.topic === OFFSETS_TOPIC) this.coordinator.onTxnMarker(partition.partition, req.producerId, req.commit);
        }
        settle(name, error);
      });
    }
  }

  /** Kafka's next producer id: each broker hands them out from its own range (Kafka gets blocks from the controller). */
  private allocateProducerId(): number {
    return this.id * 1_000_000 + this.ctx.incarnation * 10_000 + this.nextProducerId++;
  }

  /**
   * A leader's high watermark moved: records below it are now visible to consumers. A move
   * down is traced too, so the online checks can see it (it must never happen).
   */
  private traceHw(partition: Partition, before: number): void {
    if (partition.role === 'leader' && partition.highWatermark !== before) {
      this.ctx.trace.emit('replica.hw', { broker: this.id, partition: partition.name, leaderEpoch: partition.leaderEpoch, highWatermark: partition.highWatermark });
      // Consumers waiting at the old high watermark have something to read now.
      this.wake(this.parkedConsumers, partition.name);
    }
  }

  /**
   * A follower's fetch (KafkaApis.handleFetchRequest from a replica): each partition's
   * records from the follower's fetch offset, the high watermark, and the diverging epoch
   * if its log went another way (KIP-320). The fetch offset also tells the leader how far
   * the follower has come, which moves the high watermark and the ISR. Kafka's
   * DelayedFetch: when every partition asked for is already at its log end, the leader holds
   * the fetch until any of them has records or replica.fetch.wait.max.ms passes, so
   * replication is as quick as a round trip without the follower spinning.
   */
  private replicaFetch(req: FetchRequest, reply: (r: KafkaMessage) => void): void {
    const parts = req.partitions.map((fp) => ({ fp, partition: this.partitions.get(partitionName(fp.topic, fp.partition)) }));
    const follow = (fp: FetchPartition, partition: Partition): FollowerFetchResult => {
      const hwBefore = partition.highWatermark;
      const r = partition.fetchForFollower(req.replicaId, fp.fetchOffset, fp.lastFetchedEpoch, fp.currentLeaderEpoch, this.nowMs());
      this.traceHw(partition, hwBefore);
      this.proposeIsr(partition, req.replicaId);
      return r;
    };
    const answer = (): void => {
      const responses = parts.map(({ fp, partition }): FetchPartitionResponse => {
        const r = partition === undefined ? ({ error: 'NOT_LEADER_OR_FOLLOWER' } as const) : follow(fp, partition);
        if (r.error !== undefined) return fetchError(fp, r.error);
        return { topic: fp.topic, partition: fp.partition, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, records: r.records, divergingEpoch: r.divergingEpoch };
      });
      reply(message<FetchResponse>('FetchResponse', { responses }));
    };
    const caughtUp = (): boolean => parts.length > 0 && parts.every(({ fp, partition }) => partition !== undefined && partition.role === 'leader' && fp.currentLeaderEpoch === partition.leaderEpoch && fp.fetchOffset === partition.log.logEndOffset);
    if (!caughtUp()) {
      answer();
      return;
    }
    for (const { fp, partition } of parts) follow(fp, partition as Partition);
    // Moving the high watermark can append at once (a waiting internal write completes and
    // the coordinator writes its next record): look again before waiting, as Kafka's
    // DelayedOperationPurgatory.tryCompleteElseWatch does, or that append's wake-up is lost
    // and the follower waits out replica.fetch.wait.max.ms.
    if (!caughtUp()) {
      answer();
      return;
    }
    this.park(
      this.parked,
      parts.map(({ partition }) => (partition as Partition).name),
      answer,
      this.config.replicaFetchWaitMaxMs,
    );
  }

  /**
   * A consumer's fetch (KafkaApis.handleFetchRequest for a consumer): read below the high
   * watermark; with less than fetch.min.bytes readable over the partitions asked for (by
   * default, nothing at all), wait up to the request's fetch.max.wait.ms for high watermarks
   * to move until there is (Kafka's DelayedFetch.tryComplete).
   */
  private consumerFetch(req: FetchRequest, reply: (r: KafkaMessage) => void): void {
    const parts = req.partitions.map((fp) => ({ fp, partition: this.partitions.get(partitionName(fp.topic, fp.partition)) }));
    const answer = (): void => {
      const responses = parts.map(({ fp, partition }): FetchPartitionResponse => {
        const r = partition === undefined ? ({ error: 'NOT_LEADER_OR_FOLLOWER' } as const) : partition.fetchForConsumer(fp.fetchOffset, fp.lastFetchedEpoch, fp.currentLeaderEpoch, fp.partitionMaxBytes ?? this.config.replicaFetchMaxBytes, req.isolationLevel);
        if (r.error !== undefined) return fetchError(fp, r.error);
        return { topic: fp.topic, partition: fp.partition, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, records: r.records, divergingEpoch: r.divergingEpoch, lastStableOffset: r.lastStableOffset, abortedTransactions: r.abortedTransactions };
      });
      reply(message<FetchResponse>('FetchResponse', { responses }));
    };
    const waitMs = req.maxWaitMs ?? 0;
    const minBytes = req.minBytes ?? 1;
    // Anything that must be answered now (an error, a divergence) completes the fetch, as a
    // partition's error completes Kafka's DelayedFetch.
    const mustAnswer = (): boolean => parts.length === 0 || parts.some(({ fp, partition }) => partition === undefined || partition.role !== 'leader' || fp.fetchOffset > partition.log.logEndOffset);
    const readableBytes = (): number => {
      let bytes = 0;
      for (const { fp, partition } of parts) {
        const p = partition as Partition;
        const readable = req.isolationLevel === 'read_committed' ? p.log.lastStableOffset : p.highWatermark;
        if (fp.fetchOffset >= readable) continue;
        if (minBytes <= 1) return 1;
        const r = p.fetchForConsumer(fp.fetchOffset, fp.lastFetchedEpoch, fp.currentLeaderEpoch, minBytes, req.isolationLevel);
        if (r.error !== undefined || r.divergingEpoch !== undefined) return Number.POSITIVE_INFINITY;
        bytes += r.records.length;
        if (bytes >= minBytes) return bytes;
      }
      return bytes;
    };
    if (waitMs > 0 && !mustAnswer() && readableBytes() < minBytes) {
      this.park(
        this.parkedConsumers,
        parts.map(({ partition }) => (partition as Partition).name),
        answer,
        waitMs,
        // With the default of 1, any news for a partition answers the fetch.
        minBytes <= 1 ? undefined : () => mustAnswer() || readableBytes() >= minBytes,
      );
      return;
    }
    answer();
  }

  /** Appends to an internal topic this broker leads (the coordinator's writes), acks=all. */
  private appendInternal(topic: string, p: number, records: Buffer, done: (error: string | undefined, offset?: number) => void): void {
    const partition = this.partitions.get(partitionName(topic, p));
    if (partition === undefined) {
      done('NOT_LEADER_OR_FOLLOWER');
      return;
    }
    const hwBefore = partition.highWatermark;
    const result = partition.appendAsLeader(records, 'all', this.traceAppendTo(partition));
    this.traceHw(partition, hwBefore);
    if ('error' in result) {
      done(result.error);
      return;
    }
    this.wakeFetches(partition.name);
    let settled = false;
    const once = (error: string | undefined): void => {
      if (settled) return;
      settled = true;
      done(error, result.baseOffset);
    };
    partition.awaitCommit(result.lastOffset, once);
    this.ctx.after(ms(this.config.offsetsCommitTimeoutMs), () => {
      partition.cancelDelayed(once);
      once('REQUEST_TIMED_OUT');
    });
  }

  /** Traces a leader's append as it happens (see Partition.appendAsLeader). */
  private traceAppendTo(partition: Partition): (baseOffset: number, lastOffset: number) => void {
    return (baseOffset, lastOffset) => this.traceAppend(partition, baseOffset, lastOffset);
  }

  private traceAppend(partition: Partition, baseOffset: number, lastOffset: number): void {
    this.ctx.trace.emit('replica.append', { broker: this.id, partition: partition.name, role: partition.role === 'leader' ? 'leader' : 'follower', leaderEpoch: partition.leaderEpoch, baseOffset, lastOffset });
  }

  /** Parked follower fetches, by partition: each answers once, when one of its partitions has records or when it times out. */
  private readonly parked = new Map<string, Set<() => void>>();
  /** Parked consumer fetches, by partition, woken when the high watermark moves. */
  private readonly parkedConsumers = new Map<string, Set<() => void>>();

  /** Holds a fetch of the partitions `names` until one of them is woken or `waitMs` passes; it answers once. */
  private park(parked: Map<string, Set<() => void>>, names: readonly string[], answer: () => void, waitMs: number, ready?: () => boolean): void {
    let expiry: TimerHandle | undefined;
    let answered = false;
    const once = (): void => {
      // A timer that fired while this broker was paused runs when it resumes, even if the
      // fetch was answered meanwhile: the flag, not the cancel, makes it answer once.
      if (answered) return;
      answered = true;
      for (const name of names) parked.get(name)?.delete(woken);
      if (expiry !== undefined) this.ctx.cancel(expiry);
      answer();
    };
    // Woken by a partition's news, it answers only once `ready` holds (fetch.min.bytes).
    const woken = ready === undefined ? once : (): void => {
      if (ready()) once();
    };
    for (const name of names) {
      let waiting = parked.get(name);
      if (waiting === undefined) parked.set(name, (waiting = new Set()));
      waiting.add(woken);
    }
    expiry = this.ctx.after(ms(waitMs), () => {
      expiry = undefined;
      once();
    });
  }

  /** New records: answer every follower parked on the partition. */
  private wakeFetches(name: string): void {
    this.wake(this.parked, name);
  }

  private wake(parked: Map<string, Set<() => void>>, name: string): void {
    const waiting = parked.get(name);
    if (waiting === undefined || waiting.size === 0) return;
    for (const answer of [...waiting]) answer();
  }

  /**
   * ReplicaManager's "isr-expiration" task runs every replica.lag.time.max.ms / 2: a follower
   * that stopped is out of the ISR between 1 and 1.5 times replica.lag.time.max.ms later.
   */
  private get isrCheckIntervalMs(): number {
    return Math.max(1, Math.floor(this.config.replicaLagTimeMaxMs / 2));
  }

  private maybeShrinkIsr(): void {
    // Kafka's periodic check only shrinks (ReplicaManager.maybeShrinkIsr); a follower is let
    // back in when one of its fetches shows it caught up (Partition.maybeExpandIsr).
    for (const p of this.partitions.values()) this.proposeIsr(p);
  }

  /**
   * FailedProduceRequestsPerSec counts appends that failed on this leader; like Kafka's
   * ReplicaManager.appendToLocalLog, not those refused for leadership.
   */
  private markFailedProduce(error: string): void {
    if (error !== 'NOT_LEADER_OR_FOLLOWER' && error !== 'UNKNOWN_TOPIC_OR_PARTITION') this.durable.metrics?.mark(JMX.failedProduceRequests);
  }

  /** Sends the ISR change a leader wants to the controller (AlterPartition), one at a time. */
  private proposeIsr(partition: Partition, fetchedBy?: number): void {
    if (partition.pendingIsr !== undefined) return;
    const isr = partition.proposedIsr(this.nowMs(), fetchedBy);
    if (isr === undefined) return;
    partition.pendingIsr = isr;
    const req = message('AlterPartition', {
      brokerId: this.id,
      topic: partition.topic,
      partition: partition.partition,
      leaderEpoch: partition.leaderEpoch,
      partitionEpoch: partition.partitionEpoch,
      newIsr: isr,
    });
    this.ctx.trace.emit('isr.propose', { broker: this.id, partition: partition.name, isr: [...isr] });
    const before = partition.isr.length;
    this.ctx.request(CONTROLLER_NODE, req, { timeout: ms(this.config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS), channel: Channel.AlterPartition }, (r) => {
      // Failure lets the next check try again.
      if (!r.ok || r.response.type !== 'AlterPartitionResponse' || r.response.error !== undefined || r.response.isr === undefined) {
        if (partition.pendingIsr === isr) partition.pendingIsr = undefined;
        return;
      }
      partition.applyAlterPartition({ isr: r.response.isr, leaderEpoch: r.response.leaderEpoch ?? -1, partitionEpoch: r.response.partitionEpoch ?? -1 });
      // Kafka's Partition marks the shrink or expand once the controller has accepted it.
      if (isr.length < before) this.durable.metrics?.mark(JMX.isrShrinks);
      else if (isr.length > before) this.durable.metrics?.mark(JMX.isrExpands);
    });
  }

  /** Kafka's log retention task: every log.retention.check.interval.ms, old segments go. */
  private applyRetention(): void {
    for (const partition of this.partitions.values()) {
      const before = partition.log.logStartOffset;
      const known = partition.log.producers.size;
      const r = applyRetention(partition.log, this.nowMs());
      if (r.segmentsDeleted > 0) {
        const producersForgotten = known - partition.log.producers.size;
        this.ctx.trace.emit('log.retention', { broker: this.id, partition: partition.name, from: before, logStartOffset: r.logStartOffset, producersForgotten });
      }
    }
  }

  /**
   * Kafka's PeriodicProducerExpirationCheck (UnifiedLog.removeExpiredProducers): producers
   * idle for producer.id.expiration.ms, without an open transaction, are forgotten.
   */
  private removeExpiredProducers(): void {
    for (const partition of this.partitions.values()) partition.log.producers.removeExpired(this.nowMs(), this.config.producerIdExpirationMs);
  }

  /** Kafka's LogCleaner threads, one pass over the compacted logs every log.cleaner.backoff.ms. */
  private clean(): void {
    for (const partition of this.partitions.values()) {
      if (!isCompacted(partition.log.config)) continue;
      const r = cleanLog(partition.log, this.nowMs());
      if (r.recordsRemoved > 0) this.ctx.trace.emit('log.clean', { broker: this.id, partition: partition.name, removedOffsets: r.removedOffsets, removedTombstones: r.removedTombstones, removedTombstoneKeys: r.removedTombstoneKeys, firstDirtyOffset: r.firstDirtyOffset });
    }
  }

  private checkpoint(): void {
    // replica.high.watermark.checkpoint.interval.ms, and flush.ms on the same tick.
    for (const { log } of this.logDir.all()) log.flushIfDue();
    this.logDir.checkpoint();
  }

  private nowMs(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /** For the runner's ghost observers: one of this broker's partitions, by name ("orders-0"). */
  partitionNamed(name: string): Partition | undefined {
    return this.partitions.get(name);
  }

  /** For the runner's final state: the offsets a group has committed, if this broker coordinates it. */
  groupOffsets(groupId: string): ReadonlyMap<string, { readonly offset: number }> | undefined {
    return this.coordinator.committedOffsets(groupId);
  }

  /** For the runner and tests: this broker's partitions. */
  allPartitions(): readonly Partition[] {
    return [...this.partitions.values()];
  }

  get isRegistered(): boolean {
    return this.registered;
  }
}

const ms = millis;

/** A partition in a replica fetcher, for the leader epoch it was added in. */
interface FetchedPartition {
  readonly partition: Partition;
  readonly epoch: number;
  /** After an error, local microseconds until which it is left out of fetches (Kafka's fetch backoff). */
  delayedUntil: number;
  /** Its fetch offset was out of the leader's range: left out of fetches while ListOffsets finds where to go on. */
  resolving?: boolean;
}

/** A replica fetcher (Kafka's ReplicaFetcherThread): partitions this broker follows on one leader, fetched together. */
interface ReplicaFetcher {
  readonly key: number;
  /** Its number among the fetchers to its leader (AbstractFetcherManager.getFetcherId). */
  readonly id: number;
  readonly leader: number;
  readonly partitions: Map<string, FetchedPartition>;
  /** A fetch or a backoff is under way: added partitions join the next fetch. */
  running: boolean;
}

/**
 * The broker's clients, each with its own connections, as each has its own NetworkClient in
 * Kafka: the lifecycle manager (registration, heartbeats), the AlterPartition manager, the
 * transaction marker channel manager, the AddPartitionsToTxn manager (KIP-890 verification),
 * and one replica fetcher thread per leader and fetcher id. A request that times out closes
 * only its own client's connection.
 */
const enum Channel {
  Lifecycle = 0,
  AlterPartition = 1,
  TxnMarkers = 2,
  Verification = 3,
  Fetchers = 4,
  /** Above any fetcher's: the metadata log's own client (the broker's KafkaRaftClient). */
  Metadata = 1_000,
}

/** The fetcher a partition goes to among `n` (AbstractFetcherManager.getFetcherId: Utils.abs(31 * topic.hashCode + partition) % n). */
export function fetcherIdOf(topic: string, partition: number, n: number): number {
  return kafkaAbs((Math.imul(31, javaStringHashCode(topic)) + partition) | 0) % n;
}

/** A partition's answer when it cannot be read. */
function fetchError(fp: FetchPartition, error: string): FetchPartitionResponse {
  return { topic: fp.topic, partition: fp.partition, error, highWatermark: -1, logStartOffset: -1, records: EMPTY_RECORDS };
}

const EMPTY_RECORDS = Buffer.alloc(0);

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A broker asked to shut down entered PENDING_CONTROLLED_SHUTDOWN. */
    'broker.controlled-shutdown': { readonly broker: number };
    /** A transaction marker, committed to a partition this broker leads. */
    'txn.marker': { readonly broker: number; readonly partition: string; readonly commit: boolean; readonly producerId: number; readonly producerEpoch: number; readonly offset: number };
    /**
     * Retention deleted a replica's oldest segments: its log now starts later. Before
     * KIP-360, producers whose batches all went were forgotten with them.
     */
    'log.retention': { readonly broker: number; readonly partition: string; readonly from: number; readonly logStartOffset: number; readonly producersForgotten: number };
    /**
     * A cleaner pass compacted a replica's log: the offsets of the records it removed
     * (superseded by a later record of their key, aborted, or tombstones past their delete
     * horizon), and which of them were tombstones.
     */
    'log.clean': {
      readonly broker: number;
      readonly partition: string;
      readonly removedOffsets: readonly number[];
      readonly removedTombstones: readonly number[];
      readonly removedTombstoneKeys: readonly string[];
      readonly firstDirtyOffset: number;
    };
    'replica.role': { readonly broker: number; readonly partition: string; readonly role: 'leader' | 'follower'; readonly leaderEpoch: number };
    'replica.truncate': { readonly broker: number; readonly partition: string; readonly to: number; readonly reason: string };
    /** A broker's incarnation opened its replica's log (after recovery from disk). */
    'replica.open': { readonly broker: number; readonly partition: string; readonly logEndOffset: number };
    /** The replica fetcher gave up on a partition until its leadership changes. */
    'replica.fetch.failed': { readonly broker: number; readonly partition: string; readonly leaderEpoch: number; readonly reason: string };
    /** A follower fetched records that failed their checksum; it fetches them again after replica.fetch.backoff.ms. */
    'replica.fetch.corrupt': { readonly broker: number; readonly partition: string; readonly fetchOffset: number; readonly reason: string };
    'isr.propose': { readonly broker: number; readonly partition: string; readonly isr: readonly number[] };
    /** A leader's high watermark moved. */
    'replica.hw': { readonly broker: number; readonly partition: string; readonly leaderEpoch: number; readonly highWatermark: number };
    /** A leader appended a producer's records, or a follower appended what it fetched. */
    'replica.append': { readonly broker: number; readonly partition: string; readonly role: 'leader' | 'follower'; readonly leaderEpoch: number; readonly baseOffset: number; readonly lastOffset: number };
  }
}

declareTraceKind('broker.controlled-shutdown', ['broker']);
declareTraceKind('log.retention', ['broker', 'partition', 'from', 'logStartOffset', 'producersForgotten']);
declareTraceKind('log.clean', ['broker', 'partition', 'removedOffsets', 'removedTombstones', 'removedTombstoneKeys', 'firstDirtyOffset']);
declareTraceKind('txn.marker', ['broker', 'partition', 'commit', 'producerId', 'producerEpoch', 'offset']);
declareTraceKind('replica.role', ['broker', 'partition', 'role', 'leaderEpoch']);
declareTraceKind('replica.truncate', ['broker', 'partition', 'to', 'reason']);
declareTraceKind('replica.open', ['broker', 'partition', 'logEndOffset']);
declareTraceKind('replica.fetch.failed', ['broker', 'partition', 'leaderEpoch', 'reason']);
declareTraceKind('replica.fetch.corrupt', ['broker', 'partition', 'fetchOffset', 'reason']);
declareTraceKind('isr.propose', ['broker', 'partition', 'isr']);
declareTraceKind('replica.append', ['broker', 'partition', 'role', 'leaderEpoch', 'baseOffset', 'lastOffset']);
declareTraceKind('replica.hw', ['broker', 'partition', 'leaderEpoch', 'highWatermark']);
