import type { HostContext, Message } from '../network/nodeHost.js';
import type { TimerHandle } from '../sim/scheduler.js';
import { millis } from '../sim/time.js';
import { exponentialBackoffMs, ReconnectBackoff } from './reconnectBackoff.js';

/** The client settings that shape its connections (CommonClientConfigs). */
export interface ConnectionSettings {
  readonly 'reconnect.backoff.ms': number;
  readonly 'reconnect.backoff.max.ms': number;
  readonly 'socket.connection.setup.timeout.ms': number;
  readonly 'socket.connection.setup.timeout.max.ms': number;
}

/** A node whose connection is being set up (ConnectionState.CONNECTING). */
interface Connecting {
  readonly timer: TimerHandle;
  /** Run once it is established (a drain, a held request's release). */
  readonly waiting: Set<() => void>;
}

/**
 * Kafka's ClusterConnectionStates, with the connect half of NetworkClient.ready, for one
 * client's connections on one channel. A node is DISCONNECTED in reconnect backoff after a
 * failure (reconnect.backoff.ms doubling to reconnect.backoff.max.ms, 20% jitter), CONNECTING
 * while its handshake is under way, or READY. Nothing is sent to a node that is not READY: a
 * node a request is for is connected first (ready initiates the connection), and a
 * connection not established within socket.connection.setup.timeout.ms is closed and counts
 * as a failure (KIP-601, NetworkClient.handleTimedOutConnections); that timeout doubles with
 * each consecutive failed connect up to socket.connection.setup.timeout.max.ms, with 20%
 * jitter (updateConnectionSetupTimeout), and starts over once a connection is made.
 */
export class ClusterConnectionStates<M extends Message> {
  private readonly backoff: ReconnectBackoff;
  private readonly connecting = new Map<string, Connecting>();
  /** Consecutive connects that failed, per node (NodeConnectionState.failedConnectAttempts). */
  private readonly failedConnects = new Map<string, number>();
  private readonly setupJitter;

  constructor(
    private readonly ctx: Pick<HostContext<M>, 'rng' | 'now' | 'after' | 'cancel' | 'connect' | 'disconnect'>,
    private readonly settings: ConnectionSettings,
    readonly channel = 0,
  ) {
    this.backoff = new ReconnectBackoff(ctx.rng.fork('reconnect'), settings['reconnect.backoff.ms'], settings['reconnect.backoff.max.ms']);
    this.setupJitter = ctx.rng.fork('connection-setup');
  }

  /**
   * NetworkClient.ready (without the in-flight limit, which the caller keeps): whether
   * `node` can take a request now. A node in reconnect backoff cannot; one with no
   * established connection is connected to, and `onReady` runs once that connection is
   * established (not if it fails: the failure comes as a broken connection, onFailure).
   */
  ready(node: string, onReady: () => void): boolean {
    if (this.backoff.blackedOutUntil(node, this.ctx.now()) !== undefined) return false;
    const connecting = this.connecting.get(node);
    if (connecting !== undefined) {
      connecting.waiting.add(onReady);
      return false;
    }
    if (this.ctx.connect(node, this.channel, () => this.established(node))) {
      this.markReady(node);
      return true;
    }
    const timer = this.ctx.after(millis(this.setupTimeoutMs(node)), () => this.ctx.disconnect(node, this.channel));
    this.connecting.set(node, { timer, waiting: new Set([onReady]) });
    return false;
  }

  /** Whether a connection to `node` is being set up. */
  isConnecting(node: string): boolean {
    return this.connecting.has(node);
  }

  /** Until when (local µs) `node` is in reconnect backoff; undefined when it is not. */
  blackedOutUntil(node: string, nowMicros: number): number | undefined {
    return this.backoff.blackedOutUntil(node, nowMicros);
  }

  /**
   * The connection to `node` failed or broke (ClusterConnectionStates.disconnected): its
   * reconnect backoff grows, and if it was still CONNECTING so does its next setup timeout.
   */
  onFailure(node: string): void {
    const now = this.ctx.now();
    const connecting = this.connecting.get(node);
    if (connecting !== undefined) {
      this.ctx.cancel(connecting.timer);
      this.connecting.delete(node);
      this.failedConnects.set(node, (this.failedConnects.get(node) ?? 0) + 1);
    } else if (!this.backoff.failedAt(node, now)) this.failedConnects.delete(node);
    this.backoff.onFailure(node, now);
  }

  /** The handshake of a CONNECTING node completed. */
  private established(node: string): void {
    const connecting = this.connecting.get(node);
    if (connecting === undefined) return;
    this.ctx.cancel(connecting.timer);
    this.connecting.delete(node);
    this.markReady(node);
    for (const fn of connecting.waiting) fn();
  }

  /** ClusterConnectionStates.ready: the connection is made; the backoff and the setup timeout start over. */
  private markReady(node: string): void {
    this.failedConnects.delete(node);
    this.backoff.onSuccess(node);
  }

  /** The setup timeout of the next connect to `node`: ExponentialBackoff.backoff(failedConnectAttempts). */
  private setupTimeoutMs(node: string): number {
    const s = this.settings;
    return exponentialBackoffMs(this.setupJitter, s['socket.connection.setup.timeout.ms'], s['socket.connection.setup.timeout.max.ms'], this.failedConnects.get(node) ?? 0);
  }
}
