import { allocBatch, BATCH_HEADER_SIZE, Compression, recordBodySize, writeBatchHeader, writeRecord, type BatchOptions, type RecordInput } from './recordBatch.js';
import { varintSize } from './varint.js';

/**
 * A batch being filled, as Kafka's MemoryRecordsBuilder fills one inside the producer's
 * RecordAccumulator: each record is encoded the moment the application sends it, into a
 * scratch buffer, so nothing of it is kept as an object while it waits for linger.ms. When
 * the batch takes no more records, `close` moves the encoded records into a buffer of their
 * own; the header, which holds the producer id, epoch and sequence, is written at send time
 * (ClosedBatch.stamp), when those are known. Uncompressed batches only.
 */
export class BatchBuilder {
  private pos = BATCH_HEADER_SIZE;
  private count = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  /** `scratch` is reused for the next batch once this one is closed. */
  constructor(private readonly scratch: Buffer) {}

  /**
   * Encodes `record` as the next one (offset delta = its index) if it fits in the scratch
   * buffer; false, with nothing written, if it does not. Whether the batch should take it
   * at all (batch.size) is the accumulator's call.
   */
  tryAppend(record: RecordInput): boolean {
    const timestampDelta = this.count === 0 ? 0 : record.timestamp - this.baseTimestamp;
    const body = recordBodySize(record, this.count, timestampDelta);
    if (this.pos + varintSize(body) + body > this.scratch.length) return false;
    if (this.count === 0) {
      this.baseTimestamp = record.timestamp;
      this.maxTimestamp = record.timestamp;
    } else if (record.timestamp > this.maxTimestamp) this.maxTimestamp = record.timestamp;
    this.pos = writeRecord(this.scratch, this.pos, record, body, timestampDelta, this.count);
    this.count++;
    return true;
  }

  /** The finished records, in a buffer of their own; the scratch buffer is free again. */
  close(): ClosedBatch {
    if (this.count === 0) throw new RangeError('a record batch holds at least one record');
    const bytes = allocBatch(this.pos);
    this.scratch.copy(bytes, BATCH_HEADER_SIZE, BATCH_HEADER_SIZE, this.pos);
    return new ClosedBatch(bytes, this.count, this.baseTimestamp, this.maxTimestamp);
  }
}

/** The bytes `record` takes in a batch as the record at `offsetDelta`, `timestampDelta` after the batch's base timestamp. */
export function encodedSize(record: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const body = recordBodySize(record, offsetDelta, timestampDelta);
  return varintSize(body) + body;
}

/** A batch whose records are final; its header is written when it is sent. */
export class ClosedBatch {
  /** Whether `bytes` has been stamped (and so may be on its way somewhere). */
  private stamped = false;
  private lastOptions: BatchOptions | undefined;

  constructor(
    private bytes: Buffer,
    readonly recordCount: number,
    private readonly baseTimestamp: number,
    private readonly maxTimestamp: number,
  ) {}

  /**
   * The batch with its header for `options` (producer id, epoch, base sequence …). The first
   * stamp writes in place; a later one with other options (a retry under a new epoch or
   * sequence, Kafka's ProducerBatch.resetProducerState) writes into a copy, since the bytes
   * of an earlier attempt may still be in flight.
   */
  stamp(options: BatchOptions): Buffer {
    if (this.stamped && sameOptions(this.lastOptions as BatchOptions, options)) return this.bytes;
    if (this.stamped) this.bytes = Buffer.from(this.bytes);
    writeBatchHeader(this.bytes, this.bytes.length, { compression: Compression.None, baseTimestamp: this.baseTimestamp, maxTimestamp: this.maxTimestamp, recordCount: this.recordCount, lastOffsetDelta: this.recordCount - 1 }, options);
    this.stamped = true;
    this.lastOptions = options;
    return this.bytes;
  }
}

function sameOptions(a: BatchOptions, b: BatchOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof BatchOptions>;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
