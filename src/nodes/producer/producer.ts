import type { NodeContext, Process, RpcResult } from '../../network/nodeHost.js';
import type { History } from '../../sim/history.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { SendRef } from '../../sim/sendLog.js';
import { micros, millis } from '../../sim/time.js';
import { BATCH_HEADER_SIZE, Compression, type RecordInput } from '../../log/recordBatch.js';
import { BatchArena, type BatchBuilder, encodedSize, type ClosedBatch } from '../../log/batchBuilder.js';
import { partitionForKey, StickyPartitioner, RoundRobinPartitioner } from '../../log/partitioner.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';
import { ReconnectBackoff } from '../reconnectBackoff.js';
import { MetadataMaxAge } from '../metadataMaxAge.js';
import { ZipfSampler } from '../../sim/zipf.js';
import { brokerNode, message, produceOutcome, type KafkaMessage, type PartitionMetadata, type ProduceRequest } from '../protocol.js';

/** Producer settings, by Kafka's names. */
export interface ProducerConfig {
  readonly acks: '0' | '1' | 'all';
  readonly 'enable.idempotence': boolean;
  readonly retries: number;
  readonly 'delivery.timeout.ms': number;
  readonly 'request.timeout.ms': number;
  readonly 'retry.backoff.ms': number;
  readonly 'reconnect.backoff.ms': number;
  readonly 'reconnect.backoff.max.ms': number;
  readonly 'linger.ms': number;
  readonly 'batch.size': number;
  readonly 'max.in.flight.requests.per.connection': number;
  readonly 'max.request.size': number;
  readonly 'metadata.max.age.ms': number;
  readonly partitioner: 'default' | 'sticky' | 'round-robin';
  /**
   * What an idempotent producer does with UNKNOWN_PRODUCER_ID: `bump-epoch` as since KIP-360,
   * or `reset-sequence` as before it (Kafka 2.4 and older clients).
   */
  readonly 'sim.unknown.producer.id': 'bump-epoch' | 'reset-sequence';
  /** How long send() waits for the topic's metadata before it throws TimeoutException. */
  readonly 'max.block.ms': number;
  /** none or gzip (snappy, lz4 and zstd are refused at load). Default none, as Kafka's. */
  readonly 'compression.type'?: 'none' | 'gzip';
}

export interface Workload {
  /** Messages per second. */
  readonly rate: number;
  /** Distinct keys; 0 sends keyless records. */
  readonly keys: number;
  /** How keys are drawn: evenly, or by Zipf's law (exponent 1: key k0 hottest). Default uniform. */
  readonly keyDistribution?: 'uniform' | 'zipf';
  /** The share of sends that are tombstones (a null value: on a compacted topic, the key's deletion). Default 0. */
  readonly tombstones?: number;
  readonly valueBytes: number;
  /** Local-clock instants, in microseconds since the run began. */
  readonly start: number;
  readonly stop: number;
}

export interface ProducerDurable {
  readonly clientId: string;
  readonly topic: string;
  readonly brokers: readonly number[];
  readonly config: ProducerConfig;
  readonly workload: Workload;
  /** Client operations are recorded here, as a Jepsen history. */
  readonly history: History;
  /** The application's own counter of messages, kept across restarts so ids stay unique. */
  readonly sequence: { next: number };
  readonly metrics?: NodeMetrics;
}

/** A send that waits for metadata (Kafka's send() blocking in waitOnMetadata). */
interface BlockedSend {
  /** The send's row in the history. */
  readonly ref: SendRef;
  readonly record: RecordInput;
  /** Local microseconds at which send() gives up (max.block.ms). */
  readonly deadline: number;
}

/** The producer's reusable record: appending encodes it at once, so one object serves every send. */
interface ScratchRecord {
  key: Buffer | null;
  value: Buffer | null;
  readonly headers: [{ readonly key: 'id'; value: Uint8Array }];
  timestamp: number;
}

interface ProducerBatch {
  readonly partition: number;
  /** Its sends' rows in the history, in record order. */
  readonly refs: SendRef[];
  /** Filling: records are encoded into the partition's scratch buffer as they come. */
  builder: BatchBuilder | undefined;
  /** Once it takes no more records: the encoded records, stamped with a header when sent. */
  closed: ClosedBatch | undefined;
  /** Its size as the accumulator reckons it, to hold it to batch.size (see append). */
  estimatedBytes: number;
  createdMs: number;
  /** Local time it was started, for linger.ms. */
  createdAt: number;
  /** Set on first send; idempotent retries keep it, unless the epoch was bumped meanwhile. */
  baseSequence: number | undefined;
  /** The producer id and epoch its sequence belongs to. */
  sequenceProducerId: number;
  sequenceEpoch: number;
  /** Its sequence was started over at 0 in the same epoch (a client before KIP-360, TransactionManager.startSequencesAtBeginning). */
  sequenceReset?: boolean;
  attempts: number;
  /** Some attempt ended without knowing whether it was written. */
  uncertain: boolean;
  /** Drained once: it takes no more records (Kafka closes a batch when the sender drains it). */
  sealed: boolean;
  /** An attempt timed out, so a copy of it may still reach the broker later. */
  mayStillArrive?: boolean;
}

/** Errors a Kafka producer retries (RetriableException), and those that leave the outcome unknown. */
const RETRIABLE = new Set(['NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT', 'UNKNOWN_TOPIC_OR_PARTITION', 'timeout', 'disconnected', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID']);
const UNKNOWN_OUTCOME = new Set(['REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'timeout', 'disconnected']);

/**
 * A producer client (Kafka's KafkaProducer with its RecordAccumulator and Sender), driven
 * by a workload. Records are batched per partition until `batch.size` or `linger.ms`;
 * batches go to the partition's leader with `acks`, at most
 * `max.in.flight.requests.per.connection` per broker; retriable errors refresh metadata and
 * retry after `retry.backoff.ms` until `retries` or `delivery.timeout.ms` run out. With
 * idempotence each batch carries a producer id, epoch and sequence, so a retry the broker
 * already has is not written twice. Every send is a history operation: invoked when the
 * application calls send(), then ok (with its offset), fail (definitely not written) or
 * info (unknown: some attempt timed out or lost its connection).
 */
export class Producer implements Process<KafkaMessage> {
  private partitions: readonly PartitionMetadata[] = [];
  private producerId = -1;
  private producerEpoch = -1;
  private readonly nextSequence = new Map<number, number>();
  /** Unsent batches, a queue per partition (Kafka's RecordAccumulator deques); the last one takes new records. */
  private readonly queues: ProducerBatch[][] = [];
  private queued = 0;
  /** Where the next drain starts, so no partition always goes last (Kafka's drainIndex). */
  private drainIndex = 0;
  /** Keys and values are immutable once encoded, so the workload reuses them. */
  private readonly keyBuffers: Buffer[] = [];
  private readonly valueBuffers: Buffer[] = [];
  private blocked: BlockedSend[] = [];
  /** Per partition, where its batches are built (one batch fills at a time). */
  private readonly arenas: BatchArena[] = [];
  private readonly scratch: ScratchRecord = { key: null, value: Buffer.alloc(0), headers: [{ key: 'id', value: Buffer.alloc(0) }], timestamp: 0 };
  /** The id header's bytes, `<clientId>#` then the sequence's digits, rewritten for every send. */
  private readonly idBytes: Buffer;
  private readonly idPrefixLength: number;
  /** Views of idBytes by length: the digits change, the views do not. */
  private readonly idViews: Buffer[] = [];
  /** Batches of each partition waiting out their retry backoff. */
  private readonly retrying = new Map<number, number>();
  private readonly inFlight = new Map<number, number>();
  /**
   * With max.in.flight.requests.per.connection=1, partitions with a batch in flight: Kafka's
   * Sender then guarantees order by muting each partition it drains until that batch is
   * answered (guaranteeMessageOrder, RecordAccumulator.mutePartition), whichever broker it went
   * to, so no newer batch of it reaches a new leader while an older one is held at the old.
   */
  private readonly muted = new Set<number>();
  /** Batches sent at least once and not yet done (in flight, backing off, or queued for a retry). */
  private readonly outstanding = new Set<ProducerBatch>();
  /** When the accumulator next looks for batches past delivery.timeout.ms (local micros), and its timer. */
  private expiryAt = Number.POSITIVE_INFINITY;
  private expiryTimer: TimerHandle | undefined;
  /** close() was called: how to exit once every record sent has its outcome. */
  private closing: (() => void) | undefined;
  /** Partitions where a batch was given up with its fate unknown, in the current epoch. */
  private readonly unresolved = new Set<number>();
  /** The last sequence acknowledged per partition in the current epoch (Kafka's lastAckedSequence). */
  private readonly lastAckedSequence = new Map<number, number>();
  /** The last offset acknowledged per partition (Kafka's lastAckedOffset), for UNKNOWN_PRODUCER_ID before KIP-360. */
  private readonly lastAckedOffset = new Map<number, number>();
  private metadataInFlight = false;
  private readonly sticky: StickyPartitioner;
  private readonly roundRobin = new RoundRobinPartitioner();
  private readonly zipf: ZipfSampler | undefined;
  private readonly metadataAge: MetadataMaxAge<KafkaMessage>;
  private readonly reconnect: ReconnectBackoff;
  /** Brokers whose backoff ends with a drain already scheduled. */
  private readonly drainAfterBackoff = new Set<number>();

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly durable: ProducerDurable,
  ) {
    this.sticky = new StickyPartitioner(ctx.rng.fork('partitioner'));
    const prefix = Buffer.from(`${durable.clientId}#`);
    this.idPrefixLength = prefix.length;
    this.idBytes = Buffer.alloc(prefix.length + 16);
    prefix.copy(this.idBytes);
    this.metadataAge = new MetadataMaxAge(ctx, durable.config['metadata.max.age.ms'], () => this.refreshMetadata());
    this.zipf = durable.workload.keyDistribution === 'zipf' && durable.workload.keys > 0 ? new ZipfSampler(durable.workload.keys) : undefined;
    this.reconnect = new ReconnectBackoff(ctx.rng.fork('reconnect'), durable.config['reconnect.backoff.ms'], durable.config['reconnect.backoff.max.ms']);
  }

  private get config(): ProducerConfig {
    return this.durable.config;
  }

  onStart(): void {
    this.refreshMetadata();
    this.metadataAge.start();
    if (this.config['enable.idempotence']) this.initProducerId();
    const { start } = this.durable.workload;
    const now = this.ctx.now();
    this.ctx.after(micros(Math.max(0, start - now)), () => this.generate());
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * SIGTERM: the application stops sending and calls KafkaProducer.close(), which waits for
   * every record already sent (Sender.initiateClose): the accumulator is closed, so batches
   * go out without lingering, and retries and delivery.timeout.ms run their course.
   */
  onShutdown(exit: () => void): void {
    this.closing = exit;
    this.drain();
    this.exitIfDone();
  }

  private exitIfDone(): void {
    const exit = this.closing;
    if (exit === undefined || this.queued > 0 || this.outstanding.size > 0 || this.blocked.length > 0) return;
    this.closing = undefined;
    exit();
  }

  // ------------------------------------------------------------------ workload

  /** One closure for every tick of the workload, not one per message. */
  private readonly generateNext = (): void => this.generate();

  private generate(): void {
    const w = this.durable.workload;
    if (this.ctx.now() >= w.stop || this.closing !== undefined) return;
    this.send();
    this.ctx.after(micros(Math.max(1, Math.round(1_000_000 / w.rate))), this.generateNext);
  }

  /** The application's send(): one record, with a unique message id in a header. */
  private send(): void {
    const w = this.durable.workload;
    const seq = this.durable.sequence.next++;
    const key = w.keys > 0 ? this.keyBuffer(this.zipf === undefined ? this.ctx.rng.int(0, w.keys - 1) : this.zipf.sample(this.ctx.rng)) : null;
    const tombstone = key !== null && (w.tombstones ?? 0) > 0 && this.ctx.rng.chance(w.tombstones as number);
    const record = this.scratch;
    record.key = key;
    record.value = tombstone ? null : (this.valueBuffers[seq & 0xff] ??= Buffer.alloc(w.valueBytes, seq & 0xff));
    record.headers[0].value = this.messageId(seq);
    record.timestamp = Math.floor(this.ctx.now() / 1000);
    const partition = this.choosePartition(key);
    if (partition === undefined) {
      // No metadata yet: Kafka's send() blocks (up to max.block.ms) until the topic is known.
      const deadline = this.ctx.now() + this.config['max.block.ms'] * 1000;
      this.blocked.push({ ref: this.durable.history.invokeSend(this.durable.clientId, seq), record: { ...record, headers: [{ key: 'id', value: Buffer.from(record.headers[0].value) }] }, deadline });
      if (!this.expiryScheduled) {
        this.expiryScheduled = true;
        this.ctx.after(micros(deadline - this.ctx.now()), () => this.expireBlocked());
      }
      return;
    }
    this.append(partition, this.durable.history.invokeSend(this.durable.clientId, seq, this.partitionName(partition)), record);
  }

  /**
   * The bytes of message id `<clientId>#<seq>`, written in place: appending encodes them at
   * once, so one buffer serves every send and no id string is built.
   */
  private messageId(seq: number): Buffer {
    let digits = 1;
    for (let n = seq; n >= 10; n = Math.floor(n / 10)) digits++;
    const end = this.idPrefixLength + digits;
    let n = seq;
    for (let i = end - 1; i >= this.idPrefixLength; i--) {
      this.idBytes[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    return (this.idViews[end] ??= this.idBytes.subarray(0, end));
  }

  private keyBuffer(k: number): Buffer {
    return (this.keyBuffers[k] ??= Buffer.from(`k${k}`));
  }

  /**
   * send() gave up waiting for the topic's metadata (KafkaProducer.waitOnMetadata): after
   * max.block.ms it throws TimeoutException, and the record was never handed to the
   * accumulator, so it is definitely not written.
   */
  private expiryScheduled = false;

  private expireBlocked(): void {
    this.expiryScheduled = false;
    const now = this.ctx.now();
    const expired = this.blocked.filter((s) => s.deadline <= now);
    if (expired.length > 0) this.blocked = this.blocked.filter((s) => s.deadline > now);
    for (const s of expired) this.durable.history.completeSend(s.ref, 'fail', undefined, undefined, 'TimeoutException');
    this.exitIfDone();
    // Deadlines come in send order: the first blocked send is the next to expire.
    const next = this.blocked[0];
    if (next !== undefined) {
      this.expiryScheduled = true;
      this.ctx.after(micros(next.deadline - now), () => this.expireBlocked());
    }
  }

  /** Sends that waited for metadata go out once it arrives, or fail after max.block.ms. */
  private releaseBlocked(): void {
    if (this.blocked.length === 0 || this.partitions.length === 0) return;
    const waiting = this.blocked;
    this.blocked = [];
    for (const s of waiting) {
      const partition = this.choosePartition(s.record.key === null ? null : Buffer.from(s.record.key));
      if (partition === undefined) this.blocked.push(s);
      // The partition is known only now; the completion will carry it.
      else this.append(partition, s.ref, s.record);
    }
  }

  private choosePartition(key: Buffer | null): number | undefined {
    const n = this.partitions.length;
    if (n === 0) return undefined;
    if (this.config.partitioner === 'round-robin') return this.roundRobin.partition(this.durable.topic, n);
    if (key !== null && this.config.partitioner === 'default') return partitionForKey(key, n);
    return this.sticky.partition(this.durable.topic, n);
  }

  // ------------------------------------------------------------------ accumulator

  /**
   * Kafka's RecordAccumulator.append: a record joins the last unsent batch of its
   * partition while that batch has room, however long it has waited, so a backlog (a
   * leader away, requests in flight) builds full batches rather than many small ones.
   * linger.ms decides only when a batch may be sent.
   */
  private append(partition: number, ref: SendRef, record: RecordInput): void {
    const queue = (this.queues[partition] ??= []);
    // Like Kafka's MemoryRecordsBuilder.hasRoomFor, an estimate decides whether the batch has
    // room: a record's key and value plus a fixed allowance for its framing.
    const estimate = (record.value?.length ?? 0) + (record.key?.length ?? 0) + 40;
    const last = queue.at(-1);
    let batch: ProducerBatch;
    if (last !== undefined && last.builder !== undefined && last.estimatedBytes + estimate <= this.config['batch.size'] && last.builder.tryAppend(record)) batch = last;
    else {
      if (last !== undefined && last.builder !== undefined) this.close(last);
      batch = { partition, refs: [], builder: this.builderFor(partition, record), closed: undefined, estimatedBytes: BATCH_HEADER_SIZE, createdMs: this.nowMs(), createdAt: this.ctx.now(), baseSequence: undefined, sequenceProducerId: -1, sequenceEpoch: -1, attempts: 0, uncertain: false, sealed: false };
      queue.push(batch);
      this.queued++;
      this.expireAt(batch);
      // KIP-480: the sticky partitioner moves on when a partition starts a new batch.
      if (this.config.partitioner !== 'round-robin') this.sticky.onNewBatch(this.durable.topic, partition, Math.max(1, this.partitions.length));
      if (this.config['linger.ms'] > 0) this.ctx.after(millis(this.config['linger.ms']), () => this.drain());
      // A new batch takes its first record whatever its size: its scratch buffer is made to fit it.
      if (!(batch.builder as BatchBuilder).tryAppend(record)) throw new Error(`a record of ${encodedSize(record, 0, 0)} bytes does not fit an empty batch`);
    }
    batch.refs.push(ref);
    batch.estimatedBytes += estimate;
    if (this.config['linger.ms'] === 0 || queue.length > 1 || batch.estimatedBytes >= this.config['batch.size']) this.drain();
  }

  /** A builder for the partition's next batch: room for batch.size, or more for a record that needs it (Kafka gives it a batch of its own size). */
  private builderFor(partition: number, record: RecordInput): BatchBuilder {
    const capacity = Math.max(this.config['batch.size'], BATCH_HEADER_SIZE + encodedSize(record, 0, 0));
    return (this.arenas[partition] ??= new BatchArena()).builder(capacity);
  }

  /** The batch takes no more records. */
  private close(batch: ProducerBatch): ClosedBatch {
    if (batch.closed === undefined) {
      batch.closed = (batch.builder as BatchBuilder).close(this.config['compression.type'] === 'gzip' ? Compression.Gzip : Compression.None);
      batch.builder = undefined;
    }
    return batch.closed;
  }

  /** Kafka's ready check: a batch may go once it is full, followed by another, retried, or has lingered, or the accumulator is closed. */
  private isReady(batch: ProducerBatch, queue: readonly ProducerBatch[]): boolean {
    return batch.sealed || this.closing !== undefined || batch !== queue.at(-1) || batch.estimatedBytes >= this.config['batch.size'] || this.ctx.now() - batch.createdAt >= this.config['linger.ms'] * 1000;
  }

  /**
   * Puts a retried batch back: at the front of its partition's queue, or with idempotence
   * in sequence order (Kafka's RecordAccumulator.reenqueue and insertInSequenceOrder), so a
   * partition's batches reach the broker in order.
   */
  private reenqueue(batch: ProducerBatch): void {
    const queue = (this.queues[batch.partition] ??= []);
    this.queued++;
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
    const at = batch.createdAt + this.config['delivery.timeout.ms'] * 1000;
    if (at >= this.expiryAt) return;
    if (this.expiryTimer !== undefined) this.ctx.cancel(this.expiryTimer);
    this.expiryAt = at;
    this.expiryTimer = this.ctx.after(micros(Math.max(0, at - this.ctx.now())), () => this.expireBatches());
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
  private expireBatches(): void {
    this.expiryTimer = undefined;
    this.expiryAt = Number.POSITIVE_INFINITY;
    const deadline = this.ctx.now() - this.config['delivery.timeout.ms'] * 1000;
    for (const queue of this.queues) {
      while (queue !== undefined && queue.length > 0 && queue[0].createdAt <= deadline) {
        const batch = queue.shift() as ProducerBatch;
        this.queued--;
        this.giveUp(batch, 'TimeoutException');
      }
      if (queue !== undefined && queue.length > 0) this.expireAt(queue[0]);
    }
    this.exitIfDone();
  }

  // ------------------------------------------------------------------ sender

  /**
   * Sends what may go, as Kafka's Sender does. A broker is ready when the head batch of some
   * partition it leads is ready (full, followed by another, retried, or lingered) and it can
   * take a request (within max.in.flight.requests.per.connection, not in reconnect backoff).
   * Each round drains, for every ready broker, the head batch of each partition it leads,
   * ready or not, up to max.request.size, into one Produce request
   * (RecordAccumulator.ready, then drainBatchesForOneNode); rounds go on while anything is
   * ready. Nothing of a partition goes while one of its batches waits out a retry backoff
   * (Kafka keeps it at the head of the deque), nor, with
   * max.in.flight.requests.per.connection=1, while one is in flight (the partition is muted).
   * Each round starts one partition further on (Kafka's drainIndex), so none always goes last.
   */
  private drain(): void {
    while (this.queued > 0) {
      const requests = this.drainRound();
      if (requests === undefined) return;
      for (const [leader, batches] of requests) this.dispatch(batches, leader);
    }
  }

  /** Scratch lists of one drain round: brokers that can take a request, and brokers that cannot. */
  private readonly readyBrokers: number[] = [];
  private readonly unreadyBrokers: number[] = [];

  /**
   * One round of drain: the batches each ready broker's next request takes, by broker, in
   * the order first reached; undefined when no broker is ready. It runs on every send while
   * a backlog waits, so a round that finds nothing ready allocates nothing.
   */
  private drainRound(): Map<number, ProducerBatch[]> | undefined {
    const n = this.queues.length;
    const ready = this.readyBrokers;
    const unready = this.unreadyBrokers;
    ready.length = 0;
    unready.length = 0;
    for (let partition = 0; partition < n; partition++) {
      const leader = this.drainableLeader(partition);
      if (leader < 0 || ready.includes(leader) || unready.includes(leader)) continue;
      const queue = this.queues[partition] as ProducerBatch[];
      if (!this.isReady(queue[0], queue)) continue;
      // Reconnecting: one request probes the connection (Kafka sends nothing before it is up).
      const limit = this.reconnect.isReconnecting(brokerNode(leader)) ? 1 : this.config['max.in.flight.requests.per.connection'];
      if ((this.inFlight.get(leader) ?? 0) >= limit || this.inBackoff(leader)) unready.push(leader);
      else ready.push(leader);
    }
    if (ready.length === 0) return undefined;
    const requests = new Map<number, ProducerBatch[]>();
    const sizes = new Map<number, number>();
    for (let k = 0; k < n; k++) {
      const partition = (this.drainIndex + k) % n;
      const leader = this.drainableLeader(partition);
      if (leader < 0 || !ready.includes(leader)) continue;
      const queue = this.queues[partition] as ProducerBatch[];
      const batches = requests.get(leader) ?? [];
      // A request takes batches up to max.request.size, and at least one.
      const size = sizes.get(leader) ?? 0;
      const batch = queue[0];
      if (batches.length > 0 && size + batch.estimatedBytes > this.config['max.request.size']) continue;
      queue.shift();
      this.queued--;
      batch.sealed = true;
      batches.push(batch);
      requests.set(leader, batches);
      sizes.set(leader, size + batch.estimatedBytes);
    }
    this.drainIndex = (this.drainIndex + 1) % n;
    return requests;
  }

  /** The leader the partition's head batch would go to, or -1 when it has none or may not send now. */
  private drainableLeader(partition: number): number {
    const queue = this.queues[partition];
    if (queue === undefined || queue.length === 0 || this.muted.has(partition)) return -1;
    // A batch waiting out retry.backoff.ms holds its partition back: Kafka keeps it at the head
    // of the partition's deque, and drain passes over a partition whose head is backing off.
    if ((this.retrying.get(partition) ?? 0) > 0) return -1;
    if (this.config['enable.idempotence'] && (this.producerId < 0 || this.bumpingEpoch || this.unknownTo.has(partition))) return -1;
    return this.partitions[partition]?.leader ?? -1;
  }

  /** Sends `batches`, one per partition, to their leader in one Produce request. */
  private dispatch(batches: readonly ProducerBatch[], leader: number): void {
    const idempotent = this.config['enable.idempotence'];
    const partitions = batches.map((batch) => {
      batch.attempts++;
      this.outstanding.add(batch);
      if (idempotent && (batch.baseSequence === undefined || batch.sequenceEpoch !== this.producerEpoch || batch.sequenceProducerId !== this.producerId)) {
        // A first send, or a retry after an epoch bump (KIP-360): sequences of the new epoch start at 0.
        const next = this.nextSequence.get(batch.partition) ?? 0;
        batch.baseSequence = next;
        batch.sequenceProducerId = this.producerId;
        batch.sequenceEpoch = this.producerEpoch;
        this.nextSequence.set(batch.partition, next + batch.refs.length);
      }
      const records = this.close(batch).stamp(idempotent ? { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: batch.baseSequence } : {});
      return { partition: batch.partition, records };
    });
    const req = message<ProduceRequest>('Produce', { acks: this.config.acks, timeoutMs: this.config['request.timeout.ms'], topic: this.durable.topic, partitions });
    if (this.config.acks === '0') {
      // acks=0: the send is complete once it is on the wire; nothing will come back.
      this.ctx.send(brokerNode(leader), req);
      for (const batch of batches) for (const ref of batch.refs) this.durable.history.completeSend(ref, 'ok', this.partitionName(batch.partition), -1);
      return;
    }
    this.inFlight.set(leader, (this.inFlight.get(leader) ?? 0) + 1);
    const mutes = this.config['max.in.flight.requests.per.connection'] === 1;
    if (mutes) for (const batch of batches) this.muted.add(batch.partition);
    this.ctx.request(brokerNode(leader), req, { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.inFlight.set(leader, (this.inFlight.get(leader) ?? 1) - 1);
      this.noteConnection(leader, r);
      for (const batch of batches) {
        this.onResponse(batch, produceOutcome(r, batch.partition));
        if (mutes) this.muted.delete(batch.partition);
      }
      this.drain();
      this.maybeBumpEpoch();
      this.exitIfDone();
    });
  }

  private onResponse(batch: ProducerBatch, outcome: { readonly error?: string; readonly baseOffset: number; readonly logStartOffset?: number }): void {
    const error = outcome.error;
    if (error === undefined) {
      const base = outcome.baseOffset;
      const partition = this.partitionName(batch.partition);
      this.outstanding.delete(batch);
      if (batch.baseSequence !== undefined && batch.sequenceEpoch === this.producerEpoch) {
        const last = batch.baseSequence + batch.refs.length - 1;
        if (last > (this.lastAckedSequence.get(batch.partition) ?? -1)) this.lastAckedSequence.set(batch.partition, last);
      }
      const lastOffset = base + batch.refs.length - 1;
      if (base >= 0 && lastOffset > (this.lastAckedOffset.get(batch.partition) ?? -1)) this.lastAckedOffset.set(batch.partition, lastOffset);
      for (let i = 0; i < batch.refs.length; i++) this.durable.history.completeSend(batch.refs[i], 'ok', partition, base + i);
      return;
    }
    const code = error;
    if (UNKNOWN_OUTCOME.has(code)) batch.uncertain = true;
    if (code === 'timeout') batch.mayStillArrive = true;
    const idempotent = this.config['enable.idempotence'];
    let retriable = RETRIABLE.has(code);
    if (idempotent && this.config['sim.unknown.producer.id'] === 'reset-sequence') retriable = this.retriableBeforeKip360(batch, code, outcome.logStartOffset ?? -1);
    else {
      if (code === 'UNKNOWN_PRODUCER_ID' && idempotent) this.unknownTo.set(batch.partition, code);
      // KIP-360 (TransactionManager.canRetry): an idempotent producer told OUT_OF_ORDER_SEQUENCE_NUMBER
      // for the batch right after its last acknowledged one, with no earlier batch of unknown fate,
      // knows the broker lost sequences (an unclean election, a truncated log): it bumps its epoch
      // to start the partition's sequences over, rather than retrying into the gap forever.
      if (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && idempotent && this.isNextSequence(batch)) this.unknownTo.set(batch.partition, code);
    }
    const expired = this.nowMs() - batch.createdMs >= this.config['delivery.timeout.ms'];
    if (retriable && batch.attempts <= this.config.retries && !expired) {
      this.durable.metrics?.add(JMX.producer(this.durable.clientId), 'record-retry-total', batch.refs.length);
      this.refreshMetadata();
      this.retrying.set(batch.partition, (this.retrying.get(batch.partition) ?? 0) + 1);
      this.ctx.after(millis(this.config['retry.backoff.ms']), () => {
        this.retrying.set(batch.partition, (this.retrying.get(batch.partition) ?? 1) - 1);
        // Sender.completeBatch: a batch whose producer id was reset meanwhile is not sent again
        // under another id ("the producer id changed"); it fails. Only a client before KIP-360 resets its id.
        if (idempotent && batch.baseSequence !== undefined && batch.sequenceProducerId !== this.producerId && this.producerId >= 0) {
          this.giveUp(batch, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
          this.exitIfDone();
          return;
        }
        this.reenqueue(batch);
        this.drain();
        this.maybeBumpEpoch();
      });
      return;
    }
    this.giveUp(batch, code);
  }

  /** The batch fails for good: info if some attempt may have been written, fail if none was. */
  private giveUp(batch: ProducerBatch, code: string): void {
    this.outstanding.delete(batch);
    const type = batch.uncertain ? 'info' : 'fail';
    if (batch.uncertain && batch.sequenceEpoch === this.producerEpoch) this.unresolved.add(batch.partition);
    this.durable.metrics?.add(JMX.producer(this.durable.clientId), 'record-error-total', batch.refs.length);
    const partition = this.partitionName(batch.partition);
    for (const ref of batch.refs) this.durable.history.completeSend(ref, type, partition, undefined, code);
  }

  /**
   * Whether an idempotent producer from before KIP-360 (Kafka 2.x's TransactionManager
   * .canRetry) retries a batch the broker refused with `code`. UNKNOWN_PRODUCER_ID is taken
   * for retention having removed the producer's state when the log now starts past the last
   * offset it saw acknowledged: it starts the partition's sequences over at 0, in the same
   * epoch, and retries, never asking whether an earlier attempt of the batch was written (the
   * flaw KIP-360 names first). Otherwise that error, and an OUT_OF_ORDER_SEQUENCE_NUMBER for
   * the next sequence, fail the batch, and the producer takes a new producer id (Sender
   * .failBatch and TransactionManager.resetProducerId).
   */
  private retriableBeforeKip360(batch: ProducerBatch, code: string, logStartOffset: number): boolean {
    // A batch of a producer id since reset is not retried under another (TransactionManager.canRetry's hasProducerId).
    if ((code === 'UNKNOWN_PRODUCER_ID' || code === 'OUT_OF_ORDER_SEQUENCE_NUMBER') && batch.sequenceProducerId !== this.producerId) return false;
    if (code === 'UNKNOWN_PRODUCER_ID') {
      if (logStartOffset < 0 || batch.sequenceReset === true) return true;
      const lastAcked = this.lastAckedOffset.get(batch.partition) ?? -1;
      if (lastAcked < logStartOffset) {
        this.startSequencesAtBeginning(batch.partition);
        this.ctx.trace.emit('producer.sequence.reset', { node: this.ctx.id, partition: this.partitionName(batch.partition), producerId: this.producerId, producerEpoch: this.producerEpoch, logStartOffset, lastAckedOffset: lastAcked });
        return true;
      }
    } else if (code !== 'OUT_OF_ORDER_SEQUENCE_NUMBER' || batch.sequenceReset === true || !this.isNextSequence(batch)) {
      return RETRIABLE.has(code);
    }
    this.resetProducerId();
    return false;
  }

  /** TransactionManager.startSequencesAtBeginning: the partition's batches that have sequences get new ones from 0, in order. */
  private startSequencesAtBeginning(partition: number): void {
    const sequenced = [...this.outstanding].filter((b) => b.partition === partition && b.baseSequence !== undefined && b.sequenceProducerId === this.producerId && b.sequenceEpoch === this.producerEpoch);
    sequenced.sort((a, b) => (a.baseSequence as number) - (b.baseSequence as number));
    let next = 0;
    for (const b of sequenced) {
      b.baseSequence = next;
      b.sequenceReset = true;
      next += b.refs.length;
    }
    this.nextSequence.set(partition, next);
    this.lastAckedSequence.delete(partition);
  }

  /** TransactionManager.resetProducerId: forget the id and every sequence, and ask for a new id. */
  private resetProducerId(): void {
    if (this.producerId < 0) return;
    this.producerId = -1;
    this.producerEpoch = -1;
    this.nextSequence.clear();
    this.lastAckedSequence.clear();
    this.lastAckedOffset.clear();
    this.unresolved.clear();
    this.initProducerId();
  }

  /**
   * The leader is in reconnect backoff (NetworkClient.ready is false): its batches wait in
   * the accumulator, and a drain is due when the backoff ends.
   */
  private inBackoff(broker: number): boolean {
    const now = this.ctx.now();
    const until = this.reconnect.blackedOutUntil(brokerNode(broker), now);
    if (until === undefined) return false;
    if (!this.drainAfterBackoff.has(broker)) {
      this.drainAfterBackoff.add(broker);
      this.ctx.after(micros(until - now), () => {
        this.drainAfterBackoff.delete(broker);
        this.drain();
      });
    }
    return true;
  }

  /**
   * A broker for a request any broker can answer, among those not in reconnect backoff (as
   * Kafka's leastLoadedNode picks); when every one is, none: the request waits for the
   * first backoff to end (`until`, local microseconds).
   */
  private readyBroker(): { readonly broker: number } | { readonly until: number } {
    const now = this.ctx.now();
    const ready: number[] = [];
    let until = Number.POSITIVE_INFINITY;
    for (const b of this.durable.brokers) {
      const end = this.reconnect.blackedOutUntil(brokerNode(b), now);
      if (end === undefined) ready.push(b);
      else until = Math.min(until, end);
    }
    return ready.length > 0 ? { broker: this.ctx.rng.pick(ready) } : { until };
  }

  /** A broker to ask (see readyBroker), or none, with `retry` arranged for when the first comes out of its backoff. */
  private brokerOrRetry(retry: () => void): number | undefined {
    const next = this.readyBroker();
    if ('broker' in next) return next.broker;
    this.ctx.after(micros(Math.max(0, next.until - this.ctx.now())), retry);
    return undefined;
  }

  /** What an answer (or its absence) says of the connection to `broker`. */
  private noteConnection(broker: number, r: RpcResult<KafkaMessage>): void {
    if (r.ok) this.reconnect.onSuccess(brokerNode(broker));
    else if (r.error === 'disconnected') this.reconnect.onFailure(brokerNode(broker), this.ctx.now());
  }

  // ------------------------------------------------------------------ metadata

  /**
   * A broker connection broke (a crash, a refusal, or the broker closing it after an
   * acks=0 produce failed): Kafka's NetworkClient asks for a metadata update
   * (DefaultMetadataUpdater.handleServerDisconnect).
   */
  onDisconnect(peer: string): void {
    if (!peer.startsWith('broker-')) return;
    // Any broken connection puts the broker in reconnect backoff, acks=0 sends included.
    this.reconnect.onFailure(peer, this.ctx.now());
    this.refreshMetadata();
  }

  private refreshMetadata(): void {
    if (this.metadataInFlight) return;
    this.metadataInFlight = true;
    const broker = this.brokerOrRetry(() => {
      this.metadataInFlight = false;
      this.refreshMetadata();
    });
    if (broker === undefined) return;
    this.ctx.request(brokerNode(broker), message('Metadata', { topics: [this.durable.topic] }), { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.noteConnection(broker, r);
      this.metadataInFlight = false;
      if (r.ok && r.response.type === 'MetadataResponse') {
        const parts = r.response.partitions.filter((p) => p.topic === this.durable.topic);
        if (parts.length > 0) this.partitions = [...parts].sort((a, b) => a.partition - b.partition);
        this.metadataAge.refreshed();
        this.releaseBlocked();
      }
      const known = this.partitions.length > 0 && this.partitions.every((p) => p.leader >= 0);
      if (!known) this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.refreshMetadata());
      this.drain();
    });
  }

  /** An epoch bump (KIP-360) is in flight: nothing is sent until it is done. */
  private bumpingEpoch = false;
  /** Partitions whose leader lost this producer's sequences, with the error that said so: they wait for the epoch bump. */
  private readonly unknownTo = new Map<number, string>();

  /**
   * The broker no longer knows this producer (its state went with the log that held it:
   * retention, or a power loss before anything was flushed). As KIP-360's clients do, ask
   * for the next epoch of the same producer id; every partition's sequence starts again at
   * 0, and batches not yet written are re-sequenced when they are sent again. Like Kafka's
   * TransactionManager, it bumps only once no request is in flight and no batch of whose
   * fate it is unsure waits elsewhere: those are resolved under the old epoch first (the
   * broker recognises a retried batch it has), else a retry under the new epoch could write
   * them twice.
   */
  private maybeBumpEpoch(): void {
    if (this.unknownTo.size === 0 || this.bumpingEpoch || this.producerId < 0) return;
    for (const n of this.inFlight.values()) if (n > 0) return;
    for (const [partition, n] of this.retrying) if (n > 0 && !this.unknownTo.has(partition)) return;
    for (let p = 0; p < this.queues.length; p++) {
      if (this.unknownTo.has(p)) continue;
      if ((this.queues[p] ?? []).some((b) => b.uncertain && b.sequenceEpoch === this.producerEpoch)) return;
    }
    this.bumpingEpoch = true;
    const broker = this.brokerOrRetry(() => {
      this.bumpingEpoch = false;
      this.maybeBumpEpoch();
    });
    if (broker === undefined) return;
    const req = message('InitProducerId', { producerId: this.producerId, producerEpoch: this.producerEpoch });
    this.ctx.request(brokerNode(broker), req, { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.noteConnection(broker, r);
      if (r.ok && r.response.type === 'InitProducerIdResponse') {
        this.producerId = r.response.producerId;
        this.producerEpoch = r.response.producerEpoch;
        const partitions = [...this.unknownTo].map(([p, error]) => `${this.partitionName(p)}:${error}`);
        this.ctx.trace.emit('producer.epoch', { node: this.ctx.id, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions });
        this.nextSequence.clear();
        this.unknownTo.clear();
        this.unresolved.clear();
        this.lastAckedSequence.clear();
        this.bumpingEpoch = false;
        this.drain();
        return;
      }
      this.bumpingEpoch = false;
      this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.maybeBumpEpoch());
    });
  }

  /**
   * The batch is the partition's next sequence: no outstanding batch of the same epoch has a
   * lower one, and no batch of the partition was given up with its fate unknown in this epoch
   * (Kafka's hasUnresolvedSequence). Later batches still being retried cannot be in the log
   * without this one, so a gap here is real.
   */
  private isNextSequence(batch: ProducerBatch): boolean {
    if (this.unresolved.has(batch.partition) || batch.sequenceEpoch !== this.producerEpoch) return false;
    if (batch.baseSequence !== (this.lastAckedSequence.get(batch.partition) ?? -1) + 1) return false;
    // An attempt that timed out may still be on its way to the broker and land after the
    // bump, out of order; a broken connection took its requests with it.
    for (const other of this.outstanding) if (other.partition === batch.partition && other.mayStillArrive) return false;
    return true;
  }

  private initProducerId(): void {
    const broker = this.brokerOrRetry(() => this.initProducerId());
    if (broker === undefined) return;
    this.ctx.request(brokerNode(broker), message('InitProducerId', {}), { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.noteConnection(broker, r);
      if (r.ok && r.response.type === 'InitProducerIdResponse') {
        this.producerId = r.response.producerId;
        this.producerEpoch = r.response.producerEpoch;
        this.drain();
      } else this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.initProducerId());
    });
  }

  private readonly partitionNames: string[] = [];

  private partitionName(partition: number): string {
    return (this.partitionNames[partition] ??= `${this.durable.topic}-${partition}`);
  }

  private nowMs(): number {
    return Math.floor(this.ctx.now() / 1000);
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /**
     * An idempotent producer bumped its epoch (KIP-360) because these partitions (each
     * "partition:error") no longer had its sequences; they start again at 0.
     */
    'producer.epoch': { readonly node: string; readonly producerId: number; readonly producerEpoch: number; readonly partitions: readonly string[] };
    /**
     * An idempotent producer before KIP-360 took UNKNOWN_PRODUCER_ID, with the log starting
     * past its last acknowledged offset, for state lost to retention: it restarted the
     * partition's sequences at 0 in the same epoch.
     */
    'producer.sequence.reset': { readonly node: string; readonly partition: string; readonly producerId: number; readonly producerEpoch: number; readonly logStartOffset: number; readonly lastAckedOffset: number };
  }
}

declareTraceKind('producer.epoch', ['node', 'producerId', 'producerEpoch', 'partitions']);
declareTraceKind('producer.sequence.reset', ['node', 'partition', 'producerId', 'producerEpoch', 'logStartOffset', 'lastAckedOffset']);
