import type { NodeContext, RpcError, RpcResult } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { BatchOptions } from '../../log/recordBatch.js';
import { brokerNode, message, type KafkaMessage } from '../protocol.js';
import type { ProducerConfig } from './producer.js';
import { RETRIABLE, type ProducerBatch } from './producerBatch.js';
import type { ClientException, KafkaErrorCode } from '../errors.js';
import { adjustSequencesDueToFailedBatch, NO_LAST_ACKED, TxnPartitionEntry } from './txnPartitionEntry.js';

/** What the TransactionManager needs of the producer it serves. */
export interface TransactionManagerDeps {
  readonly ctx: Pick<NodeContext<KafkaMessage>, 'id' | 'trace' | 'after' | 'request'>;
  readonly config: ProducerConfig;
  partitionName(partition: number): string;
  /** A broker to ask, or none, with `retry` arranged (Sender.brokerOrRetry). */
  brokerOrRetry(retry: () => void): number | undefined;
  /** What an answer (or its absence) says of the connection to `broker` (the Sender's). */
  noteConnection(broker: number, r: RpcResult<KafkaMessage>): void;
  /** Batches may go now: the Sender drains. */
  wakeup(): void;
}

/** Why a partition asked for an epoch bump: the broker's error, or a sequence left unresolved by an expired batch. */
type BumpReason = KafkaErrorCode | RpcError | ClientException | 'unresolved';

/** The largest epoch (Short.MAX_VALUE): past it, an idempotent producer takes a new producer id. */
const MAX_EPOCH = 32767;
/** A batch's header options without idempotence: no producer id, epoch or sequence. One object for every batch; nothing writes to it. */
const NO_SEQUENCE: BatchOptions = Object.freeze({});

/**
 * The idempotence part of Kafka's TransactionManager: the producer id and epoch
 * (InitProducerId), a TxnPartitionEntry per partition (its own id and epoch, next sequence,
 * what the brokers acknowledged, its batches in flight), the local epoch bump of KIP-360
 * when a broker lost this producer's sequences, and, for a client before KIP-360, starting a
 * partition's sequences over or taking a new producer id.
 */
export class TransactionManager {
  private producerId = -1;
  private producerEpoch = -1;
  /** An InitProducerId request is on its way (State.INITIALIZING). */
  private initializing = false;
  /** Kafka's TxnPartitionMap. */
  private readonly partitions = new Map<number, TxnPartitionEntry>();
  /**
   * Partitions where a batch was given up with its fate unknown (partitionsWithUnresolvedSequences),
   * with the sequence after it; before KIP-360, any batch given up uncertain in the current epoch.
   */
  private readonly unresolved = new Map<number, number>();
  /** KIP-360: the next Sender loop bumps the epoch (epochBumpRequired) ... */
  private epochBumpRequired = false;
  /** ... and starts these partitions' sequences over in it, each with why it asked (partitionsToRewriteSequences). */
  private readonly partitionsToRewriteSequences = new Map<number, BumpReason>();

  constructor(private readonly deps: TransactionManagerDeps) {}

  private get ctx(): TransactionManagerDeps['ctx'] {
    return this.deps.ctx;
  }

  private get config(): ProducerConfig {
    return this.deps.config;
  }

  /** A client since KIP-360 (Kafka 2.5): it bumps its epoch itself when a broker lost its sequences. */
  private get bumpsEpoch(): boolean {
    return this.config['sim.unknown.producer.id'] !== 'reset-sequence';
  }

  private entry(partition: number): TxnPartitionEntry {
    let entry = this.partitions.get(partition);
    if (entry === undefined) {
      entry = new TxnPartitionEntry();
      this.partitions.set(partition, entry);
    }
    return entry;
  }

  /** The producer id and epoch (TransactionManager.producerIdAndEpoch). */
  producerIdAndEpoch(): { readonly producerId: number; readonly epoch: number } {
    return { producerId: this.producerId, epoch: this.producerEpoch };
  }

  /** The partition's state (TxnPartitionMap.getOrCreate), for reading. */
  partitionState(partition: number): Readonly<Pick<TxnPartitionEntry, 'producerId' | 'producerEpoch' | 'nextSequence' | 'lastAckedSequence' | 'lastAckedOffset'>> & { readonly firstInFlightSequence: number | undefined; readonly unresolved: boolean } {
    const entry = this.entry(partition);
    const { producerId, producerEpoch, nextSequence, lastAckedSequence, lastAckedOffset } = entry;
    return { producerId, producerEpoch, nextSequence, lastAckedSequence, lastAckedOffset, firstInFlightSequence: entry.nextBatchBySequence()?.baseSequence, unresolved: this.unresolved.has(partition) };
  }

  initProducerId(): void {
    this.initializing = true;
    const broker = this.deps.brokerOrRetry(() => this.initProducerId());
    if (broker === undefined) return;
    this.ctx.request(brokerNode(broker), message('InitProducerId', {}), { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.deps.noteConnection(broker, r);
      if (r.ok && r.response.type === 'InitProducerIdResponse') {
        this.initializing = false;
        this.producerId = r.response.producerId;
        this.producerEpoch = r.response.producerEpoch;
        this.deps.wakeup();
      } else this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.initProducerId());
    });
  }

  /**
   * RecordAccumulator.shouldStopDrainBatchesForPartition: with idempotence, nothing of the
   * partition goes before the producer id is known. A new batch (no sequence yet) waits while
   * the partition has batches in flight of a stale producer id or epoch (an epoch bump came
   * while they were out: "a batch with a new epoch and sequence number 0 could be written
   * before earlier batches complete"), or while a sequence is unresolved. And a retried batch
   * (one that has a sequence already) goes only when it is the first sequence in flight of its
   * partition: "we wait until the next immediate batch is ready and drain that ... This
   * effectively reduces our in flight request count to 1". Without it, a retry of a later
   * batch overtakes an earlier one still on its way, and the leader refuses it as out of sequence.
   */
  holdsBack(head: ProducerBatch): boolean {
    if (!this.config['enable.idempotence']) return false;
    if (this.producerId < 0) return true;
    const entry = this.entry(head.partition);
    if (head.baseSequence === undefined) return this.unresolved.has(head.partition) || (this.bumpsEpoch && entry.hasInflightBatches() && this.hasStaleProducerIdAndEpoch(entry));
    // Before KIP-360, a batch of a producer id since reset takes a new sequence when it goes.
    if (!this.bumpsEpoch && !this.hasCurrentSequence(head)) return false;
    const first = entry.nextBatchBySequence();
    return first !== undefined && head.baseSequence !== first.baseSequence;
  }

  /** The batch's sequence is of the current producer id and epoch. */
  private hasCurrentSequence(batch: ProducerBatch): boolean {
    return batch.baseSequence !== undefined && batch.sequenceProducerId === this.producerId && batch.sequenceEpoch === this.producerEpoch;
  }

  /** TransactionManager.hasStaleProducerIdAndEpoch: the partition still uses an earlier producer id or epoch. */
  private hasStaleProducerIdAndEpoch(entry: TxnPartitionEntry): boolean {
    return entry.producerId !== this.producerId || entry.producerEpoch !== this.producerEpoch;
  }

  /**
   * The batch's producer id, epoch and sequence for its next attempt (none without
   * idempotence). As RecordAccumulator.drainBatchesForOneNode: a batch without a sequence
   * takes the producer's id and epoch and the partition's next sequence, once the partition
   * has caught up with the producer's epoch (maybeUpdateProducerIdAndEpoch), and is in flight
   * from then on; a batch with one keeps it ("the previous attempt may actually have been
   * accepted, and if we change the producer id and sequence here, this attempt will also be
   * accepted, causing a duplicate"), unless an epoch bump rewrote it. Before KIP-360, a batch of
   * a producer id since reset takes a new sequence.
   */
  sequence(batch: ProducerBatch): BatchOptions {
    if (!this.config['enable.idempotence']) return NO_SEQUENCE;
    if (batch.baseSequence === undefined || (!this.bumpsEpoch && !this.hasCurrentSequence(batch))) {
      const entry = this.entry(batch.partition);
      this.maybeUpdateProducerIdAndEpoch(entry);
      batch.baseSequence = entry.nextSequence;
      batch.sequenceProducerId = this.producerId;
      batch.sequenceEpoch = this.producerEpoch;
      entry.nextSequence += batch.refs.length;
      entry.addInflightBatch(batch);
    }
    return { producerId: batch.sequenceProducerId, producerEpoch: batch.sequenceEpoch, baseSequence: batch.baseSequence };
  }

  /**
   * TransactionManager.maybeUpdateProducerIdAndEpoch: a partition of a stale id or epoch whose
   * batches in flight have all completed starts its sequences at 0 in the producer's current epoch.
   */
  private maybeUpdateProducerIdAndEpoch(entry: TxnPartitionEntry): void {
    if (!this.hasStaleProducerIdAndEpoch(entry) || entry.hasInflightBatches()) return;
    if (this.keepsIdleSequences && this.bumpsEpoch && entry.producerId === this.producerId) {
      // Before KAFKA-12152 the partition had no epoch of its own: after an epoch bump it takes the producer's and keeps its sequence.
      entry.producerId = this.producerId;
      entry.producerEpoch = this.producerEpoch;
      return;
    }
    entry.startSequencesAtBeginning(this.producerId, this.producerEpoch);
  }

  /** A client before KAFKA-12152 (2.5 to 2.7.0): see sim.idle.partition.sequences. */
  private get keepsIdleSequences(): boolean {
    return this.config['sim.idle.partition.sequences'] === 'kept';
  }

  /** TransactionManager.handleCompletedBatch: the batch was written at `baseOffset`. */
  onAcked(batch: ProducerBatch, baseOffset: number): void {
    const known = this.partitions.get(batch.partition);
    if (batch.baseSequence !== undefined) known?.maybeUpdateLastAckedSequence(batch.baseSequence + batch.refs.length - 1);
    // TxnPartitionMap.updateLastAckedOffset makes the entry if the partition's was reset meanwhile.
    const entry = this.entry(batch.partition);
    const lastOffset = baseOffset + batch.refs.length - 1;
    if (baseOffset >= 0 && lastOffset > entry.lastAckedOffset) entry.lastAckedOffset = lastOffset;
    entry.removeInFlightBatch(batch);
    // Before KAFKA-12152, handleCompletedBatch: the last batch in flight of an earlier epoch, acknowledged, starts the partition over.
    const earlier = batch.sequenceProducerId !== this.producerId || batch.sequenceEpoch !== this.producerEpoch;
    if (this.keepsIdleSequences && this.bumpsEpoch && earlier && !entry.hasInflightBatches()) entry.startSequencesAtBeginning(this.producerId, this.producerEpoch);
  }

  /**
   * TransactionManager.handleFailedBatch: the batch was given up with `code`. Since KIP-360 an
   * idempotent producer bumps its epoch for the partition after OUT_OF_ORDER_SEQUENCE_NUMBER
   * ("we have a gap in the log"), or after any other failure while retries remained
   * (`adjustSequenceNumbers`, Sender.failBatch: the delivery timeout); after
   * UNKNOWN_PRODUCER_ID it forgets the partition's sequences (resetSequenceForPartition).
   * Before KIP-360, see handleFailedBatchBeforeKip360.
   */
  handleFailedBatch(batch: ProducerBatch, code: KafkaErrorCode | RpcError | ClientException, adjustSequenceNumbers: boolean): void {
    if (!this.bumpsEpoch) return this.handleFailedBatchBeforeKip360(batch, adjustSequenceNumbers);
    this.partitions.get(batch.partition)?.removeInFlightBatch(batch);
    if (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER') this.requestEpochBumpForPartition(batch.partition, code);
    else if (code === 'UNKNOWN_PRODUCER_ID') {
      this.partitions.delete(batch.partition);
      this.unresolved.delete(batch.partition);
    } else if (adjustSequenceNumbers) this.requestEpochBumpForPartition(batch.partition, code);
  }

  /**
   * Kafka 2.4's TransactionManager.handleFailedBatch: a batch of a producer id since reset (an
   * OUT_OF_ORDER_SEQUENCE_NUMBER reset it: retriableBeforeKip360) is ignored; otherwise it
   * leaves the partition's batches in flight, and if it failed with retries left its
   * sequences are closed up (adjustSequencesDueToFailedBatch). A batch whose fate is unknown
   * marks nothing here: only an expired batch that was retried does (markSequenceUnresolved).
   */
  private handleFailedBatchBeforeKip360(batch: ProducerBatch, adjustSequenceNumbers: boolean): void {
    if (batch.sequenceProducerId !== this.producerId || batch.sequenceEpoch !== this.producerEpoch) return;
    const entry = this.partitions.get(batch.partition);
    if (entry === undefined) return;
    entry.removeInFlightBatch(batch);
    if (adjustSequenceNumbers) adjustSequencesDueToFailedBatch(entry, batch);
  }

  /**
   * TransactionManager.markSequenceUnresolved: a batch sent before expired in the accumulator
   * or in flight (Sender.sendProducerData, expiredBatch.inRetry()): until the partition's
   * batches in flight are resolved, nothing new of it goes. Kafka 2.4 did the same, with a set
   * of partitions (the next sequence kept here is read only since KIP-360).
   */
  markSequenceUnresolved(batch: ProducerBatch): void {
    if (batch.baseSequence === undefined) return;
    const next = batch.baseSequence + batch.refs.length;
    this.unresolved.set(batch.partition, Math.max(this.unresolved.get(batch.partition) ?? 0, next));
  }

  /** The batch has a sequence of a producer id since reset (only a client before KIP-360 resets its id). */
  producerIdChanged(batch: ProducerBatch): boolean {
    return !this.bumpsEpoch && batch.baseSequence !== undefined && batch.sequenceProducerId !== this.producerId && this.producerId >= 0;
  }

  /**
   * TransactionManager.canRetry, for an idempotent producer whose batch the broker refused with
   * `code`. Since KIP-360: UNKNOWN_PRODUCER_ID is retried, and unless the answer lacks the log
   * start offset or the batch's sequence was already started over, the partition asks for an
   * epoch bump; OUT_OF_ORDER_SEQUENCE_NUMBER is retried, and for the partition's next sequence
   * (no batch before it unresolved, or the one right after an unresolved one) the broker lost
   * sequences (an unclean election, a truncated log): the partition asks for an epoch bump to
   * start its sequences over, rather than retrying into the gap for ever.
   */
  canRetry(batch: ProducerBatch, code: KafkaErrorCode | RpcError, logStartOffset: number): boolean {
    if (!this.bumpsEpoch) return this.retriableBeforeKip360(batch, code, logStartOffset);
    const partition = batch.partition;
    if (code === 'UNKNOWN_PRODUCER_ID') {
      if (logStartOffset >= 0 && batch.sequenceReset !== true) this.requestEpochBumpForPartition(partition, code);
      return true;
    }
    if (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
      const unresolvedNext = this.unresolved.get(partition);
      if (unresolvedNext === undefined && (batch.sequenceReset === true || !this.isNextSequence(partition, batch.baseSequence ?? -1))) return true;
      if (unresolvedNext === undefined || batch.baseSequence === unresolvedNext) this.requestEpochBumpForPartition(partition, code);
      return true;
    }
    return RETRIABLE.has(code);
  }

  /** TransactionManager.isNextSequence: `sequence` follows the partition's last acknowledged one. */
  private isNextSequence(partition: number, sequence: number): boolean {
    return sequence - (this.partitions.get(partition)?.lastAckedSequence ?? NO_LAST_ACKED) === 1;
  }

  /** TransactionManager.requestEpochBumpForPartition. */
  private requestEpochBumpForPartition(partition: number, reason: BumpReason): void {
    this.epochBumpRequired = true;
    if (!this.partitionsToRewriteSequences.has(partition)) this.partitionsToRewriteSequences.set(partition, reason);
  }

  /**
   * What Kafka's Sender.runOnce does before it drains, for an idempotent producer since
   * KIP-360: maybeResolveSequences, then bumpIdempotentEpochAndResetIdIfNeeded.
   */
  beforeDrain(): void {
    if (!this.config['enable.idempotence']) return;
    if (!this.bumpsEpoch) return this.resetProducerIdIfNeeded();
    this.maybeResolveSequences();
    if (this.epochBumpRequired) this.bumpIdempotentProducerEpoch();
    if (this.producerId < 0 && !this.initializing) this.initProducerId();
  }

  /**
   * TransactionManager.maybeResolveSequences: a partition with an unresolved sequence and
   * nothing in flight any more is resolved if what was acknowledged reaches its next sequence
   * (an expired batch's successors were written), and otherwise asks for an epoch bump.
   */
  private maybeResolveSequences(): void {
    for (const partition of [...this.unresolved.keys()]) {
      const entry = this.entry(partition);
      if (entry.hasInflightBatches()) continue;
      if (!this.isNextSequence(partition, entry.nextSequence)) this.requestEpochBumpForPartition(partition, 'unresolved');
      this.unresolved.delete(partition);
    }
  }

  /**
   * Kafka 2.4's Sender.runOnce -> TransactionManager.resetProducerIdIfNeeded
   * (shouldResetProducerStateAfterResolvingSequences): an unresolved partition with nothing in
   * flight any more is resolved if what was acknowledged reaches its next sequence, and
   * otherwise the idempotent producer takes a new producer id. (A transactional one never
   * resets; a processor's is a TransactionalProducer, which does not come here.)
   */
  private resetProducerIdIfNeeded(): void {
    for (const partition of [...this.unresolved.keys()]) {
      const entry = this.entry(partition);
      if (entry.hasInflightBatches()) continue;
      if (!this.isNextSequence(partition, entry.nextSequence)) return this.resetProducerId();
      this.unresolved.delete(partition);
    }
  }

  /**
   * TransactionManager.bumpIdempotentProducerEpoch (KIP-360, KAFKA-8710): the epoch goes up by
   * one locally, with no request (at Short.MAX_VALUE the producer takes a new id with
   * InitProducerId instead: resetIdempotentProducerId), and the partitions that asked start
   * the sequences of their batches in flight at 0 in it (TxnPartitionMap
   * .startSequencesAtBeginning); their unresolved sequences are forgotten. Other partitions
   * keep the old epoch until their batches in flight complete.
   */
  private bumpIdempotentProducerEpoch(): void {
    if (this.producerEpoch >= MAX_EPOCH) {
      this.producerId = -1;
      this.producerEpoch = -1;
    } else this.producerEpoch++;
    const partitions = [...this.partitionsToRewriteSequences].map(([p, reason]) => `${this.deps.partitionName(p)}:${reason}`);
    this.ctx.trace.emit('producer.epoch', { node: this.ctx.id, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions });
    for (const partition of this.partitionsToRewriteSequences.keys()) {
      this.entry(partition).startSequencesAtBeginning(this.producerId, this.producerEpoch);
      this.unresolved.delete(partition);
    }
    this.partitionsToRewriteSequences.clear();
    this.epochBumpRequired = false;
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
  private retriableBeforeKip360(batch: ProducerBatch, code: KafkaErrorCode | RpcError, logStartOffset: number): boolean {
    // A batch of a producer id since reset is not retried under another (TransactionManager.canRetry's hasProducerId).
    if ((code === 'UNKNOWN_PRODUCER_ID' || code === 'OUT_OF_ORDER_SEQUENCE_NUMBER') && batch.sequenceProducerId !== this.producerId) return false;
    if (code === 'UNKNOWN_PRODUCER_ID') {
      if (logStartOffset < 0 || batch.sequenceReset === true) return true;
      const entry = this.entry(batch.partition);
      const lastAcked = entry.lastAckedOffset;
      if (lastAcked < logStartOffset) {
        entry.startSequencesAtBeginning(this.producerId, this.producerEpoch);
        this.ctx.trace.emit('producer.sequence.reset', { node: this.ctx.id, partition: this.deps.partitionName(batch.partition), producerId: this.producerId, producerEpoch: this.producerEpoch, logStartOffset, lastAckedOffset: lastAcked });
        return true;
      }
    } else if (code !== 'OUT_OF_ORDER_SEQUENCE_NUMBER' || batch.sequenceReset === true || !this.isNextSequenceBeforeKip360(batch)) {
      return RETRIABLE.has(code);
    }
    this.resetProducerId();
    return false;
  }

  /** TransactionManager.resetProducerId (before KIP-360): forget the id and every sequence, and ask for a new id. */
  private resetProducerId(): void {
    if (this.producerId < 0) return;
    this.producerId = -1;
    this.producerEpoch = -1;
    this.partitions.clear();
    this.unresolved.clear();
    this.initProducerId();
  }

  /**
   * Before KIP-360: the batch is the partition's next sequence, no batch of the partition was
   * given up with its fate unknown in this epoch, and no attempt of one that timed out may
   * still be on its way to the broker (a broken connection took its requests with it).
   */
  private isNextSequenceBeforeKip360(batch: ProducerBatch): boolean {
    if (this.unresolved.has(batch.partition) || batch.sequenceEpoch !== this.producerEpoch) return false;
    if (!this.isNextSequence(batch.partition, batch.baseSequence ?? -1)) return false;
    return !this.entry(batch.partition).inflightBatches().some((other) => other.mayStillArrive === true);
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /**
     * An idempotent producer bumped its epoch (KIP-360), locally, because these partitions
     * (each "partition:reason", the broker's error or `unresolved`) no longer had its
     * sequences; their batches in flight start again at 0 in the new epoch.
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
