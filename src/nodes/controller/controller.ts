import type { NodeContext, NodeId, Process } from '../../network/nodeHost.js';
import type { Disk } from '../../log/disk.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { Rng } from '../../sim/rng.js';
import { message, raftEnvelope, type AlterPartitionRequest, type BrokerHeartbeatRequest, type BrokerRegistrationRequest, type KafkaMessage } from '../protocol.js';
import { quorumNodeOf } from '../nodeId.js';
import { BrokerHeartbeatManager } from './brokerHeartbeatManager.js';
import { ClusterControlManager } from './clusterControl.js';
import { MetadataImage } from './metadataImage.js';
import { imageSnapshotData, loadImageSnapshot } from './imageSnapshot.js';
import type { MetadataRecord } from './metadataRecords.js';
import { KafkaRaftClient } from './raft/kafkaRaftClient.js';
import { raftContext, type QuorumConfig } from './raft/kafkaNetworkChannel.js';
import type { RaftRecord } from './raft/raftMessages.js';
import type { RaftSnapshot } from './raft/raftSnapshots.js';
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
  /** This controller's node.id in the quorum (3000 and up, see nodeId.ts). */
  readonly nodeId: number;
  readonly quorum: QuorumConfig;
  /**
   * The cluster's replica-placement stream, the same for every controller, so which one
   * is active does not change where replicas go (a simplification: Kafka's
   * StripedReplicaPlacer draws from the active controller's own Random; see
   * docs/fidelity.md).
   */
  readonly placement: Rng;
}

/** What survives a controller crash: its disk, holding the metadata log and the quorum-state file. */
export interface ControllerDurable {
  readonly disk: Disk;
  readonly config: ControllerConfig;
  readonly metrics?: NodeMetrics;
}

const TICK_MS = 100;
/** The controller's own client for quorum requests (it has no other). */
const RAFT_CHANNEL = 0;

/** An answer waiting for the records before it to commit (QuorumController's DeferredEventQueue). */
interface DeferredReply {
  readonly offset: number;
  readonly complete: () => void;
  readonly fail: () => void;
}

/**
 * A KRaft controller, as Kafka's QuorumController runs on top of its KafkaRaftClient
 * (RaftClient.Listener): a state machine whose state is the metadata image. The quorum's
 * leader is the active controller: it writes records through the Raft client, applies them
 * to its image as it writes them, and answers a request once its records are committed;
 * it registers and fences brokers on their heartbeats, creates topics, elects leaders and
 * validates AlterPartition. Every other controller answers brokers NOT_CONTROLLER and
 * applies records only as they commit (handleCommit), so it is ready to lead: a new leader
 * acts only once it has applied every record before its epoch (claim). A controller that
 * loses the lead goes back to the committed state (renounce). It keeps the broker
 * registrations in its ClusterControlManager, the heartbeats in its BrokerHeartbeatManager,
 * and asks its ReplicationControlManager for partition decisions.
 */
export class Controller implements Process<KafkaMessage> {
  readonly image = new MetadataImage();
  private readonly raft: KafkaRaftClient;
  private heartbeats = new BrokerHeartbeatManager();
  private readonly replication: ReplicationControlManager;
  private readonly cluster = new ClusterControlManager();
  /** The epoch this controller is active in (QuorumController.curClaimEpoch); undefined when it is not active. */
  private claimEpoch: number | undefined;
  /** The offset below which the quorum has committed the log, as this controller heard (OffsetControlManager.lastCommittedOffset + 1). */
  private committedOffset = 0;
  /** The offset past the last record this controller wrote as the active one. */
  private writtenOffset = 0;
  private deferred: DeferredReply[] = [];
  /** Records the current event generated, applied to the image, not yet appended. */
  private pending: MetadataRecord[] = [];
  /** A preferred leader election is scheduled (QuorumController's imbalancedScheduled). */
  private balanceScheduled = false;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly durable: ControllerDurable,
  ) {
    this.replication = new ReplicationControlManager({
      image: this.image,
      defaults: () => this.config.settings,
      placement: durable.config.placement,
      metrics: durable.metrics,
      lastContactMs: (brokerId) => this.heartbeats.lastContactMs(brokerId),
    });
    const { nodeId, quorum } = durable.config;
    this.raft = new KafkaRaftClient(raftContext(ctx, RAFT_CHANNEL), { disk: durable.disk }, {
      nodeId,
      ...quorum,
      hostOf: quorumNodeOf,
      listener: {
        handleCommit: (records) => this.handleCommit(records),
        handleLoadSnapshot: (snapshot) => this.handleLoadSnapshot(snapshot),
        handleLeaderChange: (leaderId, epoch) => this.handleLeaderChange(leaderId, epoch),
        snapshotData: () => this.snapshotData(),
      },
    });
    durable.metrics?.gauge(JMX.activeControllerCount, () => (this.claimEpoch === undefined ? 0 : 1));
    durable.metrics?.gauge(JMX.offlinePartitions, () => (this.claimEpoch === undefined ? 0 : this.image.offlinePartitions().length));
  }

  /** This controller is the active one (the quorum's leader, caught up with its epoch's start). */
  get isActive(): boolean {
    return this.claimEpoch !== undefined;
  }

  /** Its member of the quorum, for the probe's online Raft checks (read only). */
  get quorumMember(): KafkaRaftClient {
    return this.raft;
  }

  /** The epoch this controller is active in, for the probe. */
  get activeEpoch(): number | undefined {
    return this.claimEpoch;
  }

  private get config(): ControllerConfig {
    return this.durable.config;
  }

  onStart(): void {
    this.raft.onStart();
    this.tick();
  }

  /** SIGTERM: the quorum member resigns if it leads and exits once another leader is known (KafkaRaftClient.shutdown). */
  onShutdown(exit: () => void): void {
    this.raft.onShutdown(exit);
  }

  onRequest(from: NodeId, req: KafkaMessage, reply: (r: KafkaMessage) => void): void {
    switch (req.type) {
      case 'Raft':
        return this.raft.onRequest(from, req.body, (r) => reply(raftEnvelope(r)));
      case 'BrokerRegistration':
        if (!this.isActive) return reply(message('BrokerRegistrationResponse', { error: 'NOT_CONTROLLER' }));
        return this.handleBrokerRegistration(req, reply);
      case 'BrokerHeartbeat':
        if (!this.isActive) return reply(message('BrokerHeartbeatResponse', { error: 'NOT_CONTROLLER', fenced: true }));
        return this.handleBrokerHeartbeat(req, reply);
      case 'AlterPartition':
        if (!this.isActive) return reply(message('AlterPartitionResponse', { error: 'NOT_CONTROLLER' }));
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
    const brokerEpoch = this.image.broker(req.brokerId)?.epoch ?? -1;
    this.replyWhenCommitted(reply, () => message('BrokerRegistrationResponse', { brokerEpoch }), () => message('BrokerRegistrationResponse', { error: 'NOT_CONTROLLER' }));
  }

  private handleBrokerHeartbeat(req: BrokerHeartbeatRequest, reply: (r: KafkaMessage) => void): void {
    if (!this.cluster.isCurrent(req.brokerId, req.incarnation)) {
      reply(message('BrokerHeartbeatResponse', { error: 'BROKER_ID_NOT_REGISTERED', fenced: true }));
      return;
    }
    this.heartbeats.heartbeat(req.brokerId, this.nowMs(), req.metadataOffset);
    const shouldShutDown = this.nextBrokerState(req);
    const fenced = this.image.broker(req.brokerId)?.fenced ?? true;
    this.replyWhenCommitted(
      reply,
      () => message('BrokerHeartbeatResponse', { fenced, ...(shouldShutDown ? { shouldShutDown } : {}) }),
      () => message('BrokerHeartbeatResponse', { error: 'NOT_CONTROLLER', fenced: true }),
    );
  }

  private handleAlterPartition(req: AlterPartitionRequest, reply: (r: KafkaMessage) => void): void {
    const result = this.replication.alterPartition(req);
    if ('error' in result) {
      reply(message('AlterPartitionResponse', { error: result.error }));
      return;
    }
    this.commit([result.change]);
    const p = this.image.partition(req.topic, req.partition);
    const answer = { isr: p?.isr, leaderEpoch: p?.leaderEpoch, partitionEpoch: p?.partitionEpoch };
    this.replyWhenCommitted(reply, () => message('AlterPartitionResponse', answer), () => message('AlterPartitionResponse', { error: 'NOT_CONTROLLER' }));
  }

  /** The active controller fences brokers whose session expired, creates pending topics, and elects leaders. */
  private tick(): void {
    this.ctx.after(millis(TICK_MS), () => this.tick());
    if (!this.isActive) return;
    const now = this.nowMs();
    for (const b of this.image.brokers()) {
      if (b.fenced) continue;
      if (this.heartbeats.sessionExpired(b.brokerId, now, this.config.settings['broker.session.timeout.ms'])) this.fence(b.brokerId);
    }
    this.createTopics();
    this.flushWrites();
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
      if (!this.isActive) return;
      this.commit(this.replication.balanceLeaders());
      this.flushWrites();
      this.maybeScheduleBalance();
    });
  }

  private createTopics(): void {
    const active = this.image.brokers().filter((b) => !b.fenced).length;
    for (const t of this.config.topics) this.commit(this.replication.createTopic(t, active));
  }

  /**
   * Applies records to the image at once (QuorumController's replay of what it generates)
   * and queues them for the log: everything one event generates goes to the Raft client as
   * one append when the event ends (ControllerWriteEvent, prepareAppend).
   */
  private commit(records: readonly MetadataRecord[]): void {
    if (records.length === 0 || !this.isActive) return;
    for (const r of records) {
      if (r.type === 'PartitionChange') this.replication.measureElection(r, this.nowMs());
      this.image.apply(r);
      this.pending.push(r);
      this.ctx.trace.emit('metadata.record', { record: r.type, detail: JSON.stringify(r) });
    }
    this.maybeScheduleBalance();
  }

  /** Appends the event's records through the Raft client; a controller no longer leading renounces instead (NotLeaderException). */
  private flushWrites(): void {
    if (this.pending.length === 0) return;
    const last = this.isActive ? this.raft.append(this.pending.map((r) => JSON.stringify(r))) : undefined;
    if (last === undefined) {
      // The records stay pending until renounce has seen them: they are in the image but
      // will never be in the log, so the image must go back to the committed state.
      this.renounce();
      return;
    }
    this.pending = [];
    this.writtenOffset = last + 1;
  }

  /**
   * Answers once everything this controller has written is committed, or NOT_CONTROLLER if it
   * loses the lead first (ControllerWriteEvent.complete, DeferredEventQueue.failAll).
   */
  private replyWhenCommitted(reply: (r: KafkaMessage) => void, answer: () => KafkaMessage, notController: () => KafkaMessage): void {
    this.flushWrites();
    if (!this.isActive) {
      reply(notController());
      return;
    }
    if (this.writtenOffset <= this.committedOffset) {
      reply(answer());
      return;
    }
    this.deferred.push({ offset: this.writtenOffset, complete: () => reply(answer()), fail: () => reply(notController()) });
  }

  /**
   * RaftClient.Listener.handleCommit (QuorumMetaLogListener): the active controller applied
   * its own records as it wrote them and now answers the requests that waited for them;
   * any other applies each record (replay), as it will need them to lead.
   */
  private handleCommit(records: readonly RaftRecord[]): void {
    for (const r of records) {
      this.committedOffset = r.offset + 1;
      if (r.kind !== 'data' || (this.claimEpoch !== undefined && r.epoch === this.claimEpoch)) continue;
      this.replay(JSON.parse(r.data) as MetadataRecord);
    }
    const done = this.deferred.filter((d) => d.offset <= this.committedOffset);
    if (done.length === 0) return;
    this.deferred = this.deferred.filter((d) => d.offset > this.committedOffset);
    for (const d of done) d.complete();
  }

  /**
   * RaftClient.Listener.handleLoadSnapshot (QuorumController's snapshot load): the image and
   * the registrations become the snapshot's, committed up to its end offset. The active
   * controller never loads one (RaftEventSimulationTest's LeaderNeverLoadSnapshot); one that
   * did would first go back to being inactive.
   */
  private handleLoadSnapshot(snapshot: RaftSnapshot): void {
    if (this.claimEpoch !== undefined) this.renounce();
    this.loadSnapshot(snapshot);
    this.committedOffset = snapshot.id.offset;
    this.writtenOffset = this.committedOffset;
  }

  /** The image and the registrations from a snapshot: each broker's latest registration ends just past its broker epoch. */
  private loadSnapshot(snapshot: RaftSnapshot): void {
    this.cluster.reset();
    loadImageSnapshot(this.image, snapshot.data);
    for (const b of this.image.brokers()) {
      this.cluster.setIncarnation(b.brokerId, b.incarnation);
      this.cluster.setRegisteredAt(b.brokerId, b.epoch + 1);
    }
  }

  /**
   * The committed image as a snapshot's records (the SnapshotGenerator's emitter); undefined
   * while this controller's image holds records not yet committed (Kafka snapshots the
   * loader's image, which only committed records reach).
   */
  private snapshotData(): readonly string[] | undefined {
    if (this.pending.length > 0 || this.writtenOffset > this.committedOffset) return undefined;
    return imageSnapshotData(this.image);
  }

  /** A committed record applied to the image, with the registration bookkeeping it carries (ClusterControlManager.replay). */
  private replay(record: MetadataRecord): void {
    this.image.apply(record);
    if (record.type !== 'RegisterBroker') return;
    this.cluster.setIncarnation(record.brokerId, record.incarnation);
    this.cluster.setRegisteredAt(record.brokerId, this.image.offset);
  }

  /** RaftClient.Listener.handleLeaderChange (QuorumMetaLogListener): claim the lead, or renounce it. */
  private handleLeaderChange(leaderId: number | undefined, epoch: number): void {
    if (this.claimEpoch !== undefined && (leaderId !== this.config.nodeId || epoch !== this.claimEpoch)) this.renounce();
    if (leaderId === this.config.nodeId) this.claim(epoch);
  }

  /**
   * QuorumController.claim: the image holds every committed record, so this controller acts
   * from now on. ClusterControlManager.activate starts the heartbeat manager afresh: every
   * registered broker gets a full session to reach the new controller.
   */
  private claim(epoch: number): void {
    this.claimEpoch = epoch;
    this.writtenOffset = this.committedOffset;
    this.heartbeats = new BrokerHeartbeatManager();
    const now = this.nowMs();
    for (const b of this.image.brokers()) this.heartbeats.touch(b.brokerId, now);
    this.ctx.trace.emit('controller.active', { node: this.ctx.id, epoch, active: true });
    this.maybeScheduleBalance();
  }

  /**
   * QuorumController.renounce: the requests waiting for commits fail with NOT_CONTROLLER, and
   * the image goes back to the committed state (OffsetControlManager.deactivate reverts to
   * the last committed snapshot), replayed here from the log.
   */
  private renounce(): void {
    const epoch = this.claimEpoch ?? -1;
    this.claimEpoch = undefined;
    const failed = this.deferred;
    this.deferred = [];
    for (const d of failed) d.fail();
    if (this.writtenOffset > this.committedOffset || this.pending.length > 0) {
      this.pending = [];
      this.replayCommitted();
    }
    this.writtenOffset = this.committedOffset;
    this.ctx.trace.emit('controller.active', { node: this.ctx.id, epoch, active: false });
  }

  /** The committed state again: the latest snapshot at or below the commit, then the committed records after it. */
  private replayCommitted(): void {
    this.image.reset();
    this.cluster.reset();
    const snapshot = this.raft.log.snapshots.latestAtOrBelow(this.committedOffset);
    if (snapshot !== undefined) this.loadSnapshot(snapshot);
    const from = snapshot?.id.offset ?? 0;
    for (const r of this.raft.log.read(from, this.committedOffset - from)) if (r.kind === 'data') this.replay(JSON.parse(r.data) as MetadataRecord);
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

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** The active controller wrote a metadata record (and applied it to its image). */
    'metadata.record': { readonly record: MetadataRecord['type']; readonly detail: string };
    /** A controller became the active one in `epoch` (claim), or stopped being it (renounce). */
    'controller.active': { readonly node: NodeId; readonly epoch: number; readonly active: boolean };
  }
}

declareTraceKind('metadata.record', ['record', 'detail']);
declareTraceKind('controller.active', ['node', 'epoch', 'active']);
