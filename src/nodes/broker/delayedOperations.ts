/**
 * Kafka's DelayedOperationPurgatory, with its DelayedProduce and DelayedFetch: requests a
 * broker cannot answer yet are parked here, completed when the news they wait for comes
 * (a follower's fetch moves the high watermark, a produce appends records) and expired
 * when their timeout passes.
 */
import type { TimerHandle } from '../../sim/scheduler.js';
import { millis, type Duration } from '../../sim/time.js';
import type { Partition } from './partition.js';
import type { KafkaErrorCode } from '../errors.js';

/** The timers a delayed operation needs: the node's own. */
export interface Timers {
  after(delay: Duration, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}

/** Held fetches (Kafka's DelayedFetch), by the partitions they wait on. */
export class DelayedOperationPurgatory {
  /** Parked follower fetches, by partition: each answers once, when one of its partitions has records or when it times out. */
  private readonly parked = new Map<string, Set<() => void>>();
  /** Parked consumer fetches, by partition, woken when the high watermark moves. */
  private readonly parkedConsumers = new Map<string, Set<() => void>>();

  constructor(private readonly timers: Timers) {}

  /** Holds a follower's fetch of the partitions `names` until one of them has records or `waitMs` passes. */
  parkFollowerFetch(names: readonly string[], answer: () => void, waitMs: number): void {
    this.park(this.parked, names, answer, waitMs);
  }

  /** Holds a consumer's fetch until a high watermark moves (and `ready` holds) or `waitMs` passes. */
  parkConsumerFetch(names: readonly string[], answer: () => void, waitMs: number, ready?: () => boolean): void {
    this.park(this.parkedConsumers, names, answer, waitMs, ready);
  }

  /** New records: answer every follower parked on the partition. */
  wakeFetches(name: string): void {
    this.wake(this.parked, name);
  }

  /** A high watermark moved: consumers waiting at the old one have something to read now. */
  wakeConsumers(name: string): void {
    this.wake(this.parkedConsumers, name);
  }

  /** Holds a fetch of the partitions `names` until one of them is woken or `waitMs` passes; it answers once. */
  private park(parked: Map<string, Set<() => void>>, names: readonly string[], answer: () => void, waitMs: number, ready?: () => boolean): void {
    let expiry: TimerHandle | undefined;
    let answered = false;
    const once = (): void => {
      // A timer that fired while this broker was paused runs when it resumes, even if the
      // fetch was answered meanwhile: the flag, not the cancel, makes it answer once.
      if (answered) return;
      answered = true;
      for (const name of names) parked.get(name)?.delete(woken);
      if (expiry !== undefined) this.timers.cancel(expiry);
      answer();
    };
    // Woken by a partition's news, it answers only once `ready` holds (fetch.min.bytes).
    const woken = ready === undefined ? once : (): void => {
      if (ready()) once();
    };
    for (const name of names) {
      let waiting = parked.get(name);
      if (waiting === undefined) parked.set(name, (waiting = new Set()));
      waiting.add(woken);
    }
    expiry = this.timers.after(millis(waitMs), () => {
      expiry = undefined;
      once();
    });
  }

  private wake(parked: Map<string, Set<() => void>>, name: string): void {
    const waiting = parked.get(name);
    if (waiting === undefined || waiting.size === 0) return;
    for (const answer of [...waiting]) answer();
  }
}

/**
 * Kafka's DelayedProduce: the acks=all partitions of one Produce request still waiting for
 * their batches to commit. It expires after the request's timeout, answering those still
 * open with REQUEST_TIMED_OUT.
 */
export class DelayedProduce {
  /** acks=all waits still open, to give up on when the request times out. */
  private readonly waiting = new Map<Partition, (error: KafkaErrorCode | undefined) => void>();
  private expiry: TimerHandle | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly timeoutMs: number,
  ) {}

  /** `done` waits for `partition` to commit; the first wait starts the request's timeout. */
  watch(partition: Partition, done: (error: KafkaErrorCode | undefined) => void): void {
    this.waiting.set(partition, done);
    // Kafka's DelayedProduce expires after the request's timeout.
    this.expiry ??= this.timers.after(millis(this.timeoutMs), () => {
      this.expiry = undefined;
      for (const [p, d] of [...this.waiting]) {
        p.cancelDelayed(d);
        d('REQUEST_TIMED_OUT');
      }
    });
  }

  /** `partition` was answered: nothing left to expire for it. */
  settled(partition: Partition): void {
    this.waiting.delete(partition);
  }

  /** Every partition is answered: the timeout is cancelled. */
  complete(): void {
    if (this.expiry !== undefined) this.timers.cancel(this.expiry);
  }
}

/**
 * An internal append (a coordinator's write) waiting for the ISR, acks=all: `done` gets
 * its outcome once `lastOffset` commits, or REQUEST_TIMED_OUT after `timeoutMs`.
 */
export function awaitInternalCommit(timers: Timers, partition: Partition, lastOffset: number, timeoutMs: number, done: (error: KafkaErrorCode | undefined) => void): void {
  let settled = false;
  const once = (error: KafkaErrorCode | undefined): void => {
    if (settled) return;
    settled = true;
    done(error);
  };
  partition.awaitCommit(lastOffset, once);
  timers.after(millis(timeoutMs), () => {
    partition.cancelDelayed(once);
    once('REQUEST_TIMED_OUT');
  });
}
