import type { Rng } from '../sim/rng.js';
import type { Scheduler, TimerHandle } from '../sim/scheduler.js';
import type { Duration, Time } from '../sim/time.js';
import type { Trace } from '../sim/trace.js';
import { DEFAULT_LATENCY, sampleLatency, type LatencyDist } from './latency.js';
import type {
  NodeHost} from './nodeHost.js';
import {
  type CrashMode,
  type HostEnvironment,
  type Message,
  type NodeContext,
  type NodeId,
  type RequestOptions,
  type RpcError,
  type RpcResult,
} from './nodeHost.js';
import type { HostDirectory } from './faultTarget.js';
import { PartitionTable, cutsOf, type Cut, type PartitionSpec } from './partitions.js';

export interface LinkConfig {
  readonly latency: LatencyDist;
  /** Bytes per second; undefined for unlimited. Transmission time grows with message size. */
  readonly bandwidth?: number;
}

/** A named degradation of some links: added latency, and packet loss. */
export interface Degradation {
  readonly extraLatency?: LatencyDist;
  /** Probability that a packet is lost. On a stream link a loss costs a retransmission. */
  readonly loss?: number;
}

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
   * How soon a peer notices a connection that went silent (partition, power loss). Real
   * TCP takes minutes; Kafka clients notice through request timeouts first. Default:
   * never, so pending requests end by their own timeouts.
   */
  readonly silentDetection?: Duration;
  /** Retransmission timeout for a lost packet on a stream link; doubles per repeated loss. Default 200ms (Linux's minimum RTO). */
  readonly retransmitTimeout?: Duration;
  /** Datagram mode only: probability that a message is delivered twice. */
  readonly duplicateRate?: number;
}

export interface LinkStats {
  readonly from: NodeId;
  readonly to: NodeId;
  sent: number;
  delivered: number;
  dropped: number;
  bytesSent: number;
  bytesDelivered: number;
  bytesDropped: number;
}

type DropReason = 'partition' | 'node-down' | 'connection-closed' | 'loss' | 'incarnation-gone';

interface Link {
  readonly from: NodeId;
  readonly to: NodeId;
  config: LinkConfig;
  readonly degradations: Map<string, Degradation>;
  rng: Rng | undefined;
  busyUntil: number;
  readonly stats: LinkStats;
}

interface PendingRequest<M extends Message> {
  readonly id: number;
  readonly client: NodeHost<M>;
  readonly clientTag: number;
  readonly to: NodeId;
  readonly done: (result: RpcResult<M>) => void;
  timer: TimerHandle | undefined;
  settled: boolean;
}

/**
 * A TCP-like connection opened by `client` to `server`. Requests flow one way and responses
 * the other, each direction FIFO. Once broken it never delivers again; the next send opens
 * a new one, so nothing from an old connection arrives after a reconnect.
 */
interface Connection<M extends Message> {
  readonly id: number;
  readonly client: NodeHost<M>;
  readonly server: NodeHost<M>;
  readonly key: number;
  open: boolean;
  /** Latest arrival scheduled in each direction, to keep each direction FIFO. */
  lastToServer: number;
  lastToClient: number;
  readonly pending: Map<number, PendingRequest<M>>;
}

const enum Envelope {
  Request = 0,
  Response = 1,
  OneWay = 2,
}

const MAX_NODES = 1 << 15;
const MAX_RETRANSMITS = 6;

/**
 * The simulated network and the hosts on it: links with latency, bandwidth and loss;
 * connections with FIFO delivery; request/response RPC with timeouts; partitions; and the
 * lifecycle of hosts (crash, restart, pause), since a crash is as much a network event as a
 * process one. It reads nothing of a message but its type name and its size.
 */
export class Network<M extends Message = Message> implements HostEnvironment<M>, HostDirectory {
  private readonly hosts = new Map<NodeId, NodeHost<M>>();
  private readonly hostIndex = new Map<NodeId, number>();
  private readonly links = new Map<number, Link>();
  private readonly connections = new Map<number, Connection<M>>();
  private readonly degradations = new Map<string, readonly Cut[]>();
  readonly partitions = new PartitionTable();
  private readonly mode: 'stream' | 'datagram';
  private readonly defaultLink: LinkConfig;
  private readonly resetDetection: Duration;
  private readonly silentDetection: Duration | undefined;
  private readonly retransmitTimeout: Duration;
  private readonly duplicateRate: number;
  private readonly linkOverrides: NonNullable<NetworkConfig['links']>;
  private nextTag = 1;
  private nextConnectionId = 1;
  private nextRequestId = 1;

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
  }

  // ---------------------------------------------------------------- hosts

  addHost(host: NodeHost<M>): NodeHost<M> {
    if (this.hosts.has(host.id)) throw new Error(`duplicate node id ${host.id}`);
    if (this.hostIndex.size >= MAX_NODES) throw new Error(`more than ${MAX_NODES} nodes`);
    this.hostIndex.set(host.id, this.hostIndex.size);
    this.hosts.set(host.id, host);
    this.partitions.addNode(host.id);
    host.attach(this);
    return host;
  }

  host(id: NodeId): NodeHost<M> {
    const host = this.hosts.get(id);
    if (host === undefined) throw new Error(`unknown node ${id}`);
    return host;
  }

  hasHost(id: NodeId): boolean {
    return this.hosts.has(id);
  }

  /** Every host, in the order they were added. */
  allHosts(): readonly NodeHost<M>[] {
    return [...this.hosts.values()];
  }

  nodeIds(): readonly NodeId[] {
    return [...this.hosts.keys()];
  }

  hasRole(id: NodeId, role: string): boolean {
    return this.hosts.get(id)?.hasRole(role) ?? false;
  }

  isUp(id: NodeId): boolean {
    return this.hosts.get(id)?.state === 'up';
  }

  newTag(): number {
    return this.nextTag++;
  }

  contextFor(host: NodeHost<M>, tag: number): NodeContext<M> {
    const scheduler = this.scheduler;
    return {
      id: host.id,
      incarnation: host.incarnation,
      rng: this.rng.fork(`node/${host.id}/${host.incarnation}`),
      trace: this.trace,
      now: () => host.clock.read(scheduler.now),
      after: (delay, fn) => scheduler.after(host.clock.realDelay(delay), () => host.dispatch(tag, fn), tag),
      cancel: (handle) => {
        scheduler.cancel(handle);
      },
      request: (to, message, options, done) => this.request(host, tag, to, message, options, done),
      send: (to, message) => this.sendOneWay(host, tag, to, message),
    };
  }

  hostDown(host: NodeHost<M>, mode: CrashMode): void {
    const detection = mode === 'process' ? this.resetDetection : this.silentDetection;
    for (const conn of [...this.connections.values()]) {
      if (conn.client === host || conn.server === host) this.breakConnection(conn, mode === 'process' ? 'peer-crashed' : 'peer-lost-power', detection);
    }
  }

  // ---------------------------------------------------------------- faults

  /** Applies a named partition. Connections across a cut break at once, silently. */
  partition(name: string, spec: PartitionSpec): readonly Cut[] {
    const cuts = this.partitions.apply(name, cutsOf(spec, this.nodeIds()));
    this.trace.emit('net.partition', { name, spec: spec.kind, cuts: cuts.length });
    for (const conn of [...this.connections.values()]) {
      if (this.partitions.isBlocked(conn.client.id, conn.server.id) || this.partitions.isBlocked(conn.server.id, conn.client.id)) {
        this.breakConnection(conn, 'partition', this.silentDetection);
      }
    }
    return cuts;
  }

  /** Heals one named partition or degradation, or every one. Returns the names healed. */
  heal(name?: string): string[] {
    const healed = this.partitions.heal(name);
    for (const [degradeName, cuts] of [...this.degradations]) {
      if (name !== undefined && degradeName !== name) continue;
      for (const cut of cuts) this.link(cut.from, cut.to).degradations.delete(degradeName);
      this.degradations.delete(degradeName);
      healed.push(degradeName);
    }
    this.trace.emit('net.heal', { names: healed });
    return healed;
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
    client: NodeHost<M>,
    tag: number,
    to: NodeId,
    message: M,
    options: RequestOptions,
    done: (result: RpcResult<M>) => void,
  ): void {
    if (client.tag !== tag) return;
    const server = this.host(to);
    const conn = this.connection(client, server);
    const pending: PendingRequest<M> = {
      id: this.nextRequestId++,
      client,
      clientTag: tag,
      to,
      done,
      timer: undefined,
      settled: false,
    };
    conn.pending.set(pending.id, pending);
    pending.timer = this.scheduler.after(
      client.clock.realDelay(options.timeout),
      () => {
        pending.timer = undefined;
        this.trace.emit('rpc.timeout', { from: client.id, to, id: pending.id, type: message.type });
        this.settle(conn, pending, 'timeout');
      },
      tag,
    );
    this.transmit(conn, client, server, Envelope.Request, pending.id, message);
  }

  private sendOneWay(from: NodeHost<M>, tag: number, to: NodeId, message: M): void {
    if (from.tag !== tag) return;
    const server = this.host(to);
    this.transmit(this.connection(from, server), from, server, Envelope.OneWay, this.nextRequestId++, message);
  }

  private settle(conn: Connection<M>, pending: PendingRequest<M>, result: RpcError | M): void {
    if (pending.settled) return;
    pending.settled = true;
    conn.pending.delete(pending.id);
    if (pending.timer !== undefined) this.scheduler.cancel(pending.timer);
    const outcome: RpcResult<M> = typeof result === 'string' ? { ok: false, error: result } : { ok: true, response: result };
    pending.client.dispatch(pending.clientTag, () => pending.done(outcome));
  }

  /** The open connection from client to server, opening a new one if there is none. */
  private connection(client: NodeHost<M>, server: NodeHost<M>): Connection<M> {
    const key = this.index(client.id) * MAX_NODES + this.index(server.id);
    const existing = this.connections.get(key);
    if (existing !== undefined) return existing;
    const conn: Connection<M> = {
      id: this.nextConnectionId++,
      client,
      server,
      key,
      open: true,
      lastToServer: 0,
      lastToClient: 0,
      pending: new Map(),
    };
    this.connections.set(key, conn);
    this.trace.emit('net.connect', { client: client.id, server: server.id, conn: conn.id });
    return conn;
  }

  private breakConnection(conn: Connection<M>, reason: string, detection: Duration | undefined): void {
    if (!conn.open) return;
    conn.open = false;
    this.connections.delete(conn.key);
    this.trace.emit('net.disconnect', { client: conn.client.id, server: conn.server.id, conn: conn.id, reason });
    if (this.mode === 'datagram') return;
    if (detection === undefined) return;
    for (const pending of [...conn.pending.values()]) {
      this.scheduler.after(detection, () => this.settle(conn, pending, 'disconnected'), pending.clientTag);
    }
  }

  private transmit(conn: Connection<M>, from: NodeHost<M>, to: NodeHost<M>, kind: Envelope, id: number, message: M): void {
    const link = this.link(from.id, to.id);
    const bytes = message.bytes;
    link.stats.sent++;
    link.stats.bytesSent += bytes;
    this.trace.emit('net.send', { from: from.id, to: to.id, conn: conn.id, type: message.type, id, bytes });
    if (this.partitions.isBlocked(from.id, to.id)) return this.drop(link, id, message, 'partition');
    if (to.state === 'down') {
      this.drop(link, id, message, 'node-down');
      // A dead process on a live machine refuses the connection at once; a dead machine is silent.
      if (this.mode === 'stream') this.breakConnection(conn, 'connection-refused', to.lastCrashMode === 'process' ? this.resetDetection : this.silentDetection);
      return;
    }
    const now = this.scheduler.now;
    let arrive: number = now;
    if (link.config.bandwidth !== undefined) {
      const start = Math.max(now, link.busyUntil);
      link.busyUntil = start + Math.ceil((bytes * 1_000_000) / link.config.bandwidth);
      arrive = link.busyUntil;
    }
    const rng = link.rng ?? (link.rng = this.rng.fork(`link/${from.id}>${to.id}`));
    arrive += sampleLatency(link.config.latency, rng);
    let loss = 0;
    for (const d of link.degradations.values()) {
      if (d.extraLatency !== undefined) arrive += sampleLatency(d.extraLatency, rng);
      if (d.loss !== undefined) loss = 1 - (1 - loss) * (1 - d.loss);
    }
    const toServer = conn.client === from;
    if (this.mode === 'stream') {
      // A lost segment is retransmitted after the RTO, doubling each time; what follows it on
      // the connection waits behind it (head-of-line blocking), which the FIFO rule gives.
      let rto = this.retransmitTimeout as number;
      for (let k = 0; k < MAX_RETRANSMITS && loss > 0 && rng.chance(loss); k++) {
        arrive += rto;
        rto *= 2;
      }
      if (toServer) {
        if (arrive < conn.lastToServer) arrive = conn.lastToServer;
        conn.lastToServer = arrive;
      } else {
        if (arrive < conn.lastToClient) arrive = conn.lastToClient;
        conn.lastToClient = arrive;
      }
    } else {
      if (loss > 0 && rng.chance(loss)) return this.drop(link, id, message, 'loss');
      if (this.duplicateRate > 0 && rng.chance(this.duplicateRate)) {
        const again = arrive + sampleLatency(link.config.latency, rng);
        this.scheduler.at(again as Time, () => this.arrive(conn, link, from, to, kind, id, message));
      }
    }
    this.scheduler.at(arrive as Time, () => this.arrive(conn, link, from, to, kind, id, message));
  }

  private arrive(conn: Connection<M>, link: Link, from: NodeHost<M>, to: NodeHost<M>, kind: Envelope, id: number, message: M): void {
    if (this.mode === 'stream' && !conn.open) return this.drop(link, id, message, 'connection-closed');
    if (this.partitions.isBlocked(from.id, to.id)) return this.drop(link, id, message, 'partition');
    const process = to.process;
    if (process === undefined) return this.drop(link, id, message, 'node-down');
    link.stats.delivered++;
    link.stats.bytesDelivered += message.bytes;
    this.trace.emit('net.deliver', { from: from.id, to: to.id, type: message.type, id });
    const tag = to.tag;
    switch (kind) {
      case Envelope.Request:
        to.dispatch(tag, () => {
          let replied = false;
          process.onRequest?.(from.id, message, (response) => {
            if (replied) throw new Error(`${to.id} replied twice to request ${id} from ${from.id}`);
            replied = true;
            if (to.tag !== tag) return; // the replier died meanwhile
            this.transmit(conn, to, from, Envelope.Response, id, response);
          });
        });
        return;
      case Envelope.Response: {
        const pending = conn.pending.get(id);
        if (pending !== undefined) this.settle(conn, pending, message);
        return;
      }
      case Envelope.OneWay:
        to.dispatch(tag, () => process.onMessage?.(from.id, message));
        return;
    }
  }

  private drop(link: Link, id: number, message: M, reason: DropReason): void {
    link.stats.dropped++;
    link.stats.bytesDropped += message.bytes;
    this.trace.emit('net.drop', { from: link.from, to: link.to, type: message.type, id, reason });
  }

  // ---------------------------------------------------------------- links

  private index(id: NodeId): number {
    const i = this.hostIndex.get(id);
    if (i === undefined) throw new Error(`unknown node ${id}`);
    return i;
  }

  private link(from: NodeId, to: NodeId): Link {
    const key = this.index(from) * MAX_NODES + this.index(to);
    let link = this.links.get(key);
    if (link === undefined) {
      const override = this.linkOverrides.find((l) => l.from === from && l.to === to);
      link = {
        from,
        to,
        config: override?.config ?? this.defaultLink,
        degradations: new Map(),
        rng: undefined,
        busyUntil: 0,
        stats: { from, to, sent: 0, delivered: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0, bytesDropped: 0 },
      };
      this.links.set(key, link);
    }
    return link;
  }

  /** Replaces the configuration of one directed link. */
  configureLink(from: NodeId, to: NodeId, config: LinkConfig): void {
    this.link(from, to).config = config;
  }

  /** Per-link counters, for links that carried anything, ordered by (from, to) as nodes were added. */
  linkStats(): readonly LinkStats[] {
    return [...this.links.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => ({ ...l.stats }));
  }

  totals(): Omit<LinkStats, 'from' | 'to'> {
    const t = { sent: 0, delivered: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0, bytesDropped: 0 };
    for (const l of this.links.values()) {
      t.sent += l.stats.sent;
      t.delivered += l.stats.delivered;
      t.dropped += l.stats.dropped;
      t.bytesSent += l.stats.bytesSent;
      t.bytesDelivered += l.stats.bytesDelivered;
      t.bytesDropped += l.stats.bytesDropped;
    }
    return t;
  }
}

declare module '../sim/trace.js' {
  interface TraceRecordMap {
    'net.send': { readonly from: NodeId; readonly to: NodeId; readonly conn: number; readonly type: string; readonly id: number; readonly bytes: number };
    'net.deliver': { readonly from: NodeId; readonly to: NodeId; readonly type: string; readonly id: number };
    'net.drop': { readonly from: NodeId; readonly to: NodeId; readonly type: string; readonly id: number; readonly reason: string };
    'net.connect': { readonly client: NodeId; readonly server: NodeId; readonly conn: number };
    'net.disconnect': { readonly client: NodeId; readonly server: NodeId; readonly conn: number; readonly reason: string };
    'net.partition': { readonly name: string; readonly spec: PartitionSpec['kind']; readonly cuts: number };
    'net.heal': { readonly names: readonly string[] };
    'net.degrade': { readonly name: string; readonly links: number; readonly loss: number };
    'rpc.timeout': { readonly from: NodeId; readonly to: NodeId; readonly id: number; readonly type: string };
  }
}
