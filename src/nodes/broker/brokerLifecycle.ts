/**
 * Kafka's BrokerLifecycleManager, with the broker's KafkaRaftClient as an observer of the
 * controller quorum: the observer follows `__cluster_metadata` from the quorum's leader into
 * the broker's metadata image, and names the active controller, to which the manager
 * registers and heartbeats (NodeToControllerChannelManager with RaftControllerNodeProvider)
 * and asks for a controlled shutdown.
 */
import type { NodeContext, NodeId } from '../../network/nodeHost.js';
import type { Disk } from '../../log/disk.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { MetadataImage } from '../controller/metadataImage.js';
import { imageSnapshotData, loadImageSnapshot } from '../controller/imageSnapshot.js';
import type { MetadataRecord } from '../controller/metadataRecords.js';
import { KafkaRaftClient } from '../controller/raft/kafkaRaftClient.js';
import { raftContext } from '../controller/raft/kafkaNetworkChannel.js';
import type { RaftRecord } from '../controller/raft/raftMessages.js';
import type { RaftSnapshot } from '../controller/raft/raftSnapshots.js';
import { quorumNodeOf } from '../nodeId.js';
import { message, type KafkaMessage } from '../protocol.js';
import type { BrokerConfig } from './broker.js';
import { Channel } from './channels.js';
/** How long a broker waits for the controller to approve its controlled shutdown (KafkaBroker.shutdown's 5 minutes). */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 300_000;
/** BrokerLifecycleManager asks again this soon after the controller's first "not yet". */
const CONTROLLED_SHUTDOWN_RECHECK_MS = 50;
/**
 * While STARTING (not yet caught up with its own registration) a broker heartbeats every
 * 10 ms, not every broker.heartbeat.interval.ms, "so that in the case where there is no
 * recovery work to be done, we start up a bit quicker" (BrokerLifecycleManager's
 * BrokerHeartbeatResponseEvent, core/src/main/scala/kafka/server/BrokerLifecycleManager.scala).
 */
const STARTING_HEARTBEAT_MS = 10;

/** What the lifecycle manager needs from the broker. */
export interface BrokerLifecycleDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: BrokerConfig;
  /**
   * The broker's log dir, where its observer keeps __cluster_metadata-0 and its quorum-state
   * file (KafkaRaftManager puts the metadata log in metadata.log.dir, by default the first log dir).
   */
  readonly disk: Disk;
  /** The image the metadata log is applied to. */
  readonly image: MetadataImage;
  /** New metadata records were applied: the replicas follow them (ReplicaManager.applyDelta). */
  readonly onMetadata: () => void;
  /** The rest of the shutdown (LogManager.shutdown), with this incarnation's broker epoch. */
  readonly close: (brokerEpoch: number) => void;
}

export class BrokerLifecycleManager {
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
  /** The broker's member of the quorum: an observer, fetching the metadata log from the leader (KafkaRaftClient's observer path). */
  private readonly raft: KafkaRaftClient;
  /** The quorum's leader as the observer last heard: the active controller (RaftControllerNodeProvider). */
  private controllerId: number | undefined;
  /** The replicas follow the image: it has reached this incarnation's registration (BrokerLifecycleManager.initialCatchUpFuture). */
  private caughtUp = false;
  /** The registration waits for the observer to learn who the controller is. */
  private registrationWaiting = false;

  constructor(private readonly deps: BrokerLifecycleDeps) {
    const { ctx, config } = deps;
    // The observer keeps the metadata log it fetches on the broker's disk (KafkaRaftManager's
    // KafkaMetadataLog), so a restarted broker loads it and fetches from its end
    // (KafkaRaftClient.buildFetchRequest's fetchOffset is log.endOffset()). As an observer it
    // does not flush what it appends (KafkaRaftClient.appendAsFollower flushes only on a voter):
    // a power loss takes back what the page cache held.
    this.raft = new KafkaRaftClient(raftContext(ctx, Channel.Metadata), { disk: deps.disk }, {
      nodeId: this.id,
      ...config.quorum,
      hostOf: quorumNodeOf,
      listener: {
        handleCommit: (records) => this.handleCommit(records),
        handleLoadSnapshot: (snapshot) => this.handleLoadSnapshot(snapshot),
        handleLeaderChange: (leaderId) => this.handleLeaderChange(leaderId),
        // A broker writes snapshots of its image too (SharedServer's SnapshotGenerator runs on every KRaft node).
        snapshotData: () => imageSnapshotData(this.deps.image),
      },
    });
  }

  /** The broker's observer of the quorum, for the probe's online Raft checks (read only). */
  get metadataQuorumMember(): KafkaRaftClient {
    return this.raft;
  }

  /** The active controller's node, when the observer knows the quorum's leader. */
  get controllerNode(): NodeId | undefined {
    return this.controllerId === undefined ? undefined : quorumNodeOf(this.controllerId);
  }

  private get retryBackoffMs(): number {
    return this.deps.config.quorum.settings['controller.quorum.retry.backoff.ms'];
  }

  /** BrokerServer.startup: the quorum observer first, then the registration. */
  start(): void {
    this.raft.onStart();
    this.register();
  }

  private get id(): number {
    return this.deps.config.brokerId;
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** This incarnation's broker epoch (BrokerLifecycleManager.brokerEpoch); -1 until it registered. */
  get epoch(): number {
    return this.brokerEpoch;
  }

  /** In PENDING_CONTROLLED_SHUTDOWN. */
  get inControlledShutdown(): boolean {
    return this.controlledShutdown !== undefined;
  }

  // ------------------------------------------------------------------ controller

  /**
   * BrokerLifecycleManager's registration, sent to the active controller once the observer
   * knows it; NOT_CONTROLLER, or no controller known yet, is tried again after
   * controller.quorum.retry.backoff.ms (NodeToControllerChannelManager queues it until the
   * controller is known); another failure after broker.heartbeat.interval.ms.
   */
  private register(): void {
    const { ctx, config } = this.deps;
    const controller = this.controllerNode;
    if (controller === undefined) {
      this.registrationWaiting = true;
      return;
    }
    const req = message('BrokerRegistration', { brokerId: this.id, incarnation: ctx.incarnation, rack: config.rack });
    ctx.request(controller, req, { timeout: millis(config.settings['request.timeout.ms']), channel: Channel.Lifecycle }, (r) => {
      if (r.ok && r.response.type === 'BrokerRegistrationResponse' && r.response.error === undefined) {
        this.registered = true;
        this.brokerEpoch = r.response.brokerEpoch ?? -1;
        this.heartbeat();
        this.maybeCatchUp();
      } else {
        const notController = r.ok && r.response.type === 'BrokerRegistrationResponse' && r.response.error === 'NOT_CONTROLLER';
        ctx.after(millis(notController ? this.retryBackoffMs : config.settings['broker.heartbeat.interval.ms']), () => this.register());
      }
    });
  }

  /**
   * BrokerLifecycleManager's heartbeat loop: every 10 ms while STARTING, then every
   * broker.heartbeat.interval.ms; in controlled shutdown each one asks to stop.
   */
  private heartbeat(): void {
    const { ctx, config } = this.deps;
    this.heartbeatTimer = undefined;
    this.heartbeatInFlight = true;
    const wantShutDown = this.controlledShutdown !== undefined;
    const req = message('BrokerHeartbeat', { brokerId: this.id, incarnation: ctx.incarnation, metadataOffset: this.deps.image.offset, ...(wantShutDown ? { wantShutDown } : {}) });
    const controller = this.controllerNode;
    if (controller === undefined) {
      this.heartbeatInFlight = false;
      this.heartbeatTimer = ctx.after(millis(this.retryBackoffMs), () => this.heartbeat());
      return;
    }
    ctx.request(controller, req, { timeout: millis(config.settings['broker.heartbeat.interval.ms'] * 2), channel: Channel.Lifecycle }, (r) => {
      this.heartbeatInFlight = false;
      let next = config.settings['broker.heartbeat.interval.ms'];
      if (r.ok && r.response.type === 'BrokerHeartbeatResponse' && r.response.error === 'NOT_CONTROLLER') {
        // NodeToControllerChannelManager sends it again once it knows the new controller.
        next = this.retryBackoffMs;
      } else if (r.ok && r.response.type === 'BrokerHeartbeatResponse') {
        if (r.response.error !== undefined) {
          this.registered = false;
          this.running = false;
          this.caughtUp = false;
          this.register();
          return;
        }
        this.running = !r.response.fenced;
        if (!this.caughtUp) next = STARTING_HEARTBEAT_MS;
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
      this.heartbeatTimer = ctx.after(millis(next), () => this.heartbeat());
    });
  }

  /** Sends the next heartbeat now, or right after the one in flight (scheduleNextCommunicationImmediately). */
  private heartbeatNow(): void {
    if (this.heartbeatInFlight) {
      this.heartbeatSoon = true;
      return;
    }
    if (this.heartbeatTimer !== undefined) this.deps.ctx.cancel(this.heartbeatTimer);
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
  shutdown(exit: () => void): void {
    const { ctx, config } = this.deps;
    if (!config.settings['controlled.shutdown.enable'] || !this.registered || !this.running) {
      this.close(exit);
      return;
    }
    this.controlledShutdown = { exit, answered: false };
    ctx.trace.emit('broker.controlled-shutdown', { broker: this.id });
    ctx.after(millis(CONTROLLED_SHUTDOWN_TIMEOUT_MS), () => this.finishShutdown());
    this.heartbeatNow();
  }

  private finishShutdown(): void {
    const shutdown = this.controlledShutdown;
    if (shutdown === undefined) return;
    this.controlledShutdown = undefined;
    this.close(shutdown.exit);
  }

  /**
   * The broker closes: the metadata log is flushed as its segments close (KafkaMetadataLog.close,
   * FileRecords.close), then the data logs (LogManager.shutdown).
   */
  private close(exit: () => void): void {
    this.raft.log.flush();
    this.deps.close(this.brokerEpoch);
    exit();
  }

  // ------------------------------------------------------------------ metadata log

  /** The observer heard of a new quorum leader: the active controller from now on; a waiting registration goes to it. */
  private handleLeaderChange(leaderId: number | undefined): void {
    this.controllerId = leaderId;
    if (leaderId === undefined || !this.registrationWaiting) return;
    this.registrationWaiting = false;
    this.register();
  }

  /**
   * The observer's committed records (RaftClient.Listener.handleCommit, as the broker's
   * MetadataLoader hears them): applied to the image in log order; a LeaderChange control
   * record is not metadata.
   */
  private handleCommit(records: readonly RaftRecord[]): void {
    let applied = false;
    for (const r of records) {
      if (r.kind !== 'data') continue;
      this.deps.image.apply(JSON.parse(r.data) as MetadataRecord);
      applied = true;
    }
    if (applied) this.publish();
  }

  /** The image changed: the replicas follow it once caught up. */
  private publish(): void {
    if (this.caughtUp) this.deps.onMetadata();
    else this.maybeCatchUp();
  }

  /** KIP-630: the observer loaded a snapshot (MetadataLoader's snapshot path): the image is the snapshot's, and the replicas follow it as they follow records. */
  private handleLoadSnapshot(snapshot: RaftSnapshot): void {
    loadImageSnapshot(this.deps.image, snapshot.data);
    this.publish();
  }

  /**
   * The replicas start following the image once it holds this incarnation's registration
   * (BrokerLifecycleManager's initial catch-up, which BrokerServer waits for before the
   * metadata publishers run): before that, the image is a dead incarnation's view.
   */
  private maybeCatchUp(): void {
    if (this.caughtUp || !this.registered || this.deps.image.offset <= this.brokerEpoch) return;
    this.caughtUp = true;
    this.deps.onMetadata();
    // Ready to unfence (SetReadyToUnfenceEvent): the heartbeat that asks for it goes now.
    this.heartbeatNow();
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A broker asked to shut down entered PENDING_CONTROLLED_SHUTDOWN. */
    'broker.controlled-shutdown': { readonly broker: number };
  }
}

declareTraceKind('broker.controlled-shutdown', ['broker']);
