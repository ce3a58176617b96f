import type { Rng } from '../sim/rng.js';
import type { Scheduler, TimerHandle } from '../sim/scheduler.js';
import type { Duration, Time } from '../sim/time.js';
import { declareTraceKind, type Trace } from '../sim/trace.js';
import { DEFAULT_LATENCY, latencySampler } from './latency.js';
import { flightTime, linkRng, lossRate, newLink, transmitted, type Degradation, type Link, type LinkConfig, type LinkStats } from './link.js';
import { Connection, Envelope, type Direction, type Endpoint } from './connection.js';
import type { PendingRequest } from './inFlightRequests.js';
import type {
  NodeHost} from './nodeHost.js';
import {
  type CrashMode,
  type HostEnvironment,
  type Message,
  type HostContext,
  type NodeId,
  type RequestOptions,
  type RpcResult,
} from './nodeHost.js';
import type { HostDirectory } from './faultTarget.js';
import { PartitionTable, cutOffSide, cutsOf, type Cut, type PartitionSpec } from './partitions.js';

export interface NetworkConfig {
  /**
   * 'stream' models Kafka's TCP connections: FIFO per connection, no duplicates, loss
   * turned into retransmission delay. 'datagram' is an opt-in harsher network: no ordering,
   * loss drops, and duplicates.
   */
  readonly mode?: 'stream' | 'datagram';
  readonly defaultLink?: LinkConfig;
  readonly links?: readonly { readonly from: NodeId; readonly to: NodeId; readonly config: LinkConfig }[];
  /**
   * How soon a peer notices that a connection was reset by a crashed process (the
   * operating system answers with RST). Default 1ms.
   */
  readonly resetDetection?: Duration;
  /**
   * How soon a peer notices a connection that went silent because its peer lost power.
   * Real TCP takes minutes; Kafka clients notice through request timeouts first. Default:
   * never, so pending requests end by their own timeouts. (A network partition leaves
   * stream connections open: what it cuts off is retransmitted once it heals.)
   */
  readonly silentDetection?: Duration;
  /**
   * Retransmission timeout for a lost packet on a stream link; doubles per repeated loss,
   * up to 120 s (Linux's TCP_RTO_MAX). Default 200ms (Linux's minimum RTO).
   */
  readonly retransmitTimeout?: Duration;
  /** Datagram mode only: probability that a message is delivered twice. */
  readonly duplicateRate?: number;
}

type DropReason = 'partition' | 'node-down' | 'connection-closed' | 'loss';

/**
 * Why a connection ended, as the trace's `net.disconnect` names it: the peer's process died
 * (its kernel resets the connection) or its machine lost power (silence); a SYN refused by a
 * live machine whose process is down, or unanswered until the connect gave up; a partition
 * (datagram mode); a request timeout, the client's own close, an unfinished setup at
 * socket.connection.setup.timeout.ms, or the server's close (KIP-601; the broker closes after
 * an error on an acks=0 produce).
 */
export type DisconnectReason = 'peer-crashed' | 'peer-lost-power' | 'connection-refused' | 'connect-timeout' | 'partition' | 'request-timeout' | 'client-close' | 'setup-timeout' | 'closed';

const MAX_NODES = 1 << 15;
const MAX_RETRANSMITS = 6;
/** Linux's initial RTO for a SYN (TCP_TIMEOUT_INIT, RFC 6298): an unanswered SYN goes again after 1 s, then 2 s, 4 s … */
const SYN_RTO = 1_000_000;
/** Linux's tcp_syn_retries (6): a connect gives up 127 s after its first SYN (1+2+…+64 s). */
const SYN_GIVE_UP = 127_000_000;
/** Linux's TCP_RTO_MAX: retransmissions back off no further than this. */
const MAX_RTO = 120_000_000;

/**
 * The simulated network and the hosts on it: links with latency, bandwidth and loss;
 * connections with FIFO delivery; request/response RPC with timeouts; partitions; and the
 * lifecycle of hosts (crash, restart, pause), since a crash is as much a network event as a
 * process one. It reads nothing of a message but its type name and its size.
 */
export class Network<M extends Message = Message> implements HostEnvironment<M>, HostDirectory {
  private readonly endpoints = new Map<NodeId, Endpoint<M>>();
  private readonly endpointList: Endpoint<M>[] = [];
  /** Open connections by id, in the order they were opened. */
  private readonly connections = new Map<number, Connection<M>>();
  private readonly degradations = new Map<string, readonly Cut[]>();
  readonly partitions = new PartitionTable();
  /** The side each partition in force cuts off (cutOffSide), by name: read by the harness, never by the nodes. */
  private readonly cutOffSides = new Map<string, readonly NodeId[]>();
  private readonly mode: 'stream' | 'datagram';
  private readonly defaultLink: LinkConfig;
  private readonly resetDetection: Duration;
  private readonly silentDetection: Duration | undefined;
  private readonly retransmitTimeout: Duration;
  private readonly duplicateRate: number;
  private readonly linkOverrides: NonNullable<NetworkConfig['links']>;
  private readonly traceSend;
  /** Reused records for the fingerprint-only trace; their derived fields are never read. */
  private readonly sendScratch = { from: '', to: '', conn: 0, type: '', id: 0, bytes: 0 };
  private readonly deliverScratch = { from: '', to: '', type: '', id: 0 };
  private readonly traceDeliver;
  private readonly traceDrop;
  private nextTag = 1;
  private nextConnectionId = 1;
  private nextRequestId = 1;
  /** Flights that landed, for the next messages sent (see scheduleArrival). */
  private readonly freeFlights: Flight<M>[] = [];
  /** Replies answered while their request was being delivered, for the next requests (see deliver). */
  private readonly freeReplies: Reply<M>[] = [];

  constructor(
    readonly scheduler: Scheduler,
    readonly trace: Trace,
    private readonly rng: Rng,
    config: NetworkConfig = {},
  ) {
    this.mode = config.mode ?? 'stream';
    this.defaultLink = config.defaultLink ?? { latency: DEFAULT_LATENCY };
    this.resetDetection = config.resetDetection ?? (1_000 as Duration);
    this.silentDetection = config.silentDetection;
    this.retransmitTimeout = config.retransmitTimeout ?? (200_000 as Duration);
    this.duplicateRate = config.duplicateRate ?? 0;
    this.linkOverrides = config.links ?? [];
    this.traceSend = trace.emitter('net.send');
    this.traceDeliver = trace.emitter('net.deliver');
    this.traceDrop = trace.emitter('net.drop');
  }

  // ---------------------------------------------------------------- hosts

  addHost(host: NodeHost<M>): NodeHost<M> {
    if (this.endpoints.has(host.id)) throw new Error(`duplicate node id ${host.id}`);
    if (this.endpointList.length >= MAX_NODES) throw new Error(`more than ${MAX_NODES} nodes`);
    const endpoint: Endpoint<M> = {
      host,
      index: this.endpointList.length,
      outgoing: [],
      channels: [],
      links: [],
      silentlyBroken: new Set(),
    };
    this.endpoints.set(host.id, endpoint);
    this.endpointList.push(endpoint);
    this.partitions.addNode(host.id);
    host.attach(this);
    return host;
  }

  host(id: NodeId): NodeHost<M> {
    return this.endpoint(id).host;
  }

  hasHost(id: NodeId): boolean {
    return this.endpoints.has(id);
  }

  /** Every host, in the order they were added. */
  allHosts(): readonly NodeHost<M>[] {
    return this.endpointList.map((e) => e.host);
  }

  nodeIds(): readonly NodeId[] {
    return this.endpointList.map((e) => e.host.id);
  }

  hasRole(id: NodeId, role: string): boolean {
    return this.endpoints.get(id)?.host.hasRole(role) ?? false;
  }

  isUp(id: NodeId): boolean {
    return this.endpoints.get(id)?.host.state === 'up';
  }

  newTag(): number {
    return this.nextTag++;
  }

  contextFor(host: NodeHost<M>, tag: number): HostContext<M> {
    const scheduler = this.scheduler;
    const endpoint = this.endpoint(host.id);
    /** Runs a timer's function on this incarnation of the host: one closure for all its timers. */
    const onHost = (fn: () => void): void => host.dispatch(tag, fn);
    const after = (delay: Duration, fn: () => void): TimerHandle => scheduler.afterWith(host.clock.realDelay(delay), onHost, fn, tag);
    return {
      id: host.id,
      incarnation: host.incarnation,
      rng: this.rng.fork(`node/${host.id}/${host.incarnation}`),
      trace: this.trace,
      now: () => host.clock.read(scheduler.now),
      after,
      cancel: (handle) => {
        scheduler.cancel(handle);
      },
      every: (interval, task) => {
        const tick = (): void => {
          task();
          after(interval, tick);
        };
        after(interval, tick);
      },
      request: (to, message, options, done) => this.request(endpoint, tag, to, message, options, callDone, done),
      requestWith: (to, message, options, done, arg) => this.request(endpoint, tag, to, message, options, done, arg),
      send: (to, message) => this.sendOneWay(endpoint, tag, to, message),
      closeConnection: (peer) => this.closeConnection(endpoint, tag, peer),
      connect: (peer, channel, established) => this.connect(endpoint, tag, peer, channel, established),
      disconnect: (peer, channel) => this.disconnect(endpoint, tag, peer, channel),
      exit: () => {
        if (host.runsNow(tag)) host.shutdown();
      },
    };
  }

  hostDown(host: NodeHost<M>, mode: CrashMode): void {
    const detection = mode === 'process' ? this.resetDetection : this.silentDetection;
    for (const conn of [...this.connections.values()]) {
      // A handshake to it that has not completed goes on: its next SYN finds the host down.
      if (!conn.established && conn.server.host === host) continue;
      if (conn.joins(host)) {
        if (conn.closedByClient) this.endHalfClosed(conn);
        else this.breakConnection(conn, mode === 'process' ? 'peer-crashed' : 'peer-lost-power', detection);
      }
    }
    // The connections this incarnation took for open die with it (believedOpen and
    // timeoutSilentlyBroken only ever count those of the client's current incarnation), and
    // with them the callbacks of its requests, which hold its state.
    this.endpoint(host.id).silentlyBroken.clear();
  }

  // ---------------------------------------------------------------- faults

  /**
   * Applies a named partition. Stream connections across a cut stay open and hold what
   * it cuts off until it heals (see Connection); datagram ones break at once, silently.
   */
  partition(name: string, spec: PartitionSpec): readonly Cut[] {
    const cuts = this.partitions.apply(name, cutsOf(spec, this.nodeIds()));
    const cutOff = cutOffSide(spec, this.nodeIds());
    this.cutOffSides.set(name, cutOff);
    this.trace.emit('net.partition', { name, spec: spec.kind, cuts: cuts.length, cutOff });
    if (this.mode === 'stream') return cuts;
    for (const conn of [...this.connections.values()]) {
      if (conn.directions.some((dir) => this.isCut(dir))) {
        this.breakConnection(conn, 'partition', this.silentDetection);
      }
    }
    return cuts;
  }

  /** True when `node` is on the side a partition in force cuts off (an isolated node, the smaller side of a split). */
  isCutOff(node: NodeId): boolean {
    for (const side of this.cutOffSides.values()) if (side.includes(node)) return true;
    return false;
  }

  /** Heals one named partition or degradation, or every one. Returns the names healed. */
  heal(name?: string): string[] {
    const healed = this.partitions.heal(name);
    for (const n of healed) this.cutOffSides.delete(n);
    for (const [degradeName, cuts] of [...this.degradations]) {
      if (name !== undefined && degradeName !== name) continue;
      for (const cut of cuts) this.link(cut.from, cut.to).degradations.delete(degradeName);
      this.degradations.delete(degradeName);
      healed.push(degradeName);
    }
    this.trace.emit('net.heal', { names: healed });
    for (const conn of this.connections.values()) {
      for (const dir of conn.directions) if (dir.hasHeld() && !this.isCut(dir)) this.retransmit(conn, dir);
      // A half-closed connection with nothing left to send again is done with.
      if (!conn.open && !conn.toServer.hasHeld()) this.connections.delete(conn.id);
    }
    return healed;
  }

  /**
   * The cut in one direction of `conn` healed: its held messages go again, in order, at
   * the first retransmission of the oldest after now (its RTO doubling from when it was
   * first lost). Messages still in flight arrive behind them (see arrive).
   */
  private retransmit(conn: Connection<M>, dir: Direction<M>): void {
    const held = dir.takeHeld();
    const link = dir.link;
    const rng = linkRng(link, this.rng);
    const now = this.scheduler.now;
    let rto = this.retransmitTimeout as number;
    let at = held[0].lostAt + rto;
    while (at < now) {
      rto = Math.min(rto * 2, MAX_RTO);
      at += rto;
    }
    for (const h of held) {
      const arrive = dir.inOrder(at + link.sampleLatency(rng));
      this.scheduleArrival(arrive, conn, dir, h.kind, h.id, h.message, h.seq);
    }
  }

  /** Keeps a message a cut dropped on an open stream connection, in send order, for retransmit. */
  private hold(conn: Connection<M>, dir: Direction<M>, kind: Envelope, id: number, message: M, seq: number): void {
    // A half-closed connection is listed again while it has something to send after the heal.
    if (!conn.open && conn.closedByClient) this.connections.set(conn.id, conn);
    dir.hold({ seq, kind, id, message, lostAt: this.scheduler.now });
  }

  /** Whether a partition cuts the link `dir` travels on. */
  private isCut(dir: Direction<M>): boolean {
    return this.partitions.isBlocked(dir.from.id, dir.to.id);
  }

  /** Degrades the directed links `links` under a name that heal() can lift. */
  degrade(name: string, links: readonly Cut[], degradation: Degradation): void {
    if (this.degradations.has(name)) throw new Error(`a fault named ${name} is already active`);
    for (const cut of links) this.link(cut.from, cut.to).degradations.set(name, degradation);
    this.degradations.set(name, links);
    this.trace.emit('net.degrade', { name, links: links.length, loss: degradation.loss ?? 0 });
  }

  activeFaults(): readonly string[] {
    return [...this.partitions.activeFaults(), ...this.degradations.keys()];
  }

  // ---------------------------------------------------------------- messaging

  private request(
    client: Endpoint<M>,
    tag: number,
    to: NodeId,
    message: M,
    options: RequestOptions,
    done: (arg: never, result: RpcResult<M>) => void,
    doneArg: unknown,
  ): void {
    if (client.host.tag !== tag) return;
    const conn = this.connection(client, this.endpoint(to), options.channel);
    const delay = client.host.clock.realDelay(options.timeout);
    const pending: PendingRequest<M> = {
      id: this.nextRequestId++,
      client: client.host,
      clientTag: tag,
      to,
      type: message.type,
      done,
      doneArg,
      timer: undefined,
      deadline: this.scheduler.now + delay,
      settled: false,
      conn,
    };
    if (conn.inFlight.add(pending)) {
      if (conn.inFlight.needsWatchdog()) this.armWatchdog(conn, pending.deadline, tag);
    } else {
      // A shorter timeout than those before it: it gets a timer of its own.
      pending.timer = this.scheduler.after(delay, () => this.timeout(pending), tag);
    }
    this.transmit(conn, conn.toServer, Envelope.Request, pending.id, message);
  }

  /** The connection's watchdog: times out what is due, skips what settled, and waits for the next deadline. */
  private watch(conn: Connection<M>, tag: number): void {
    const inFlight = conn.inFlight;
    inFlight.beginWatch();
    const now = this.scheduler.now;
    for (let due = inFlight.nextExpired(now); due !== undefined; due = inFlight.nextExpired(now)) this.timeout(due);
    const next = inFlight.endWatch();
    if (next !== undefined) this.armWatchdog(conn, next, tag);
  }

  private armWatchdog(conn: Connection<M>, at: number, tag: number): void {
    conn.inFlight.armed(at, this.scheduler.at(at as Time, () => this.watch(conn, tag), tag));
  }

  private timeout(pending: PendingRequest<M>): void {
    pending.timer = undefined;
    this.trace.emit('rpc.timeout', { from: pending.client.id, to: pending.to, id: pending.id, type: pending.type });
    if (this.mode === 'stream' && pending.client.closesConnectionOnRequestTimeout && pending.conn.open) this.closeOnTimeout(pending.conn);
    else if (this.mode === 'stream' && pending.client.closesConnectionOnRequestTimeout && this.endpoint(pending.client.id).silentlyBroken.has(pending.conn)) this.timeoutSilentlyBroken(pending.conn);
    else this.settle(pending, TIMEOUT);
  }

  /**
   * Kafka's clients close the connection to a node when a request to it times out
   * (NetworkClient.handleTimedOutRequests): the connection is closed and the node marked
   * disconnected (processTimeoutDisconnection: connectionStates.disconnected, then
   * metadataUpdater.handleServerDisconnect) before any callback runs, and every request in
   * flight on it, the one that timed out among them, fails as timed out
   * (cancelInFlightRequests: their fate is as unknown as that of the one that timed out, "disconnected
   * due to timeout"). What the client had sent still reaches the server (see
   * Connection.closedByClient). So a request a callback sends goes on a new connection, once
   * the client's reconnect backoff allows, never on the dying one.
   */
  private closeOnTimeout(conn: Connection<M>): void {
    this.close(conn, 'request-timeout', true);
    this.notifyDisconnect(conn);
    for (const pending of conn.inFlight.all()) this.settle(pending, TIMEOUT);
  }

  /**
   * A request timed out on a connection that broke silently (its peer lost power) and that
   * the client never noticed. Kafka's NetworkClient has one connection per node, and what
   * it sent after the break went on that same dead socket; the sim opened a connection per
   * attempt instead. So, as NetworkClient.handleTimedOutRequests does for the node's one
   * connection: the client's open connection to that peer on that channel is closed, the
   * client is told once (connectionStates.disconnected: its reconnect backoff starts), and
   * every request it has in flight to the peer on that channel, on the open connection or
   * on any silently broken one, fails as timed out, oldest first
   * (InFlightRequests.clearAll, processTimeoutDisconnection).
   */
  private timeoutSilentlyBroken(conn: Connection<M>): void {
    const client = conn.client;
    const open = this.slotsOf(client, conn.channel)[conn.server.index];
    const dead: Connection<M>[] = [];
    for (const c of client.silentlyBroken) {
      const same = c.server === conn.server && c.channel === conn.channel && c.clientTag === conn.clientTag;
      // Those of an earlier incarnation of the client are forgotten with it.
      if (same || c.clientTag !== client.host.tag) client.silentlyBroken.delete(c);
      if (same) dead.push(c);
    }
    if (open !== undefined) this.close(open, 'request-timeout', true);
    this.notifyDisconnect(conn);
    const pending = [...dead, ...(open === undefined ? [] : [open])].flatMap((c) => c.inFlight.all());
    pending.sort((a, b) => a.id - b.id);
    for (const p of pending) this.settle(p, TIMEOUT);
  }

  private sendOneWay(from: Endpoint<M>, tag: number, to: NodeId, message: M): void {
    if (from.host.tag !== tag) return;
    const conn = this.connection(from, this.endpoint(to));
    this.transmit(conn, conn.toServer, Envelope.OneWay, this.nextRequestId++, message);
  }

  private settle(pending: PendingRequest<M>, outcome: RpcResult<M>): void {
    if (pending.settled) return;
    // An answer (or a noticed disconnect) at the very instant of the deadline loses, as it
    // would to a timer set when the request was sent: that timer was scheduled first. The
    // watchdog may have been armed for this deadline only later, so the order of events at
    // that instant cannot decide it.
    if (outcome !== TIMEOUT && this.scheduler.now >= pending.deadline) {
      this.timeout(pending);
      return;
    }
    pending.settled = true;
    pending.conn.inFlight.remove(pending);
    if (pending.timer !== undefined) this.scheduler.cancel(pending.timer);
    pending.client.dispatchWith2(pending.clientTag, pending.done as (arg: unknown, result: RpcResult<M>) => void, pending.doneArg, outcome);
  }

  /** ClientConnections.connect for incarnation `tag` of `client`. */
  private connect(client: Endpoint<M>, tag: number, peer: NodeId, channel: number, established: () => void): boolean {
    if (client.host.tag !== tag) return false;
    const server = this.endpoint(peer);
    let conn = this.slotsOf(client, channel)[server.index];
    if (conn === undefined) {
      conn = this.connection(client, server, channel);
      if (this.mode === 'stream' && this.handshake(conn) !== 'established' && !this.believedOpen(client, server, channel)) this.startSetup(conn);
    }
    if (conn.established) return true;
    conn.onEstablished.push(established);
    return false;
  }

  /**
   * Whether `client` still takes a connection to `server` on `channel` for open: one broke
   * silently (its peer lost power) and it has not noticed. Kafka's NetworkClient would send
   * on that socket (READY), and its requests wait out request.timeout.ms.
   */
  private believedOpen(client: Endpoint<M>, server: Endpoint<M>, channel: number): boolean {
    for (const c of client.silentlyBroken) if (c.server === server && c.channel === channel && c.clientTag === client.host.tag) return true;
    return false;
  }

  /**
   * What a SYN on `conn` gets now: a SYN-ACK from a live host (a paused process's kernel
   * still accepts), an RST from a live machine whose process is down, and nothing from a
   * machine without power or across a partition.
   */
  private handshake(conn: Connection<M>): 'established' | 'refused' | 'silent' {
    if (this.isCut(conn.toServer) || this.isCut(conn.toClient)) return 'silent';
    const server = conn.server.host;
    if (server.state === 'up') return 'established';
    return server.lastCrashMode === 'process' ? 'refused' : 'silent';
  }

  /**
   * `conn` is CONNECTING: a refusal comes back after resetDetection; an unanswered SYN is
   * sent again after SYN_RTO, doubling, and the handshake completes at the first that gets
   * through (after a heal, or once the peer is back), or gives up after SYN_GIVE_UP.
   */
  private startSetup(conn: Connection<M>): void {
    conn.established = false;
    if (this.handshake(conn) === 'refused') this.scheduler.after(this.resetDetection, () => this.retrySyn(conn, SYN_RTO, 0), conn.clientTag);
    else this.scheduler.after(SYN_RTO as Duration, () => this.retrySyn(conn, SYN_RTO * 2, SYN_RTO), conn.clientTag);
  }

  /** A SYN of `conn` goes (again), `elapsed` µs after the first; `rto` until the next. */
  private retrySyn(conn: Connection<M>, rto: number, elapsed: number): void {
    if (!conn.open || conn.established) return;
    const answer = this.handshake(conn);
    if (answer === 'established') return this.establish(conn);
    if (answer === 'refused') return this.breakConnection(conn, 'connection-refused', 0 as Duration);
    if (elapsed + rto > SYN_GIVE_UP) {
      this.scheduler.after((SYN_GIVE_UP - elapsed) as Duration, () => {
        if (conn.open && !conn.established) this.breakConnection(conn, 'connect-timeout', 0 as Duration);
      }, conn.clientTag);
      return;
    }
    this.scheduler.after(rto as Duration, () => this.retrySyn(conn, rto * 2, elapsed + rto), conn.clientTag);
  }

  /** The handshake of `conn` completed: what waited goes out, in order, and the waiting callbacks run. */
  private establish(conn: Connection<M>): void {
    conn.established = true;
    this.trace.emit('net.established', { client: conn.client.host.id, server: conn.server.host.id, conn: conn.id });
    const unsent = conn.unsent;
    conn.unsent = [];
    for (const u of unsent) this.transmit(conn, conn.toServer, u.kind, u.id, u.message);
    const waiting = conn.onEstablished;
    conn.onEstablished = [];
    for (const fn of waiting) conn.client.host.dispatch(conn.clientTag, fn);
  }

  /** ClientConnections.disconnect: the client closes its connection now, and hears of it before its requests fail. */
  private disconnect(client: Endpoint<M>, tag: number, peer: NodeId, channel: number): void {
    if (client.host.tag !== tag || !this.hasHost(peer)) return;
    const conn = this.slotsOf(client, channel)[this.endpoint(peer).index];
    if (conn === undefined) return;
    this.close(conn, conn.established ? 'client-close' : 'setup-timeout', false);
    this.notifyDisconnect(conn);
    for (const pending of conn.inFlight.all()) this.settle(pending, DISCONNECTED);
  }

  /** A client's connections on one channel, by peer number. */
  private slotsOf(client: Endpoint<M>, channel: number): (Connection<M> | undefined)[] {
    if (channel === 0) return client.outgoing;
    return (client.channels[channel - 1] ??= []);
  }

  /** The open connection from client to server on `channel`, opening a new one if there is none. */
  private connection(client: Endpoint<M>, server: Endpoint<M>, channel = 0): Connection<M> {
    const slots = this.slotsOf(client, channel);
    const existing = slots[server.index];
    if (existing !== undefined) return existing;
    const conn = new Connection(this.nextConnectionId++, client, server, channel, this.linkBetween(client, server), this.linkBetween(server, client));
    slots[server.index] = conn;
    if (client.silentlyBroken.size > 0 && server.host.state === 'up') this.forgetIdleBroken(client, server, channel);
    this.connections.set(conn.id, conn);
    this.trace.emit('net.connect', { client: client.host.id, server: server.host.id, conn: conn.id });
    return conn;
  }

  /**
   * A new connection to `server`, which is up: the client is past the silently broken ones it
   * had on `channel` with nothing in flight (those with requests wait for their timeouts).
   */
  private forgetIdleBroken(client: Endpoint<M>, server: Endpoint<M>, channel: number): void {
    for (const c of client.silentlyBroken) if (c.server === server && c.channel === channel && c.inFlight.size === 0) client.silentlyBroken.delete(c);
  }

  /**
   * Breaks `conn`: its client notices after `detection` (never, when undefined), and its
   * requests in flight fail then as disconnected. (A client that closes a connection after a
   * request timeout does it in closeOnTimeout.)
   */
  private breakConnection(conn: Connection<M>, reason: DisconnectReason, detection: Duration | undefined): void {
    if (!conn.open) return;
    this.close(conn, reason, false);
    if (this.mode === 'datagram') return;
    if (detection === undefined) {
      // Kept even with nothing in flight: the client takes it for open (see believedOpen).
      if (conn.client.host.closesConnectionOnRequestTimeout) conn.client.silentlyBroken.add(conn);
      return;
    }
    for (const pending of conn.inFlight.all()) {
      this.scheduler.after(detection, () => this.settle(pending, DISCONNECTED), pending.clientTag);
    }
    // The client notices the broken connection (a reset, a refusal, an EOF) once it is
    // detected, as Kafka's NetworkClient does, and may react (a producer refreshes metadata).
    const clientTag = conn.client.host.tag;
    this.scheduler.after(detection, () => this.notifyDisconnect(conn, clientTag), clientTag);
  }

  /** Marks `conn` closed; `byClient`: the client closed it after a timeout, and what it had sent still goes (see Connection.closedByClient). */
  private close(conn: Connection<M>, reason: DisconnectReason, byClient: boolean): void {
    conn.open = false;
    this.slotsOf(conn.client, conn.channel)[conn.server.index] = undefined;
    conn.closedByClient = byClient;
    conn.unsent = [];
    conn.onEstablished = [];
    conn.toClient.dropHeld();
    if (!byClient) conn.toServer.dropHeld();
    // A half-closed connection stays listed while it has messages to send again after a heal.
    if (!conn.toServer.hasHeld()) this.connections.delete(conn.id);
    this.trace.emit('net.disconnect', { client: conn.client.host.id, server: conn.server.host.id, conn: conn.id, reason });
  }

  /** The client of `conn` learns that it broke (if still incarnation `clientTag`), and may react (a producer refreshes metadata). */
  private notifyDisconnect(conn: Connection<M>, clientTag = conn.client.host.tag): void {
    const client = conn.client.host;
    const process = client.process;
    if (process?.onDisconnect !== undefined && client.tag === clientTag) client.dispatch(clientTag, () => process.onDisconnect?.(conn.server.host.id, conn.channel));
  }

  /** A crash ends a half-closed connection: nothing more of it arrives. */
  private endHalfClosed(conn: Connection<M>): void {
    conn.closedByClient = false;
    conn.toServer.dropHeld();
    this.connections.delete(conn.id);
  }

  /** `by` closes its connection with `peer` (Kafka's broker does after an error on an acks=0 produce). */
  private closeConnection(by: Endpoint<M>, tag: number, peer: NodeId): void {
    if (by.host.tag !== tag || !this.hasHost(peer)) return;
    const other = this.endpoint(peer);
    const conn = other.outgoing[by.index] ?? by.outgoing[other.index];
    if (conn !== undefined) this.breakConnection(conn, 'closed', this.resetDetection);
  }

  /** Puts a message on the wire, in direction `dir` of `conn`. */
  private transmit(conn: Connection<M>, dir: Direction<M>, kind: Envelope, id: number, message: M): void {
    if (!conn.established) {
      // CONNECTING: it waits, unsent, for the handshake.
      conn.unsent.push({ kind, id, message });
      return;
    }
    const { from, to, link } = dir;
    const bytes = message.bytes;
    link.stats.sent++;
    link.stats.bytesSent += bytes;
    if (this.trace.keepsRecords) this.traceSend({ from: from.id, to: to.id, conn: conn.id, type: message.type, id, bytes });
    else {
      // Nothing keeps the record: reuse one object for the hash instead of allocating per
      // message. It is whole all the same: an observer (a fault's trigger) may read any field.
      const scratch = this.sendScratch;
      scratch.from = from.id;
      scratch.to = to.id;
      scratch.conn = conn.id;
      scratch.type = message.type;
      scratch.id = id;
      scratch.bytes = bytes;
      this.traceSend(scratch);
    }
    const seq = dir.nextSeq();
    if (this.isCut(dir)) {
      if (this.mode === 'stream') return this.hold(conn, dir, kind, id, message, seq);
      return this.drop(link, id, message, 'partition');
    }
    if (to.state === 'down') {
      this.drop(link, id, message, 'node-down');
      // An open connection to a dead process on a live machine is reset at once; to a dead machine it goes silent.
      if (this.mode === 'stream') {
        const crashed = to.lastCrashMode === 'process';
        this.breakConnection(conn, crashed ? 'peer-crashed' : 'peer-lost-power', crashed ? this.resetDetection : this.silentDetection);
      }
      return;
    }
    const rng = linkRng(link, this.rng);
    let arrive = transmitted(link, this.scheduler.now, bytes) + flightTime(link, rng);
    const loss = lossRate(link);
    if (this.mode === 'stream') {
      // A lost segment is retransmitted after the RTO, doubling each time; what follows it on
      // the connection waits behind it (head-of-line blocking), which the FIFO rule gives.
      let rto = this.retransmitTimeout as number;
      for (let k = 0; k < MAX_RETRANSMITS && loss > 0 && rng.chance(loss); k++) {
        arrive += rto;
        rto *= 2;
      }
      arrive = dir.inOrder(arrive);
    } else {
      if (loss > 0 && rng.chance(loss)) return this.drop(link, id, message, 'loss');
      if (this.duplicateRate > 0 && rng.chance(this.duplicateRate)) {
        const again = arrive + link.sampleLatency(rng);
        this.scheduleArrival(again, conn, dir, kind, id, message, seq);
      }
    }
    this.scheduleArrival(arrive, conn, dir, kind, id, message, seq);
  }

  /**
   * Schedules a message's arrival at `at`: one {@link Flight} per message on the wire,
   * taken from a free list and given back as it lands, instead of a closure per message.
   * (scheduler.atWith takes the same place in the event order as scheduler.at.)
   */
  private scheduleArrival(at: number, conn: Connection<M>, dir: Direction<M>, kind: Envelope, id: number, message: M, seq: number): void {
    const flight = this.freeFlights.pop() ?? new Flight<M>(this);
    flight.conn = conn;
    flight.dir = dir;
    flight.kind = kind;
    flight.id = id;
    flight.message = message;
    flight.seq = seq;
    this.scheduler.atWith(at as Time, land, flight);
  }

  /** A server's answer to request `reply.id`: it goes back on the request's connection, unless the server died meanwhile. */
  replyWith(reply: Reply<M>, response: M): void {
    const to = reply.to as NodeHost<M>;
    if (reply.replied) throw new Error(`${to.id} replied twice to request ${reply.id} from ${(reply.from as NodeHost<M>).id}`);
    reply.replied = true;
    if (to.tag !== reply.tag) return; // the replier died meanwhile
    const conn = reply.conn as Connection<M>;
    this.transmit(conn, conn.toClient, Envelope.Response, reply.id, response);
  }

  private freeReply(reply: Reply<M>): void {
    reply.conn = undefined;
    reply.to = undefined;
    reply.from = undefined;
    this.freeReplies.push(reply);
  }

  /** A flight landed: its fields are read, it goes back to the free list, then the message arrives. */
  landed(flight: Flight<M>): void {
    const { conn, dir, kind, id, message, seq } = flight;
    flight.conn = undefined;
    flight.dir = undefined;
    flight.message = undefined;
    this.freeFlights.push(flight);
    this.arrive(conn as Connection<M>, dir as Direction<M>, kind, id, message as M, seq);
  }

  private arrive(conn: Connection<M>, dir: Direction<M>, kind: Envelope, id: number, message: M, seq: number): void {
    if (this.mode === 'stream' && !conn.carries(dir)) return this.drop(dir.link, id, message, 'connection-closed');
    if (this.isCut(dir)) {
      // Lost on its way: TCP sends it again once the cut heals.
      if (this.mode === 'stream') return this.hold(conn, dir, kind, id, message, seq);
      return this.drop(dir.link, id, message, 'partition');
    }
    if (this.mode === 'stream') {
      // TCP hands data over in send order: what arrives early waits in the receive buffer.
      if (!dir.isNext(seq, kind, id, message, this.scheduler.now)) return;
      this.deliver(conn, dir, kind, id, message);
      for (let last = seq; conn.carries(dir); ) {
        const h = dir.handedOver(last);
        if (h === undefined) break;
        this.deliver(conn, dir, h.kind, h.id, h.message);
        last = h.seq;
      }
      return;
    }
    this.deliver(conn, dir, kind, id, message);
  }

  /** Hands an arrived message to its receiver. */
  private deliver(conn: Connection<M>, dir: Direction<M>, kind: Envelope, id: number, message: M): void {
    const { from, to, link } = dir;
    const process = to.process;
    if (process === undefined) return this.drop(link, id, message, 'node-down');
    link.stats.delivered++;
    link.stats.bytesDelivered += message.bytes;
    if (this.trace.keepsRecords) this.traceDeliver({ from: from.id, to: to.id, type: message.type, id });
    else {
      const scratch = this.deliverScratch;
      scratch.from = from.id;
      scratch.to = to.id;
      scratch.type = message.type;
      scratch.id = id;
      this.traceDeliver(scratch);
    }
    switch (kind) {
      case Envelope.Request: {
        const onRequest = process.onRequest;
        if (onRequest === undefined) return;
        const tag = to.tag;
        const reply = this.freeReplies.pop() ?? new Reply<M>(this);
        reply.conn = conn;
        reply.to = to;
        reply.from = from;
        reply.id = id;
        reply.tag = tag;
        reply.replied = false;
        // The common case, a live and running server, needs no queued closure.
        if (to.runsNow(tag)) {
          onRequest.call(process, from.id, message, reply.send);
          // Answered before the handler returned: nothing else was given the reply, so it is
          // free for the next request. One kept for later (a parked request) is never reused.
          if (reply.replied) this.freeReply(reply);
        } else to.dispatch(tag, () => onRequest.call(process, from.id, message, reply.send));
        return;
      }
      case Envelope.Response: {
        const pending = conn.inFlight.get(id);
        if (pending !== undefined) this.settle(pending, { ok: true, response: message });
        return;
      }
      case Envelope.OneWay:
        const onMessage = process.onMessage;
        if (onMessage === undefined) return;
        if (to.runsNow(to.tag)) onMessage.call(process, from.id, message);
        else to.dispatch(to.tag, () => onMessage.call(process, from.id, message));
        return;
    }
  }

  private drop(link: Link, id: number, message: M, reason: DropReason): void {
    link.stats.dropped++;
    link.stats.bytesDropped += message.bytes;
    this.traceDrop({ from: link.from, to: link.to, type: message.type, id, reason });
  }

  // ---------------------------------------------------------------- links

  private endpoint(id: NodeId): Endpoint<M> {
    const e = this.endpoints.get(id);
    if (e === undefined) throw new Error(`unknown node ${id}`);
    return e;
  }

  private link(from: NodeId, to: NodeId): Link {
    return this.linkBetween(this.endpoint(from), this.endpoint(to));
  }

  private linkBetween(from: Endpoint<M>, to: Endpoint<M>): Link {
    let link = from.links[to.index];
    if (link === undefined) {
      const override = this.linkOverrides.find((l) => l.from === from.host.id && l.to === to.host.id);
      link = newLink(from.host.id, to.host.id, override?.config ?? this.defaultLink);
      from.links[to.index] = link;
    }
    return link;
  }

  /** Replaces the configuration of one directed link. */
  configureLink(from: NodeId, to: NodeId, config: LinkConfig): void {
    const link = this.link(from, to);
    link.config = config;
    link.sampleLatency = latencySampler(config.latency);
  }

  /** Per-link counters, for links that carried anything, ordered by (from, to) as nodes were added. */
  linkStats(): readonly LinkStats[] {
    const out: LinkStats[] = [];
    for (const e of this.endpointList) for (const l of e.links) if (l !== undefined) out.push({ ...l.stats });
    return out;
  }

  totals(): Omit<LinkStats, 'from' | 'to'> {
    const t = { sent: 0, delivered: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0, bytesDropped: 0 };
    for (const l of this.linkStats()) {
      t.sent += l.sent;
      t.delivered += l.delivered;
      t.dropped += l.dropped;
      t.bytesSent += l.bytesSent;
      t.bytesDelivered += l.bytesDelivered;
      t.bytesDropped += l.bytesDropped;
    }
    return t;
  }
}

/** How a plain request's outcome reaches its callback (see PendingRequest.done). */
function callDone<M extends Message>(done: (result: RpcResult<M>) => void, result: RpcResult<M>): void {
  done(result);
}

/**
 * A message on the wire: what its arrival event needs, in one reusable object (the
 * scheduler calls {@link land} with it). Emptied and freed as it lands, before the message is
 * handed on, so a message sent during the delivery may take it at once.
 */
export class Flight<M extends Message> {
  conn: Connection<M> | undefined = undefined;
  dir: Direction<M> | undefined = undefined;
  kind: Envelope = Envelope.Request;
  id = 0;
  message: M | undefined = undefined;
  seq = 0;

  constructor(readonly network: Network<M>) {}
}

/**
 * How a server answers one request: `send` is the reply function its handler gets. A reply
 * the handler used before returning is reused for a later request (the handler got nothing
 * else that could outlive the call); one it kept is not, so it still refuses a second answer.
 */
export class Reply<M extends Message> {
  conn: Connection<M> | undefined = undefined;
  /** The server (which answers) and the client (which asked). */
  to: NodeHost<M> | undefined = undefined;
  from: NodeHost<M> | undefined = undefined;
  id = 0;
  /** The server's incarnation when the request arrived. */
  tag = 0;
  replied = false;
  readonly send: (response: M) => void;

  constructor(network: Network<M>) {
    this.send = (response: M): void => network.replyWith(this, response);
  }
}

/** The arrival event of every message: one function for all, the flight as its argument. */
function land<M extends Message>(flight: Flight<M>): void {
  flight.network.landed(flight);
}

const TIMEOUT = { ok: false, error: 'timeout' } as const;
const DISCONNECTED = { ok: false, error: 'disconnected' } as const;

declare module '../sim/trace.js' {
  interface TraceRecordMap {
    'net.send': { readonly from: NodeId; readonly to: NodeId; readonly conn: number; readonly type: string; readonly id: number; readonly bytes: number };
    'net.deliver': { readonly from: NodeId; readonly to: NodeId; readonly type: string; readonly id: number };
    'net.drop': { readonly from: NodeId; readonly to: NodeId; readonly type: string; readonly id: number; readonly reason: DropReason };
    'net.connect': { readonly client: NodeId; readonly server: NodeId; readonly conn: number };
    'net.disconnect': { readonly client: NodeId; readonly server: NodeId; readonly conn: number; readonly reason: DisconnectReason };
    /** A client's connection that was CONNECTING completed its handshake (see ClientConnections.connect). */
    'net.established': { readonly client: NodeId; readonly server: NodeId; readonly conn: number };
    /** `cutOff`: the side a partition cuts off (see cutOffSide), for drawings that shade who is isolated. */
    'net.partition': { readonly name: string; readonly spec: PartitionSpec['kind']; readonly cuts: number; readonly cutOff: readonly NodeId[] };
    'net.heal': { readonly names: readonly string[] };
    'net.degrade': { readonly name: string; readonly links: number; readonly loss: number };
    'rpc.timeout': { readonly from: NodeId; readonly to: NodeId; readonly id: number; readonly type: string };
  }
}

// A send's endpoints follow from its connection (hashed in net.connect) and whether its id was sent on it before.
declareTraceKind('net.send', ['conn', 'type', 'id', 'bytes'], ['from', 'to']);
// A delivery is named by its message id: the send records already hashed where it goes, and a
// request's delivery always precedes its response's, which shares the id.
declareTraceKind('net.deliver', ['id'], ['from', 'to', 'type']);
declareTraceKind('net.drop', ['id', 'to', 'reason'], ['from', 'type']);
declareTraceKind('net.connect', ['client', 'server', 'conn']);
declareTraceKind('net.disconnect', ['client', 'server', 'conn', 'reason']);
// Its endpoints follow from its connection (hashed in net.connect).
declareTraceKind('net.established', ['conn'], ['client', 'server']);
// cutOff follows from the fault that made the partition, which the records before resolved: not hashed.
declareTraceKind('net.partition', ['name', 'spec', 'cuts'], ['cutOff']);
declareTraceKind('net.heal', ['names']);
declareTraceKind('net.degrade', ['name', 'links', 'loss']);
declareTraceKind('rpc.timeout', ['from', 'to', 'id', 'type']);
