import type { Disk } from './disk.js';
import { readInt64, writeInt64 } from './int64.js';
import type { AbortedTxn } from './producerState.js';

const ENTRY_BYTES = 34;

/**
 * A segment's aborted-transaction index (Kafka's TransactionIndex, `.txnindex`): one
 * 34-byte entry per transaction whose ABORT marker lies in the segment: version int16 (0),
 * producerId int64, firstOffset int64, lastOffset int64, lastStableOffset int64. A
 * read_committed fetch asks it which producers' records to drop in the range it returns.
 */
export class TransactionIndex {
  private entries: AbortedTxn[] = [];

  constructor(
    private readonly disk: Disk,
    readonly path: string,
  ) {}

  all(): readonly AbortedTxn[] {
    return this.entries;
  }

  append(txn: AbortedTxn): void {
    const buf = Buffer.alloc(ENTRY_BYTES);
    buf.writeInt16BE(0, 0);
    writeInt64(buf, 2, txn.producerId);
    writeInt64(buf, 10, txn.firstOffset);
    writeInt64(buf, 18, txn.lastOffset);
    writeInt64(buf, 26, txn.lastStableOffset);
    this.disk.append(this.path, buf);
    this.entries.push(txn);
  }

  load(): void {
    this.entries = [];
    if (!this.disk.exists(this.path)) return;
    const buf = this.disk.readAll(this.path);
    for (let p = 0; p + ENTRY_BYTES <= buf.length; p += ENTRY_BYTES) {
      if (buf.readInt16BE(p) !== 0) break;
      this.entries.push({ producerId: readInt64(buf, p + 2), firstOffset: readInt64(buf, p + 10), lastOffset: readInt64(buf, p + 18), lastStableOffset: readInt64(buf, p + 26) });
    }
  }

  /** Aborted transactions overlapping [from, to). */
  overlapping(from: number, to: number): AbortedTxn[] {
    return this.entries.filter((t) => t.lastOffset >= from && t.firstOffset < to);
  }

  /** Drops entries whose marker is at or after `offset`. */
  truncateTo(offset: number): void {
    const kept = this.entries.filter((t) => t.lastOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    if (this.disk.exists(this.path)) this.disk.truncate(this.path, kept.length * ENTRY_BYTES);
  }

  reset(): void {
    this.entries = [];
    if (this.disk.exists(this.path)) this.disk.delete(this.path);
  }

  flush(): void {
    if (this.disk.exists(this.path)) this.disk.fsync(this.path);
  }
}
