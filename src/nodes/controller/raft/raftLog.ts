/**
 * The replicated log of a quorum member, after Kafka's ReplicatedLog as KafkaMetadataLog
 * implements it over __cluster_metadata-0: records with their offsets and leader epochs,
 * appended by the leader in its epoch or by a follower as fetched, flushed (fsynced) on
 * demand, truncated where the leader says the logs diverge (validateOffsetAndEpoch,
 * truncateToEndOffset). It is kept on a Disk as one line of JSON per record, so a crash
 * keeps what was written and a power loss keeps what was flushed; an incomplete last line
 * (a torn write) is cut off on open, as log recovery cuts an incomplete batch.
 */
import type { Disk } from '../../../log/disk.js';
import type { OffsetAndEpoch, RaftRecord } from './raftMessages.js';

/** Where the log lives on its disk. */
const LOG_PATH = '__cluster_metadata-0/raft.log';

/** The first offset of each leader epoch in the log: Kafka's LeaderEpochFileCache. */
interface EpochStart {
  readonly epoch: number;
  readonly startOffset: number;
}

/** Whether a follower's fetch position matches the leader's log: Kafka's ValidOffsetAndEpoch. */
export type ValidOffsetAndEpoch = { readonly kind: 'valid' } | { readonly kind: 'diverging'; readonly at: OffsetAndEpoch };

export class RaftLog {
  private readonly records: RaftRecord[] = [];
  /** Byte position of each record's line in the file, for truncation. */
  private readonly positions: number[] = [];
  private readonly epochs: EpochStart[] = [];
  private fileSize = 0;

  private constructor(private readonly disk: Disk) {}

  /** Opens the log on `disk`, reading back every whole record and cutting off a torn last line. */
  static open(disk: Disk): RaftLog {
    const log = RaftLog.read(disk);
    if (disk.exists(LOG_PATH) && log.fileSize < disk.size(LOG_PATH)) disk.truncate(LOG_PATH, log.fileSize);
    return log;
  }

  /** The log end on `disk`, read without changing it: for checks that look at a member that is down. */
  static peekEndOffset(disk: Disk): number {
    return RaftLog.read(disk).endOffset;
  }

  private static read(disk: Disk): RaftLog {
    const log = new RaftLog(disk);
    if (!disk.exists(LOG_PATH)) return log;
    const text = disk.readAll(LOG_PATH).toString('utf8');
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
      const record = parseRecord(text.slice(pos, nl), log.endOffset);
      if (record === undefined) break;
      log.push(record, pos);
      pos = nl + 1;
    }
    log.fileSize = Buffer.byteLength(text.slice(0, pos), 'utf8');
    return log;
  }

  get endOffset(): number {
    return this.records.length;
  }

  /** The epoch of the last record, 0 for an empty log. */
  get lastEpoch(): number {
    return this.epochs.length === 0 ? 0 : this.epochs[this.epochs.length - 1].epoch;
  }

  /** The log end and the epoch of its last record: what a candidate's Vote carries (KafkaRaftClient.endOffset). */
  endOffsetAndEpoch(): OffsetAndEpoch {
    return { offset: this.endOffset, epoch: this.lastEpoch };
  }

  /** Records from `offset` to the end (at most `max`). */
  read(offset: number, max = Number.MAX_SAFE_INTEGER): readonly RaftRecord[] {
    return this.records.slice(offset, Math.min(this.records.length, offset + max));
  }

  /** Every record below `end`. */
  readTo(end: number): readonly RaftRecord[] {
    return this.records.slice(0, Math.min(end, this.records.length));
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
   * start, or the log end): ReplicatedLog.endOffsetForEpoch. (0, 0) when the log has no such
   * epoch.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      if (this.epochs[i].epoch > epoch) continue;
      const end = i + 1 < this.epochs.length ? this.epochs[i + 1].startOffset : this.endOffset;
      return { offset: end, epoch: this.epochs[i].epoch };
    }
    return { offset: 0, epoch: 0 };
  }

  /** Whether a fetch at `offset` after a record of `lastFetchedEpoch` follows this log (ReplicatedLog.validateOffsetAndEpoch). */
  validateOffsetAndEpoch(offset: number, lastFetchedEpoch: number): ValidOffsetAndEpoch {
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
    const to = Math.min(diverging.offset, local.offset, this.endOffset);
    this.truncateTo(to);
    return to;
  }

  private truncateTo(offset: number): void {
    if (offset >= this.records.length) return;
    this.fileSize = this.positions[offset];
    this.disk.truncate(LOG_PATH, this.fileSize);
    this.records.length = offset;
    this.positions.length = offset;
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1].startOffset >= offset) this.epochs.pop();
  }

  private write(records: readonly RaftRecord[]): void {
    let text = '';
    for (const r of records) {
      const line = `${JSON.stringify(r)}\n`;
      this.push(r, this.fileSize + Buffer.byteLength(text, 'utf8'));
      text += line;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (!this.disk.exists(LOG_PATH)) this.disk.mkdir('__cluster_metadata-0');
    this.disk.append(LOG_PATH, bytes);
    this.fileSize += bytes.length;
  }

  private push(record: RaftRecord, position: number): void {
    if (record.epoch !== this.lastEpoch || this.epochs.length === 0) this.epochs.push({ epoch: record.epoch, startOffset: record.offset });
    this.records.push(record);
    this.positions.push(position);
  }
}

/** One line of the log file, or undefined when it is not a whole record at `expectedOffset`. */
function parseRecord(line: string, expectedOffset: number): RaftRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || !('offset' in value) || !('epoch' in value) || !('kind' in value) || !('data' in value)) return undefined;
  const { offset, epoch, kind, data } = value;
  if (offset !== expectedOffset || typeof epoch !== 'number' || typeof data !== 'string') return undefined;
  if (kind !== 'data' && kind !== 'leader-change') return undefined;
  return { offset, epoch, kind, data };
}
