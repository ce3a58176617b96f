/**
 * The latest batches a log appended, in columns: base and last offset, leader epoch and
 * stored CRC of each, written at append from the headers the log has just checked. Kafka
 * keeps no such index (the nearest is ProducerStateEntry's batch metadata, a producer's last
 * five batches); it is the simulator's, so that checkers which follow every append (the
 * online specification checks, the exposed-batch observer) need not read the bytes back.
 *
 * It vouches only for batches appended since the log was opened, and only while nothing but
 * appends and truncations changed the log: a cleaner's rewrite makes it forget what lies
 * below the rewritten segment's end. Queries below what it covers, or on a disk a media fault
 * touched, go to the bytes (Log.forEachAppendedBatch). The final snapshot always reads the
 * bytes, so a log whose bytes differ from what it appended is still caught after the run.
 */
import { grown } from '../sim/columns.js';

/** Rows kept: enough for every batch a checker follows between two appends, several times over. */
const CAPACITY = 4096;
/** Rows a new index has room for; it doubles up to CAPACITY as it fills (a log that holds few batches, or is soon dropped, keeps 24 bytes a row for few rows). */
const INITIAL_ROOM = 64;

export class BatchIndex {
  private baseOffsets = new Float64Array(INITIAL_ROOM);
  private lastOffsets = new Float64Array(INITIAL_ROOM);
  private epochs = new Int32Array(INITIAL_ROOM);
  private crcs = new Uint32Array(INITIAL_ROOM);
  private length = 0;
  /** Every batch holding an offset at or past this one is in the index. */
  private from: number;

  constructor(from: number) {
    this.from = from;
  }

  /** The first offset the index answers for: every batch at or past it is here. */
  get coveredFrom(): number {
    return this.from;
  }

  /** Records a batch just appended (after every earlier one). */
  push(baseOffset: number, lastOffset: number, epoch: number, crc: number): void {
    if (this.length === CAPACITY) this.dropOldest(CAPACITY >> 1);
    else if (this.length === this.baseOffsets.length) this.grow(Math.min(CAPACITY, this.length * 2));
    const i = this.length++;
    this.baseOffsets[i] = baseOffset;
    this.lastOffsets[i] = lastOffset;
    this.epochs[i] = epoch;
    this.crcs[i] = crc;
  }

  /** The log was truncated to `logEnd`: batches ending at or past it are gone, and what is appended next starts there. */
  truncateTo(logEnd: number): void {
    while (this.length > 0 && this.lastOffsets[this.length - 1] >= logEnd) this.length--;
    if (logEnd < this.from) this.from = logEnd;
  }

  /** The log restarted empty at `offset`. */
  reset(offset: number): void {
    this.length = 0;
    this.from = offset;
  }

  /** Batches below `offset` may have changed (a cleaner rewrote them): the index no longer answers for them. */
  forgetBelow(offset: number): void {
    let n = 0;
    while (n < this.length && this.baseOffsets[n] < offset) n++;
    this.dropRows(n);
    if (offset > this.from) this.from = offset;
  }

  /** Calls `visit` with every batch whose last offset lies in [from, to), in order. The caller checks `from >= coveredFrom`. */
  forEach(from: number, to: number, visit: (baseOffset: number, lastOffset: number, epoch: number, crc: number) => void): void {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastOffsets[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.length && this.lastOffsets[i] < to; i++) visit(this.baseOffsets[i], this.lastOffsets[i], this.epochs[i], this.crcs[i]);
  }

  private grow(room: number): void {
    this.baseOffsets = grown(this.baseOffsets, room);
    this.lastOffsets = grown(this.lastOffsets, room);
    this.epochs = grown(this.epochs, room);
    this.crcs = grown(this.crcs, room);
  }

  private dropOldest(n: number): void {
    this.dropRows(n);
    // The batch now first starts where the index answers from.
    if (this.length > 0) this.from = Math.max(this.from, this.baseOffsets[0]);
  }

  private dropRows(n: number): void {
    if (n <= 0) return;
    for (const column of [this.baseOffsets, this.lastOffsets, this.epochs, this.crcs]) column.copyWithin(0, n, this.length);
    this.length -= n;
  }
}
