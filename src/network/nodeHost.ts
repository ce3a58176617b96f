import type { Rng } from '../sim/rng.js';
import type { Scheduler, TimerHandle } from '../sim/scheduler.js';
import type { Duration, Time } from '../sim/time.js';
import { declareTraceKind, type Trace } from '../sim/trace.js';
import { LocalClock } from './localClock.js';

export type NodeId = string;

/** What a node does to the network: nothing more than its kind and size is read there. */
export interface Message {
  /** The message's name, as Kafka's ApiKeys name it ("Produce", "FetchResponse" …). */
  readonly type: string;
  /** Its size on the wire, in bytes, which sets its transmission time on a link. */
  readonly bytes: number;
}

/** Why a request ended without a response. A timeout does not mean it was not processed. */
export type RpcError = 'timeout' | 'disconnected';

export type RpcResult<R> = { readonly ok: true; readonly response: R } | { readonly ok: false; readonly error: RpcError };

export interface RequestOptions {
  /** Local time to wait for the response before giving up with 'timeout'. */
  readonly timeout: Duration;
  /**
   * Which of the node's clients sends it (default 0). Each has its own connection to each
   * peer, as each of a process's Kafka clients has its own NetworkClient and sockets: a
   * consume-transform-produce application's consumer and producer, say.
   */
  readonly channel?: number;
}

/**
 * Kill -9 leaves the operating system, and so its page cache, running: unflushed writes
 * survive. A power loss takes the page cache with it.
 */
export type CrashMode = 'process' | 'power';

/** Durable state that must hear about crashes (a disk drops its page cache on power loss). */
export interface CrashAware {
  onProcessCrash?(): void;
  onPowerLoss?(): void;
}

/**
 * What an incarnation sees of the world. Everything a node does goes through it: it never
 * touches another node's memory, the scheduler or the network directly.
 */
export interface NodeContext<M extends Message = Message> {
  readonly id: NodeId;
  /** 1 for the first start, +1 per restart. */
  readonly incarnation: number;
  /** This node's random stream, forked per incarnation. */
  readonly rng: Rng;
  readonly trace: Trace;
  /** The local clock's reading (skew, drift and jumps included). */
  now(): Time;
  /** Runs `fn` after `delay` on the local clock, unless this incarnation dies first. */
  after(delay: Duration, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
  /**
   * Runs `task` every `interval` on the local clock, the first time one interval from now,
   * for as long as this incarnation lives: a periodic task, as Kafka's KafkaScheduler
   * .schedule(name, task, delay, period) runs it. Each run schedules the next after `task`
   * returns, so one task keeps exactly one timer pending.
   */
  every(interval: Duration, task: () => void): void;
  /** Sends a request; `done` runs exactly once, unless this incarnation dies first. */
  request(to: NodeId, message: M, options: RequestOptions, done: (result: RpcResult<M>) => void): void;
  /**
   * As {@link request}, calling `done(arg, result)`: a caller with state per request (a
   * producer's batches) passes it as `arg` to one shared function instead of making a
   * closure per request.
   */
  requestWith<A>(to: NodeId, message: M, options: RequestOptions, done: (arg: A, result: RpcResult<M>) => void, arg: A): void;
  /** Sends a one-way message. */
  send(to: NodeId, message: M): void;
  /** Closes this node's connection with `peer`; the peer notices it (onDisconnect). */
  closeConnection(peer: NodeId): void;
  /**
   * The process exits on its own (Kafka's Exit.exit on a FatalExitError): its shutdown
   * sequence runs as for SIGTERM (onShutdown) and it stays down until a fault restarts it.
   */
  exit(): void;
}

/**
 * What a Kafka client's NetworkClient does with its connections besides sending on them
 * (Selector.connect and close, behind NetworkClient.ready and disconnect). The network
 * models the TCP handshake; the client keeps ClusterConnectionStates and times the setup out.
 */
export interface ClientConnections {
  /**
   * Opens a connection to `peer` on `channel` unless one is open (NetworkClient
   * .initiateConnect). Returns whether it is established. If not, the handshake is under way
   * (CONNECTING: the peer's machine is off or a partition cuts it off, so its SYNs go
   * unanswered, or its process is down and the refusal is on its way): `established` runs
   * once it completes; a refusal ends it as a broken connection does (onDisconnect).
   * Requests sent on it meanwhile wait, unsent, for the handshake.
   */
  connect(peer: NodeId, channel: number, established: () => void): boolean;
  /**
   * Closes this client's connection to `peer` on `channel` now (NetworkClient.disconnect,
   * Selector.close), established or not: its requests fail as disconnected, and onDisconnect
   * runs before this returns.
   */
  disconnect(peer: NodeId, channel: number): void;
}

/** The context a host gives its incarnation: a client's connection control besides the rest. */
export type HostContext<M extends Message = Message> = NodeContext<M> & ClientConnections;

/** One incarnation of a node: its fields are the node's volatile state. */
export interface Process<M extends Message = Message> {
  onStart?(): void;
  /** Handles a request; `reply` may be called now or later, at most once. */
  onRequest?(from: NodeId, request: M, reply: (response: M) => void): void;
  onMessage?(from: NodeId, message: M): void;
  /** A connection this node opened to `peer` on `channel` broke (reset, refused, closed by the peer, or by itself after a timeout). */
  onDisconnect?(peer: NodeId, channel: number): void;
  /**
   * Asked to stop (SIGTERM): the process shuts down its own way and calls `exit` when it
   * is done. Without this handler it exits at once.
   */
  onShutdown?(exit: () => void): void;
}

export type ProcessFactory<M extends Message, D, P extends Process<M> = Process<M>> = (ctx: HostContext<M>, durable: D) => P;

export type HostState = 'up' | 'down';

/** Services a host needs from the world it lives in; the network provides them. */
export interface HostEnvironment<M extends Message> {
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  newTag(): number;
  contextFor(host: NodeHost<M>, tag: number): HostContext<M>;
  /** Called as the host goes down, to break its connections. */
  hostDown(host: NodeHost<M>, mode: CrashMode): void;
}

export interface NodeHostOptions<M extends Message, D, P extends Process<M> = Process<M>> {
  readonly id: NodeId;
  /** Roles used by symbolic fault targets: "broker", "controller", "client" … */
  readonly roles?: readonly string[];
  readonly durable: D;
  readonly factory: ProcessFactory<M, D, P>;
  /** Devices in the durable state that must hear about crashes. */
  readonly devices?: readonly CrashAware[];
  readonly clock?: LocalClock;
  /**
   * A Kafka client (one NetworkClient per producer or consumer) closes its connection to a
   * node when a request to it times out, failing every other request in flight on it
   * (NetworkClient.handleTimedOutRequests). Brokers and the controller do not: their many
   * channels to one peer (replica fetchers, the controller channels) share one simulated
   * connection here, so closing it would fail requests Kafka keeps on other sockets.
   */
  readonly closesConnectionOnRequestTimeout?: boolean;
}

/**
 * A node as the machine it runs on: an id, the durable state that survives crashes (its
 * disks), its clock, and at most one live incarnation built from the durable state on each
 * start. A crash discards the incarnation, cancels its timers (they carry its scheduler tag)
 * and breaks its connections; a restart builds a new one from the durable state alone.
 *
 * A pause (GC, SIGSTOP) keeps the incarnation but stops it: deliveries and timers queue in
 * order and run when it resumes, as though nothing happened. That is how zombies are made.
 */
export class NodeHost<M extends Message = Message, D = unknown, P extends Process<M> = Process<M>> {
  readonly id: NodeId;
  readonly roles: readonly string[];
  readonly durable: D;
  readonly clock: LocalClock;
  /** See NodeHostOptions.closesConnectionOnRequestTimeout. */
  readonly closesConnectionOnRequestTimeout: boolean;
  /** Builds an incarnation; D stays out of it so a NodeHost<M, D, P> is a NodeHost<M>. */
  private readonly build: (ctx: HostContext<M>) => P;
  private readonly devices: readonly CrashAware[];
  private env?: HostEnvironment<M>;

  private liveProcess?: P;
  private liveTag = 0;
  private incarnations = 0;
  private pausedUntilMicros = -1;
  private backlog: (() => void)[] = [];
  private resumeHandle?: TimerHandle;
  private downMode: CrashMode = 'process';
  /** The live incarnation was asked to shut down and has not exited yet. */
  private stoppingNow = false;
  /** A restart asked for while stopping: it starts again as soon as it exits. */
  private restartOnExit = false;

  constructor(options: NodeHostOptions<M, D, P>) {
    this.id = options.id;
    this.roles = options.roles ?? [];
    this.durable = options.durable;
    const { factory, durable } = options;
    this.build = (ctx) => factory(ctx, durable);
    this.devices = options.devices ?? [];
    this.clock = options.clock ?? new LocalClock();
    this.closesConnectionOnRequestTimeout = options.closesConnectionOnRequestTimeout ?? false;
  }

  /** Called once by the network when the host joins it. */
  attach(env: HostEnvironment<M>): void {
    if (this.env !== undefined) throw new Error(`${this.id} is already attached to a network`);
    this.env = env;
  }

  get state(): HostState {
    return this.liveProcess === undefined ? 'down' : 'up';
  }

  get paused(): boolean {
    return this.liveProcess !== undefined && this.pausedUntilMicros >= 0;
  }

  /** The instant a pause ends, when paused. */
  get pausedUntil(): Time | undefined {
    return this.paused ? (this.pausedUntilMicros as Time) : undefined;
  }

  get incarnation(): number {
    return this.incarnations;
  }

  /** The scheduler tag of the live incarnation, or 0 when down. */
  get tag(): number {
    return this.liveTag;
  }

  /** How the host last went down. */
  get lastCrashMode(): CrashMode {
    return this.downMode;
  }

  /** The live incarnation, for the runtime and for tests that inspect volatile state. */
  get process(): P | undefined {
    return this.liveProcess;
  }

  hasRole(role: string): boolean {
    return this.roles.includes(role);
  }

  /** Starts a new incarnation from the durable state. */
  start(): void {
    const env = this.requireEnv();
    if (this.liveProcess !== undefined) throw new Error(`${this.id} is already up`);
    this.incarnations++;
    this.liveTag = env.newTag();
    const ctx = env.contextFor(this, this.liveTag);
    env.trace.emit('node.start', { node: this.id, incarnation: this.incarnations });
    const process = this.build(ctx);
    this.liveProcess = process;
    // onStart runs as its own event at this instant, so hosts started together all exist
    // before any of them acts.
    const tag = this.liveTag;
    if (process.onStart !== undefined) env.scheduler.after(0 as Duration, () => this.dispatch(tag, () => process.onStart?.()), tag);
  }

  /** Kills the live incarnation. Returns false if it was already down. */
  crash(mode: CrashMode): boolean {
    const env = this.requireEnv();
    if (this.liveProcess === undefined) return false;
    env.trace.emit('node.crash', { node: this.id, incarnation: this.incarnations, mode });
    this.restartOnExit = false;
    this.goDown(mode);
    for (const device of this.devices) {
      if (mode === 'power') device.onPowerLoss?.();
      else device.onProcessCrash?.();
    }
    env.hostDown(this, mode);
    return true;
  }

  /** True between a shutdown request and the incarnation's exit. */
  get stopping(): boolean {
    return this.stoppingNow;
  }

  /**
   * Asks the live incarnation to shut down (SIGTERM): it runs its shutdown sequence as its
   * own work (a paused process hears the signal when it resumes) and exits when that is
   * done, its sockets closed as a dead process's are. Returns false if it is down or
   * already stopping.
   */
  shutdown(): boolean {
    const env = this.requireEnv();
    const process = this.liveProcess;
    if (process === undefined || this.stoppingNow) return false;
    this.stoppingNow = true;
    const tag = this.liveTag;
    env.trace.emit('node.shutdown', { node: this.id, incarnation: this.incarnations });
    const exit = (): void => {
      if (tag === this.liveTag) this.exit();
    };
    env.scheduler.after(0 as Duration, () => this.dispatch(tag, () => (process.onShutdown === undefined ? exit() : process.onShutdown(exit))), tag);
    return true;
  }

  private exit(): void {
    const env = this.requireEnv();
    env.trace.emit('node.stop', { node: this.id, incarnation: this.incarnations });
    this.goDown('process');
    env.hostDown(this, 'process');
    if (this.restartOnExit) {
      this.restartOnExit = false;
      this.start();
    }
  }

  /** Discards the live incarnation: its timers, its pause and its queued work. */
  private goDown(mode: CrashMode): void {
    const env = this.requireEnv();
    env.scheduler.cancelTagged(this.liveTag);
    if (this.resumeHandle !== undefined) env.scheduler.cancel(this.resumeHandle);
    this.resumeHandle = undefined;
    this.liveProcess = undefined;
    this.liveTag = 0;
    this.pausedUntilMicros = -1;
    this.backlog = [];
    this.stoppingNow = false;
    this.downMode = mode;
  }

  /**
   * Starts the node again if it is down, or as soon as it exits if it is shutting down.
   * Returns false if it was up.
   */
  restart(): boolean {
    if (this.liveProcess !== undefined) {
      if (!this.stoppingNow) return false;
      this.restartOnExit = true;
      return true;
    }
    this.start();
    return true;
  }

  /**
   * Stops the live incarnation for `duration` of real time. Returns false if it is down. A
   * pause while paused extends to whichever ends later.
   */
  pause(duration: Duration): boolean {
    const env = this.requireEnv();
    if (this.liveProcess === undefined) return false;
    const until = env.scheduler.now + duration;
    if (until <= this.pausedUntilMicros) return true;
    if (this.resumeHandle !== undefined) env.scheduler.cancel(this.resumeHandle);
    this.pausedUntilMicros = until;
    env.trace.emit('node.pause', { node: this.id, until });
    // The resume event is not tagged with the incarnation: it belongs to the host.
    this.resumeHandle = env.scheduler.at(until as Time, () => this.resume());
    return true;
  }

  /**
   * Runs `fn` for incarnation `tag` now, or queues it while paused. Work for a dead
   * incarnation is dropped. Every delivery and timer reaches a node through here.
   */
  dispatch(tag: number, fn: () => void): void {
    if (tag !== this.liveTag || tag === 0) return;
    if (this.pausedUntilMicros >= 0) {
      this.backlog.push(fn);
      return;
    }
    fn();
  }

  /** True when work for incarnation `tag` would run at once (it is live and not paused). */
  runsNow(tag: number): boolean {
    return tag === this.liveTag && tag !== 0 && this.pausedUntilMicros < 0;
  }

  /** As {@link dispatch}, passing `arg`, without allocating a closure unless it must queue. */
  dispatchWith<A>(tag: number, fn: (arg: A) => void, arg: A): void {
    if (tag !== this.liveTag || tag === 0) return;
    if (this.pausedUntilMicros >= 0) {
      this.backlog.push(() => fn(arg));
      return;
    }
    fn(arg);
  }

  /** As {@link dispatchWith}, passing two arguments. */
  dispatchWith2<A, B>(tag: number, fn: (a: A, b: B) => void, a: A, b: B): void {
    if (tag !== this.liveTag || tag === 0) return;
    if (this.pausedUntilMicros >= 0) {
      this.backlog.push(() => fn(a, b));
      return;
    }
    fn(a, b);
  }

  private resume(): void {
    const env = this.requireEnv();
    this.resumeHandle = undefined;
    this.pausedUntilMicros = -1;
    env.trace.emit('node.resume', { node: this.id, queued: this.backlog.length });
    const queued = this.backlog;
    this.backlog = [];
    const tag = this.liveTag;
    // Each queued item runs as its own event at the resume instant, in arrival order.
    for (const fn of queued) env.scheduler.after(0 as Duration, () => this.dispatch(tag, fn), tag);
  }

  private requireEnv(): HostEnvironment<M> {
    if (this.env === undefined) throw new Error(`${this.id} is not attached to a network`);
    return this.env;
  }
}

declare module '../sim/trace.js' {
  interface TraceRecordMap {
    'node.start': { readonly node: NodeId; readonly incarnation: number };
    'node.crash': { readonly node: NodeId; readonly incarnation: number; readonly mode: CrashMode };
    /** Asked to shut down (SIGTERM). */
    'node.shutdown': { readonly node: NodeId; readonly incarnation: number };
    /** Exited at the end of its shutdown. */
    'node.stop': { readonly node: NodeId; readonly incarnation: number };
    'node.pause': { readonly node: NodeId; readonly until: number };
    'node.resume': { readonly node: NodeId; readonly queued: number };
  }
}

declareTraceKind('node.start', ['node', 'incarnation']);
declareTraceKind('node.crash', ['node', 'incarnation', 'mode']);
declareTraceKind('node.shutdown', ['node', 'incarnation']);
declareTraceKind('node.stop', ['node', 'incarnation']);
declareTraceKind('node.pause', ['node', 'until']);
declareTraceKind('node.resume', ['node', 'queued']);
