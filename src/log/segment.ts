import { joinPath, type Disk } from './disk.js';
import { OffsetIndex, TimeIndex } from './offsetIndex.js';
import { TransactionIndex } from './transactionIndex.js';
import { BATCH_HEADER_SIZE, BATCH_SPAN_BYTES, batchSizeAt, checkBatch, lastOffsetAt, lastOffsetOf, peekBaseOffset, readBatchHeader, sizeOf, type BatchHeader } from './recordBatch.js';

/** How much of a segment positionOf reads at a time while scanning for an offset. */
const SCAN_WINDOW_BYTES = 16 * 1024;
/** Where appendRun lists its batches' ends for the disk: one array, refilled by each run. */
const RUN_ENDS: number[] = [];
/** How many of the latest appended batches a segment remembers the position of. */
const RECENT_BATCHES = 4;
/** How many read ends (fetch cursors) a segment remembers: one per follower and consumer reading it, about. */
const READ_CURSORS = 4;

/** Kafka's file name for a segment: its base offset, zero-padded to 20 digits. */
export function segmentFileName(baseOffset: number, suffix: '.log' | '.index' | '.timeindex' | '.snapshot' | '.txnindex'): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

export interface SegmentRead {
  /** Whole batches, as stored. */
  readonly bytes: Buffer;
  /** Base offset of the first batch returned. */
  readonly firstBatchOffset: number;
}

export interface RecoveryResult {
  /** Bytes cut from the end of the segment because they were not valid batches. */
  readonly truncatedBytes: number;
  readonly reason?: string;
}

/**
 * One segment of a partition's log: a `.log` file of record batches with its sparse
 * `.index` and `.timeindex` (Kafka's LogSegment). Batches are appended whole, and the
 * indexes gain an entry every `indexIntervalBytes` of log.
 */
export class LogSegment {
  readonly logPath: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly txnIndex: TransactionIndex;
  private bytes = 0;
  private bytesSinceIndexEntry = 0;
  private next: number;
  private maxTimestamp = -1;
  /** Timestamp of the first batch, which segment.ms counts from (Kafka's rollingBasedTimestamp). */
  private firstTimestamp: number | undefined;
  /**
   * Where the last few batches appended start: base offsets and positions, in a ring. Readers
   * mostly want what was just appended (a follower's next fetch, the checkers following each
   * append), so a lookup at or past one of these starts scanning there, not at the sparse
   * index's entry up to index.interval.bytes before. Offsets only grow along the file, so
   * the answer is the one the full scan gives.
   */
  private readonly recentBases = new Float64Array(RECENT_BATCHES).fill(-1);
  private readonly recentPositions = new Float64Array(RECENT_BATCHES);
  private recentNext = 0;
  /**
   * Fetch cursors: where the latest reads ended, keyed by the offset after the last batch
   * they took. Every batch before such a position ends below its key, so a read at or past
   * the key (a follower's or a consumer's next fetch) starts there, not at the sparse
   * index's entry. Forgotten with the recent batches.
   */
  private readonly cursorOffsets = new Float64Array(READ_CURSORS).fill(-1);
  private readonly cursorPositions = new Float64Array(READ_CURSORS);
  private cursorNext = 0;
  /** What seek found: the position and base offset of the batch holding the offset sought. */
  private soughtPosition = 0;
  private soughtBase = 0;
  /** The offset after the last batch endOfRead took. */
  private readEndOffset = -1;

  constructor(
    private readonly disk: Disk,
    readonly dir: string,
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
  ) {
    this.logPath = joinPath(dir, segmentFileName(baseOffset, '.log'));
    this.offsetIndex = new OffsetIndex(disk, joinPath(dir, segmentFileName(baseOffset, '.index')), baseOffset);
    this.timeIndex = new TimeIndex(disk, joinPath(dir, segmentFileName(baseOffset, '.timeindex')), baseOffset);
    this.txnIndex = new TransactionIndex(disk, joinPath(dir, segmentFileName(baseOffset, '.txnindex')));
    this.next = baseOffset;
  }

  /** Creates the segment's files. */
  create(): void {
    this.disk.append(this.logPath, new Uint8Array(0));
  }

  get size(): number {
    return this.bytes;
  }

  /** One past the last offset in the segment. */
  get nextOffset(): number {
    return this.next;
  }

  /**
   * Declares that the segment covers offsets up to `nextOffset` even though its last
   * batches are gone: after compaction, the next segment still starts where it did.
   */
  extendTo(nextOffset: number): void {
    if (nextOffset > this.next) this.next = nextOffset;
  }

  /**
   * The leader epoch of the last batch, read from the file: the batch headers are walked
   * from the last offset index entry. The segment may be a trusted one whose index was
   * damaged while the broker was down (its entries are not checked against the log, as
   * Kafka's OffsetIndex.sanityCheck does not check positions either); when the walk from
   * the entry does not frame the file to its end, it is walked again from the start, and
   * it stops at the first bytes that cannot be a batch, never reading past the file.
   */
  lastEpoch(): number {
    const fromIndex = this.walkHeaders(this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position);
    return fromIndex.end === this.bytes ? fromIndex.epoch : this.walkHeaders(0).epoch;
  }

  /** The base offset of the batch at `position` when one is framed there, within the file. */
  private baseOffsetAt(position: number): number | undefined {
    if (position < 0 || this.bytes - position < BATCH_HEADER_SIZE) return undefined;
    const header = this.disk.peek(this.logPath, position, BATCH_HEADER_SIZE);
    const size = batchSizeAt(header, 0);
    return size < BATCH_HEADER_SIZE || position + size > this.bytes ? undefined : peekBaseOffset(header, 0);
  }

  /** Walks batch headers from `start` while they frame; where it stopped, and the last epoch seen. */
  private walkHeaders(start: number): { end: number; epoch: number } {
    let p = start;
    let epoch = -1;
    while (p < this.bytes && this.bytes - p >= BATCH_HEADER_SIZE) {
      const header = this.disk.peek(this.logPath, p, BATCH_HEADER_SIZE);
      const size = batchSizeAt(header, 0);
      if (size < BATCH_HEADER_SIZE || p + size > this.bytes) break;
      epoch = readBatchHeader(header, 0).partitionLeaderEpoch;
      p += size;
    }
    return { end: p, epoch };
  }

  get largestTimestamp(): number {
    return this.maxTimestamp;
  }

  get rollingTimestamp(): number | undefined {
    return this.firstTimestamp;
  }

  get isEmpty(): boolean {
    return this.bytes === 0;
  }

  /**
   * Appends one checked batch. `front`, when given, replaces the batch's first bytes: a
   * leader writes its own base offset and epoch there without copying the whole batch.
   */
  /**
   * Appends whole checked batches, `headers` those of `records` in order, each its own write
   * and index entry as `append` makes them, in one pass over the bytes.
   */
  appendRun(records: Uint8Array, headers: readonly BatchHeader[]): void {
    const ends = RUN_ENDS;
    let position = this.bytes;
    for (let i = 0, end = 0; i < headers.length; i++) ends[i] = end += sizeOf(headers[i]);
    this.disk.appendInPieces(this.logPath, records, ends, headers.length);
    for (const h of headers) {
      const size = sizeOf(h);
      this.noteBatch(h, position, size);
      position += size;
    }
    this.bytes = position;
  }

  append(batch: Uint8Array, header: BatchHeader, front?: Uint8Array): void {
    const position = this.bytes;
    if (front === undefined) this.disk.append(this.logPath, batch);
    else this.disk.appendWithFront(this.logPath, front, batch);
    this.bytes += batch.length;
    this.noteBatch(header, position, batch.length);
  }

  private noteBatch(header: BatchHeader, position: number, size: number): void {
    const last = lastOffsetOf(header);
    if (this.bytesSinceIndexEntry >= this.indexIntervalBytes || position === 0) {
      if (position > 0) this.offsetIndex.append(header.baseOffset, position);
      this.timeIndex.append(Math.max(header.maxTimestamp, this.maxTimestamp), last);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    if (header.maxTimestamp > this.maxTimestamp) this.maxTimestamp = header.maxTimestamp;
    if (this.firstTimestamp === undefined) this.firstTimestamp = header.maxTimestamp;
    this.next = last + 1;
    this.recentBases[this.recentNext] = header.baseOffset;
    this.recentPositions[this.recentNext] = position;
    this.recentNext = (this.recentNext + 1) % RECENT_BATCHES;
  }

  /** Forgets the recent batches, when bytes they point at may have gone. */
  private forgetRecent(): void {
    this.recentBases.fill(-1);
    this.cursorOffsets.fill(-1);
  }

  /**
   * The position of the latest recent batch starting at or below `offset`, or -1. Not on a
   * disk a media fault touched: a scan from the index must then meet the damage first.
   */
  private recentPositionFor(offset: number): number {
    if (this.disk.mayHaveRotted === true) return -1;
    return Math.max(latestAtOrBelow(this.recentBases, this.recentPositions, offset), latestAtOrBelow(this.cursorOffsets, this.cursorPositions, offset));
  }

  /**
   * Position of the first batch whose last offset is >= `offset`, or undefined: from the
   * offset index's entry at or below it, scanning batch headers forward as Kafka's
   * LogSegment.translateOffset does. The scan reads the file a window at a time and looks
   * at each batch's first 27 bytes only.
   */
  positionOf(offset: number): { position: number; baseOffset: number } | undefined {
    return this.seek(offset) ? { position: this.soughtPosition, baseOffset: this.soughtBase } : undefined;
  }

  /** positionOf without an answer object: true when found, with soughtPosition and soughtBase set. */
  private seek(offset: number): boolean {
    let { position } = this.offsetIndex.lookup(offset);
    const recent = this.recentPositionFor(offset);
    if (recent > position) position = recent;
    while (position < this.bytes) {
      const window = this.disk.peek(this.logPath, position, Math.min(SCAN_WINDOW_BYTES, this.bytes - position));
      let p = 0;
      while (p + BATCH_HEADER_SIZE <= window.length) {
        if (lastOffsetAt(window, p) >= offset) {
          this.soughtPosition = position + p;
          this.soughtBase = peekBaseOffset(window, p);
          return true;
        }
        const size = batchSizeAt(window, p);
        // A length smaller than a header is rot on disk: nothing past it can be framed.
        if (size < BATCH_HEADER_SIZE) return false;
        p += size;
      }
      // No whole header left in the file: the segment ends in a partial batch.
      if (p === 0) return false;
      position += p;
    }
    return false;
  }

  /**
   * Reads whole batches starting with the one holding `offset`, up to `maxBytes` (at least
   * one batch when `minOneBatch`), and stopping before any batch that reaches `maxOffset`.
   * It looks at each batch's first bytes only (size and last offset).
   */
  read(offset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): SegmentRead | undefined {
    if (!this.seek(offset) || this.soughtBase >= maxOffset) return undefined;
    const start = this.soughtPosition;
    const firstBatchOffset = this.soughtBase;
    const end = this.endOfRead(start, maxBytes, maxOffset, minOneBatch);
    if (end === start) return undefined;
    this.noteReadEnd(this.readEndOffset, end);
    return { bytes: this.disk.read(this.logPath, start, end - start), firstBatchOffset };
  }

  /** A read ended at `position`, every batch before it ending below `offset`: the next fetch from there starts at it. */
  private noteReadEnd(offset: number, position: number): void {
    for (let i = 0; i < READ_CURSORS; i++) if (this.cursorOffsets[i] === offset) return;
    this.cursorOffsets[this.cursorNext] = offset;
    this.cursorPositions[this.cursorNext] = position;
    this.cursorNext = (this.cursorNext + 1) % READ_CURSORS;
  }

  /** Where a read from `from` stops: before the batch that would pass `maxBytes` or reach `maxOffset`, a window of the file at a time. */
  private endOfRead(from: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): number {
    let position = from;
    while (position < this.bytes) {
      const window = this.disk.peek(this.logPath, position, Math.min(SCAN_WINDOW_BYTES, this.bytes - position));
      let p = 0;
      while (p + BATCH_SPAN_BYTES <= window.length) {
        const taken = position + p - from;
        const size = batchSizeAt(window, p);
        const last = lastOffsetAt(window, p);
        if (size < BATCH_HEADER_SIZE || last >= maxOffset || (taken + size > maxBytes && !(minOneBatch && taken === 0))) return position + p;
        this.readEndOffset = last + 1;
        p += size;
      }
      // No whole batch start left in the window: the next window starts there.
      if (p === 0) return position;
      position += p;
    }
    return Math.min(position, this.bytes);
  }

  /**
   * Removes every batch whose last offset is >= `offset`, as Kafka truncates at batch
   * boundaries. Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    const at = this.positionOf(offset);
    if (at === undefined) return 0;
    const removed = this.bytes - at.position;
    this.disk.truncate(this.logPath, at.position);
    this.forgetRecent();
    this.bytes = at.position;
    this.offsetIndex.truncateTo(at.baseOffset);
    this.timeIndex.truncateTo(at.baseOffset);
    this.txnIndex.truncateTo(at.baseOffset);
    this.rescanTail();
    return removed;
  }

  /**
   * Validates the segment from the start, batch by batch (size, magic, CRC, offsets
   * increasing), rebuilds both indexes, and cuts the file at the first invalid byte. It
   * never throws on corrupt data and keeps every valid batch before the corruption.
   */
  recover(expect: { contiguous: boolean; minEpoch: number } = { contiguous: true, minEpoch: -1 }): RecoveryResult {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    // Rebuilt by the log as it replays producer state over this segment.
    this.txnIndex.reset();
    this.forgetRecent();
    this.bytes = 0;
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = -1;
    this.firstTimestamp = undefined;
    this.next = this.baseOffset;
    const data = this.disk.exists(this.logPath) ? this.disk.readAll(this.logPath) : Buffer.alloc(0);
    let position = 0;
    let reason: string | undefined;
    let minEpoch = expect.minEpoch;
    while (position < data.length) {
      const check = checkBatch(data, position, data.length);
      if (!check.ok) {
        reason = `invalid batch at byte ${position}: ${check.reason}`;
        break;
      }
      const h = check.header;
      // baseOffset and partitionLeaderEpoch are outside the CRC, so they are checked by what
      // must hold: offsets follow on (gaps only in compacted logs, and never past what a
      // relative offset can hold), and epochs never go down.
      if (h.baseOffset < this.next || (expect.contiguous && h.baseOffset !== this.next) || lastOffsetOf(h) - this.baseOffset > 0x7fffffff) {
        reason = `batch at byte ${position} has base offset ${h.baseOffset}, expected ${this.next}`;
        break;
      }
      if (h.partitionLeaderEpoch < minEpoch) {
        reason = `batch at byte ${position} has leader epoch ${h.partitionLeaderEpoch}, below ${minEpoch}`;
        break;
      }
      minEpoch = h.partitionLeaderEpoch;
      this.noteBatch(h, position, check.size);
      position += check.size;
      this.bytes = position;
    }
    const truncatedBytes = data.length - position;
    if (truncatedBytes > 0) this.disk.truncate(this.logPath, position);
    return { truncatedBytes, reason };
  }

  /**
   * Opens a segment below the recovery point without scanning it: it was flushed before
   * the recovery point moved past it, so its bytes and indexes are trusted, as Kafka trusts
   * them. `nextOffset` is the next segment's base offset (or the recovery point).
   */
  loadTrusted(nextOffset: number): void {
    this.forgetRecent();
    this.bytes = this.disk.exists(this.logPath) ? this.disk.size(this.logPath) : 0;
    this.offsetIndex.load();
    this.offsetIndex.keepWhile((offset, position) => this.baseOffsetAt(position) === offset);
    this.timeIndex.load();
    this.txnIndex.load();
    this.next = nextOffset;
    this.maxTimestamp = this.timeIndex.lastTimestamp;
    // A trusted file cut below one header (a media fault while the log was closed) has no first timestamp.
    this.firstTimestamp = this.bytes < BATCH_HEADER_SIZE ? undefined : readBatchHeader(this.disk.peek(this.logPath, 0, BATCH_HEADER_SIZE), 0).maxTimestamp;
    this.bytesSinceIndexEntry = this.bytes - this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
  }

  /**
   * Opens the last segment after a clean shutdown without recovering it: its indexes are
   * trusted, and its next offset is found by reading the batch headers after its last
   * offset index entry (LogSegment.readNextOffset). Returns false, for the caller to recover
   * the segment instead, when that tail cannot be framed (the file was cut or damaged while
   * the broker was down), as Kafka's loader recovers a segment that fails its sanity check.
   */
  loadLast(): boolean {
    this.loadTrusted(this.baseOffset);
    let p = this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
    while (p < this.bytes) {
      if (this.bytes - p < BATCH_HEADER_SIZE) return false;
      const size = batchSizeAt(this.disk.peek(this.logPath, p, BATCH_HEADER_SIZE), 0);
      if (size < BATCH_HEADER_SIZE || p + size > this.bytes) return false;
      p += size;
    }
    if (p !== this.bytes) return false;
    this.rescanTail();
    return true;
  }

  /** Recomputes the next offset and largest timestamp after a truncation, from the last index entry on. */
  private rescanTail(): void {
    const start = this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
    let p = start;
    let next = this.baseOffset;
    let max = this.timeIndex.lastTimestamp;
    while (p < this.bytes) {
      const header = readBatchHeader(this.disk.peek(this.logPath, p, 61), 0);
      next = lastOffsetOf(header) + 1;
      if (header.maxTimestamp > max) max = header.maxTimestamp;
      p += sizeOf(header);
    }
    this.next = next;
    this.maxTimestamp = max;
    this.bytesSinceIndexEntry = this.bytes - start;
    if (this.bytes === 0) this.firstTimestamp = undefined;
  }

  flush(): void {
    this.disk.fsync(this.logPath);
    this.offsetIndex.flush();
    this.timeIndex.flush();
    this.txnIndex.flush();
  }

  delete(): void {
    for (const path of [this.logPath, this.offsetIndex.path, this.timeIndex.path, this.txnIndex.path]) if (this.disk.exists(path)) this.disk.delete(path);
  }
}

/** The position under the greatest key at or below `offset` in a ring of (key, position), or -1. */
function latestAtOrBelow(keys: Float64Array, positions: Float64Array, offset: number): number {
  let best = -1;
  let position = -1;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key >= 0 && key <= offset && key > best) {
      best = key;
      position = positions[i];
    }
  }
  return position;
}
