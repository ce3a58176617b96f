/**
 * Kafka's DelayedOperationPurgatory, with its DelayedProduce and DelayedFetch: requests a
 * broker cannot answer yet are parked here, completed when the news they wait for comes
 * (a follower's fetch moves the high watermark, a produce appends records) and expired
 * when their timeout passes.
 */
import type { TimerHandle } from '../../sim/scheduler.js';
import { millis, type Duration } from '../../sim/time.js';
import type { CommitWaiter, Partition } from './partition.js';
import { message, type KafkaMessage, type ProducePartitionResponse, type ProduceResponse } from '../protocol.js';
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
 * Kafka's DelayedProduce: one Produce request's state, the only object its handling keeps
 * (KafkaApis.handleProduceRequest's callback and DelayedProduce's produceMetadata in one).
 * It gathers each partition's response and answers once all are in; its acks=all
 * partitions still waiting for their batches to commit expire after the request's timeout,
 * answered with REQUEST_TIMED_OUT. Partitions that appended while the request is handled
 * are remembered, so held fetches are woken once every partition is appended.
 */
export class DelayedProduce {
  private readonly responses: ProducePartitionResponse[];
  private left: number;
  /** acks=all waits still open, to give up on when the request times out. */
  private waiting: ProducePartitionStatus[] | undefined;
  private expiry: TimerHandle | undefined;
  /** While the request's partitions are appended: appends wait in `appendedNow` to wake held fetches. */
  private handling = false;
  private appendedNow: Partition[] | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly timeoutMs: number,
    partitions: number,
    private readonly reply: (response: KafkaMessage) => void,
  ) {
    this.responses = new Array<ProducePartitionResponse>(partitions);
    this.left = partitions;
  }

  /** The `i`th partition's response; the last one in answers the request and cancels its timeout. */
  answer(i: number, r: ProducePartitionResponse): void {
    this.responses[i] = r;
    if (--this.left > 0) return;
    if (this.expiry !== undefined) this.timers.cancel(this.expiry);
    this.reply(message<ProduceResponse>('ProduceResponse', { responses: this.responses }));
  }

  /** `partition` appended: fetches held for it are woken now, or once the request is handled. */
  appended(partition: Partition, purgatory: DelayedOperationPurgatory): void {
    if (this.handling) (this.appendedNow ??= []).push(partition);
    else purgatory.wakeFetches(partition.name);
  }

  /** Starts remembering appends (before the request's partitions are appended). */
  startHandling(): void {
    this.handling = true;
  }

  /** Every partition the request could append at once is appended: wake their held fetches. */
  endHandling(purgatory: DelayedOperationPurgatory): void {
    const toWake = this.appendedNow;
    this.handling = false;
    this.appendedNow = undefined;
    if (toWake !== undefined) for (const p of toWake) purgatory.wakeFetches(p.name);
  }

  /** The `i`th partition (`partitionId`) appended at `baseOffset`..`lastOffset` and waits for acks=all; the first wait starts the request's timeout. */
  watch(i: number, partition: Partition, partitionId: number, baseOffset: number, lastOffset: number): void {
    const status = new ProducePartitionStatus(this, i, partition, partitionId, baseOffset, lastOffset + 1);
    (this.waiting ??= []).push(status);
    // Kafka's DelayedProduce expires after the request's timeout.
    this.expiry ??= this.timers.after(millis(this.timeoutMs), () => this.expire());
    partition.watchCommit(status);
  }

  /** `status` was answered: nothing left to expire for it. */
  settled(status: ProducePartitionStatus): void {
    const waiting = this.waiting as ProducePartitionStatus[];
    waiting.splice(waiting.indexOf(status), 1);
  }

  private expire(): void {
    this.expiry = undefined;
    for (const status of [...(this.waiting ?? [])]) {
      status.partition.cancelWatch(status);
      status.done('REQUEST_TIMED_OUT');
    }
  }
}

/** Kafka's ProducePartitionStatus: one acks=all partition of a DelayedProduce, waiting for its batch to commit. */
class ProducePartitionStatus implements CommitWaiter {
  private answered = false;

  constructor(
    private readonly request: DelayedProduce,
    private readonly index: number,
    readonly partition: Partition,
    private readonly partitionId: number,
    private readonly baseOffset: number,
    readonly requiredOffset: number,
  ) {}

  /** Committed (error undefined), refused, or timed out: answered once. */
  done(error: KafkaErrorCode | undefined): void {
    if (this.answered) return;
    this.answered = true;
    this.request.settled(this);
    this.request.answer(this.index, { partition: this.partitionId, error, baseOffset: error === undefined ? this.baseOffset : -1 });
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
