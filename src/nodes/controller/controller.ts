import type { NodeContext, Process } from '../../network/nodeHost.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../log/log.js';
import type { Disk } from '../../log/disk.js';
import { decodeRecords, encodeBatch, readBatchHeader, sizeOf } from '../../log/recordBatch.js';
import { message, type KafkaMessage } from '../protocol.js';
import { alterPartition } from './alterPartition.js';
import { electIfOffline, electPreferred, excludeFromElr, placeReplicas, removeBroker, type ElectionPolicy } from './election.js';
import { MetadataImage } from './metadataImage.js';
import { NO_LEADER, type MetadataRecord, type PartitionChangeRecord } from './metadataRecords.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, number | string | boolean>>;
}

export interface ControllerConfig {
  /** broker.session.timeout.ms */
  readonly brokerSessionTimeoutMs: number;
  /** unclean.leader.election.enable, the cluster default; topics may override it. */
  readonly uncleanLeaderElection: boolean;
  /** min.insync.replicas, the cluster default; topics may override it. For the ELR. */
  readonly minInsyncReplicas?: number;
  /** The eligible.leader.replicas.version feature is on (KIP-966). */
  readonly eligibleLeaderReplicas?: boolean;
  /** auto.leader.rebalance.enable (default true): preferred replicas get their leadership back. */
  readonly autoLeaderRebalance?: boolean;
  /** leader.imbalance.check.interval.seconds, in ms (default 300 s). */
  readonly leaderImbalanceCheckIntervalMs?: number;
  /** Topics the controller creates once enough brokers have registered. */
  readonly topics: readonly TopicSpec[];
}

/** What survives a controller crash: its disk, holding the metadata log. */
export interface ControllerDurable {
  readonly disk: Disk;
  readonly config: ControllerConfig;
  readonly metrics?: NodeMetrics;
}

const TICK_MS = 100;

/** A broker's metadata fetch held until there is something new to send it. */
interface HeldFetch {
  readonly fetchOffset: number;
  readonly reply: (r: KafkaMessage) => void;
  timer: TimerHandle | undefined;
}

/**
 * The controller, as KRaft's QuorumController runs it with a single voter: a state machine
 * whose state is the metadata image, changed only by records it first appends (and fsyncs)
 * to its metadata log. It registers and fences brokers on their heartbeats, creates
 * topics, elects leaders when brokers are fenced or return, and validates AlterPartition.
 * A crash loses nothing but time: on restart it replays its log, and until then no
 * leadership changes.
 */
export class Controller implements Process<KafkaMessage> {
  readonly image = new MetadataImage();
  private readonly records: MetadataRecord[] = [];
  private readonly log: Log;
  private readonly lastHeartbeatMs = new Map<number, number>();
  private readonly incarnations = new Map<number, number>();
  /** The metadata offset just past each broker's latest registration. */
  private readonly registeredAt = new Map<number, number>();
  /** Since when each partition has had no leader, for LeaderElectionRateAndTimeMs. */
  private readonly offlineSinceMs = new Map<string, number>();
  /** Brokers' metadata fetches waiting for records, answered by the next commit. */
  private readonly heldFetches = new Set<HeldFetch>();
  /** The metadata offset each broker reported in its last heartbeat. */
  private readonly metadataOffsets = new Map<number, number>();
  /**
   * Brokers in controlled shutdown, with the metadata offset every active broker must reach
   * before they may stop: soft state, as in BrokerHeartbeatManager (a new controller
   * rebuilds it from the brokers' next heartbeats).
   */
  private readonly controlledShutdownOffsets = new Map<number, number>();
  /** A preferred leader election is scheduled (QuorumController's imbalancedScheduled). */
  private balanceScheduled = false;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly durable: ControllerDurable,
  ) {
    this.log = Log.open(durable.disk, '__cluster_metadata-0', DEFAULT_LOG_CONFIG, { recoveryPoint: 0 }).log;
    this.replay();
    durable.metrics?.gauge(JMX.activeControllerCount, () => 1);
    durable.metrics?.gauge(JMX.offlinePartitions, () => this.image.offlinePartitions().length);
  }

  private get config(): ControllerConfig {
    return this.durable.config;
  }

  onStart(): void {
    // Brokers get a full session to heartbeat to a controller that just started.
    for (const b of this.image.brokers()) this.lastHeartbeatMs.set(b.brokerId, this.nowMs());
    this.tick();
    this.maybeScheduleBalance();
  }

  onRequest(_from: string, req: KafkaMessage, reply: (r: KafkaMessage) => void): void {
    switch (req.type) {
      case 'BrokerRegistration': {
        const known = this.image.broker(req.brokerId);
        if (known === undefined || this.incarnations.get(req.brokerId) !== req.incarnation) {
          this.commit([{ type: 'RegisterBroker', brokerId: req.brokerId, incarnation: req.incarnation, rack: req.rack, fenced: true }]);
          this.registeredAt.set(req.brokerId, this.image.offset);
          this.controlledShutdownOffsets.delete(req.brokerId);
          // A re-registered broker is a new process: it must catch up before leading again.
          this.fence(req.brokerId);
          // A new incarnation of a known broker came back from a crash (the incarnations the
          // controller knows survive its own restarts: it replays their registrations).
          if (known !== undefined && known.incarnation !== req.incarnation && this.config.eligibleLeaderReplicas === true) this.excludeUnclean(req.brokerId);
        }
        this.incarnations.set(req.brokerId, req.incarnation);
        this.lastHeartbeatMs.set(req.brokerId, this.nowMs());
        reply(message('BrokerRegistrationResponse', { brokerEpoch: (this.registeredAt.get(req.brokerId) ?? 1) - 1 }));
        return;
      }
      case 'BrokerHeartbeat': {
        if (this.incarnations.get(req.brokerId) !== req.incarnation) {
          reply(message('BrokerHeartbeatResponse', { error: 'BROKER_ID_NOT_REGISTERED', fenced: true }));
          return;
        }
        this.lastHeartbeatMs.set(req.brokerId, this.nowMs());
        this.metadataOffsets.set(req.brokerId, req.metadataOffset);
        const shouldShutDown = this.nextBrokerState(req);
        reply(message('BrokerHeartbeatResponse', { fenced: this.image.broker(req.brokerId)?.fenced ?? true, ...(shouldShutDown ? { shouldShutDown } : {}) }));
        return;
      }
      case 'MetadataFetch': {
        if (req.fetchOffset < this.records.length) {
          reply(message('MetadataFetchResponse', { records: this.records.slice(req.fetchOffset) }));
          return;
        }
        // Nothing new: held until the next commit or maxWaitMs (KafkaRaftClient's fetch purgatory).
        const held: HeldFetch = { fetchOffset: req.fetchOffset, reply, timer: undefined };
        held.timer = this.ctx.after(millis(req.maxWaitMs), () => {
          // A pause can queue this past the commit that answered it.
          if (!this.heldFetches.delete(held)) return;
          reply(message('MetadataFetchResponse', { records: [] }));
        });
        this.heldFetches.add(held);
        return;
      }
      case 'AlterPartition': {
        const result = alterPartition(this.image, req, this.policy(req.topic));
        if ('error' in result) {
          reply(message('AlterPartitionResponse', { error: result.error }));
          return;
        }
        this.commit([result.change]);
        const p = this.image.partition(req.topic, req.partition);
        reply(message('AlterPartitionResponse', { isr: p?.isr, leaderEpoch: p?.leaderEpoch, partitionEpoch: p?.partitionEpoch }));
        return;
      }
      case 'Metadata':
        reply(metadataResponse(this.image, req.topics));
        return;
      default:
        return;
    }
  }

  /** Fences brokers whose session expired, creates pending topics, and elects leaders. */
  private tick(): void {
    const now = this.nowMs();
    for (const b of this.image.brokers()) {
      if (b.fenced) continue;
      if (now - (this.lastHeartbeatMs.get(b.brokerId) ?? now) > this.config.brokerSessionTimeoutMs) this.fence(b.brokerId);
    }
    this.createTopics();
    this.ctx.after(millis(TICK_MS), () => this.tick());
  }

  private fence(brokerId: number): void {
    if (this.image.broker(brokerId)?.fenced === false) this.commit([{ type: 'FenceBroker', brokerId }]);
    this.controlledShutdownOffsets.delete(brokerId);
    this.removeFromIsrs(brokerId);
  }

  /** Takes `brokerId` out of every ISR, electing new leaders where it led (generateLeaderAndIsrUpdates with brokerToRemove). */
  private removeFromIsrs(brokerId: number): void {
    const changes: MetadataRecord[] = [];
    for (const p of this.image.partitions()) {
      const change = removeBroker(this.image, p, brokerId, this.policy(p.topic));
      if (change !== undefined) changes.push(change);
    }
    this.commit(changes);
  }

  /**
   * A heartbeat's effect on its broker's state, as BrokerHeartbeatManager.calculateNextBrokerState
   * and ReplicationControlManager.processBrokerHeartbeat decide it. Returns whether the broker
   * may shut down now. A fenced broker is unfenced once it has caught up with its own
   * registration; one that wants to shut down and leads nothing is fenced at once; one that
   * leads enters controlled shutdown: it leaves every ISR and its partitions get new leaders,
   * and it may stop once it leads nothing and every active broker has applied those changes.
   */
  private nextBrokerState(req: Extract<KafkaMessage, { type: 'BrokerHeartbeat' }>): boolean {
    const id = req.brokerId;
    const broker = this.image.broker(id);
    if (broker === undefined) return false;
    if (broker.fenced) {
      if (req.wantShutDown === true) return true;
      if (req.metadataOffset >= (this.registeredAt.get(id) ?? this.image.offset)) {
        this.commit([{ type: 'UnfenceBroker', brokerId: id }]);
        this.electOffline();
      }
      return false;
    }
    const shutdownOffset = this.controlledShutdownOffsets.get(id);
    if (shutdownOffset === undefined) {
      if (req.wantShutDown !== true) return false;
      if (!this.hasLeaderships(id)) {
        this.fence(id);
        return true;
      }
      // handleBrokerInControlledShutdown: the registration change first, so that elections
      // no longer count the broker as active.
      if (!broker.inControlledShutdown) this.commit([{ type: 'BrokerRegistrationChange', brokerId: id, inControlledShutdown: true }]);
      this.removeFromIsrs(id);
      this.controlledShutdownOffsets.set(id, this.image.offset);
      return false;
    }
    if (this.hasLeaderships(id) || shutdownOffset > this.lowestActiveOffset()) return false;
    this.fence(id);
    return true;
  }

  private hasLeaderships(brokerId: number): boolean {
    return this.image.partitions().some((p) => p.leader === brokerId);
  }

  /** The lowest metadata offset reported by an active broker (unfenced, not shutting down) since this controller started. */
  private lowestActiveOffset(): number {
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const b of this.image.brokers()) {
      const offset = this.metadataOffsets.get(b.brokerId);
      if (offset !== undefined && this.image.isActive(b.brokerId)) lowest = Math.min(lowest, offset);
    }
    return lowest;
  }

  /** Unclean exclusion (KIP-966): a broker back from a crash leaves every ELR. */
  private excludeUnclean(brokerId: number): void {
    const changes: MetadataRecord[] = [];
    for (const p of this.image.partitions()) {
      const change = excludeFromElr(p, brokerId);
      if (change !== undefined) changes.push(change);
    }
    this.commit(changes);
  }

  private electOffline(): void {
    const changes: MetadataRecord[] = [];
    for (const p of this.image.offlinePartitions()) {
      const change = electIfOffline(this.image, p, this.policy(p.topic));
      if (change !== undefined) changes.push(change);
    }
    this.commit(changes);
  }

  /**
   * QuorumController.maybeScheduleNextBalancePartitionLeaders: after any write, while some
   * partition is led by other than its preferred replica (the first in its assignment), a
   * preferred leader election runs leader.imbalance.check.interval.seconds later.
   */
  private maybeScheduleBalance(): void {
    if (this.balanceScheduled || this.config.autoLeaderRebalance === false) return;
    if (this.image.partitions().every((p) => p.leader === p.replicas[0])) return;
    this.balanceScheduled = true;
    this.ctx.after(millis(this.config.leaderImbalanceCheckIntervalMs ?? 300_000), () => {
      this.balanceScheduled = false;
      const changes: MetadataRecord[] = [];
      for (const p of this.image.partitions()) {
        const change = electPreferred(this.image, p);
        if (change !== undefined) changes.push(change);
      }
      this.commit(changes);
      this.maybeScheduleBalance();
    });
  }

  private createTopics(): void {
    const active = this.image.brokers().filter((b) => !b.fenced).length;
    for (const t of this.config.topics) {
      if (this.image.topic(t.name) !== undefined || active < t.replicationFactor) continue;
      this.commit([{ type: 'Topic', name: t.name, config: t.config }, ...placeReplicas(this.image, t.name, t.partitions, t.replicationFactor, this.ctx.rng)]);
    }
  }

  private policy(topic: string): ElectionPolicy {
    const config = this.image.topic(topic)?.config;
    const unclean = config?.['unclean.leader.election.enable'];
    const minIsr = config?.['min.insync.replicas'];
    return {
      unclean: typeof unclean === 'boolean' ? unclean : this.config.uncleanLeaderElection,
      elr: this.config.eligibleLeaderReplicas === true,
      minIsr: typeof minIsr === 'number' ? minIsr : (this.config.minInsyncReplicas ?? 1),
    };
  }

  /** Appends records to the metadata log, fsyncs it, then applies them. */
  private commit(records: readonly MetadataRecord[]): void {
    if (records.length === 0) return;
    // Apply to a scratch check first would be costlier; records built here always apply.
    const batch = encodeBatch(records.map((r) => ({ key: null, value: Buffer.from(JSON.stringify(r)), timestamp: this.nowMs() })));
    this.log.appendAsLeader(batch, 0);
    this.log.flush();
    for (const r of records) {
      if (r.type === 'PartitionChange') this.measureElection(r);
      this.image.apply(r);
      this.records.push(r);
      this.ctx.trace.emit('metadata.record', { record: r.type, detail: JSON.stringify(r) });
    }
    // The records are durable: the brokers' held fetches get them now.
    for (const held of this.heldFetches) {
      if (held.timer !== undefined) this.ctx.cancel(held.timer);
      held.reply(message('MetadataFetchResponse', { records: this.records.slice(held.fetchOffset) }));
    }
    this.heldFetches.clear();
    this.maybeScheduleBalance();
  }

  /**
   * LeaderElectionRateAndTimeMs and UncleanLeaderElectionsPerSec. The time is how long the
   * partition went without a usable leader: since its old leader's last heartbeat when that
   * leader was fenced, or since it went offline.
   */
  private measureElection(change: PartitionChangeRecord): void {
    if (change.leader === undefined) return;
    const key = `${change.topic}-${change.partition}`;
    const now = this.nowMs();
    if (change.leader === NO_LEADER) {
      this.offlineSinceMs.set(key, now);
      return;
    }
    const old = this.image.partition(change.topic, change.partition)?.leader ?? NO_LEADER;
    const since = old === NO_LEADER ? this.offlineSinceMs.get(key) : this.image.broker(old)?.fenced === true ? this.lastHeartbeatMs.get(old) : undefined;
    this.offlineSinceMs.delete(key);
    this.durable.metrics?.time(JMX.leaderElections, since === undefined ? 0 : Math.max(0, now - since));
    if (change.unclean === true) this.durable.metrics?.mark(JMX.uncleanLeaderElections);
  }

  private replay(): void {
    const { records } = this.log.read(this.log.logStartOffset, Number.MAX_SAFE_INTEGER);
    for (let pos = 0; pos < records.length; pos += sizeOf(readBatchHeader(records, pos))) {
      for (const r of decodeRecords(records, pos)) {
        const record = JSON.parse(String(r.value)) as MetadataRecord;
        this.image.apply(record);
        this.records.push(record);
        if (record.type === 'RegisterBroker') {
          this.incarnations.set(record.brokerId, record.incarnation);
          this.registeredAt.set(record.brokerId, this.image.offset);
        }
      }
    }
  }

  private nowMs(): number {
    return Math.floor(this.ctx.now() / 1000);
  }
}

/** The Metadata response for `topics` (all when empty), from an image. */
export function metadataResponse(image: MetadataImage, topics: readonly string[]): KafkaMessage {
  const partitions = image
    .partitions()
    .filter((p) => topics.length === 0 || topics.includes(p.topic))
    .map((p) => ({ topic: p.topic, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr }));
  return message('MetadataResponse', { brokers: image.brokers().filter((b) => !b.fenced).map((b) => b.brokerId), partitions });
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    'metadata.record': { readonly record: MetadataRecord['type']; readonly detail: string };
  }
}

declareTraceKind('metadata.record', ['record', 'detail']);
