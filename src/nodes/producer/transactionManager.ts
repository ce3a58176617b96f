import type { NodeContext, RpcError, RpcResult } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { BatchOptions } from '../../log/recordBatch.js';
import { brokerNode, message, type KafkaMessage } from '../protocol.js';
import type { ProducerConfig } from './producer.js';
import { RETRIABLE, type ProducerBatch } from './producerBatch.js';
import type { KafkaErrorCode } from '../errors.js';

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
  /** Batches sent at least once and not yet done (the Sender's). */
  outstanding(): Iterable<ProducerBatch>;
  /**
   * A request is in flight, or a batch of a partition not in `skip` waits out a retry backoff
   * or waits in the accumulator with its fate unsure in `epoch`: an epoch bump waits for them.
   */
  unsettled(skip: ReadonlyMap<number, string>, epoch: number): boolean;
}

/**
 * The idempotence part of Kafka's TransactionManager: the producer id and epoch
 * (InitProducerId), the next sequence of each partition, what the brokers acknowledged, the
 * epoch bump of KIP-360 when a broker lost this producer's sequences, and, for a client
 * before KIP-360, starting a partition's sequences over or taking a new producer id.
 */
export class TransactionManager {
  private producerId = -1;
  private producerEpoch = -1;
  private readonly nextSequence = new Map<number, number>();
  /** Partitions where a batch was given up with its fate unknown, in the current epoch. */
  private readonly unresolved = new Set<number>();
  /** The last sequence acknowledged per partition in the current epoch (Kafka's lastAckedSequence). */
  private readonly lastAckedSequence = new Map<number, number>();
  /** The last offset acknowledged per partition (Kafka's lastAckedOffset), for UNKNOWN_PRODUCER_ID before KIP-360. */
  private readonly lastAckedOffset = new Map<number, number>();
  /** An epoch bump (KIP-360) is in flight: nothing is sent until it is done. */
  private bumpingEpoch = false;
  /** Partitions whose leader lost this producer's sequences, with the error that said so: they wait for the epoch bump. */
  private readonly unknownTo = new Map<number, 'UNKNOWN_PRODUCER_ID' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'>();

  constructor(private readonly deps: TransactionManagerDeps) {}

  private get ctx(): TransactionManagerDeps['ctx'] {
    return this.deps.ctx;
  }

  private get config(): ProducerConfig {
    return this.deps.config;
  }

  initProducerId(): void {
    const broker = this.deps.brokerOrRetry(() => this.initProducerId());
    if (broker === undefined) return;
    this.ctx.request(brokerNode(broker), message('InitProducerId', {}), { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.deps.noteConnection(broker, r);
      if (r.ok && r.response.type === 'InitProducerIdResponse') {
        this.producerId = r.response.producerId;
        this.producerEpoch = r.response.producerEpoch;
        this.deps.wakeup();
      } else this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.initProducerId());
    });
  }

  /**
   * With idempotence, nothing of the partition goes before the producer id is known, during
   * an epoch bump, or while the partition waits for one. And a retried batch (one that has a
   * sequence already) goes only when it is the first sequence in flight of its partition, as
   * RecordAccumulator.shouldStopDrainBatchesForPartition has it: "we wait until the next
   * immediate batch is ready and drain that ... This effectively reduces our in flight request
   * count to 1". Without it, a retry of a later batch overtakes an earlier one still on its
   * way, and the leader refuses it as out of sequence.
   */
  holdsBack(head: ProducerBatch): boolean {
    if (!this.config['enable.idempotence']) return false;
    if (this.producerId < 0 || this.bumpingEpoch || this.unknownTo.has(head.partition)) return true;
    return this.hasCurrentSequence(head) && head.baseSequence !== this.firstInFlightSequence(head.partition);
  }

  /** The batch's sequence is of the current producer id and epoch. */
  private hasCurrentSequence(batch: ProducerBatch): boolean {
    return batch.baseSequence !== undefined && batch.sequenceProducerId === this.producerId && batch.sequenceEpoch === this.producerEpoch;
  }

  /** The lowest sequence of the partition's batches sent and not yet done, in the current epoch (TransactionManager.firstInFlightSequence). */
  private firstInFlightSequence(partition: number): number | undefined {
    let first: number | undefined;
    for (const b of this.deps.outstanding()) {
      if (b.partition !== partition || !this.hasCurrentSequence(b)) continue;
      const sequence = b.baseSequence as number;
      if (first === undefined || sequence < first) first = sequence;
    }
    return first;
  }

  /** The batch's producer id, epoch and sequence for its next attempt (none without idempotence). */
  sequence(batch: ProducerBatch): BatchOptions {
    if (!this.config['enable.idempotence']) return {};
    if (batch.baseSequence === undefined || batch.sequenceEpoch !== this.producerEpoch || batch.sequenceProducerId !== this.producerId) {
      // A first send, or a retry after an epoch bump (KIP-360): sequences of the new epoch start at 0.
      const next = this.nextSequence.get(batch.partition) ?? 0;
      batch.baseSequence = next;
      batch.sequenceProducerId = this.producerId;
      batch.sequenceEpoch = this.producerEpoch;
      this.nextSequence.set(batch.partition, next + batch.refs.length);
    }
    return { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: batch.baseSequence };
  }

  /** The batch was written at `baseOffset`. */
  onAcked(batch: ProducerBatch, baseOffset: number): void {
    if (batch.baseSequence !== undefined && batch.sequenceEpoch === this.producerEpoch) {
      const last = batch.baseSequence + batch.refs.length - 1;
      if (last > (this.lastAckedSequence.get(batch.partition) ?? -1)) this.lastAckedSequence.set(batch.partition, last);
    }
    const lastOffset = baseOffset + batch.refs.length - 1;
    if (baseOffset >= 0 && lastOffset > (this.lastAckedOffset.get(batch.partition) ?? -1)) this.lastAckedOffset.set(batch.partition, lastOffset);
  }

  /** The batch was given up: with its fate unknown in the current epoch, its partition's sequence is unresolved. */
  onGivenUp(batch: ProducerBatch): void {
    if (batch.uncertain && batch.sequenceEpoch === this.producerEpoch) this.unresolved.add(batch.partition);
  }

  /** The batch has a sequence of a producer id since reset (only a client before KIP-360 resets its id). */
  producerIdChanged(batch: ProducerBatch): boolean {
    return batch.baseSequence !== undefined && batch.sequenceProducerId !== this.producerId && this.producerId >= 0;
  }

  /** TransactionManager.canRetry, for an idempotent producer whose batch the broker refused with `code`. */
  canRetry(batch: ProducerBatch, code: KafkaErrorCode | RpcError, logStartOffset: number): boolean {
    if (this.config['sim.unknown.producer.id'] === 'reset-sequence') return this.retriableBeforeKip360(batch, code, logStartOffset);
    if (code === 'UNKNOWN_PRODUCER_ID') this.unknownTo.set(batch.partition, code);
    // KIP-360 (TransactionManager.canRetry): an idempotent producer told OUT_OF_ORDER_SEQUENCE_NUMBER
    // for the batch right after its last acknowledged one, with no earlier batch of unknown fate,
    // knows the broker lost sequences (an unclean election, a truncated log): it bumps its epoch
    // to start the partition's sequences over, rather than retrying into the gap forever.
    if (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && this.isNextSequence(batch)) this.unknownTo.set(batch.partition, code);
    return RETRIABLE.has(code);
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
      const lastAcked = this.lastAckedOffset.get(batch.partition) ?? -1;
      if (lastAcked < logStartOffset) {
        this.startSequencesAtBeginning(batch.partition);
        this.ctx.trace.emit('producer.sequence.reset', { node: this.ctx.id, partition: this.deps.partitionName(batch.partition), producerId: this.producerId, producerEpoch: this.producerEpoch, logStartOffset, lastAckedOffset: lastAcked });
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
    const sequenced = [...this.deps.outstanding()].filter((b) => b.partition === partition && b.baseSequence !== undefined && b.sequenceProducerId === this.producerId && b.sequenceEpoch === this.producerEpoch);
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
   * The broker no longer knows this producer (its state went with the log that held it:
   * retention, or a power loss before anything was flushed). As KIP-360's clients do, ask
   * for the next epoch of the same producer id; every partition's sequence starts again at
   * 0, and batches not yet written are re-sequenced when they are sent again. Like Kafka's
   * TransactionManager, it bumps only once no request is in flight and no batch of whose
   * fate it is unsure waits elsewhere: those are resolved under the old epoch first (the
   * broker recognises a retried batch it has), else a retry under the new epoch could write
   * them twice.
   */
  maybeBumpEpoch(): void {
    if (this.unknownTo.size === 0 || this.bumpingEpoch || this.producerId < 0) return;
    if (this.deps.unsettled(this.unknownTo, this.producerEpoch)) return;
    this.bumpingEpoch = true;
    const broker = this.deps.brokerOrRetry(() => {
      this.bumpingEpoch = false;
      this.maybeBumpEpoch();
    });
    if (broker === undefined) return;
    const req = message('InitProducerId', { producerId: this.producerId, producerEpoch: this.producerEpoch });
    this.ctx.request(brokerNode(broker), req, { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.deps.noteConnection(broker, r);
      if (r.ok && r.response.type === 'InitProducerIdResponse') {
        this.onEpochBumped(r.response.producerId, r.response.producerEpoch);
        return;
      }
      this.bumpingEpoch = false;
      this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.maybeBumpEpoch());
    });
  }

  private onEpochBumped(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    const partitions = [...this.unknownTo].map(([p, error]) => `${this.deps.partitionName(p)}:${error}`);
    this.ctx.trace.emit('producer.epoch', { node: this.ctx.id, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions });
    this.nextSequence.clear();
    this.unknownTo.clear();
    this.unresolved.clear();
    this.lastAckedSequence.clear();
    this.bumpingEpoch = false;
    this.deps.wakeup();
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
    for (const other of this.deps.outstanding()) if (other.partition === batch.partition && other.mayStillArrive) return false;
    return true;
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
