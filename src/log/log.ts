import { floorIndex } from '../sim/order.js';
import { joinPath, type Disk } from './disk.js';
import { BatchIndex } from './batchIndex.js';
import { LeaderEpochCache } from './leaderEpochCache.js';
import { ProducerStateManager, type AbortedTxn, type UnknownProducerRule } from './producerState.js';
import { batchProblem, batchSizeAt, checkBatch, checkBatchInto, crcAt, decodeRecords, isControl, lastOffsetAt, lastOffsetOf, leaderEpochAt, newBatchHeader, parseControlRecord, peekBaseOffset, readBatchHeader, setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch, sizeOf, type BatchHeader, type ReadBatchHeader } from './recordBatch.js';
import { LogSegment, segmentFileName } from './segment.js';

/** baseOffset, batchLength and partitionLeaderEpoch: the header bytes a leader rewrites. */
const STAMP_BYTES = 16;
/** Where a leader's append stamps a batch's first bytes: the disks copy what they append, so one buffer serves every append. */
const STAMP = Buffer.alloc(STAMP_BYTES);

/** Topic-level log settings, with Kafka's names in comments and Kafka's defaults. */
export interface LogConfig {
  /** segment.bytes */
  readonly segmentBytes: number;
  /** segment.ms */
  readonly segmentMs: number;
  /** index.interval.bytes */
  readonly indexIntervalBytes: number;
  /** segment.index.bytes: an index this full rolls the segment. */
  readonly segmentIndexBytes: number;
  /** flush.messages: fsync after this many messages; Kafka's default is never. */
  readonly flushMessages: number;
  /** flush.ms: fsync when the last flush is this old; Kafka's default is never. */
  readonly flushMs: number;
  /** cleanup.policy: delete (retention), compact (keep the latest record per key), or both. */
  readonly cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  /** retention.ms: segments whose newest record is older are deleted (below the high watermark). */
  readonly retentionMs: number;
  /** retention.bytes: the oldest segments go while the log is larger; -1 for no limit. */
  readonly retentionBytes: number;
  /** min.cleanable.dirty.ratio */
  readonly minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: records younger than this are not compacted. */
  readonly minCompactionLagMs: number;
  /** delete.retention.ms: how long a tombstone outlives the cleaning that first saw it. */
  readonly deleteRetentionMs: number;
  /** message.timestamp.type: LogAppendTime has the leader stamp its own clock on each batch. Default CreateTime. */
  readonly timestampType?: 'CreateTime' | 'LogAppendTime';
  /**
   * Before KAFKA-7190 (Kafka 2.3 and older), a producer's state left with the last of its
   * batches: when the log start offset passed them, ProducerStateManager.truncateHead
   * forgot the producer, so its next write met UNKNOWN_PRODUCER_ID and a retry of a batch
   * already written was no longer recognised. Since 2.4 (KAFKA-7190, part of KIP-360) the
   * state stays until producer.id.expiration.ms.
   */
  readonly evictProducersBelowLogStart?: boolean;
  /** How the leader answers a producer it has no state for whose batch does not start at sequence 0 (sim.unknown.producer.sequence). Default: accept, as Kafka since 2.5. */
  readonly unknownProducerSequence?: UnknownProducerRule;
}

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'delete';
}

export function isDeleting(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'compact';
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  indexIntervalBytes: 4_096,
  segmentIndexBytes: 10_485_760,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  cleanupPolicy: 'delete',
  retentionMs: 604_800_000,
  retentionBytes: -1,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  deleteRetentionMs: 86_400_000,
};

/** How much forEachBatch reads at a time (at least one batch). */
const FOR_EACH_READ_BYTES = 64 * 1024;
/**
 * Header objects a log keeps between appends (validate): a leader's append holds a batch or
 * a few, a follower's the batches of a whole fetch, thousands after a restart. Kept for
 * every append, the largest ever held every log's most for the rest of the run (about 20
 * bytes per message of the soak, issue 21).
 */
const HEADER_POOL_KEPT = 64;

/** The Kafka error codes (Errors.java) a log refuses an append or read with; the broker answers with them as they are. */
export type LogErrorCode = 'CORRUPT_MESSAGE' | 'OFFSET_OUT_OF_RANGE' | 'INVALID_RECORD' | 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' | 'UNKNOWN_PRODUCER_ID' | 'DUPLICATE_SEQUENCE_NUMBER';

/** A refused append or read, named by the Kafka error code a broker would return. */
export class LogError extends Error {
  constructor(readonly code: LogErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'LogError';
  }
}

export interface AppendInfo {
  /** True when an idempotent producer's retry was recognised: nothing was appended, and the offsets are the original ones. */
  readonly duplicate: boolean;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly batches: number;
  readonly records: number;
  readonly bytes: number;
}

export interface ReadResult {
  /** Whole batches. Empty when there is nothing below the upper bound. */
  readonly records: Buffer;
  readonly firstBatchOffset: number | undefined;
}

export interface OpenOptions {
  /** Offsets below this were flushed before the last shutdown; default: recover everything. */
  readonly recoveryPoint?: number;
  readonly logStartOffset?: number;
  readonly highWatermark?: number;
  /** The broker's local clock in milliseconds, for segment.ms and flush.ms. */
  readonly nowMs?: () => number;
  /**
   * The last shutdown was clean (the log dir's clean-shutdown marker): every segment and
   * index was flushed and closed, so none is recovered (LogLoader skips recovery then).
   */
  readonly hadCleanShutdown?: boolean;
}

export interface RecoveryReport {
  /** Base offset of the first segment that was scanned (its indexes were rebuilt). */
  readonly firstRecoveredOffset: number;
  readonly segmentsRecovered: number;
  readonly truncatedBytes: number;
  readonly segmentsDeleted: number;
  readonly reasons: readonly string[];
}

/**
 * One replica of one partition: segments on a disk, the leader epoch cache, and the
 * offsets replication reads and moves (Kafka's UnifiedLog with LocalLog). It knows nothing
 * of the network or of other replicas; the broker drives it.
 */
export class Log {
  private segments: LogSegment[] = [];
  private startOffset = 0;
  private hw = 0;
  private recoveryPointOffset = 0;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private firstDirty = 0;
  readonly epochs: LeaderEpochCache;
  readonly producers: ProducerStateManager;
  private readonly nowMs: () => number;
  /** The batches appended since the log was opened, for checkers that follow each append (forEachAppendedBatch). */
  private appended = new BatchIndex(Number.MAX_SAFE_INTEGER);
  /** The headers of the append under way (validate), and the header objects they are read into, kept from one append to the next. */
  private readonly validated: ReadBatchHeader[] = [];
  private readonly headerPool: ReadBatchHeader[] = [];

  private constructor(
    readonly disk: Disk,
    readonly dir: string,
    readonly config: LogConfig,
    options: OpenOptions,
  ) {
    this.nowMs = options.nowMs ?? (() => 0);
    this.lastFlushMs = this.nowMs();
    this.epochs = new LeaderEpochCache(disk, joinPath(dir, 'leader-epoch-checkpoint'));
    this.producers = new ProducerStateManager(disk, dir);
  }

  /**
   * Opens the log in `dir`, creating it if empty. Segments at or beyond the recovery point
   * are scanned and validated batch by batch; the first invalid byte and everything after
   * it is cut, and later segments are deleted, so what remains is the valid prefix.
   */
  static open(disk: Disk, dir: string, config: LogConfig = DEFAULT_LOG_CONFIG, options: OpenOptions = {}): { log: Log; recovery: RecoveryReport } {
    const log = new Log(disk, dir, config, options);
    disk.mkdir(dir);
    log.epochs.load();
    const recovery = log.loadSegments(options.recoveryPoint ?? 0, options.hadCleanShutdown === true);
    if (log.segments.length === 0) log.segments.push(log.newSegment(options.logStartOffset ?? 0));
    log.startOffset = Math.max(options.logStartOffset ?? log.segments[0].baseOffset, log.segments[0].baseOffset);
    const leo = log.logEndOffset;
    log.recoveryPointOffset = Math.min(options.recoveryPoint ?? 0, leo);
    log.hw = Math.min(Math.max(options.highWatermark ?? 0, log.startOffset), leo);
    log.epochs.truncateFromEnd(leo);
    log.rebuildProducerState(recovery.firstRecoveredOffset);
    log.appended = new BatchIndex(leo);
    return { log, recovery };
  }

  /**
   * Rebuilds producer state from the newest snapshot at or below the log end, replaying
   * the batches after it (UnifiedLog.rebuildProducerState). ABORT markers at or beyond
   * `reindexFrom` (in segments whose indexes recovery rebuilt) go back into their segment's
   * transaction index. Recovered segments that lie before that snapshot (one taken at a
   * clean shutdown, inside the active segment) get theirs from a producer state of their
   * own, replayed from a snapshot no later than the first of them, as
   * LogLoader.recoverSegment does; the log's own state still comes from the newest one.
   */
  private rebuildProducerState(reindexFrom: number): void {
    const leo = this.logEndOffset;
    const from = this.producers.loadSnapshot(leo) ?? this.startOffset;
    if (from === this.startOffset) this.producers.reset(this.startOffset);
    if (reindexFrom < from) {
      const scratch = new ProducerStateManager(this.disk, this.dir);
      const start = scratch.restoreSnapshot(reindexFrom) ?? this.startOffset;
      if (start === this.startOffset) scratch.reset(this.startOffset);
      this.replay(scratch, start, from, reindexFrom);
    }
    this.replay(this.producers, from, leo, reindexFrom);
    this.producers.mapEndOffset = leo;
  }

  /** Folds the batches holding offsets in [from, to) into `state`, indexing the ABORT markers at or past `reindexFrom`. */
  private replay(state: ProducerStateManager, from: number, to: number, reindexFrom: number): void {
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      const segment = this.segments[i];
      if (segment.baseOffset >= to) return;
      if (segment.nextOffset <= from) continue;
      const data = this.disk.readAll(segment.logPath);
      const end = Math.min(segment.size, data.length);
      const verify = this.disk.mayHaveRotted !== false;
      let pos = 0;
      while (pos < end) {
        // A segment below the recovery point is trusted, not scanned, at open: when its bytes
        // rotted while the broker was down, the replay stops at the first batch that cannot
        // be read, as a reader does (Kafka's batch iterator throws CorruptRecordException).
        const check = verify ? checkBatch(data, pos, end) : undefined;
        if (check !== undefined && !check.ok) return;
        const h = check?.header ?? readBatchHeader(data, pos);
        if (h.baseOffset >= to) return;
        if (lastOffsetOf(h) >= from) {
          const aborted = state.update(h, isControl(h) ? parseControlRecord(decodeRecords(data, pos, h)[0]) : undefined, this.hw);
          if (aborted !== undefined && h.baseOffset >= reindexFrom) segment.txnIndex.append(aborted);
        }
        pos += sizeOf(h);
      }
    }
  }

  private loadSegments(recoveryPoint: number, clean: boolean): RecoveryReport {
    // Finish or undo a cleaner's swap cut short: a .cleaned file was never swapped in; a
    // .swap file was, and replaces whatever is left of the segment it was made from.
    for (const name of this.disk.list(this.dir)) {
      const path = joinPath(this.dir, name);
      if (name.endsWith('.log.cleaned')) this.disk.delete(path);
      if (name.endsWith('.log.swap')) {
        const target = path.slice(0, -'.swap'.length);
        if (this.disk.exists(target)) this.disk.delete(target);
        this.disk.rename(path, target);
      }
    }
    const bases = this.disk
      .list(this.dir)
      .filter((n) => /^\d{20}\.log$/.test(n))
      .map((n) => Number(n.slice(0, 20)));
    // Index files without a log file are leftovers of a deletion that was cut short.
    for (const name of this.disk.list(this.dir)) {
      const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(name);
      if (m !== null && !bases.includes(Number(m[1]))) this.disk.delete(joinPath(this.dir, name));
    }
    let segmentsRecovered = 0;
    let firstRecoveredOffset = Number.MAX_SAFE_INTEGER;
    let truncatedBytes = 0;
    let segmentsDeleted = 0;
    const reasons: string[] = [];
    for (let i = 0; i < bases.length; i++) {
      const segment = new LogSegment(this.disk, this.dir, bases[i], this.config.indexIntervalBytes);
      const nextBase = bases[i + 1];
      if (nextBase !== undefined && nextBase <= recoveryPoint) {
        segment.loadTrusted(nextBase);
        this.segments.push(segment);
        continue;
      }
      if (nextBase === undefined && clean && segment.loadLast()) {
        this.segments.push(segment);
        continue;
      }
      const previous = this.segments[this.segments.length - 1];
      if (previous !== undefined && !isCompacted(this.config) && segment.baseOffset !== previous.nextOffset) {
        // A segment that does not start where the previous one ends follows a lost tail.
        reasons.push(`${segment.logPath}: starts at ${segment.baseOffset}, but the log before it ends at ${previous.nextOffset}`);
        for (const later of bases.slice(i)) {
          new LogSegment(this.disk, this.dir, later, this.config.indexIntervalBytes).delete();
          segmentsDeleted++;
        }
        break;
      }
      const result = segment.recover({
        contiguous: !isCompacted(this.config),
        minEpoch: previous === undefined ? -1 : previous.lastEpoch(),
      });
      segmentsRecovered++;
      firstRecoveredOffset = Math.min(firstRecoveredOffset, segment.baseOffset);
      truncatedBytes += result.truncatedBytes;
      if (result.reason !== undefined) reasons.push(`${segment.logPath}: ${result.reason}`);
      if (!segment.isEmpty || i === 0 || this.segments.length === 0) this.segments.push(segment);
      else {
        segment.delete();
        segmentsDeleted++;
        continue;
      }
      if (result.truncatedBytes > 0) {
        // Nothing after a corrupt batch can be trusted to follow it.
        for (const later of bases.slice(i + 1)) {
          new LogSegment(this.disk, this.dir, later, this.config.indexIntervalBytes).delete();
          segmentsDeleted++;
        }
        break;
      }
    }
    return { firstRecoveredOffset, segmentsRecovered, truncatedBytes, segmentsDeleted, reasons };
  }

  // ------------------------------------------------------------------ offsets

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** The last stable offset: the first offset of the earliest unfinished transaction, or the high watermark. */
  get lastStableOffset(): number {
    return this.producers.lastStableOffset(this.hw);
  }

  /** Aborted transactions with records in [from, to), for read_committed fetches. */
  abortedTransactions(from: number, to: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (const s of this.segments) {
      if (s.nextOffset <= from && s.txnIndex.all().every((t) => t.lastOffset < from)) continue;
      out.push(...s.txnIndex.overlapping(from, to));
    }
    return out;
  }

  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }

  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  allSegments(): readonly LogSegment[] {
    return this.segments;
  }

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]. Returns the value set. */
  updateHighWatermark(offset: number): number {
    this.hw = Math.min(Math.max(offset, this.startOffset), this.logEndOffset);
    this.producers.onHighWatermarkUpdated(this.hw);
    return this.hw;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  // ------------------------------------------------------------------ append

  /**
   * Appends a producer's batches as leader: validates each (size, magic, CRC), assigns
   * offsets from the log end and stamps `leaderEpoch` into each batch.
   */
  appendAsLeader(records: Buffer, leaderEpoch: number): AppendInfo {
    let headers = this.validate(records);
    if (this.config.timestampType === 'LogAppendTime') {
      // LogValidator (validateMessagesAndAssignOffsets): the leader's clock replaces the
      // producer's timestamps, on a copy, since the producer's bytes are its own.
      records = Buffer.from(records);
      const now = this.nowMs();
      let at = 0;
      for (const h of headers) {
        setLogAppendTime(records, at, now);
        at += h.batchLength + 12;
      }
      headers = this.validate(records);
    }
    // Idempotence (KIP-98): a retried batch is answered with its original offsets; a gap in
    // sequence numbers or an old epoch is refused.
    for (let i = 0; i < headers.length; i++) {
      const verdict = this.producers.verify(headers[i], this.config.unknownProducerSequence ?? 'accept');
      if (verdict.kind === 'error') throw new LogError(verdict.code, verdict.message);
      if (verdict.kind === 'duplicate') {
        if (headers.length > 1) throw new LogError('DUPLICATE_SEQUENCE_NUMBER', `batch ${i} of a multi-batch append is a duplicate`);
        const o = verdict.original;
        return { duplicate: true, firstOffset: o.firstOffset, lastOffset: o.lastOffset, maxTimestamp: o.timestamp, batches: 1, records: o.lastOffset - o.firstOffset + 1, bytes: 0 };
      }
    }
    // The headers were read for this append alone: the leader's offsets and epoch go into them.
    let next = this.logEndOffset;
    for (const h of headers) {
      h.baseOffset = next;
      h.partitionLeaderEpoch = leaderEpoch;
      next += h.lastOffsetDelta + 1;
    }
    if (headers.length > 0 && leaderEpoch > this.epochs.latestEpoch) this.epochs.assign(leaderEpoch, headers[0].baseOffset);
    return this.appendBatches(records, headers, true);
  }

  /**
   * Appends batches fetched from the leader, keeping the leader's offsets and epochs. They
   * must continue the log: a follower truncates before it appends anything else. In a
   * compacted log the leader's cleaner may have removed whole batches, so the batches only
   * have to move forward from the log end (UnifiedLog.append with validateAndAssignOffsets
   * off refuses a first offset below the log end, UnexpectedAppendOffsetException, and
   * analyzeAndValidateRecords offsets that do not increase, OffsetsOutOfOrderException); a log
   * that is not compacted has no gaps, and here they must follow on exactly, as its recovery
   * requires.
   */
  appendAsFollower(records: Buffer): AppendInfo {
    const headers = this.validate(records);
    const gaps = isCompacted(this.config);
    if (headers.length > 0 && (gaps ? headers[0].baseOffset < this.logEndOffset : headers[0].baseOffset !== this.logEndOffset)) {
      throw new LogError('OFFSET_OUT_OF_RANGE', `follower append at ${headers[0].baseOffset}, but the log ends at ${this.logEndOffset}`);
    }
    for (let i = 1; i < headers.length; i++) {
      const after = lastOffsetOf(headers[i - 1]);
      if (gaps ? headers[i].baseOffset <= after : headers[i].baseOffset !== after + 1) {
        throw new LogError('INVALID_RECORD', `batch at ${headers[i].baseOffset} does not follow ${after}`);
      }
    }
    for (const h of headers) if (h.partitionLeaderEpoch !== this.epochs.latestEpoch) this.epochs.assign(h.partitionLeaderEpoch, h.baseOffset);
    return this.appendBatches(records, headers);
  }

  /**
   * Checks every batch of an append (size, magic, CRC) and reads their headers, into the
   * log's own reused headers: valid until the next append, which is all an append needs.
   */
  private validate(records: Buffer): ReadBatchHeader[] {
    const headers = this.validated;
    let n = 0;
    let pos = 0;
    while (pos < records.length) {
      const header = (this.headerPool[n] ??= newBatchHeader());
      const size = checkBatchInto(records, pos, records.length, header);
      if (size < 0) throw new LogError('CORRUPT_MESSAGE', `batch ${n} at byte ${pos}: ${batchProblem(records, pos, records.length, size).reason}`);
      headers[n++] = header;
      pos += size;
    }
    // Shortened only when this append has fewer batches than the last: the array keeps its room.
    if (headers.length !== n) headers.length = n;
    if (this.headerPool.length > Math.max(n, HEADER_POOL_KEPT)) this.headerPool.length = Math.max(n, HEADER_POOL_KEPT);
    return headers;
  }

  /**
   * Appends checked batches. `stamp` (a leader's append): the producer's bytes are its own,
   * so each batch's new base offset and epoch (from its header) go into a copy of its first
   * 16 bytes (outside the CRC), written in front of the rest.
   */
  private appendBatches(records: Buffer, headers: readonly BatchHeader[], stamp = false): AppendInfo {
    if (headers.length === 0) throw new LogError('INVALID_RECORD', 'an append holds at least one batch');
    // A follower's fetch, several batches, none of which rolls the segment: one pass.
    const run = !stamp && headers.length > 1 && this.fitsActiveSegment(records.length, headers);
    if (run) this.active.appendRun(records, headers);
    let pos = 0;
    let count = 0;
    let maxTimestamp = -1;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      const size = h.batchLength + 12;
      if (!run) this.appendOne(records, pos, size, h, stamp);
      this.appended.push(h.baseOffset, lastOffsetOf(h), h.partitionLeaderEpoch, h.crc);
      const marker = isControl(h) ? parseControlRecord(decodeRecords(records, pos, readBatchHeader(records, pos))[0]) : undefined;
      const aborted = this.producers.update(h, marker, this.hw);
      if (aborted !== undefined) this.active.txnIndex.append(aborted);
      pos += size;
      count += h.recordCount;
      if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
    }
    this.unflushedMessages += count;
    if (this.unflushedMessages >= this.config.flushMessages) this.flush();
    return {
      duplicate: false,
      firstOffset: headers[0].baseOffset,
      lastOffset: lastOffsetOf(headers[headers.length - 1]),
      maxTimestamp,
      batches: headers.length,
      records: count,
      bytes: records.length,
    };
  }

  /** One batch of an append, at `pos` in `records`: the segment rolled first if it must be, the leader's offsets stamped. */
  private appendOne(records: Buffer, pos: number, size: number, h: BatchHeader, stamp: boolean): void {
    this.maybeRoll(size, h);
    // A single-batch append (a leader's usual one) is its own batch: no view.
    const batch = pos === 0 && size === records.length ? records : records.subarray(pos, pos + size);
    if (stamp) {
      // Byte by byte: Buffer.copy of a range makes a view of it.
      for (let b = 0; b < STAMP_BYTES; b++) STAMP[b] = records[pos + b];
      setBaseOffset(STAMP, 0, h.baseOffset);
      setPartitionLeaderEpoch(STAMP, 0, h.partitionLeaderEpoch);
    }
    this.active.append(batch, h, stamp ? STAMP : undefined);
  }

  /**
   * No batch of `headers` (`bytes` in all) would roll the active segment: maybeRoll's tests
   * for the last of them, against the segment as it would be by then. An empty segment
   * takes the batch-by-batch path (its roll time starts with the first batch).
   */
  private fitsActiveSegment(bytes: number, headers: readonly BatchHeader[]): boolean {
    const s = this.active;
    if (s.isEmpty || s.size + bytes > this.config.segmentBytes) return false;
    if (s.offsetIndex.entries + headers.length >= Math.floor(this.config.segmentIndexBytes / 8)) return false;
    const rolling = s.rollingTimestamp;
    const now = this.nowMs();
    for (const h of headers) {
      if (rolling !== undefined && Math.max(now, h.maxTimestamp) - rolling > this.config.segmentMs) return false;
      if (lastOffsetOf(h) - s.baseOffset > 0x7fffffff) return false;
    }
    return true;
  }

  /** Kafka's LogSegment.shouldRoll: size, age, a full index, or relative offsets overflowing. */
  private maybeRoll(batchSize: number, header: BatchHeader): void {
    const s = this.active;
    if (s.isEmpty) return;
    const tooBig = s.size + batchSize > this.config.segmentBytes;
    const rolling = s.rollingTimestamp;
    const tooOld = rolling !== undefined && Math.max(this.nowMs(), header.maxTimestamp) - rolling > this.config.segmentMs;
    const indexFull = s.offsetIndex.entries >= Math.floor(this.config.segmentIndexBytes / 8);
    const overflow = lastOffsetOf(header) - s.baseOffset > 0x7fffffff;
    if (tooBig || tooOld || indexFull || overflow) this.roll();
  }

  /**
   * Starts a new active segment at the log end offset. Kafka flushes everything before the
   * new segment right after a roll (on its scheduler); here the flush is part of the roll.
   */
  roll(): void {
    if (this.active.isEmpty) return;
    this.flush();
    this.producers.takeSnapshot();
    this.segments.push(this.newSegment(this.logEndOffset));
  }

  private newSegment(baseOffset: number): LogSegment {
    const s = new LogSegment(this.disk, this.dir, baseOffset, this.config.indexIntervalBytes);
    s.create();
    return s;
  }

  // ------------------------------------------------------------------ read

  /**
   * Reads whole batches from `startOffset`, up to `maxBytes` (but at least one batch when
   * `minOneBatch`, as KIP-74 fetches do), never including a batch that reaches
   * `upperBound`: the high watermark for consumers, the log end for followers, the last
   * stable offset for read_committed.
   */
  read(startOffset: number, maxBytes: number, upperBound: number = this.logEndOffset, minOneBatch = true): ReadResult {
    if (startOffset < this.startOffset || startOffset > this.logEndOffset) {
      throw new LogError('OFFSET_OUT_OF_RANGE', `offset ${startOffset} is outside [${this.startOffset}, ${this.logEndOffset}]`);
    }
    const bound = Math.min(upperBound, this.logEndOffset);
    for (let i = this.segmentIndexFor(startOffset); i < this.segments.length; i++) {
      const s = this.segments[i];
      if (s.baseOffset >= bound) break;
      const r = s.read(Math.max(startOffset, s.baseOffset), maxBytes, bound, minOneBatch);
      if (r !== undefined) return { records: r.bytes, firstBatchOffset: r.firstBatchOffset };
    }
    return { records: Buffer.alloc(0), firstBatchOffset: undefined };
  }

  /**
   * Calls `visit` with every batch that holds offsets in [from, to), in order: the bytes
   * that hold it, where it starts in them, and its header. For readers outside the broker's
   * read path: checkers, dumps.
   */
  forEachBatch(from: number, to: number, visit: (bytes: Buffer, pos: number, header: BatchHeader) => void): void {
    let offset = Math.max(from, this.logStartOffset);
    const verify = this.disk.mayHaveRotted !== false;
    while (offset < to && offset < this.logEndOffset) {
      // Modest reads: each is then most likely a view of one cached chunk, not a copy.
      const { records } = this.read(offset, FOR_EACH_READ_BYTES, to);
      if (records.length === 0) return;
      for (let pos = 0; pos < records.length; ) {
        // A batch that fails its CRC (a bit flipped on disk) cannot be read, nor can anything
        // after it be trusted: a reader stops there, as a consumer fails with
        // CorruptRecordException (check.crcs) and a coordinator's load fails.
        let h: BatchHeader;
        if (!verify) h = readBatchHeader(records, pos);
        else {
          const check = checkBatch(records, pos, records.length);
          if (!check.ok) return;
          h = check.header;
        }
        const last = lastOffsetOf(h);
        if (last < offset) return;
        visit(records, pos, h);
        offset = last + 1;
        pos += sizeOf(h);
      }
    }
  }

  /**
   * As forEachBatch, with only what tells copies of a batch apart (offsets, leader epoch,
   * stored CRC), read straight from the bytes: for checkers that follow every batch.
   */
  forEachBatchSummary(from: number, to: number, visit: (baseOffset: number, lastOffset: number, epoch: number, crc: number) => void): void {
    let offset = Math.max(from, this.logStartOffset);
    // On a disk a media fault touched, a damaged batch ends the read, as in forEachBatch.
    const verify = this.disk.mayHaveRotted !== false;
    while (offset < to && offset < this.logEndOffset) {
      const { records } = this.read(offset, FOR_EACH_READ_BYTES, to);
      if (records.length === 0) return;
      for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
        if (verify && !checkBatch(records, pos, records.length).ok) return;
        const last = lastOffsetAt(records, pos);
        // Offsets that do not move on (a base offset rotted: the CRC does not cover it) end it too.
        if (last < offset) return;
        visit(peekBaseOffset(records, pos), last, leaderEpochAt(records, pos), crcAt(records, pos));
        offset = last + 1;
      }
    }
  }

  /**
   * As forEachBatchSummary, answered from the batches this log appended (BatchIndex) when it
   * holds them all and no media fault touched the disk, else read from the bytes. For the
   * checkers that follow every append; the final snapshot reads the bytes.
   */
  forEachAppendedBatch(from: number, to: number, visit: (baseOffset: number, lastOffset: number, epoch: number, crc: number) => void): void {
    const offset = Math.max(from, this.logStartOffset);
    if (this.disk.mayHaveRotted !== false || offset < this.appended.coveredFrom) this.forEachBatchSummary(from, to, visit);
    else this.appended.forEach(offset, Math.min(to, this.logEndOffset), visit);
  }

  /** Index of the segment whose range holds `offset` (the last with baseOffset <= offset). */
  private segmentIndexFor(offset: number): number {
    return Math.max(0, floorIndex(this.segments, offset, (s) => s.baseOffset));
  }

  /** The first offset whose batch's timestamp is >= `timestampMs` (ListOffsets), or undefined. */
  offsetForTimestamp(timestampMs: number): number | undefined {
    for (const s of this.segments) {
      if (s.largestTimestamp < timestampMs) continue;
      const { offset } = s.timeIndex.lookup(timestampMs);
      let from = Math.max(offset, s.baseOffset, this.startOffset);
      while (from < s.nextOffset) {
        const r = s.read(from, 1, s.nextOffset, true);
        if (r === undefined) break;
        const check = checkBatch(r.bytes, 0, r.bytes.length);
        if (!check.ok) break;
        if (check.header.maxTimestamp >= timestampMs) return Math.max(check.header.baseOffset, this.startOffset);
        from = lastOffsetOf(check.header) + 1;
      }
    }
    return undefined;
  }

  // ------------------------------------------------------------------ truncate

  /**
   * Removes everything at or after `offset` (whole batches: a batch straddling it goes
   * too). Used when a follower's log diverged from its leader's.
   */
  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) {
      // No records to remove, but an epoch begun at the log end and never written to (a
      // leader that took no writes) goes: a follower must not claim it in its next fetch.
      // Kafka truncates the epochs at the log end, whatever the target (UnifiedLog.truncateTo).
      this.epochs.truncateFromEnd(this.logEndOffset);
      return;
    }
    if (offset < this.startOffset) throw new LogError('OFFSET_OUT_OF_RANGE', `cannot truncate to ${offset}, below the log start ${this.startOffset}`);
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      (this.segments.pop() as LogSegment).delete();
    }
    this.active.truncateTo(offset);
    this.appended.truncateTo(this.logEndOffset);
    this.epochs.truncateFromEnd(this.logEndOffset);
    this.rebuildProducerState(Number.MAX_SAFE_INTEGER);
    if (this.hw > this.logEndOffset) this.hw = this.logEndOffset;
    if (this.recoveryPointOffset > this.logEndOffset) this.recoveryPointOffset = this.logEndOffset;
  }

  /**
   * Moves the log start offset up to `offset`, never past the high watermark (Kafka's
   * UnifiedLog.maybeIncrementLogStartOffset, as a follower does with the leader's log start
   * offset from each fetch). Offsets below it can no longer be read; the segments wholly
   * below it go at the next retention pass. Returns whether it moved.
   */
  maybeIncrementLogStartOffset(offset: number): boolean {
    const to = Math.min(offset, this.hw);
    if (to <= this.startOffset) return false;
    this.startOffset = to;
    this.afterLogStartMoved();
    return true;
  }

  /** Deletes every segment and restarts the log empty at `offset` (a follower too far behind). */
  truncateFullyAndStartAt(offset: number): void {
    for (const s of this.segments) s.delete();
    this.segments = [this.newSegment(offset)];
    this.appended.reset(offset);
    this.startOffset = offset;
    this.hw = offset;
    this.recoveryPointOffset = offset;
    this.epochs.clear();
    this.producers.deleteSnapshotsBefore(Number.MAX_SAFE_INTEGER);
    this.producers.reset(offset);
  }

  // ------------------------------------------------------------------ retention and cleaning

  /**
   * Deletes the `count` oldest segments (never the active one) and moves the log start
   * offset to the first offset left (Kafka's deleteSegments after a retention breach).
   */
  deleteOldestSegments(count: number): number {
    const n = Math.min(count, this.segments.length - 1);
    if (n <= 0) return 0;
    for (const s of this.segments.slice(0, n)) s.delete();
    this.segments = this.segments.slice(n);
    this.startOffset = Math.max(this.startOffset, this.segments[0].baseOffset);
    if (this.hw < this.startOffset) this.hw = this.startOffset;
    this.afterLogStartMoved();
    return n;
  }

  /** What follows the log start offset up: the recovery point, epochs, producer snapshots (and before KIP-360, producers), the cleaner. */
  private afterLogStartMoved(): void {
    if (this.recoveryPointOffset < this.startOffset) this.recoveryPointOffset = this.startOffset;
    this.epochs.truncateFromStart(this.startOffset);
    if (this.config.evictProducersBelowLogStart === true) this.producers.truncateHead(this.startOffset);
    this.producers.deleteSnapshotsBefore(this.startOffset);
    this.firstDirty = Math.max(this.firstDirty, this.startOffset);
  }

  /** Where the cleaner stopped last time: offsets below it are already compacted. */
  get firstDirtyOffset(): number {
    return Math.max(this.firstDirty, this.startOffset);
  }

  set firstDirtyOffset(offset: number) {
    this.firstDirty = offset;
  }

  /**
   * Replaces segment `index` with one holding `batches`, which keep their offsets, through
   * Kafka's swap protocol: the new file is written as `.cleaned`, renamed `.swap`, the old
   * segment deleted, and the swap renamed into place. A crash at any step leaves either
   * the old segment or the new one, and recovery finishes or undoes the swap.
   */
  replaceSegment(index: number, batches: readonly Buffer[]): void {
    const old = this.segments[index];
    if (old === this.active) throw new Error('the active segment is never cleaned');
    const cleaned = `${old.logPath}.cleaned`;
    if (this.disk.exists(cleaned)) this.disk.delete(cleaned);
    this.disk.append(cleaned, new Uint8Array(0));
    for (const b of batches) this.disk.append(cleaned, b);
    this.disk.fsync(cleaned);
    this.disk.rename(cleaned, `${old.logPath}.swap`);
    old.delete();
    this.disk.rename(`${old.logPath}.swap`, old.logPath);
    const fresh = new LogSegment(this.disk, this.dir, old.baseOffset, this.config.indexIntervalBytes);
    fresh.recover({ contiguous: false, minEpoch: -1 });
    // The segment still covers the same offsets, even where its last records were removed.
    fresh.extendTo(old.nextOffset);
    for (const t of old.txnIndex.all()) fresh.txnIndex.append(t);
    this.segments[index] = fresh;
    this.appended.forgetBelow(old.nextOffset);
  }

  // ------------------------------------------------------------------ flush

  /** fsyncs every segment with unflushed data and moves the recovery point to the log end. */
  flush(): void {
    const from = this.segmentIndexFor(this.recoveryPointOffset);
    for (let i = from; i < this.segments.length; i++) this.segments[i].flush();
    this.recoveryPointOffset = this.logEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.nowMs();
  }

  /**
   * A clean close (LogManager.shutdown, then UnifiedLog.close): everything flushed, and a
   * producer-state snapshot at the log end so the next open need not replay the tail. The
   * snapshot keeps one batch per producer, as Kafka's does.
   */
  close(): void {
    this.flush();
    this.producers.takeSnapshot();
  }

  /** flush.ms: flushes if the last flush is older than the setting. Returns whether it did. */
  flushIfDue(): boolean {
    if (this.unflushedMessages === 0 || this.nowMs() - this.lastFlushMs < this.config.flushMs) return false;
    this.flush();
    return true;
  }

  /** OffsetsForLeaderEpoch, answered from the leader epoch cache. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.logEndOffset);
  }
}

export { segmentFileName };
