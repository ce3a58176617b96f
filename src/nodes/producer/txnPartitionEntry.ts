import type { ProducerBatch } from './producerBatch.js';

/** Kafka's TxnPartitionEntry.NO_LAST_ACKED_SEQUENCE_NUMBER (and ProduceResponse.INVALID_OFFSET for offsets). */
export const NO_LAST_ACKED = -1;

/**
 * Kafka's TxnPartitionEntry: what an idempotent producer knows of one partition. Its own
 * producer id and epoch (after a KIP-360 epoch bump, a partition keeps the old one until its
 * batches in flight complete), the next sequence, the last sequence and offset acknowledged,
 * and the batches in flight (sequenced, not yet done: sent, backing off or queued for a
 * retry), ordered by producer id, epoch and sequence as Kafka's PRODUCER_BATCH_COMPARATOR.
 */
export class TxnPartitionEntry {
  producerId = -1;
  producerEpoch = -1;
  /** The base sequence of the next batch bound for the partition. */
  nextSequence = 0;
  /** The last sequence of the last batch acknowledged (in the entry's epoch, or since its sequences started over). */
  lastAckedSequence = NO_LAST_ACKED;
  /** The last offset acknowledged, to tell retention from lost data on UNKNOWN_PRODUCER_ID. */
  lastAckedOffset = NO_LAST_ACKED;
  private inFlight: ProducerBatch[] = [];

  hasInflightBatches(): boolean {
    return this.inFlight.length > 0;
  }

  /** The in-flight batch with the lowest (producer id, epoch, sequence), if any (TxnPartitionEntry.nextBatchBySequence). */
  nextBatchBySequence(): ProducerBatch | undefined {
    return this.inFlight[0];
  }

  /** Whether `batch` is in flight here: some of its sequences may already be in the log. */
  isInFlight(batch: ProducerBatch): boolean {
    return this.inFlight.includes(batch);
  }

  inflightBatches(): readonly ProducerBatch[] {
    return this.inFlight;
  }

  addInflightBatch(batch: ProducerBatch): void {
    this.inFlight.push(batch);
    this.inFlight.sort(bySequence);
  }

  removeInFlightBatch(batch: ProducerBatch): void {
    const i = this.inFlight.indexOf(batch);
    if (i >= 0) this.inFlight.splice(i, 1);
  }

  maybeUpdateLastAckedSequence(sequence: number): void {
    if (sequence > this.lastAckedSequence) this.lastAckedSequence = sequence;
  }

  /**
   * TxnPartitionEntry.startSequencesAtBeginning: every batch in flight takes `producerId` and
   * `producerEpoch` and a new sequence from 0, in order (ProducerBatch.resetProducerState, after
   * which sequenceHasBeenReset holds); the partition's next sequence follows them, and nothing
   * is acknowledged in the new sequence space yet.
   */
  startSequencesAtBeginning(producerId: number, producerEpoch: number): void {
    let sequence = 0;
    for (const batch of this.inFlight) {
      batch.sequenceProducerId = producerId;
      batch.sequenceEpoch = producerEpoch;
      batch.baseSequence = sequence;
      batch.sequenceReset = true;
      sequence += batch.refs.length;
    }
    this.inFlight.sort(bySequence);
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.nextSequence = sequence;
    this.lastAckedSequence = NO_LAST_ACKED;
  }
}

/**
 * Before KIP-360, TransactionManager.adjustSequencesDueToFailedBatch (Kafka 2.4): a batch failed
 * for good while it had retries left, so its sequences were never written; the partition's
 * next sequence, and every batch in flight from its sequence on, move down by its record
 * count (ProducerBatch.resetProducerState, sequenceHasBeenReset), closing the gap.
 */
export function adjustSequencesDueToFailedBatch(entry: TxnPartitionEntry, failed: ProducerBatch): void {
  const base = failed.baseSequence;
  if (base === undefined) return;
  const count = failed.refs.length;
  entry.nextSequence = Math.max(0, entry.nextSequence - count);
  for (const batch of entry.inflightBatches()) {
    if (batch.baseSequence === undefined || batch.baseSequence < base) continue;
    batch.baseSequence -= count;
    batch.sequenceReset = true;
  }
}

function bySequence(a: ProducerBatch, b: ProducerBatch): number {
  return a.sequenceProducerId - b.sequenceProducerId || a.sequenceEpoch - b.sequenceEpoch || (a.baseSequence ?? 0) - (b.baseSequence ?? 0);
}
