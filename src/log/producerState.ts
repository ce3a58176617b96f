import { crc32c } from './crc32c.js';
import { readInt64, writeInt64 } from './int64.js';
import type { Disk } from './disk.js';
import { joinPath } from './disk.js';
import {
  NO_SEQUENCE,
  isControl,
  isTransactional,
  lastOffsetOf,
  lastSequenceOf,
  type BatchHeader,
  type ControlType,
} from './recordBatch.js';
import { segmentFileName } from './segment.js';

/** What the broker remembers of one of a producer's recent batches. */
export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

/** Per producer id: its epoch, its last batches, and its open transaction (Kafka's ProducerStateEntry). */
export interface ProducerEntry {
  readonly producerId: number;
  producerEpoch: number;
  /** The last five batches, oldest first (Kafka keeps NUM_BATCHES_TO_RETAIN = 5). */
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, if one is open. */
  currentTxnFirstOffset: number | undefined;
  lastTimestamp: number;
}

export const BATCHES_TO_RETAIN = 5;

/** A transaction that ended in ABORT: what the `.txnindex` records and read_committed skips. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** Offset of the ABORT marker. */
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

/** How a leader must treat an incoming idempotent batch. */
export type SequenceVerdict =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly original: BatchMetadata }
  | { readonly kind: 'error'; readonly code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' | 'UNKNOWN_PRODUCER_ID'; readonly message: string };

/** The verdict of every acceptable batch: one object, shared. */
const APPEND: SequenceVerdict = { kind: 'append' };

/** ProducerAppendInfo.checkProducerEpoch: a batch of an epoch older than the producer's. */
function staleEpoch(h: BatchHeader, entry: ProducerEntry): SequenceVerdict {
  return { kind: 'error', code: 'INVALID_PRODUCER_EPOCH', message: `producer ${h.producerId} epoch ${h.producerEpoch} is older than the current ${entry.producerEpoch}` };
}

function nextSequence(seq: number): number {
  return seq === 0x7fffffff ? 0 : seq + 1;
}

/**
 * How a leader answers a batch from a producer it has no state for (it expired, or left with
 * the log) whose first sequence is not 0 (ProducerAppendInfo.checkSequence):
 * - `out-of-order`, Kafka 0.11: OUT_OF_ORDER_SEQUENCE_NUMBER (the empty entry's epoch is -1, so
 *   any other epoch with a sequence past 0 is out of order).
 * - `unknown-producer-id`, Kafka 1.0 to 2.4 (KAFKA-5793): UNKNOWN_PRODUCER_ID, which the client
 *   handles by resetting its sequence or its producer id.
 * - `accept`, Kafka since 2.5 (KAFKA-8710, KIP-360): "If there is no current producer epoch
 *   (possibly because all producer records have been deleted due to retention or the
 *   DeleteRecords API) accept writes with any sequence number". A later release accepts only
 *   sequence 0 on a partition that never held a record (KAFKA-15591); no modelled release has it.
 */
export type UnknownProducerRule = 'out-of-order' | 'unknown-producer-id' | 'accept';

function unknownProducer(h: BatchHeader, rule: UnknownProducerRule): SequenceVerdict {
  const message = `producer ${h.producerId} is unknown here and its first batch has sequence ${h.baseSequence}, not 0`;
  switch (rule) {
    case 'accept':
      return APPEND;
    case 'unknown-producer-id':
      return { kind: 'error', code: 'UNKNOWN_PRODUCER_ID', message };
    case 'out-of-order':
      return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message };
  }
}

/**
 * The producer state of one partition (Kafka's ProducerStateManager, KIP-98): for each
 * producer id, its epoch and last five batches, which let a leader recognise a retried
 * batch (answering with its original offsets) and refuse a gap in sequence numbers; and
 * the open transactions, whose first offsets hold back the last stable offset.
 *
 * Snapshots use Kafka's `.snapshot` layout (version 1): version int16, crc32c uint32, count
 * int32, then per producer: producerId int64, epoch int16, lastSequence int32, lastOffset
 * int64, offsetDelta int32, timestamp int64, coordinatorEpoch int32, currentTxnFirstOffset
 * int64 (-1 when none). Like Kafka's, a snapshot keeps only each producer's last batch;
 * replaying the log after it restores the rest.
 */
export class ProducerStateManager {
  private entries = new Map<number, ProducerEntry>();
  /** Transactions that ended but whose marker is not yet below the high watermark. */
  private unreplicated: { firstOffset: number; lastOffset: number }[] = [];
  /** The offset up to which the state reflects the log. */
  mapEndOffset = 0;

  constructor(
    private readonly disk: Disk,
    readonly dir: string,
  ) {}

  entry(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** How many producers this partition knows. */
  get size(): number {
    return this.entries.size;
  }

  allEntries(): readonly ProducerEntry[] {
    return [...this.entries.values()];
  }

  /**
   * Checks a batch a producer sent to the leader (ProducerAppendInfo.checkSequence and
   * checkProducerEpoch). Batches without a producer id are not checked. A batch without
   * sequences (a coordinator's: the group coordinator writes a TxnOffsetCommit under the
   * producer's id and epoch) has its epoch checked only, as Kafka checks the epoch of every
   * batch that does not come by replication and the sequence only of a client's
   * (ProducerAppendInfo.maybeValidateDataBatch).
   */
  verify(h: BatchHeader, unknown: UnknownProducerRule = 'accept'): SequenceVerdict {
    if (h.producerId < 0 || isControl(h)) return APPEND;
    const entry = this.entries.get(h.producerId);
    if (h.baseSequence === NO_SEQUENCE) {
      return entry !== undefined && h.producerEpoch < entry.producerEpoch ? staleEpoch(h, entry) : APPEND;
    }
    const lastSeq = lastSequenceOf(h);
    if (entry === undefined) return h.baseSequence === 0 ? APPEND : unknownProducer(h, unknown);
    if (h.producerEpoch < entry.producerEpoch) return staleEpoch(h, entry);
    if (h.producerEpoch > entry.producerEpoch) {
      if (h.baseSequence !== 0) {
        return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `producer ${h.producerId} has a new epoch ${h.producerEpoch} but sequence ${h.baseSequence}, not 0` };
      }
      return APPEND;
    }
    const duplicate = entry.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === lastSeq);
    if (duplicate !== undefined) return { kind: 'duplicate', original: duplicate };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : nextSequence(last.lastSeq);
    if (h.baseSequence !== expected) {
      return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `producer ${h.producerId} sent sequence ${h.baseSequence}, expected ${expected}` };
    }
    return APPEND;
  }

  /**
   * Folds an appended batch (with its final offsets) into the state. Returns the aborted
   * transaction an ABORT marker completes, for the `.txnindex`.
   */
  update(h: BatchHeader, marker?: { type: ControlType; coordinatorEpoch: number }, highWatermark = 0): AbortedTxn | undefined {
    this.mapEndOffset = lastOffsetOf(h) + 1;
    if (h.producerId < 0) return undefined;
    let entry = this.entries.get(h.producerId);
    if (entry === undefined) {
      entry = { producerId: h.producerId, producerEpoch: h.producerEpoch, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: undefined, lastTimestamp: h.maxTimestamp };
      this.entries.set(h.producerId, entry);
    }
    if (h.producerEpoch > entry.producerEpoch) {
      entry.producerEpoch = h.producerEpoch;
      entry.batches = [];
    }
    entry.lastTimestamp = h.maxTimestamp;
    if (isControl(h)) {
      if (marker === undefined) return undefined;
      entry.coordinatorEpoch = marker.coordinatorEpoch;
      const first = entry.currentTxnFirstOffset;
      entry.currentTxnFirstOffset = undefined;
      if (first === undefined) return undefined;
      const last = lastOffsetOf(h);
      this.unreplicated.push({ firstOffset: first, lastOffset: last });
      if (marker.type === 'ABORT') return { producerId: h.producerId, firstOffset: first, lastOffset: last, lastStableOffset: this.lastStableOffset(highWatermark) };
      return undefined;
    }
    if (h.baseSequence !== NO_SEQUENCE) {
      entry.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSequenceOf(h), firstOffset: h.baseOffset, lastOffset: lastOffsetOf(h), timestamp: h.maxTimestamp });
      if (entry.batches.length > BATCHES_TO_RETAIN) entry.batches.shift();
    }
    if (isTransactional(h) && entry.currentTxnFirstOffset === undefined) entry.currentTxnFirstOffset = h.baseOffset;
    return undefined;
  }

  /** How many ended transactions wait for their marker to fall below the high watermark (Kafka's unreplicatedTxns). */
  get unreplicatedTransactions(): number {
    return this.unreplicated.length;
  }

  /**
   * The high watermark moved (ProducerStateManager.onHighWatermarkUpdated): ended
   * transactions whose marker is now below it are forgotten, on a follower too, whose
   * last stable offset nobody asks (otherwise its list grows all run long: the compacted
   * __consumer_offsets keeps its log start at 0). They end in log order, so a look at the
   * oldest says whether any goes.
   */
  onHighWatermarkUpdated(highWatermark: number): void {
    if (this.unreplicated.length > 0 && this.unreplicated[0].lastOffset < highWatermark) this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= highWatermark);
  }

  /**
   * The last stable offset: the first offset of the earliest transaction that is open, or
   * that ended with a marker not yet below the high watermark; else the high watermark.
   */
  lastStableOffset(highWatermark: number): number {
    this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= highWatermark);
    let lso = highWatermark;
    for (const e of this.entries.values()) if (e.currentTxnFirstOffset !== undefined && e.currentTxnFirstOffset < lso) lso = e.currentTxnFirstOffset;
    for (const t of this.unreplicated) if (t.firstOffset < lso) lso = t.firstOffset;
    return lso;
  }

  /** Forgets producers idle longer than producer.id.expiration.ms without an open transaction. */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, e] of [...this.entries]) {
      if (e.currentTxnFirstOffset === undefined && nowMs - e.lastTimestamp >= expirationMs) {
        this.entries.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * The log start offset moved to `logStartOffset` (before KIP-360): each producer forgets
   * its batches below it, and a producer left with none is forgotten, open transaction and
   * all (Kafka 2.x ProducerStateManager.truncateHead and isProducerRetained).
   */
  truncateHead(logStartOffset: number): number {
    let evicted = 0;
    for (const [id, e] of [...this.entries]) {
      e.batches = e.batches.filter((b) => b.lastOffset >= logStartOffset);
      if (e.batches.length === 0) {
        this.entries.delete(id);
        evicted++;
      }
    }
    this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= logStartOffset);
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset;
    return evicted;
  }

  reset(offset: number): void {
    this.entries = new Map();
    this.unreplicated = [];
    this.mapEndOffset = offset;
  }

  // ------------------------------------------------------------------ snapshots

  snapshotOffsets(): number[] {
    return this.disk
      .list(this.dir)
      .filter((n) => /^\d{20}\.snapshot$/.test(n))
      .map((n) => Number(n.slice(0, 20)));
  }

  /** Writes a snapshot of the state as of `mapEndOffset`. */
  takeSnapshot(): void {
    const entries = [...this.entries.values()].filter((e) => e.batches.length > 0 || e.currentTxnFirstOffset !== undefined);
    const body = Buffer.alloc(4 + entries.length * 50);
    body.writeInt32BE(entries.length, 0);
    let p = 4;
    for (const e of entries) {
      const last = e.batches[e.batches.length - 1];
      writeInt64(body, p, e.producerId);
      body.writeInt16BE(e.producerEpoch, p + 8);
      body.writeInt32BE(last?.lastSeq ?? -1, p + 10);
      writeInt64(body, p + 14, last?.lastOffset ?? -1);
      body.writeInt32BE(last === undefined ? 0 : last.lastOffset - last.firstOffset, p + 22);
      writeInt64(body, p + 26, e.lastTimestamp);
      body.writeInt32BE(e.coordinatorEpoch, p + 34);
      writeInt64(body, p + 38, e.currentTxnFirstOffset ?? -1);
      p += 50;
    }
    const out = Buffer.alloc(6 + body.length);
    out.writeInt16BE(1, 0);
    out.writeUInt32BE(crc32c(body), 2);
    body.copy(out, 6);
    const path = joinPath(this.dir, segmentFileName(this.mapEndOffset, '.snapshot'));
    if (this.disk.exists(path)) this.disk.delete(path);
    this.disk.append(path, out);
    this.disk.fsync(path);
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset`, deleting newer ones and any that
   * fail their CRC. Returns the offset it reflects, or undefined when none is usable.
   */
  loadSnapshot(maxOffset: number): number | undefined {
    for (const o of this.snapshotOffsets()) if (o > maxOffset) this.disk.delete(joinPath(this.dir, segmentFileName(o, '.snapshot')));
    return this.restoreSnapshot(maxOffset, true);
  }

  /**
   * Takes the state of the newest valid snapshot at or below `maxOffset`, leaving newer
   * ones in place (and, unless `dropCorrupt`, corrupt ones too). Returns its offset.
   */
  restoreSnapshot(maxOffset: number, dropCorrupt = false): number | undefined {
    const candidates = this.snapshotOffsets().filter((o) => o <= maxOffset).reverse();
    for (const offset of candidates) {
      const path = joinPath(this.dir, segmentFileName(offset, '.snapshot'));
      const entries = parseSnapshot(this.disk.readAll(path));
      if (entries === undefined) {
        if (dropCorrupt) this.disk.delete(path);
        continue;
      }
      this.reset(offset);
      for (const e of entries) this.entries.set(e.producerId, e);
      return offset;
    }
    return undefined;
  }

  /** Deletes snapshots below `offset` except the newest of them (retention moved the log start). */
  deleteSnapshotsBefore(offset: number): void {
    for (const o of this.snapshotOffsets()) if (o < offset) this.disk.delete(joinPath(this.dir, segmentFileName(o, '.snapshot')));
  }
}

function parseSnapshot(buf: Buffer): ProducerEntry[] | undefined {
  if (buf.length < 10 || buf.readInt16BE(0) !== 1) return undefined;
  const body = buf.subarray(6);
  if (crc32c(body) !== buf.readUInt32BE(2)) return undefined;
  const count = body.readInt32BE(0);
  if (count < 0 || body.length !== 4 + count * 50) return undefined;
  const out: ProducerEntry[] = [];
  for (let i = 0, p = 4; i < count; i++, p += 50) {
    const lastSeq = body.readInt32BE(p + 10);
    const lastOffset = readInt64(body, p + 14);
    const delta = body.readInt32BE(p + 22);
    const txn = readInt64(body, p + 38);
    const timestamp = readInt64(body, p + 26);
    out.push({
      producerId: readInt64(body, p),
      producerEpoch: body.readInt16BE(p + 8),
      batches: lastSeq < 0 ? [] : [{ firstSeq: lastSeq - delta, lastSeq, firstOffset: lastOffset - delta, lastOffset, timestamp }],
      coordinatorEpoch: body.readInt32BE(p + 34),
      currentTxnFirstOffset: txn < 0 ? undefined : txn,
      lastTimestamp: timestamp,
    });
  }
  return out;
}


