import { floorIndex } from '../sim/order.js';
import type { Disk } from './disk.js';
import { readInt64, writeInt64 } from './int64.js';

const identity = (n: number): number => n;

/** Where an index entry is put together before it is appended: disks copy what they append (Disk.append), so one buffer serves every entry. */
const OFFSET_ENTRY = Buffer.alloc(8);
const TIME_ENTRY = Buffer.alloc(12);

/**
 * A segment's sparse indexes, laid out as Kafka lays them out (OffsetIndex, TimeIndex):
 * - `.index`: 8-byte entries, relative offset (int32, offset − segment base) and file
 *   position (int32) of the batch holding it;
 * - `.timeindex`: 12-byte entries, timestamp (int64) and relative offset (int32), written
 *   when a batch raises the segment's largest timestamp.
 * Both are appended as entries are added (Kafka preallocates and memory-maps them, then
 * trims on close; the bytes of each entry are the same). Lookups use the in-memory copy.
 */
export class OffsetIndex {
  private relOffsets: number[] = [];
  private positions: number[] = [];

  constructor(
    private readonly disk: Disk,
    readonly path: string,
    readonly baseOffset: number,
  ) {}

  get entries(): number {
    return this.relOffsets.length;
  }

  get lastOffset(): number {
    const n = this.relOffsets.length;
    return n === 0 ? this.baseOffset : this.baseOffset + this.relOffsets[n - 1];
  }

  append(offset: number, position: number): void {
    OFFSET_ENTRY.writeInt32BE(offset - this.baseOffset, 0);
    OFFSET_ENTRY.writeInt32BE(position, 4);
    this.disk.append(this.path, OFFSET_ENTRY);
    this.relOffsets.push(offset - this.baseOffset);
    this.positions.push(position);
  }

  /** The entry with the largest offset <= `offset`, or the segment start. */
  lookup(offset: number): { offset: number; position: number } {
    const found = floorIndex(this.relOffsets, offset - this.baseOffset, identity);
    return found < 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.baseOffset + this.relOffsets[found], position: this.positions[found] };
  }

  /** Drops entries at or beyond `offset`. */
  truncateTo(offset: number): void {
    let n = this.relOffsets.length;
    while (n > 0 && this.baseOffset + this.relOffsets[n - 1] >= offset) n--;
    this.relOffsets.length = n;
    this.positions.length = n;
    this.rewrite();
  }

  /**
   * Keeps the entries before the first one `valid` rejects, and cuts the file to them: an
   * index damaged while the broker was down (a flipped relative offset or position) would
   * otherwise send lookups into the middle of a batch or past the batches they should find.
   * Kafka's OffsetIndex.sanityCheck checks only the file's length and last offset, and its
   * loader rebuilds an index that fails it; this checks each entry against the log instead.
   */
  keepWhile(valid: (offset: number, position: number) => boolean): void {
    let n = 0;
    while (n < this.relOffsets.length && valid(this.baseOffset + this.relOffsets[n], this.positions[n])) n++;
    if (n === this.relOffsets.length && (!this.disk.exists(this.path) || this.disk.size(this.path) === n * 8)) return;
    this.relOffsets.length = n;
    this.positions.length = n;
    this.rewrite();
  }

  reset(): void {
    this.relOffsets = [];
    this.positions = [];
    this.rewrite();
  }

  /** Reads the entries on disk, keeping the valid, increasing prefix. */
  load(): void {
    this.relOffsets = [];
    this.positions = [];
    if (!this.disk.exists(this.path)) return;
    const buf = this.disk.readAll(this.path);
    for (let p = 0; p + 8 <= buf.length; p += 8) {
      const rel = buf.readInt32BE(p);
      const pos = buf.readInt32BE(p + 4);
      const n = this.relOffsets.length;
      if (rel < 0 || pos < 0 || (n > 0 && (rel <= this.relOffsets[n - 1] || pos <= this.positions[n - 1]))) break;
      this.relOffsets.push(rel);
      this.positions.push(pos);
    }
  }

  flush(): void {
    if (this.disk.exists(this.path)) this.disk.fsync(this.path);
  }

  private rewrite(): void {
    if (this.disk.exists(this.path)) this.disk.truncate(this.path, this.relOffsets.length * 8);
  }
}

export class TimeIndex {
  private timestamps: number[] = [];
  private relOffsets: number[] = [];

  constructor(
    private readonly disk: Disk,
    readonly path: string,
    readonly baseOffset: number,
  ) {}

  get entries(): number {
    return this.timestamps.length;
  }

  get lastTimestamp(): number {
    const n = this.timestamps.length;
    return n === 0 ? -1 : this.timestamps[n - 1];
  }

  append(timestamp: number, offset: number): void {
    if (timestamp <= this.lastTimestamp) return;
    writeInt64(TIME_ENTRY, 0, timestamp);
    TIME_ENTRY.writeInt32BE(offset - this.baseOffset, 8);
    this.disk.append(this.path, TIME_ENTRY);
    this.timestamps.push(timestamp);
    this.relOffsets.push(offset - this.baseOffset);
  }

  /** The entry with the largest timestamp <= `timestamp`, or the segment start. */
  lookup(timestamp: number): { timestamp: number; offset: number } {
    const found = floorIndex(this.timestamps, timestamp, identity);
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : { timestamp: this.timestamps[found], offset: this.baseOffset + this.relOffsets[found] };
  }

  /** Reads the entries on disk, keeping the valid, increasing prefix. */
  load(): void {
    this.timestamps = [];
    this.relOffsets = [];
    if (!this.disk.exists(this.path)) return;
    const buf = this.disk.readAll(this.path);
    for (let p = 0; p + 12 <= buf.length; p += 12) {
      const ts = readInt64(buf, p);
      const rel = buf.readInt32BE(p + 8);
      const n = this.timestamps.length;
      if (rel < 0 || (n > 0 && ts <= this.timestamps[n - 1])) break;
      this.timestamps.push(ts);
      this.relOffsets.push(rel);
    }
  }

  truncateTo(offset: number): void {
    let n = this.relOffsets.length;
    while (n > 0 && this.baseOffset + this.relOffsets[n - 1] >= offset) n--;
    this.timestamps.length = n;
    this.relOffsets.length = n;
    if (this.disk.exists(this.path)) this.disk.truncate(this.path, n * 12);
  }

  reset(): void {
    this.truncateTo(Number.NEGATIVE_INFINITY);
  }

  flush(): void {
    if (this.disk.exists(this.path)) this.disk.fsync(this.path);
  }
}
