import type { TimerHandle } from '../sim/scheduler.js';
import type { Connection } from './connection.js';
import type { Message, NodeHost, NodeId, RpcResult } from './nodeHost.js';

export interface PendingRequest<M extends Message> {
  readonly id: number;
  readonly client: NodeHost<M>;
  readonly clientTag: number;
  readonly to: NodeId;
  readonly type: string;
  readonly conn: Connection<M>;
  /** Called with `doneArg` and the outcome (a plain request's is callDone, with its callback as `doneArg`). */
  readonly done: (arg: never, result: RpcResult<M>) => void;
  readonly doneArg: unknown;
  /** Its own timeout timer, for a request whose deadline comes before its connection's earlier ones. */
  timer: TimerHandle | undefined;
  /** When it times out, in simulated microseconds. */
  readonly deadline: number;
  settled: boolean;
}

/**
 * The requests in flight on one connection, and the watchdog that times them out (as
 * Kafka's NetworkClient keeps its InFlightRequests per node). It keeps the books; the
 * network schedules the watchdog's timer and settles the requests.
 */
export class InFlightRequests<M extends Message> {
  /** Unsettled requests by id. */
  private readonly pending = new Map<number, PendingRequest<M>>();
  /**
   * Requests in deadline order (a client's requests on one connection share a timeout, so
   * this is send order), from `head` on, watched by one timer at the first deadline.
   * Kafka's NetworkClient likewise checks in-flight requests for expiry in one pass.
   * Settled requests are skipped when the watchdog comes by: no timer per request to
   * schedule and cancel.
   */
  private readonly queue: (PendingRequest<M> | undefined)[] = [];
  private head = 0;
  /**
   * Where the queue ends: entries from `tail` on are empty. Emptying the queue moves `head`
   * and `tail` back to 0 and keeps its backing store (setting an array's length to 0 gives it
   * up, and the next request would make a new one).
   */
  private tail = 0;
  private watchdog: TimerHandle | undefined = undefined;
  /** When the armed watchdog fires. */
  private watchdogAt = 0;
  /** The watchdog is running: requests it causes leave the re-arming to it. */
  private watching = false;

  /**
   * Records a request. Returns whether the deadline queue took it (the watchdog times it
   * out), which it does if its deadline comes no sooner than those queued and than the
   * armed watchdog (an earlier watchdog just looks and waits again). If not, it has a
   * shorter timeout than those before it and needs a timer of its own.
   */
  add(request: PendingRequest<M>): boolean {
    this.pending.set(request.id, request);
    const queue = this.queue;
    const last = this.tail > this.head ? queue[this.tail - 1] : undefined;
    if ((last === undefined || request.deadline >= last.deadline) && (this.watchdog === undefined || request.deadline >= this.watchdogAt)) {
      queue[this.tail++] = request;
      return true;
    }
    return false;
  }

  /** Whether a watchdog must be armed for what was just queued: none is armed, and none is running. */
  needsWatchdog(): boolean {
    return this.watchdog === undefined && !this.watching;
  }

  /** The watchdog's timer, set to fire at `at`. */
  armed(at: number, watchdog: TimerHandle): void {
    this.watchdogAt = at;
    this.watchdog = watchdog;
  }

  get(id: number): PendingRequest<M> | undefined {
    return this.pending.get(id);
  }

  /** How many are unsettled. */
  get size(): number {
    return this.pending.size;
  }

  /** The unsettled requests, in the order they were sent. */
  all(): PendingRequest<M>[] {
    return [...this.pending.values()];
  }

  /** The watchdog fired: it runs until endWatch. */
  beginWatch(): void {
    this.watchdog = undefined;
    this.watching = true;
  }

  /** The next request due by `now`, taken off the queue; settled ones are skipped. */
  nextExpired(now: number): PendingRequest<M> | undefined {
    const queue = this.queue;
    while (this.head < this.tail) {
      const head = queue[this.head] as PendingRequest<M>;
      if (!head.settled && head.deadline > now) return undefined;
      this.head++;
      if (!head.settled) return head;
    }
    return undefined;
  }

  /** The watchdog is done: the deadline it must wait for next, if it must be armed again. */
  endWatch(): number | undefined {
    this.watching = false;
    const queue = this.queue;
    if (this.head > 1024 && this.head * 2 > this.tail) this.compact();
    return this.head < this.tail && this.watchdog === undefined ? (queue[this.head] as PendingRequest<M>).deadline : undefined;
  }

  /**
   * `request` settled: it leaves the books. Answers come mostly in order: let settled
   * requests at the front of the queue go now, not at the next deadline.
   */
  remove(request: PendingRequest<M>): void {
    this.pending.delete(request.id);
    const queue = this.queue;
    while (this.head < this.tail && (queue[this.head] as PendingRequest<M>).settled) this.head++;
    if (this.head === this.tail) {
      // Empty: its entries are let go, its backing store kept.
      for (let i = 0; i < this.tail; i++) queue[i] = undefined;
      this.head = 0;
      this.tail = 0;
    } else if (this.head > 64 && this.head * 2 > this.tail) this.compact();
  }

  /** Drops the entries before `head`, moving the rest to the front. */
  private compact(): void {
    this.queue.splice(0, this.head);
    this.tail -= this.head;
    this.head = 0;
  }
}
