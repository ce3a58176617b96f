import type { HostContext, Process, RpcResult } from '../../network/nodeHost.js';
import { ClusterConnectionStates } from '../clusterConnectionStates.js';
import { withConnectionStates, type BackedOffContext } from '../networkClient.js';
import type { History } from '../../sim/history.js';
import type { SendRef } from '../../sim/sendLog.js';
import { addDuration, micros, millis, toMillis, MICROS_PER_SECOND } from '../../sim/time.js';
import type { RecordInput } from '../../log/recordBatch.js';
import { partitionForKey, StickyPartitioner, RoundRobinPartitioner } from '../../log/partitioner.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { MetadataMaxAge } from '../metadataMaxAge.js';
import { ZipfSampler } from '../../sim/zipf.js';
import { brokerNode, message, type KafkaMessage, type PartitionMetadata } from '../protocol.js';
import { RecordAccumulator } from './recordAccumulator.js';
import { Sender } from './sender.js';
import type { ProducerBatch } from './producerBatch.js';
import { TransactionManager } from './transactionManager.js';
import type { ProducerSettings } from '../config/clientSettings.js';

/**
 * Producer settings, by Kafka's names (src/nodes/config/clientSettings.ts), resolved as
 * KafkaProducer resolves them at construction: enable.idempotence on or off, and
 * delivery.timeout.ms set (the scenario schema's transform does both).
 */
export type ProducerConfig = Omit<ProducerSettings, 'enable.idempotence' | 'delivery.timeout.ms'> & {
  readonly 'enable.idempotence': boolean;
  readonly 'delivery.timeout.ms': number;
};

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

/**
 * A producer client (Kafka's KafkaProducer), driven by a workload. Records are batched per
 * partition until `batch.size` or `linger.ms` (the RecordAccumulator, recordAccumulator.ts);
 * batches go to the partition's leader with `acks`, at most
 * `max.in.flight.requests.per.connection` per broker; retriable errors refresh metadata and
 * retry after `retry.backoff.ms` until `retries` or `delivery.timeout.ms` run out (the
 * Sender, sender.ts). With idempotence each batch carries a producer id, epoch and sequence,
 * so a retry the broker already has is not written twice (the TransactionManager,
 * transactionManager.ts). Every send is a history operation: invoked when the
 * application calls send(), then ok (with its offset), fail (definitely not written) or
 * info (unknown: some attempt timed out or lost its connection). This class is the
 * application's side: the workload, send() with its partitioner and its wait for metadata
 * (max.block.ms), the metadata itself, and close(); it wires the three together.
 */
export class Producer implements Process<KafkaMessage> {
  private partitions: readonly PartitionMetadata[] = [];
  private metadataInFlight = false;
  private blocked: BlockedSend[] = [];
  /** A timer is set for the first blocked send's max.block.ms (see expireBlocked). */
  private expiryScheduled = false;
  /** close() was called: how to exit once every record sent has its outcome. */
  private closing: (() => void) | undefined;
  /** Keys and values are immutable once encoded, so the workload reuses them. */
  private readonly keyBuffers: Buffer[] = [];
  private readonly valueBuffers: Buffer[] = [];
  private readonly scratch: ScratchRecord = { key: null, value: Buffer.alloc(0), headers: [{ key: 'id', value: Buffer.alloc(0) }], timestamp: 0 };
  /** The id header's bytes, `<clientId>#` then the sequence's digits, rewritten for every send. */
  private readonly idBytes: Buffer;
  private readonly idPrefixLength: number;
  /** Views of idBytes by length: the digits change, the views do not. */
  private readonly idViews: Buffer[] = [];
  private readonly partitionNames: string[] = [];
  private readonly sticky: StickyPartitioner;
  private readonly roundRobin = new RoundRobinPartitioner();
  private readonly zipf: ZipfSampler | undefined;
  private readonly metadataAge: MetadataMaxAge<KafkaMessage>;
  private readonly transactions: TransactionManager;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: Sender;
  /** Its NetworkClient's connection states, and its requests other than Produce under them. */
  private readonly connections: ClusterConnectionStates<KafkaMessage>;
  private readonly net: BackedOffContext<KafkaMessage>;

  constructor(
    private readonly ctx: HostContext<KafkaMessage>,
    private readonly durable: ProducerDurable,
  ) {
    this.sticky = new StickyPartitioner(ctx.rng.fork('partitioner'));
    const prefix = Buffer.from(`${durable.clientId}#`);
    this.idPrefixLength = prefix.length;
    this.idBytes = Buffer.alloc(prefix.length + 16);
    prefix.copy(this.idBytes);
    this.metadataAge = new MetadataMaxAge(ctx, durable.config['metadata.max.age.ms'], () => this.refreshMetadata());
    this.zipf = durable.workload.keyDistribution === 'zipf' && durable.workload.keys > 0 ? new ZipfSampler(durable.workload.keys) : undefined;
    this.connections = new ClusterConnectionStates(ctx, durable.config);
    this.net = withConnectionStates(ctx, this.connections);
    this.transactions = new TransactionManager({
      ctx: this.net,
      config: durable.config,
      partitionName: this.partitionNameOf,
      brokerOrRetry: (retry) => this.sender.brokerOrRetry(retry),
      noteConnection: (broker, r) => this.sender.noteConnection(broker, r),
      wakeup: this.wakeup,
    });
    this.accumulator = new RecordAccumulator({
      ctx,
      config: durable.config,
      leaderOf: (partition) => this.partitions[partition]?.leader ?? -1,
      holdsBack: (head) => this.transactions.holdsBack(head),
      onNewBatch: (partition) => this.onNewBatch(partition),
      wakeup: this.wakeup,
      expire: (batch) => this.sender.expireBatch(batch),
      // The Sender loops on after failing expired batches (an unresolved sequence may now resolve).
      afterExpiry: () => {
        this.sender.drain();
        this.exitIfDone();
      },
    });
    const { clientId, topic, brokers, history, metrics } = durable;
    const wiring = { accumulator: this.accumulator, transactions: this.transactions, partitionName: this.partitionNameOf, afterCompletion: this.afterCompletion };
    this.sender = new Sender({ ctx, connections: this.connections, config: durable.config, clientId, topic, brokers, history, metrics, ...wiring, requestMetadataUpdate: () => this.refreshMetadata() });
  }

  private get config(): ProducerConfig {
    return this.durable.config;
  }

  /** Wiring: batches may go (the Sender drains); records got their outcome; a partition's name. */
  private readonly wakeup = (): void => this.sender.drain();
  private readonly afterCompletion = (): void => this.exitIfDone();
  private readonly partitionNameOf = (partition: number): string => this.partitionName(partition);

  onStart(): void {
    this.refreshMetadata();
    this.metadataAge.start();
    if (this.config['enable.idempotence']) this.transactions.initProducerId();
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
    this.accumulator.close();
    this.sender.drain();
    this.exitIfDone();
  }

  private exitIfDone(): void {
    const exit = this.closing;
    if (exit === undefined || this.accumulator.size > 0 || this.sender.unfinished.size > 0 || this.blocked.length > 0) return;
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
    this.ctx.after(micros(Math.max(1, Math.round(MICROS_PER_SECOND / w.rate))), this.generateNext);
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
    record.timestamp = toMillis(this.ctx.now());
    const partition = this.choosePartition(key);
    if (partition === undefined) {
      // No metadata yet: Kafka's send() blocks (up to max.block.ms) until the topic is known.
      const deadline = addDuration(this.ctx.now(), millis(this.config['max.block.ms']));
      this.blocked.push({ ref: this.durable.history.invokeSend(this.durable.clientId, seq), record: { ...record, headers: [{ key: 'id', value: Buffer.from(record.headers[0].value) }] }, deadline });
      if (!this.expiryScheduled) {
        this.expiryScheduled = true;
        this.ctx.after(micros(deadline - this.ctx.now()), () => this.expireBlocked());
      }
      return;
    }
    this.accumulator.append(partition, this.durable.history.invokeSend(this.durable.clientId, seq, this.partitionName(partition)), record);
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
      else this.accumulator.append(partition, s.ref, s.record);
    }
  }

  private choosePartition(key: Buffer | null): number | undefined {
    const n = this.partitions.length;
    if (n === 0) return undefined;
    if (this.config.partitioner === 'round-robin') return this.roundRobin.partition(this.durable.topic, n);
    if (key !== null && this.config.partitioner === 'default') return partitionForKey(key, n);
    return this.sticky.partition(this.durable.topic, n);
  }

  /** KIP-480: the sticky partitioner moves on when a partition starts a new batch. */
  private onNewBatch(partition: number): void {
    if (this.config.partitioner !== 'round-robin') this.sticky.onNewBatch(this.durable.topic, partition, Math.max(1, this.partitions.length));
  }

  // ------------------------------------------------------------------ metadata

  /**
   * A broker connection broke (a crash, a refusal, or the broker closing it after an
   * acks=0 produce failed): Kafka's NetworkClient asks for a metadata update
   * (DefaultMetadataUpdater.handleServerDisconnect).
   */
  onDisconnect(peer: string): void {
    if (!peer.startsWith('broker-')) return;
    this.net.connectionLost(peer);
    this.refreshMetadata();
  }

  private refreshMetadata(): void {
    if (this.metadataInFlight) return;
    this.metadataInFlight = true;
    const broker = this.sender.brokerOrRetry(() => {
      this.metadataInFlight = false;
      this.refreshMetadata();
    });
    if (broker === undefined) return;
    this.net.request(brokerNode(broker), message('Metadata', { topics: [this.durable.topic] }), { timeout: millis(this.config['request.timeout.ms']) }, (r) => this.onMetadataResponse(broker, r));
  }

  private onMetadataResponse(broker: number, r: RpcResult<KafkaMessage>): void {
    this.sender.noteConnection(broker, r);
    this.metadataInFlight = false;
    if (r.ok && r.response.type === 'MetadataResponse') {
      const parts = r.response.partitions.filter((p) => p.topic === this.durable.topic);
      if (parts.length > 0) this.partitions = [...parts].sort((a, b) => a.partition - b.partition);
      this.metadataAge.refreshed();
      this.releaseBlocked();
    }
    const known = this.partitions.length > 0 && this.partitions.every((p) => p.leader >= 0);
    if (!known) this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.refreshMetadata());
    this.sender.drain();
  }

  private partitionName(partition: number): string {
    return (this.partitionNames[partition] ??= `${this.durable.topic}-${partition}`);
  }

  /**
   * For the harness's probe, read only: per partition, the batches in flight (sent and not
   * answered: Kafka's Sender inFlightBatches) and those waiting in the accumulator (new, or
   * back for a retry), and the sends blocked waiting for metadata (KafkaProducer.waitOnMetadata).
   */
  pendingBatches(): ProducerPending {
    const waiting = new Map<number, number>();
    const queued = new Set<ProducerBatch>();
    this.accumulator.queuedBatches().forEach((queue, partition) => {
      if (queue === undefined || queue.length === 0) return;
      waiting.set(partition, queue.length);
      for (const b of queue) queued.add(b);
    });
    const inFlight = new Map<number, number>();
    for (const b of this.sender.unfinished) if (!queued.has(b)) inFlight.set(b.partition, (inFlight.get(b.partition) ?? 0) + 1);
    const partitions = [...new Set([...waiting.keys(), ...inFlight.keys()])].sort((a, b) => a - b);
    return {
      partitions: partitions.map((p) => ({ partition: this.partitionName(p), inFlight: inFlight.get(p) ?? 0, waiting: waiting.get(p) ?? 0 })),
      blockedOnMetadata: this.blocked.length,
    };
  }
}

/** A producer's unfinished work, as its probe view reads it. */
export interface ProducerPending {
  readonly partitions: readonly { readonly partition: string; readonly inFlight: number; readonly waiting: number }[];
  /** Sends waiting for the partition's metadata before they reach the accumulator. */
  readonly blockedOnMetadata: number;
}
