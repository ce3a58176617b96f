import type { NodeContext, Process } from '../../network/nodeHost.js';
import type { Disk } from '../../log/disk.js';
import { message, type AlterPartitionRequest, type BrokerHeartbeatRequest, type BrokerRegistrationRequest, type KafkaMessage } from '../protocol.js';
import { BrokerHeartbeatManager } from './brokerHeartbeatManager.js';
import { ClusterControlManager } from './clusterControl.js';
import { MetadataImage } from './metadataImage.js';
import { MetadataLog } from './metadataLog.js';
import type { MetadataRecord } from './metadataRecords.js';
import { ReplicationControlManager } from './replicationControl.js';
import { millis, seconds, toMillis } from '../../sim/time.js';
import type { BrokerSettings } from '../config/brokerSettings.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, number | string | boolean>>;
}

/**
 * The settings the controller reads, by their Kafka names (declared in
 * src/nodes/config/brokerSettings.ts): unclean.leader.election.enable and min.insync.replicas
 * are the cluster defaults topics may override.
 */
export type ControllerSettings = Pick<
  BrokerSettings,
  'broker.session.timeout.ms' | 'unclean.leader.election.enable' | 'min.insync.replicas' | 'eligible.leader.replicas.version' | 'auto.leader.rebalance.enable' | 'leader.imbalance.check.interval.seconds' | 'sim.isr.eligibility'
>;

export interface ControllerConfig {
  readonly settings: ControllerSettings;
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

/**
 * The controller, as KRaft's QuorumController runs it with a single voter: a state machine
 * whose state is the metadata image, changed only by records it first appends (and fsyncs)
 * to its metadata log. It registers and fences brokers on their heartbeats, creates
 * topics, elects leaders when brokers are fenced or return, and validates AlterPartition.
 * A crash loses nothing but time: on restart it replays its log, and until then no
 * leadership changes. It keeps the broker registrations in its ClusterControlManager, the
 * heartbeats in its BrokerHeartbeatManager, asks its ReplicationControlManager for
 * partition decisions, and writes records through its MetadataLog.
 */
export class Controller implements Process<KafkaMessage> {
  readonly image = new MetadataImage();
  private readonly metadataLog: MetadataLog;
  private readonly heartbeats = new BrokerHeartbeatManager();
  private readonly replication: ReplicationControlManager;
  private readonly cluster = new ClusterControlManager();
  /** A preferred leader election is scheduled (QuorumController's imbalancedScheduled). */
  private balanceScheduled = false;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly durable: ControllerDurable,
  ) {
    this.replication = new ReplicationControlManager({
      image: this.image,
      defaults: () => this.config.settings,
      rng: ctx.rng,
      metrics: durable.metrics,
      lastContactMs: (brokerId) => this.heartbeats.lastContactMs(brokerId),
    });
    this.metadataLog = new MetadataLog(durable.disk, ctx, this.image);
    this.metadataLog.replay((record) => {
      if (record.type !== 'RegisterBroker') return;
      this.cluster.setIncarnation(record.brokerId, record.incarnation);
      this.cluster.setRegisteredAt(record.brokerId, this.image.offset);
    });
    durable.metrics?.gauge(JMX.activeControllerCount, () => 1);
    durable.metrics?.gauge(JMX.offlinePartitions, () => this.image.offlinePartitions().length);
  }

  private get config(): ControllerConfig {
    return this.durable.config;
  }

  onStart(): void {
    // Brokers get a full session to heartbeat to a controller that just started.
    for (const b of this.image.brokers()) this.heartbeats.touch(b.brokerId, this.nowMs());
    this.tick();
    this.maybeScheduleBalance();
  }

  onRequest(_from: string, req: KafkaMessage, reply: (r: KafkaMessage) => void): void {
    switch (req.type) {
      case 'BrokerRegistration':
        return this.handleBrokerRegistration(req, reply);
      case 'BrokerHeartbeat':
        return this.handleBrokerHeartbeat(req, reply);
      case 'MetadataFetch':
        return this.metadataLog.fetch(req, reply);
      case 'AlterPartition':
        return this.handleAlterPartition(req, reply);
      case 'Metadata':
        reply(metadataResponse(this.image, req.topics));
        return;
      default:
        // Anything else (a broker's or a coordinator's request, a response) is not served on the
        // controller's listener: INVALID_REQUEST at once, never silence the client has to time out.
        reply(message('ErrorResponse', { requestType: req.type, error: 'INVALID_REQUEST' }));
        return;
    }
  }

  /** ClusterControlManager.registerBroker: a new incarnation registers fenced, and must catch up before it is unfenced. */
  private handleBrokerRegistration(req: BrokerRegistrationRequest, reply: (r: KafkaMessage) => void): void {
    const known = this.image.broker(req.brokerId);
    if (known === undefined || !this.cluster.isCurrent(req.brokerId, req.incarnation)) {
      this.commit([{ type: 'RegisterBroker', brokerId: req.brokerId, incarnation: req.incarnation, brokerEpoch: this.image.offset, rack: req.rack, fenced: true }]);
      this.cluster.setRegisteredAt(req.brokerId, this.image.offset);
      this.heartbeats.leaveControlledShutdown(req.brokerId);
      // A re-registered broker is a new process: it must catch up before leading again.
      this.fence(req.brokerId);
      // A new incarnation of a known broker came back from a crash (the incarnations the
      // controller knows survive its own restarts: it replays their registrations).
      if (known !== undefined && known.incarnation !== req.incarnation && this.config.settings['eligible.leader.replicas.version'] === 1) this.commit(this.replication.excludeUnclean(req.brokerId));
    }
    this.cluster.setIncarnation(req.brokerId, req.incarnation);
    this.heartbeats.touch(req.brokerId, this.nowMs());
    reply(message('BrokerRegistrationResponse', { brokerEpoch: this.image.broker(req.brokerId)?.epoch ?? -1 }));
  }

  private handleBrokerHeartbeat(req: BrokerHeartbeatRequest, reply: (r: KafkaMessage) => void): void {
    if (!this.cluster.isCurrent(req.brokerId, req.incarnation)) {
      reply(message('BrokerHeartbeatResponse', { error: 'BROKER_ID_NOT_REGISTERED', fenced: true }));
      return;
    }
    this.heartbeats.heartbeat(req.brokerId, this.nowMs(), req.metadataOffset);
    const shouldShutDown = this.nextBrokerState(req);
    reply(message('BrokerHeartbeatResponse', { fenced: this.image.broker(req.brokerId)?.fenced ?? true, ...(shouldShutDown ? { shouldShutDown } : {}) }));
  }

  private handleAlterPartition(req: AlterPartitionRequest, reply: (r: KafkaMessage) => void): void {
    const result = this.replication.alterPartition(req);
    if ('error' in result) {
      reply(message('AlterPartitionResponse', { error: result.error }));
      return;
    }
    this.commit([result.change]);
    const p = this.image.partition(req.topic, req.partition);
    reply(message('AlterPartitionResponse', { isr: p?.isr, leaderEpoch: p?.leaderEpoch, partitionEpoch: p?.partitionEpoch }));
  }

  /** Fences brokers whose session expired, creates pending topics, and elects leaders. */
  private tick(): void {
    const now = this.nowMs();
    for (const b of this.image.brokers()) {
      if (b.fenced) continue;
      if (this.heartbeats.sessionExpired(b.brokerId, now, this.config.settings['broker.session.timeout.ms'])) this.fence(b.brokerId);
    }
    this.createTopics();
    this.ctx.after(millis(TICK_MS), () => this.tick());
  }

  private fence(brokerId: number): void {
    if (this.image.broker(brokerId)?.fenced === false) this.commit([{ type: 'FenceBroker', brokerId }]);
    this.heartbeats.leaveControlledShutdown(brokerId);
    this.commit(this.replication.removeFromIsrs(brokerId));
  }

  /**
   * A heartbeat's effect on its broker's state, as BrokerHeartbeatManager.calculateNextBrokerState
   * and ReplicationControlManager.processBrokerHeartbeat decide it. Returns whether the broker
   * may shut down now. A fenced broker is unfenced once it has caught up with its own
   * registration; one that wants to shut down and leads nothing is fenced at once; one that
   * leads enters controlled shutdown: it leaves every ISR and its partitions get new leaders,
   * and it may stop once it leads nothing and every active broker has applied those changes.
   */
  private nextBrokerState(req: BrokerHeartbeatRequest): boolean {
    const id = req.brokerId;
    const broker = this.image.broker(id);
    if (broker === undefined) return false;
    if (broker.fenced) {
      if (req.wantShutDown === true) return true;
      if (req.metadataOffset >= (this.cluster.registrationOffset(id) ?? this.image.offset)) {
        this.commit([{ type: 'UnfenceBroker', brokerId: id }]);
        this.commit(this.replication.electOffline());
      }
      return false;
    }
    const shutdownOffset = this.heartbeats.controlledShutdownOffset(id);
    if (shutdownOffset === undefined) {
      if (req.wantShutDown !== true) return false;
      if (!this.replication.hasLeaderships(id)) {
        this.fence(id);
        return true;
      }
      // handleBrokerInControlledShutdown: the registration change first, so that elections
      // no longer count the broker as active.
      if (!broker.inControlledShutdown) this.commit([{ type: 'BrokerRegistrationChange', brokerId: id, inControlledShutdown: true }]);
      this.commit(this.replication.removeFromIsrs(id));
      this.heartbeats.enterControlledShutdown(id, this.image.offset);
      return false;
    }
    if (this.replication.hasLeaderships(id) || shutdownOffset > this.heartbeats.lowestActiveOffset(this.image)) return false;
    this.fence(id);
    return true;
  }

  /**
   * QuorumController.maybeScheduleNextBalancePartitionLeaders: after any write, while some
   * partition is led by other than its preferred replica (the first in its assignment), a
   * preferred leader election runs leader.imbalance.check.interval.seconds later.
   */
  private maybeScheduleBalance(): void {
    if (this.balanceScheduled || !this.config.settings['auto.leader.rebalance.enable']) return;
    if (this.replication.isBalanced()) return;
    this.balanceScheduled = true;
    this.ctx.after(seconds(this.config.settings['leader.imbalance.check.interval.seconds']), () => {
      this.balanceScheduled = false;
      this.commit(this.replication.balanceLeaders());
      this.maybeScheduleBalance();
    });
  }

  private createTopics(): void {
    const active = this.image.brokers().filter((b) => !b.fenced).length;
    for (const t of this.config.topics) this.commit(this.replication.createTopic(t, active));
  }

  /** Appends records to the metadata log, fsyncs it, then applies them. */
  private commit(records: readonly MetadataRecord[]): void {
    if (records.length === 0) return;
    this.metadataLog.append(
      records,
      () => this.nowMs(),
      (r) => {
        if (r.type === 'PartitionChange') this.replication.measureElection(r, this.nowMs());
      },
    );
    this.maybeScheduleBalance();
  }

  private nowMs(): number {
    return toMillis(this.ctx.now());
  }

  /** For the probe: since when partition `name` has had no leader, in ms, as this incarnation saw it go offline. */
  offlineSince(name: string): number | undefined {
    return this.replication.offlineSince(name);
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
