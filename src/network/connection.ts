import { InFlightRequests } from './inFlightRequests.js';
import type { Link } from './link.js';
import type { Message, NodeHost } from './nodeHost.js';

export const enum Envelope {
  Request = 0,
  Response = 1,
  OneWay = 2,
}

/**
 * The network's side of a host: its number, its outgoing connections by peer number (on
 * channel 0, and on each further channel), and its links by peer number.
 */
export interface Endpoint<M extends Message> {
  readonly host: NodeHost<M>;
  readonly index: number;
  readonly outgoing: (Connection<M> | undefined)[];
  /** Connections of channels 1, 2 …, each by peer number. */
  readonly channels: (Connection<M> | undefined)[][];
  /**
   * Its connections that broke silently (the peer lost power) with requests still in flight:
   * a Kafka client, which has one connection per node, still takes them for its open one.
   */
  readonly silentlyBroken: Set<Connection<M>>;
  readonly links: (Link | undefined)[];
}

/** A message a network partition cut off on an open stream connection, until TCP retransmits it after the heal. */
export interface HeldMessage<M extends Message> {
  /** Its place in its direction's send order. */
  readonly seq: number;
  readonly kind: Envelope;
  readonly id: number;
  readonly message: M;
  /** When it was first lost: its retransmissions are timed from there. */
  readonly lostAt: number;
}

/**
 * One direction of a connection (client to server, or server to client): what TCP keeps
 * for each direction of a stream. Its messages are numbered in send order; arrivals are
 * scheduled no sooner than the one before (FIFO); what a partition cuts off is held for
 * retransmission; and what arrives ahead of its turn waits in the receive buffer.
 */
export class Direction<M extends Message> {
  /** Latest arrival scheduled, to keep the direction FIFO. */
  private last = 0;
  /** Messages sent so far: each message's sequence number. */
  private sent = 0;
  /** Messages a partition cut off, in send order (see HeldMessage). */
  private held: HeldMessage<M>[] = [];
  /** The sequence number handed over next; what arrives ahead of it waits in `early`. */
  private delivered = 0;
  private readonly early = new Map<number, HeldMessage<M>>();

  constructor(
    readonly from: NodeHost<M>,
    readonly to: NodeHost<M>,
    /** The directed link it travels on, shared with the other connections between the two hosts. */
    readonly link: Link,
    readonly toServer: boolean,
  ) {}

  /** The sequence number of the next message sent. */
  nextSeq(): number {
    return this.sent++;
  }

  /** An arrival no sooner than the last one scheduled in this direction (FIFO), recorded as the last. */
  inOrder(arrive: number): number {
    if (arrive < this.last) arrive = this.last;
    this.last = arrive;
    return arrive;
  }

  hasHeld(): boolean {
    return this.held.length > 0;
  }

  /** Keeps a message a cut dropped, in send order, for retransmission. */
  hold(h: HeldMessage<M>): void {
    const held = this.held;
    let i = held.length;
    while (i > 0 && held[i - 1].seq > h.seq) i--;
    held.splice(i, 0, h);
  }

  /** The held messages, in send order, to send again; none are held after. */
  takeHeld(): readonly HeldMessage<M>[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  /** Forgets what it held: the connection broke, and none of it will be sent again. */
  dropHeld(): void {
    this.held = [];
  }

  /**
   * Whether the message numbered `seq` is the one to hand over next. TCP hands data over in
   * send order: after a heal, what was in flight can arrive before what is retransmitted,
   * and waits for it in the receive buffer (this keeps it there when it is early).
   */
  isNext(seq: number, kind: Envelope, id: number, message: M, now: number): boolean {
    if (seq === this.delivered) return true;
    this.early.set(seq, { seq, kind, id, message, lostAt: now });
    return false;
  }

  /** Message `seq` was handed over: the next one comes after it, and is returned (taken from the receive buffer) if it already waits there. */
  handedOver(seq: number): HeldMessage<M> | undefined {
    const next = seq + 1;
    this.delivered = next;
    const h = this.early.get(next);
    if (h !== undefined) this.early.delete(next);
    return h;
  }
}

/**
 * A TCP-like connection opened by `client` to `server`. Requests flow one way and responses
 * the other, each direction FIFO. A network partition does not break it: what the cut
 * drops is retransmitted, in order, at the first retransmission after the heal (as TCP
 * keeps retransmitting for many minutes). Once broken (a crash, a close) it never delivers
 * again; the next send opens a new one, so nothing from an old connection arrives after a
 * reconnect.
 */
export class Connection<M extends Message> {
  open = true;
  /**
   * Its handshake completed. A connection a client opens with connect() to a peer it cannot
   * reach starts CONNECTING (see startSetup in the network); every other one is taken as
   * established at once (the handshake's round trip is not modelled, docs/fidelity.md).
   */
  established = true;
  /** While CONNECTING: what was sent on it, to go out in order once it is established. */
  unsent: { readonly kind: Envelope; readonly id: number; readonly message: M }[] = [];
  /** While CONNECTING: the clients' callbacks waiting for it to be established. */
  onEstablished: (() => void)[] = [];
  /**
   * The client closed it after a request timed out (Kafka's NetworkClient does): what it had
   * sent still reaches the server, in order, as data queued before a FIN does; nothing comes
   * back. A crash of either end ends that too.
   */
  closedByClient = false;
  /** The incarnations of both ends when it opened: a half-closed connection dies with either. */
  readonly clientTag: number;
  readonly serverTag: number;
  readonly toServer: Direction<M>;
  readonly toClient: Direction<M>;
  /** Both directions, client to server first. */
  readonly directions: readonly [Direction<M>, Direction<M>];
  /** Its requests awaiting a response, and their timeouts. */
  readonly inFlight = new InFlightRequests<M>();

  constructor(
    readonly id: number,
    readonly client: Endpoint<M>,
    readonly server: Endpoint<M>,
    /** The client's channel it belongs to (RequestOptions.channel). */
    readonly channel: number,
    toServer: Link,
    toClient: Link,
  ) {
    this.clientTag = client.host.tag;
    this.serverTag = server.host.tag;
    this.toServer = new Direction(client.host, server.host, toServer, true);
    this.toClient = new Direction(server.host, client.host, toClient, false);
    this.directions = [this.toServer, this.toClient];
  }

  /** Whether it still delivers in direction `dir`: open, or half-closed toward a server that has not restarted since. */
  carries(dir: Direction<M>): boolean {
    if (this.open) return true;
    return dir.toServer && this.closedByClient && this.server.host.tag === this.serverTag && this.client.host.tag === this.clientTag;
  }

  /** Whether either end is `host`. */
  joins(host: NodeHost<M>): boolean {
    return this.client.host === host || this.server.host === host;
  }
}
