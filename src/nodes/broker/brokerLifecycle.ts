/**
 * Kafka's BrokerLifecycleManager, with the broker's metadata log follower: it registers
 * with the controller and heartbeats, asks for a controlled shutdown, and follows
 * `__cluster_metadata` into the broker's metadata image.
 */
import type { NodeContext } from '../../network/nodeHost.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { MetadataImage } from '../controller/metadataImage.js';
import { CONTROLLER_NODE, message, type KafkaMessage } from '../protocol.js';
import type { BrokerConfig } from './broker.js';
import { Channel } from './channels.js';

/**
 * KafkaRaftClient's fetch wait, and controller.quorum.request.timeout.ms and
 * controller.quorum.retry.backoff.ms: fixed here, not among the declared broker settings.
 */
const METADATA_FETCH_WAIT_MS = 500;
const METADATA_REQUEST_TIMEOUT_MS = 2_000;
const METADATA_RETRY_BACKOFF_MS = 20;
/** How long a broker waits for the controller to approve its controlled shutdown (KafkaBroker.shutdown's 5 minutes). */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 300_000;
/** BrokerLifecycleManager asks again this soon after the controller's first "not yet". */
const CONTROLLED_SHUTDOWN_RECHECK_MS = 50;

/** What the lifecycle manager needs from the broker. */
export interface BrokerLifecycleDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: BrokerConfig;
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
  /** A metadata fetch is out (one at a time, as KafkaRaftClient has). */
  private fetchingMetadata = false;

  constructor(private readonly deps: BrokerLifecycleDeps) {}

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

  register(): void {
    const { ctx, config } = this.deps;
    const req = message('BrokerRegistration', { brokerId: this.id, incarnation: ctx.incarnation, rack: config.rack });
    ctx.request(CONTROLLER_NODE, req, { timeout: millis(config.settings['request.timeout.ms']), channel: Channel.Lifecycle }, (r) => {
      if (r.ok && r.response.type === 'BrokerRegistrationResponse' && r.response.error === undefined) {
        this.registered = true;
        this.brokerEpoch = r.response.brokerEpoch ?? -1;
        this.heartbeat();
        this.fetchMetadata();
      } else ctx.after(millis(config.settings['broker.heartbeat.interval.ms']), () => this.register());
    });
  }

  /** BrokerLifecycleManager's heartbeat loop; in controlled shutdown each one asks to stop. */
  private heartbeat(): void {
    const { ctx, config } = this.deps;
    this.heartbeatTimer = undefined;
    this.heartbeatInFlight = true;
    const wantShutDown = this.controlledShutdown !== undefined;
    const req = message('BrokerHeartbeat', { brokerId: this.id, incarnation: ctx.incarnation, metadataOffset: this.deps.image.offset, ...(wantShutDown ? { wantShutDown } : {}) });
    ctx.request(CONTROLLER_NODE, req, { timeout: millis(config.settings['broker.heartbeat.interval.ms'] * 2), channel: Channel.Lifecycle }, (r) => {
      this.heartbeatInFlight = false;
      let next = config.settings['broker.heartbeat.interval.ms'];
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
      this.deps.close(this.brokerEpoch);
      exit();
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
    this.deps.close(this.brokerEpoch);
    shutdown.exit();
  }

  // ------------------------------------------------------------------ metadata log

  /**
   * KRaft: the broker follows the metadata log as an observer of the controller quorum,
   * fetching `__cluster_metadata` from where its image is (KafkaRaftClient, with its 500 ms
   * fetch wait and 2 s request timeout); records are applied as they come, so a new leader
   * learns of its election a round trip after the controller commits it. A failed fetch is
   * retried after controller.quorum.retry.backoff.ms (20 ms).
   */
  private fetchMetadata(): void {
    if (this.fetchingMetadata || !this.registered) return;
    const { ctx, image } = this.deps;
    this.fetchingMetadata = true;
    const req = message('MetadataFetch', { brokerId: this.id, fetchOffset: image.offset, maxWaitMs: METADATA_FETCH_WAIT_MS });
    ctx.request(CONTROLLER_NODE, req, { timeout: millis(METADATA_REQUEST_TIMEOUT_MS), channel: Channel.Metadata }, (r) => {
      this.fetchingMetadata = false;
      if (r.ok && r.response.type === 'MetadataFetchResponse') {
        for (const record of r.response.records) image.apply(record);
        if (r.response.records.length > 0) this.deps.onMetadata();
        this.fetchMetadata();
      } else ctx.after(millis(METADATA_RETRY_BACKOFF_MS), () => this.fetchMetadata());
    });
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A broker asked to shut down entered PENDING_CONTROLLED_SHUTDOWN. */
    'broker.controlled-shutdown': { readonly broker: number };
  }
}

declareTraceKind('broker.controlled-shutdown', ['broker']);
