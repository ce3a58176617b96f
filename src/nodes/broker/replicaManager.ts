/**
 * Kafka's ReplicaManager: the partitions this broker hosts. It makes each lead or follow as
 * the metadata image says (applyDelta), appends to the logs it leads (appendToLocalLog for
 * a produce, internal appends for the coordinators), serves a follower's fetch position to
 * the partition, and proposes ISR changes to the controller (AlterPartitionManager,
 * maybeShrinkIsr).
 */
import type { NodeContext, NodeId } from '../../network/nodeHost.js';
import type { Log } from '../../log/log.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';
import type { MetadataImage, PartitionState } from '../controller/metadataImage.js';
import { message, partitionName, type FetchPartition, type KafkaMessage, type ProduceRequest } from '../protocol.js';
import { Partition, type FollowerFetchResult, type PartitionConfig, type PartitionContext } from './partition.js';
import type { BrokerConfig } from './broker.js';
import { Channel } from './channels.js';
import { awaitInternalCommit, type DelayedOperationPurgatory } from './delayedOperations.js';
import type { KafkaErrorCode } from '../errors.js';

/** What the replica manager needs from the broker around it. */
export interface ReplicaManagerDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: BrokerConfig;
  readonly image: MetadataImage;
  /** The log manager: the log of each partition, opened from disk or created. */
  readonly logs: { getOrCreate(tp: { readonly topic: string; readonly partition: number }, config: ReturnType<BrokerConfig['logConfig']>): Log };
  readonly purgatory: DelayedOperationPurgatory;
  readonly metrics: NodeMetrics | undefined;
  readonly nowMs: () => number;
  /** The replica fetcher manager: follow a partition's leader, or stop fetching it. */
  readonly fetchers: { startFetcher(partition: Partition): void; stopFetching(name: string): void };
  /** In controlled shutdown (BrokerLifecycleManager's PENDING_CONTROLLED_SHUTDOWN). */
  readonly inControlledShutdown: () => boolean;
  /** This incarnation's broker epoch, from its registration (ReplicaManager.brokerEpochSupplier); -1 before it registered. */
  readonly brokerEpoch: () => number;
  /** This broker became the leader of a partition: a coordinator's partition reloads. */
  readonly onBecomeLeader: (topic: string, partition: number, log: Log, leaderEpoch: number) => void;
  /** This broker became a follower of a partition: a coordinator's partition unloads. */
  readonly onBecomeFollower: (topic: string, partition: number) => void;
  /** The active controller, when the broker knows it (the quorum's leader, as its observer heard). */
  readonly controllerNode: () => NodeId | undefined;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  /** Each partition's leader-append tracer, made once rather than on every append. */
  private readonly appendTracers = new WeakMap<Partition, (baseOffset: number, lastOffset: number) => void>();

  constructor(private readonly deps: ReplicaManagerDeps) {}

  private get id(): number {
    return this.deps.config.brokerId;
  }

  /** One of this broker's partitions, by name ("orders-0"). */
  get(name: string): Partition | undefined {
    return this.partitions.get(name);
  }

  /** One of this broker's partitions, by topic and number. */
  partition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionName(topic, partition));
  }

  /** This broker's partitions, in the order it came to host them. */
  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** UnderReplicatedPartitions: partitions this broker leads with a replica out of the ISR. */
  underReplicatedCount(): number {
    let n = 0;
    for (const p of this.partitions.values()) if (p.role === 'leader' && p.isr.length < p.replicas.length) n++;
    return n;
  }

  // ------------------------------------------------------------------ leader or follower

  /** Makes every local replica lead or follow as the metadata image says (Kafka's applyDelta). */
  applyDelta(): void {
    const { ctx, image } = this.deps;
    for (const p of image.partitions()) {
      if (!p.replicas.includes(this.id)) continue;
      const partition = this.partitionFor(p);
      const info = { leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, replicas: p.replicas, isr: p.isr };
      if (p.leader === this.id) {
        if (partition.role !== 'leader' || partition.leaderEpoch !== p.leaderEpoch) {
          const hwBefore = partition.highWatermark;
          partition.becomeLeader(info, this.deps.nowMs());
          ctx.trace.emit('replica.role', { broker: this.id, partition: partition.name, role: 'leader', leaderEpoch: p.leaderEpoch });
          this.traceHw(partition, hwBefore);
          this.deps.onBecomeLeader(p.topic, p.partition, partition.log, p.leaderEpoch);
        } else partition.updateLeadership(info);
      } else if (partition.role !== 'follower' || partition.leaderEpoch !== p.leaderEpoch) {
        const leoBefore = partition.log.logEndOffset;
        partition.becomeFollower(info);
        this.deps.onBecomeFollower(p.topic, p.partition);
        if (partition.log.logEndOffset < leoBefore) ctx.trace.emit('replica.truncate', { broker: this.id, partition: partition.name, to: partition.log.logEndOffset, reason: 'high-watermark' });
        ctx.trace.emit('replica.role', { broker: this.id, partition: partition.name, role: 'follower', leaderEpoch: p.leaderEpoch });
        if (p.leader >= 0 && !this.stopsFetching(p)) this.deps.fetchers.startFetcher(partition);
      } else {
        partition.updateLeadership(info);
        if (partition.role === 'follower' && this.stopsFetching(p)) this.deps.fetchers.stopFetching(partition.name);
      }
    }
  }

  /** ReplicaManager in controlled shutdown stops fetching for replicas with no leader or out of the ISR. */
  private stopsFetching(p: PartitionState): boolean {
    return this.deps.inControlledShutdown() && (p.leader < 0 || !p.isr.includes(this.id));
  }

  /** What every partition reads of this broker: its clock and its metadata. */
  private readonly partitionContext: PartitionContext = {
    nowMs: () => this.deps.nowMs(),
    isReplicaIsrEligible: (id) => {
      const b = this.deps.image.broker(id);
      return b !== undefined && !b.fenced && !b.inControlledShutdown;
    },
    aliveBrokerEpoch: (id) => {
      const b = this.deps.image.broker(id);
      return b === undefined || b.fenced ? undefined : b.epoch;
    },
  };

  /** sim.isr.eligibility: KIP-903's broker epochs decide ISR membership (3.5+). */
  private get checksBrokerEpochs(): boolean {
    return this.deps.config.settings['sim.isr.eligibility'] === 'broker-epoch';
  }

  private partitionFor(p: PartitionState): Partition {
    const { config } = this.deps;
    const name = `${p.topic}-${p.partition}`;
    let partition = this.partitions.get(name);
    if (partition === undefined) {
      const logConfig = config.logConfig(p.topic);
      const log = this.deps.logs.getOrCreate({ topic: p.topic, partition: p.partition }, logConfig);
      const topicMinIsr = this.deps.image.topic(p.topic)?.config['min.insync.replicas'];
      const partitionConfig: PartitionConfig = {
        minInsyncReplicas: typeof topicMinIsr === 'number' ? topicMinIsr : config.settings['min.insync.replicas'],
        replicaLagTimeMaxMs: config.settings['replica.lag.time.max.ms'],
        maxFetchBytes: config.settings['replica.fetch.max.bytes'],
        truncation: config.settings['sim.truncation'],
        holdHighWatermarkBelowMinIsr: config.settings['sim.high.watermark.below.min.isr'] === 'hold' || config.settings['eligible.leader.replicas.version'] === 1,
        caughtUpAtLogEnd: config.settings['sim.isr.caught.up'] === 'log-end-or-lag-time',
        isrEligibility: config.settings['sim.isr.eligibility'],
        joinIsrPastEpochStart: config.settings['sim.isr.join'] === 'epoch-start',
        fetchEpochFencing: config.settings['sim.fetch.epoch.fencing'],
      };
      partition = new Partition(p.topic, p.partition, this.id, log, partitionConfig, this.partitionContext);
      this.partitions.set(name, partition);
      // What this incarnation found on disk: after a power loss, less than it had written.
      this.deps.ctx.trace.emit('replica.open', { broker: this.id, partition: name, logEndOffset: log.logEndOffset });
    }
    return partition;
  }

  // ------------------------------------------------------------------ appends

  /** ReplicaManager.appendToLocalLog for one partition of a Produce: appended as leader, with its high watermark traced. */
  appendToLocalLog(partition: Partition, records: Buffer, acks: ProduceRequest['acks']): ReturnType<Partition['appendAsLeader']> {
    const hwBefore = partition.highWatermark;
    const result = partition.appendAsLeader(records, acks, this.traceAppendTo(partition));
    this.traceHw(partition, hwBefore);
    if ('error' in result) this.markFailedProduce(result.error);
    return result;
  }

  /** An acks=0 append: nobody waits for it, and its high watermark is not traced here. */
  appendOneWay(partition: Partition, records: Buffer): ReturnType<Partition['appendAsLeader']> {
    const result = partition.appendAsLeader(records, '0', this.traceAppendTo(partition));
    if ('error' in result) this.markFailedProduce(result.error);
    return result;
  }

  /** Appends to an internal topic this broker leads (the coordinator's writes), acks=all. */
  appendInternal(topic: string, p: number, records: Buffer, done: (error: KafkaErrorCode | undefined, offset?: number) => void): void {
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
    this.deps.purgatory.wakeFetches(partition.name);
    awaitInternalCommit(this.deps.ctx, partition, result.lastOffset, this.deps.config.settings['offsets.commit.timeout.ms'], (error) => done(error, result.baseOffset));
  }

  /**
   * Calls `done(true)` once the high watermark of an internal partition this broker leads
   * reaches `offset`, or `done(false)` if it stops leading first (CoordinatorRuntime's
   * deferred events, completed by its high watermark listener or failed on resignation).
   */
  awaitHighWatermark(topic: string, p: number, offset: number, done: (reached: boolean) => void): void {
    const partition = this.partitions.get(partitionName(topic, p));
    if (partition === undefined) done(false);
    else partition.awaitCommit(offset - 1, (error) => done(error !== 'NOT_LEADER_OR_FOLLOWER'));
  }

  /**
   * FailedProduceRequestsPerSec counts appends that failed on this leader; like Kafka's
   * ReplicaManager.appendToLocalLog, not those refused for leadership.
   */
  private markFailedProduce(error: KafkaErrorCode): void {
    if (error !== 'NOT_LEADER_OR_FOLLOWER' && error !== 'UNKNOWN_TOPIC_OR_PARTITION') this.deps.metrics?.mark(JMX.failedProduceRequests);
  }

  /** Traces a leader's append as it happens (see Partition.appendAsLeader). */
  private traceAppendTo(partition: Partition): (baseOffset: number, lastOffset: number) => void {
    let tracer = this.appendTracers.get(partition);
    if (tracer === undefined) {
      tracer = (baseOffset, lastOffset) => this.traceAppend(partition, baseOffset, lastOffset);
      this.appendTracers.set(partition, tracer);
    }
    return tracer;
  }

  traceAppend(partition: Partition, baseOffset: number, lastOffset: number): void {
    this.deps.ctx.trace.emit('replica.append', { broker: this.id, partition: partition.name, role: partition.role === 'leader' ? 'leader' : 'follower', leaderEpoch: partition.leaderEpoch, baseOffset, lastOffset });
  }

  /**
   * A leader's high watermark moved: records below it are now visible to consumers. A move
   * down is traced too, so the online checks can see it (it must never happen).
   */
  private traceHw(partition: Partition, before: number): void {
    if (partition.role === 'leader' && partition.highWatermark !== before) {
      this.deps.ctx.trace.emit('replica.hw', { broker: this.id, partition: partition.name, leaderEpoch: partition.leaderEpoch, highWatermark: partition.highWatermark });
      // Consumers waiting at the old high watermark have something to read now.
      this.deps.purgatory.wakeConsumers(partition.name);
    }
  }

  // ------------------------------------------------------------------ followers and the ISR

  /** A follower's fetch of one partition this broker leads: where the follower is moves the high watermark and the ISR. */
  fetchForFollower(partition: Partition, replicaId: number, fp: FetchPartition, replicaEpoch = -1): FollowerFetchResult {
    const hwBefore = partition.highWatermark;
    const r = partition.fetchForFollower(replicaId, fp.fetchOffset, fp.lastFetchedEpoch, fp.currentLeaderEpoch, this.deps.nowMs(), replicaEpoch);
    this.traceHw(partition, hwBefore);
    this.proposeIsr(partition, replicaId);
    return r;
  }

  /**
   * ReplicaManager's "isr-expiration" task runs every replica.lag.time.max.ms / 2: a follower
   * that stopped is out of the ISR between 1 and 1.5 times replica.lag.time.max.ms later.
   */
  get isrCheckIntervalMs(): number {
    return Math.max(1, Math.floor(this.deps.config.settings['replica.lag.time.max.ms'] / 2));
  }

  maybeShrinkIsr(): void {
    // Kafka's periodic check only shrinks (ReplicaManager.maybeShrinkIsr); a follower is let
    // back in when one of its fetches shows it caught up (Partition.maybeExpandIsr).
    for (const p of this.partitions.values()) this.proposeIsr(p);
  }

  /** Sends the ISR change a leader wants to the controller (AlterPartition), one at a time. */
  private proposeIsr(partition: Partition, fetchedBy?: number): void {
    if (partition.pendingIsr !== undefined) return;
    const isr = partition.proposedIsr(this.deps.nowMs(), fetchedBy);
    if (isr === undefined) return;
    partition.pendingIsr = isr;
    const req = message('AlterPartition', {
      brokerId: this.id,
      topic: partition.topic,
      partition: partition.partition,
      leaderEpoch: partition.leaderEpoch,
      partitionEpoch: partition.partitionEpoch,
      newIsr: isr,
      ...(this.checksBrokerEpochs ? { newIsrWithEpochs: partition.isrWithBrokerEpochs(isr, this.deps.brokerEpoch()) } : {}),
    });
    const controller = this.deps.controllerNode();
    if (controller === undefined) {
      // No controller known yet: the next check tries again (AlterPartitionManager waits for one).
      partition.pendingIsr = undefined;
      return;
    }
    this.deps.ctx.trace.emit('isr.propose', { broker: this.id, partition: partition.name, isr: [...isr] });
    const before = partition.isr.length;
    this.deps.ctx.request(controller, req, { timeout: millis(this.deps.config.settings['request.timeout.ms']), channel: Channel.AlterPartition }, (r) => {
      // Failure lets the next check try again.
      if (!r.ok || r.response.type !== 'AlterPartitionResponse' || r.response.error !== undefined || r.response.isr === undefined) {
        if (partition.pendingIsr === isr) partition.pendingIsr = undefined;
        return;
      }
      partition.applyAlterPartition({ isr: r.response.isr, leaderEpoch: r.response.leaderEpoch ?? -1, partitionEpoch: r.response.partitionEpoch ?? -1 });
      // Kafka's Partition marks the shrink or expand once the controller has accepted it.
      if (isr.length < before) this.deps.metrics?.mark(JMX.isrShrinks);
      else if (isr.length > before) this.deps.metrics?.mark(JMX.isrExpands);
    });
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    'replica.role': { readonly broker: number; readonly partition: string; readonly role: 'leader' | 'follower'; readonly leaderEpoch: number };
    'replica.truncate': { readonly broker: number; readonly partition: string; readonly to: number; readonly reason: string };
    /** A broker's incarnation opened its replica's log (after recovery from disk). */
    'replica.open': { readonly broker: number; readonly partition: string; readonly logEndOffset: number };
    'isr.propose': { readonly broker: number; readonly partition: string; readonly isr: readonly number[] };
    /** A leader's high watermark moved. */
    'replica.hw': { readonly broker: number; readonly partition: string; readonly leaderEpoch: number; readonly highWatermark: number };
    /** A leader appended a producer's records, or a follower appended what it fetched. */
    'replica.append': { readonly broker: number; readonly partition: string; readonly role: 'leader' | 'follower'; readonly leaderEpoch: number; readonly baseOffset: number; readonly lastOffset: number };
  }
}

declareTraceKind('replica.role', ['broker', 'partition', 'role', 'leaderEpoch']);
declareTraceKind('replica.truncate', ['broker', 'partition', 'to', 'reason']);
declareTraceKind('replica.open', ['broker', 'partition', 'logEndOffset']);
declareTraceKind('isr.propose', ['broker', 'partition', 'isr']);
declareTraceKind('replica.append', ['broker', 'partition', 'role', 'leaderEpoch', 'baseOffset', 'lastOffset']);
declareTraceKind('replica.hw', ['broker', 'partition', 'leaderEpoch', 'highWatermark']);
