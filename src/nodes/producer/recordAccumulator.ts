import type { NodeContext } from '../../network/nodeHost.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import type { SendRef } from '../../sim/sendLog.js';
import { micros, millis, toMillis } from '../../sim/time.js';
import { BATCH_HEADER_SIZE, Compression, type RecordInput } from '../../log/recordBatch.js';
import { BatchArena, type BatchBuilder, encodedSize, type ClosedBatch } from '../../log/batchBuilder.js';
import type { KafkaMessage } from '../protocol.js';
import type { ProducerConfig } from './producer.js';
import type { ProducerBatch } from './producerBatch.js';

/** What the accumulator needs of the producer it serves. */
export interface RecordAccumulatorDeps {
  readonly ctx: Pick<NodeContext<KafkaMessage>, 'now' | 'after' | 'cancel'>;
  readonly config: ProducerConfig;
  /** The partition's leader from the metadata, or -1 when it has none. */
  leaderOf(partition: number): number;
  /** The TransactionManager holds the partition's head batch back (no producer id yet, batches in flight of a stale epoch, an unresolved sequence, a retry that would overtake an earlier batch). */
  holdsBack(head: ProducerBatch): boolean;
  /** The partition started a new batch (the sticky partitioner moves on, KIP-480). */
  onNewBatch(partition: number): void;
  /** Batches may be ready: the Sender drains. */
  wakeup(): void;
  /** A queued batch reached delivery.timeout.ms: it fails (Sender.sendProducerData's expiredBatches). */
  expire(batch: ProducerBatch): void;
  /** Expired batches were failed: the Sender loops on, and the producer may be done closing. */
  afterExpiry(): void;
}

/**
 * Kafka's RecordAccumulator: the unsent batches of each partition, appended to by send()
 * and drained by the Sender; batches waiting out a retry backoff, partitions muted while a
 * batch is in flight (max.in.flight.requests.per.connection=1), and the expiry of queued
 * batches at delivery.timeout.ms.
 */
export class RecordAccumulator {
  /** Unsent batches, a queue per partition (Kafka's RecordAccumulator deques); the last one takes new records. */
  private readonly queues: ProducerBatch[][] = [];
  private queued = 0;
  /** Where the next drain starts, so no partition always goes last (Kafka's drainIndex). */
  private drainIndex = 0;
  /** Per partition, where its batches are built (one batch fills at a time). */
  private readonly arenas: BatchArena[] = [];
  /** Batches of each partition waiting out their retry backoff. */
  private readonly retrying = new Map<number, number>();
  /**
   * With max.in.flight.requests.per.connection=1, partitions with a batch in flight: Kafka's
   * Sender then guarantees order by muting each partition it drains until that batch is
   * answered (guaranteeMessageOrder, RecordAccumulator.mutePartition), whichever broker it went
   * to, so no newer batch of it reaches a new leader while an older one is held at the old.
   */
  private readonly muted = new Set<number>();
  /** When the accumulator next looks for batches past delivery.timeout.ms (local micros), and its timer. */
  private expiryAt = Number.POSITIVE_INFINITY;
  private expiryTimer: TimerHandle | undefined;
  /** close() was called: batches go out without lingering. */
  private closed = false;
  /** Scratch lists of one drain round: brokers that can take a request, and brokers that cannot. */
  private readonly readyBrokers: number[] = [];
  private readonly unreadyBrokers: number[] = [];

  constructor(private readonly deps: RecordAccumulatorDeps) {}

  /** A batch's linger.ms is up: one function for every batch's timer. */
  private readonly wakeup = (): void => this.deps.wakeup();

  private get ctx(): RecordAccumulatorDeps['ctx'] {
    return this.deps.ctx;
  }

  private get config(): ProducerConfig {
    return this.deps.config;
  }

  /** Batches waiting to be drained. */
  get size(): number {
    return this.queued;
  }

  /** For the harness's probe: each partition's queued batches (its deque), by partition number. */
  queuedBatches(): readonly (readonly ProducerBatch[] | undefined)[] {
    return this.queues;
  }

  /** KafkaProducer.close: the accumulator takes no time to linger any more. */
  close(): void {
    this.closed = true;
  }

  /**
   * Kafka's RecordAccumulator.append: a record joins the last unsent batch of its
   * partition while that batch has room, however long it has waited, so a backlog (a
   * leader away, requests in flight) builds full batches rather than many small ones.
   * linger.ms decides only when a batch may be sent.
   */
  append(partition: number, ref: SendRef, record: RecordInput): void {
    const queue = (this.queues[partition] ??= []);
    // Like Kafka's MemoryRecordsBuilder.hasRoomFor, an estimate decides whether the batch has
    // room: a record's key and value plus a fixed allowance for its framing.
    const estimate = (record.value?.length ?? 0) + (record.key?.length ?? 0) + 40;
    const last = queue.at(-1);
    let batch: ProducerBatch;
    if (last !== undefined && last.builder !== undefined && last.estimatedBytes + estimate <= this.config['batch.size'] && last.builder.tryAppend(record)) batch = last;
    else batch = this.newBatch(partition, queue, record);
    batch.refs.push(ref);
    batch.estimatedBytes += estimate;
    if (this.config['linger.ms'] === 0 || queue.length > 1 || batch.estimatedBytes >= this.config['batch.size']) this.deps.wakeup();
  }

  /** The partition's next batch, with `record` in it; the last one takes no more records. */
  private newBatch(partition: number, queue: ProducerBatch[], record: RecordInput): ProducerBatch {
    const last = queue.at(-1);
    if (last !== undefined && last.builder !== undefined) this.closeBatch(last);
    const now = this.ctx.now();
    const batch: ProducerBatch = { partition, refs: [], builder: this.builderFor(partition, record), closed: undefined, estimatedBytes: BATCH_HEADER_SIZE, createdMs: toMillis(now), createdAt: now, baseSequence: undefined, sequenceProducerId: -1, sequenceEpoch: -1, attempts: 0, sentTo: -1, uncertain: false, sealed: false };
    queue.push(batch);
    this.queued++;
    this.expireAt(batch);
    this.deps.onNewBatch(partition);
    if (this.config['linger.ms'] > 0) this.ctx.after(millis(this.config['linger.ms']), this.wakeup);
    // A new batch takes its first record whatever its size: its scratch buffer is made to fit it.
    if (!(batch.builder as BatchBuilder).tryAppend(record)) throw new Error(`a record of ${encodedSize(record, 0, 0)} bytes does not fit an empty batch`);
    return batch;
  }

  /** A builder for the partition's next batch: room for batch.size, or more for a record that needs it (Kafka gives it a batch of its own size). */
  private builderFor(partition: number, record: RecordInput): BatchBuilder {
    const capacity = Math.max(this.config['batch.size'], BATCH_HEADER_SIZE + encodedSize(record, 0, 0));
    return (this.arenas[partition] ??= new BatchArena()).builder(capacity);
  }

  /** The batch takes no more records. */
  closeBatch(batch: ProducerBatch): ClosedBatch {
    if (batch.closed === undefined) {
      batch.closed = (batch.builder as BatchBuilder).close(this.config['compression.type'] === 'gzip' ? Compression.Gzip : Compression.None);
      batch.builder = undefined;
    }
    return batch.closed;
  }

  /** Kafka's ready check: a batch may go once it is full, followed by another, retried, or has lingered, or the accumulator is closed. */
  private isReady(batch: ProducerBatch, queue: readonly ProducerBatch[]): boolean {
    return batch.sealed || this.closed || batch !== queue.at(-1) || batch.estimatedBytes >= this.config['batch.size'] || this.ctx.now() - batch.createdAt >= millis(this.config['linger.ms']);
  }

  /** A batch of the partition starts waiting out retry.backoff.ms: it holds its partition back. */
  startBackoff(partition: number): void {
    this.retrying.set(partition, (this.retrying.get(partition) ?? 0) + 1);
  }

  /** A batch of the partition is done waiting out its backoff. */
  endBackoff(partition: number): void {
    this.retrying.set(partition, (this.retrying.get(partition) ?? 1) - 1);
  }

  /** Guarantees order (max.in.flight.requests.per.connection=1): nothing more of the partition goes until its batch in flight is answered. */
  mutePartition(partition: number): void {
    this.muted.add(partition);
  }

  unmutePartition(partition: number): void {
    this.muted.delete(partition);
  }

  /**
   * Puts a retried batch back: at the front of its partition's queue, or with idempotence
   * in sequence order (Kafka's RecordAccumulator.reenqueue and insertInSequenceOrder), so a
   * partition's batches reach the broker in order.
   */
  reenqueue(batch: ProducerBatch): void {
    const queue = (this.queues[batch.partition] ??= []);
    this.queued++;
    batch.requeuedAt = this.ctx.now();
    this.expireAt(batch);
    if (!this.config['enable.idempotence'] || batch.baseSequence === undefined) {
      queue.unshift(batch);
      return;
    }
    let i = 0;
    while (i < queue.length && queue[i].baseSequence !== undefined && (queue[i].baseSequence as number) < batch.baseSequence) i++;
    queue.splice(i, 0, batch);
  }

  /** Makes sure the accumulator looks for expired batches by the time `batch` reaches delivery.timeout.ms. */
  private expireAt(batch: ProducerBatch): void {
    const at = this.deadlineOf(batch);
    if (at >= this.expiryAt) return;
    if (this.expiryTimer !== undefined) this.ctx.cancel(this.expiryTimer);
    this.expiryAt = at;
    this.expiryTimer = this.ctx.after(micros(Math.max(0, at - this.ctx.now())), () => this.expiredBatches());
  }

  /**
   * When a queued batch expires: delivery.timeout.ms after it began (KIP-91, Kafka 2.1); before
   * (sim.batch.expiry request-timeout, ProducerBatch.maybeExpire), request.timeout.ms after it
   * lingered, or after it came back for a retry (Kafka's lastAttemptMs plus retry.backoff.ms:
   * kafkasim requeues it as its backoff ends). Kafka 2.0 also expired a full batch
   * request.timeout.ms after its last append, earlier than that; kafkasim does not.
   */
  private deadlineOf(batch: ProducerBatch): number {
    if (this.config['sim.batch.expiry'] === 'delivery-timeout') return batch.createdAt + millis(this.config['delivery.timeout.ms']);
    return (batch.requeuedAt ?? batch.createdAt + millis(this.config['linger.ms'])) + millis(this.config['request.timeout.ms']);
  }

  /**
   * RecordAccumulator.expiredBatches, which the Sender runs whenever the next batch reaches
   * delivery.timeout.ms: batches still waiting in the accumulator that long (no leader to
   * send to, a producer id not yet known, a retry with nowhere to go) fail with a
   * TimeoutException, oldest first in each partition, the records in them known unwritten
   * unless an earlier attempt's outcome was unknown. A batch waiting out retry.backoff.ms
   * is outside the queue here (Kafka keeps it in the deque; it holds its partition back all
   * the same), so it expires as its backoff ends; batches in flight wait for their request's
   * answer or timeout.
   */
  private expiredBatches(): void {
    this.expiryTimer = undefined;
    this.expiryAt = Number.POSITIVE_INFINITY;
    const now = this.ctx.now();
    for (const queue of this.queues) {
      while (queue !== undefined && queue.length > 0 && this.deadlineOf(queue[0]) <= now) {
        const batch = queue.shift() as ProducerBatch;
        this.queued--;
        this.deps.expire(batch);
      }
      if (queue !== undefined && queue.length > 0) this.expireAt(queue[0]);
    }
    this.deps.afterExpiry();
  }

  /**
   * One round of the Sender's drain (RecordAccumulator.ready, then drainBatchesForOneNode):
   * the batches each ready broker's next request takes, by broker, in the order first
   * reached; undefined when no broker is ready. A broker is ready when the head batch of
   * some partition it leads is ready and `canTake(broker)` (the Sender's connection check).
   * It runs on every send while a backlog waits, so a round that finds nothing ready
   * allocates nothing.
   */
  drain(canTake: (broker: number) => boolean): Map<number, ProducerBatch[]> | undefined {
    const n = this.queues.length;
    // The scratch lists are filled from the start and read up to a count, never emptied:
    // setting an array's length to 0 gives up its backing store, and the next push makes a new one.
    const ready = this.readyBrokers;
    const unready = this.unreadyBrokers;
    let readyCount = 0;
    let unreadyCount = 0;
    for (let partition = 0; partition < n; partition++) {
      const leader = this.drainableLeader(partition);
      if (leader < 0 || holds(ready, readyCount, leader) || holds(unready, unreadyCount, leader)) continue;
      const queue = this.queues[partition] as ProducerBatch[];
      if (!this.isReady(queue[0], queue)) continue;
      if (canTake(leader)) ready[readyCount++] = leader;
      else unready[unreadyCount++] = leader;
    }
    if (readyCount === 0) return undefined;
    return this.drainReady(ready, readyCount);
  }

  /** Takes the head batch of each partition a ready broker (the first `readyCount` of `ready`) leads, up to max.request.size per request, starting at drainIndex. */
  private drainReady(ready: readonly number[], readyCount: number): Map<number, ProducerBatch[]> {
    const n = this.queues.length;
    const requests = new Map<number, ProducerBatch[]>();
    for (let k = 0; k < n; k++) {
      const partition = (this.drainIndex + k) % n;
      const leader = this.drainableLeader(partition);
      if (leader < 0 || !holds(ready, readyCount, leader)) continue;
      const queue = this.queues[partition] as ProducerBatch[];
      const batch = queue[0];
      let batches = requests.get(leader);
      // A request takes batches up to max.request.size, and at least one.
      if (batches !== undefined && estimatedBytes(batches) + batch.estimatedBytes > this.config['max.request.size']) continue;
      if (batches === undefined) requests.set(leader, (batches = []));
      queue.shift();
      this.queued--;
      batch.sealed = true;
      batches.push(batch);
    }
    this.drainIndex = (this.drainIndex + 1) % n;
    return requests;
  }

  /** The leader the partition's head batch would go to, or -1 when it has none or may not send now (shouldStopDrainBatchesForPartition). */
  private drainableLeader(partition: number): number {
    const queue = this.queues[partition];
    if (queue === undefined || queue.length === 0 || this.muted.has(partition)) return -1;
    // A batch waiting out retry.backoff.ms holds its partition back: Kafka keeps it at the head
    // of the partition's deque, and drain passes over a partition whose head is backing off.
    if ((this.retrying.get(partition) ?? 0) > 0) return -1;
    if (this.deps.holdsBack(queue[0])) return -1;
    return this.deps.leaderOf(partition);
  }
}

/** Whether `broker` is among the first `count` entries of `list`. */
function holds(list: readonly number[], count: number, broker: number): boolean {
  for (let i = 0; i < count; i++) if (list[i] === broker) return true;
  return false;
}

/** The bytes a drained request's batches take (each batch's estimate). */
function estimatedBytes(batches: readonly ProducerBatch[]): number {
  let bytes = 0;
  for (let i = 0; i < batches.length; i++) bytes += batches[i].estimatedBytes;
  return bytes;
}
