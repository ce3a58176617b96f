import { gzip } from './gzip.js';
import { BATCH_HEADER_SIZE, Compression, recordBodySize, writeBatchHeader, writeRecord, type BatchOptions, type RecordInput } from './recordBatch.js';
import { varintSize } from './varint.js';

/** How much an arena takes from the allocator at a time. */
const ARENA_CHUNK_BYTES = 256 * 1024;

/**
 * Where a producer's batches for one partition are built: consecutive slices of a larger
 * buffer, so a batch is encoded in place and closing it copies nothing. One batch fills at a
 * time; once it closes, the next starts right after it. A chunk lives as long as any batch
 * built in it (in flight, or waiting for a retry).
 */
export class BatchArena {
  private chunk: Buffer | undefined;
  private used = 0;
  private filling = false;
  /**
   * The arena's one builder, reset for each batch: one batch fills at a time, and the
   * accumulator lets go of a batch's builder as it closes it (ProducerBatch.builder).
   */
  private readonly reusable = new BatchBuilder(this);

  /**
   * The builder, reset to fill a batch with room for `capacity` bytes, header included. It
   * is the same object for every batch of this arena: once closed, the last batch's builder
   * is this one, filling the next.
   */
  builder(capacity: number): BatchBuilder {
    if (this.filling) throw new Error('an arena fills one batch at a time: close the last one first');
    if (this.chunk === undefined || this.chunk.length - this.used < capacity) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(capacity, ARENA_CHUNK_BYTES));
      this.used = 0;
    }
    this.filling = true;
    this.reusable.reset(this.chunk, this.used, this.used + capacity);
    return this.reusable;
  }

  /** The batch that started at `start` closed at `end`: the next starts after it, 8-byte aligned. */
  closed(start: number, end: number): void {
    this.used = start + ((end - start + 7) & ~7);
    this.filling = false;
  }
}

/**
 * A batch being filled, as Kafka's MemoryRecordsBuilder fills one inside the producer's
 * RecordAccumulator: each record is encoded the moment the application sends it, in place
 * in its arena's slice, so nothing of it is kept as an object while it waits for linger.ms.
 * The header, which holds the producer id, epoch and sequence, is written at send time
 * (ClosedBatch.stamp), when those are known. A compressed batch (compression.type gzip) is
 * compressed as it closes, as MemoryRecordsBuilder does when it closes its stream.
 */
export class BatchBuilder {
  /** Its arena's chunk, and the batch's room in it: [start, end). */
  private chunk: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  private pos = 0;
  private count = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  /** Made by a {@link BatchArena}, which hands it out for each batch in turn (see reset). */
  constructor(private readonly arena: BatchArena) {}

  /** Starts a new batch in `chunk` at `start`, with room up to `end`; nothing of the last batch is kept. */
  reset(chunk: Buffer, start: number, end: number): void {
    this.chunk = chunk;
    this.start = start;
    this.end = end;
    this.pos = start + BATCH_HEADER_SIZE;
    this.count = 0;
    this.baseTimestamp = 0;
    this.maxTimestamp = 0;
  }

  /**
   * Encodes `record` as the next one (offset delta = its index) if it fits in the builder's
   * room; false, with nothing written, if it does not. Whether the batch should take it at
   * all (batch.size) is the accumulator's call.
   */
  tryAppend(record: RecordInput): boolean {
    const timestampDelta = this.count === 0 ? 0 : record.timestamp - this.baseTimestamp;
    const body = recordBodySize(record, this.count, timestampDelta);
    if (this.pos + varintSize(body) + body > this.end) return false;
    if (this.count === 0) {
      this.baseTimestamp = record.timestamp;
      this.maxTimestamp = record.timestamp;
    } else if (record.timestamp > this.maxTimestamp) this.maxTimestamp = record.timestamp;
    this.pos = writeRecord(this.chunk, this.pos, record, body, timestampDelta, this.count);
    this.count++;
    return true;
  }

  /** The finished records, where they were written; the arena moves on past them, and the builder is free for its next batch. */
  close(compression: Compression.None | Compression.Gzip = Compression.None): ClosedBatch {
    if (this.count === 0) throw new RangeError('a record batch holds at least one record');
    let bytes = this.chunk.subarray(this.start, this.pos);
    if (compression === Compression.Gzip) {
      // The records section, compressed, behind a header still to be written.
      const packed = gzip(this.chunk.subarray(this.start + BATCH_HEADER_SIZE, this.pos));
      bytes = Buffer.allocUnsafe(BATCH_HEADER_SIZE + packed.length);
      packed.copy(bytes, BATCH_HEADER_SIZE);
    }
    const closed = new ClosedBatch(bytes, this.count, this.baseTimestamp, this.maxTimestamp, compression);
    this.arena.closed(this.start, this.pos);
    // Closed: it refuses records (no room) until the arena resets it for the next batch.
    this.chunk = EMPTY;
    this.end = 0;
    this.count = 0;
    return closed;
  }
}

const EMPTY = Buffer.alloc(0);

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
    readonly baseTimestamp: number,
    readonly maxTimestamp: number,
    readonly compression: Compression = Compression.None,
  ) {}

  /** Its header's last offset delta: with the fields above, the batch is its own RecordsSummary for writeBatchHeader. */
  get lastOffsetDelta(): number {
    return this.recordCount - 1;
  }

  /**
   * The batch with its header for `options` (producer id, epoch, base sequence …). The first
   * stamp writes in place; a later one with other options (a retry under a new epoch or
   * sequence, Kafka's ProducerBatch.resetProducerState) writes into a copy, since the bytes
   * of an earlier attempt may still be in flight.
   */
  stamp(options: BatchOptions): Buffer {
    if (this.stamped && sameOptions(this.lastOptions as BatchOptions, options)) return this.bytes;
    if (this.stamped) this.bytes = Buffer.from(this.bytes);
    writeBatchHeader(this.bytes, this.bytes.length, this, options);
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
