/**
 * The replicated log of a quorum member, after Kafka's ReplicatedLog as KafkaMetadataLog
 * implements it over __cluster_metadata-0: records with their offsets and leader epochs,
 * appended by the leader in its epoch or by a follower as fetched, flushed (fsynced) on
 * demand, truncated where the leader says the logs diverge (validateOffsetAndEpoch,
 * truncateToEndOffset). It is kept on a Disk as one line of JSON per record, so a crash
 * keeps what was written and a power loss keeps what was flushed; an incomplete last line
 * (a torn write) is cut off on open, as log recovery cuts an incomplete batch. Each line
 * carries the CRC32C of its record, as each of Kafka's record batches does; on open the log is
 * cut at the first line that fails it (a bit flip), with every line after it, as
 * LogSegment.recover cuts at the first invalid batch. (Kafka checks only past the recovery
 * point, and a reader that meets a corrupt batch below it halts the process; here every line
 * is checked on open, the stricter rule: docs/fidelity.md.)
 *
 * KIP-630: the log keeps its snapshots ({@link SnapshotStore}). Once a snapshot covers a
 * prefix of the log, cleaning (maybeClean, under metadata.max.retention.bytes and .ms) moves
 * the log start offset up to a snapshot and deletes the records before it
 * (deleteBeforeSnapshot); a follower that downloaded a snapshot past its log end starts its
 * log afresh at the snapshot (truncateToLatestSnapshot). Simplification (docs/fidelity.md):
 * Kafka deletes only whole segments below the new log start offset (and refuses reads below
 * it); here the file is rewritten from the log start offset, which reads the same.
 */
import { crc32c } from '../../../log/crc32c.js';
import type { Disk } from '../../../log/disk.js';
import type { OffsetAndEpoch, RaftRecord } from './raftMessages.js';
import { METADATA_LOG_DIR, SnapshotStore, type RaftSnapshot } from './raftSnapshots.js';

/** Where the log lives on its disk. */
const LOG_PATH = `${METADATA_LOG_DIR}/raft.log`;
/** The log rewritten from a new log start offset, before it replaces the log. */
const CLEANED_PATH = `${LOG_PATH}.cleaned`;

/** The first offset of each leader epoch in the log: Kafka's LeaderEpochFileCache. */
interface EpochStart {
  readonly epoch: number;
  readonly startOffset: number;
}

/**
 * Whether a follower's fetch position matches the leader's log: Kafka's ValidOffsetAndEpoch,
 * valid, diverging (truncate to `at`), or snapshot (the position is below the log start:
 * fetch snapshot `at`).
 */
export type ValidOffsetAndEpoch = { readonly kind: 'valid' } | { readonly kind: 'diverging'; readonly at: OffsetAndEpoch } | { readonly kind: 'snapshot'; readonly at: OffsetAndEpoch };

/** How much of the log and its snapshots to keep (metadata.max.retention.bytes and .ms; -1: no limit). */
export interface RaftRetention {
  readonly bytes: number;
  readonly ms: number;
}

export class RaftLog {
  private records: RaftRecord[] = [];
  /** Byte position of each record's line in the file, for truncation. */
  private positions: number[] = [];
  private epochs: EpochStart[] = [];
  private fileSize = 0;
  /** The log start offset: the first record kept (0 until a snapshot lets the prefix go). */
  private start = 0;
  /** The epoch of the record just below the log start: the epoch of the snapshot there. */
  private startEpoch = 0;
  private snapshotStore: SnapshotStore | undefined;

  private constructor(private readonly disk: Disk) {}

  /**
   * Opens the log on `disk`, reading back every whole record and cutting off a torn last
   * line; then its snapshots, and a log behind its latest snapshot starts at that snapshot
   * (KafkaMetadataLog.apply: a follower that crashed after downloading a snapshot).
   */
  static open(disk: Disk): RaftLog {
    const log = RaftLog.read(disk);
    if (disk.exists(LOG_PATH) && log.fileSize < disk.size(LOG_PATH)) disk.truncate(LOG_PATH, log.fileSize);
    if (disk.exists(CLEANED_PATH)) disk.delete(CLEANED_PATH);
    log.attachSnapshots(SnapshotStore.open(disk, log.start));
    log.truncateToLatestSnapshot();
    return log;
  }

  /** The log end on `disk`, read without changing it: for checks that look at a member that is down. */
  static peekEndOffset(disk: Disk): number {
    const log = RaftLog.read(disk);
    log.attachSnapshots(SnapshotStore.open(disk, log.start, true));
    const latest = log.snapshots.latestId();
    return latest !== undefined && log.isBehind(latest) ? latest.offset : log.endOffset;
  }

  private static read(disk: Disk): RaftLog {
    const log = new RaftLog(disk);
    if (!disk.exists(LOG_PATH)) return log;
    const text = disk.readAll(LOG_PATH).toString('utf8');
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
      const record = parseRecord(text.slice(pos, nl), pos === 0 ? undefined : log.endOffset);
      if (record === undefined) break;
      if (pos === 0) log.start = record.offset;
      log.push(record, pos);
      pos = nl + 1;
    }
    log.fileSize = Buffer.byteLength(text.slice(0, pos), 'utf8');
    return log;
  }

  private attachSnapshots(store: SnapshotStore): void {
    this.snapshotStore = store;
    const atStart = store.allIds().find((id) => id.offset === this.start);
    if (this.start > 0 && atStart !== undefined) this.startEpoch = atStart.epoch;
  }

  /** The log's snapshots (KafkaMetadataLog's snapshots). */
  get snapshots(): SnapshotStore {
    if (this.snapshotStore === undefined) throw new Error('the log was read without its snapshots');
    return this.snapshotStore;
  }

  get endOffset(): number {
    return this.start + this.records.length;
  }

  /** The log start offset (ReplicatedLog.startOffset). */
  get startOffset(): number {
    return this.start;
  }

  /** The size of the log file, for metadata.max.retention.bytes. */
  get sizeInBytes(): number {
    return this.fileSize;
  }

  /** The epoch of the last record; with no record, the snapshot's at the log start, or 0 (KafkaMetadataLog.lastFetchedEpoch). */
  get lastEpoch(): number {
    return this.epochs.length === 0 ? this.startEpoch : this.epochs[this.epochs.length - 1].epoch;
  }

  /** The log end and the epoch of its last record: what a candidate's Vote carries (KafkaRaftClient.endOffset). */
  endOffsetAndEpoch(): OffsetAndEpoch {
    return { offset: this.endOffset, epoch: this.lastEpoch };
  }

  /** Records from `offset` (or the log start, if later) to the end (at most `max`). */
  read(offset: number, max = Number.MAX_SAFE_INTEGER): readonly RaftRecord[] {
    const from = Math.max(offset, this.start) - this.start;
    return this.records.slice(from, Math.min(this.records.length, from + max));
  }

  /** Every record from the log start below `end`. */
  readTo(end: number): readonly RaftRecord[] {
    return this.records.slice(0, Math.max(0, Math.min(end - this.start, this.records.length)));
  }

  /** The leader's append: records take the next offsets and `epoch`. */
  appendAsLeader(epoch: number, kind: RaftRecord['kind'], data: readonly string[]): readonly RaftRecord[] {
    const appended = data.map((d, i) => ({ offset: this.endOffset + i, epoch, kind, data: d }));
    this.write(appended);
    return appended;
  }

  /** A follower's append of fetched records, which must start at its log end. */
  appendAsFollower(records: readonly RaftRecord[]): void {
    if (records.length === 0) return;
    if (records[0].offset !== this.endOffset) throw new Error(`fetched records start at ${records[0].offset}, the log ends at ${this.endOffset}`);
    this.write(records);
  }

  /** Makes every record written so far durable (KafkaMetadataLog.flush). */
  flush(): void {
    if (this.disk.exists(LOG_PATH)) this.disk.fsync(LOG_PATH);
  }

  /**
   * The largest epoch not above `epoch` and the offset where it ended (the next epoch's
   * start, or the log end): ReplicatedLog.endOffsetForEpoch. For an epoch older than every
   * record kept, the snapshot at the log start (KafkaMetadataLog.endOffsetForEpoch); (0, 0)
   * when the log never had such an epoch.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      if (this.epochs[i].epoch > epoch) continue;
      const end = i + 1 < this.epochs.length ? this.epochs[i + 1].startOffset : this.endOffset;
      return { offset: end, epoch: this.epochs[i].epoch };
    }
    return { offset: this.start, epoch: this.startEpoch };
  }

  /**
   * Whether a fetch at `offset` after a record of `lastFetchedEpoch` follows this log
   * (ReplicatedLog.validateOffsetAndEpoch): a position below the log start, or at it in
   * another epoch than the snapshot there's, or in an epoch older than the oldest snapshot,
   * is sent the latest snapshot instead.
   */
  validateOffsetAndEpoch(offset: number, lastFetchedEpoch: number): ValidOffsetAndEpoch {
    if (this.start === 0 && offset === 0) return { kind: 'valid' };
    const earliest = this.snapshots.earliestId();
    const latest = this.snapshots.latestId();
    if (earliest !== undefined && latest !== undefined && (offset < this.start || (offset === this.start && lastFetchedEpoch !== earliest.epoch) || lastFetchedEpoch < earliest.epoch)) {
      return { kind: 'snapshot', at: latest };
    }
    const end = this.endOffsetForEpoch(lastFetchedEpoch);
    if (end.epoch !== lastFetchedEpoch || offset > end.offset) return { kind: 'diverging', at: end };
    return { kind: 'valid' };
  }

  /**
   * Truncates to where the leader says the logs diverge, never past what this log has of
   * that epoch (KafkaMetadataLog.truncateToEndOffset). Returns the new log end.
   */
  truncateToEndOffset(diverging: OffsetAndEpoch): number {
    const local = this.endOffsetForEpoch(diverging.epoch);
    const to = Math.max(this.start, Math.min(diverging.offset, local.offset, this.endOffset));
    this.truncateTo(to);
    return to;
  }

  /**
   * KafkaMetadataLog.createNewSnapshot: a snapshot of the committed state at `id` (below the
   * high watermark `highWatermark`, on this log's history). Undefined when the log start is
   * past it or it exists already.
   */
  createNewSnapshot(id: OffsetAndEpoch, highWatermark: number, lastContainedLogTimestamp: number, data: readonly string[]): RaftSnapshot | undefined {
    if (id.offset < this.start || this.snapshots.has(id)) return undefined;
    if (id.offset > highWatermark) throw new Error(`cannot create a snapshot with an id (${id.offset}, ${id.epoch}) greater than the high watermark ${highWatermark}`);
    const valid = this.validateOffsetAndEpoch(id.offset, id.epoch);
    if (valid.kind !== 'valid') throw new Error(`snapshot id (${id.offset}, ${id.epoch}) is not valid according to the log: ${valid.kind} at (${valid.at.offset}, ${valid.at.epoch})`);
    return this.snapshots.write(id, lastContainedLogTimestamp, data);
  }

  /** Whether snapshot `id` is ahead of this log: a later epoch, or the same epoch past its end. */
  private isBehind(id: OffsetAndEpoch): boolean {
    return id.epoch > this.lastEpoch || (id.epoch === this.lastEpoch && id.offset > this.endOffset);
  }

  /**
   * KafkaMetadataLog.truncateToLatestSnapshot: a log behind its latest snapshot is emptied
   * and starts at the snapshot (truncateFullyAndStartAt), and older snapshots go. True when
   * it did.
   */
  truncateToLatestSnapshot(): boolean {
    const latest = this.snapshots.latestId();
    if (latest === undefined || !this.isBehind(latest)) return false;
    this.records = [];
    this.positions = [];
    this.epochs = [];
    this.start = latest.offset;
    this.startEpoch = latest.epoch;
    this.fileSize = 0;
    if (this.disk.exists(LOG_PATH)) this.disk.truncate(LOG_PATH, 0);
    this.snapshots.deleteBefore(latest);
    return true;
  }

  /**
   * KafkaMetadataLog.deleteBeforeSnapshot: moves the log start offset up to snapshot `id`
   * (one this log has, past the log start, not past the latest snapshot), deletes the
   * records and the snapshots before it. True when it did.
   */
  deleteBeforeSnapshot(id: OffsetAndEpoch): boolean {
    const latest = this.snapshots.latestId();
    if (latest === undefined || !this.snapshots.has(id) || id.offset <= this.start || id.offset > latest.offset || id.offset > this.endOffset) return false;
    const cut = id.offset - this.start;
    const kept = this.records.slice(cut);
    this.start = id.offset;
    this.startEpoch = id.epoch;
    this.rewrite(kept);
    this.snapshots.deleteBefore(id);
    return true;
  }

  /**
   * KafkaMetadataLog.maybeClean: while the log and its snapshots are larger than the
   * retention bytes, or the oldest snapshot is older than the retention time, the oldest
   * snapshot goes and the log start moves up to the next one; the latest snapshot always
   * stays. True when something was deleted.
   */
  maybeClean(retention: RaftRetention, nowMs: number): boolean {
    let cleaned = false;
    if (retention.bytes >= 0) {
      let total = this.snapshots.totalBytes();
      cleaned = this.cleanSnapshots((s) => {
        if (this.fileSize + total <= retention.bytes) return false;
        total -= s.sizeInBytes;
        return true;
      });
    }
    if (retention.ms >= 0) cleaned = this.cleanSnapshots((s) => nowMs - s.lastContainedLogTimestamp > retention.ms) || cleaned;
    return cleaned;
  }

  /**
   * KafkaMetadataLog.cleanSnapshots: oldest first, each snapshot `expired` says may go makes
   * way for the next, never the latest. Kafka deletes them one by one; the log start here
   * moves once, to the first snapshot kept, which ends the same.
   */
  private cleanSnapshots(expired: (snapshot: RaftSnapshot) => boolean): boolean {
    const ids = this.snapshots.allIds();
    let keep = 0;
    while (keep + 1 < ids.length) {
      const oldest = this.snapshots.read(ids[keep]);
      if (oldest === undefined || !expired(oldest)) break;
      keep++;
    }
    return keep > 0 && this.deleteBeforeSnapshot(ids[keep]);
  }

  private truncateTo(offset: number): void {
    if (offset >= this.endOffset) return;
    const cut = offset - this.start;
    this.fileSize = this.positions[cut];
    this.disk.truncate(LOG_PATH, this.fileSize);
    this.records.length = cut;
    this.positions.length = cut;
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1].startOffset >= offset) this.epochs.pop();
  }

  private write(records: readonly RaftRecord[]): void {
    const bytes = this.encode(records);
    this.disk.mkdir(METADATA_LOG_DIR);
    this.disk.append(LOG_PATH, bytes);
    this.fileSize += bytes.length;
  }

  /** The records as lines of the file from its current end, each pushed with its position. */
  private encode(records: readonly RaftRecord[]): Buffer {
    let text = '';
    for (const r of records) {
      const line = recordLine(r);
      this.push(r, this.fileSize + Buffer.byteLength(text, 'utf8'));
      text += line;
    }
    return Buffer.from(text, 'utf8');
  }

  /**
   * Replaces the file with `records` alone (the log from its start offset): written aside,
   * fsynced, renamed over the log, so a crash leaves one or the other. The epoch starts are
   * rebuilt from the records, the first at the log start (LeaderEpochFileCache.truncateFromStart).
   */
  private rewrite(records: readonly RaftRecord[]): void {
    this.records = [];
    this.positions = [];
    this.epochs = [];
    this.fileSize = 0;
    const bytes = this.encode(records);
    this.disk.mkdir(METADATA_LOG_DIR);
    if (this.disk.exists(CLEANED_PATH)) this.disk.delete(CLEANED_PATH);
    this.disk.append(CLEANED_PATH, bytes);
    this.disk.fsync(CLEANED_PATH);
    this.disk.rename(CLEANED_PATH, LOG_PATH);
    this.fileSize = bytes.length;
  }

  private push(record: RaftRecord, position: number): void {
    if (record.epoch !== this.lastEpoch || this.epochs.length === 0) this.epochs.push({ epoch: record.epoch, startOffset: record.offset });
    this.records.push(record);
    this.positions.push(position);
  }
}

/** One line of the log file, or undefined when it is not a whole record at `expectedOffset` (any offset for the first line: the log start). */
function parseRecord(line: string, expectedOffset: number | undefined): RaftRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('offset' in value) || !('epoch' in value) || !('kind' in value) || !('data' in value)) return undefined;
  const { offset, epoch, kind, data } = value;
  if (typeof offset !== 'number' || (expectedOffset !== undefined && offset !== expectedOffset) || typeof epoch !== 'number' || typeof data !== 'string') return undefined;
  if (kind !== 'data' && kind !== 'leader-change') return undefined;
  const record: RaftRecord = { offset, epoch, kind, data };
  return 'crc' in value && value.crc === crcOf(recordBody(record)) ? record : undefined;
}

/** A record's fields as JSON, in one order: what its CRC covers. */
function recordBody(r: RaftRecord): string {
  return JSON.stringify({ offset: r.offset, epoch: r.epoch, kind: r.kind, data: r.data });
}

function crcOf(body: string): number {
  return crc32c(Buffer.from(body, 'utf8'));
}

/** One line of the log file: the record's fields and their CRC32C (DefaultRecordBatch's crc). */
function recordLine(r: RaftRecord): string {
  const body = recordBody(r);
  return `${body.slice(0, -1)},"crc":${crcOf(body)}}\n`;
}
