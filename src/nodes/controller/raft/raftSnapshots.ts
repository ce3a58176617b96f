/**
 * The snapshots of a quorum member's replicated log (KIP-630), as Kafka keeps them next to
 * __cluster_metadata-0's segments: one file per snapshot, named by its id, the end offset and
 * the epoch of the last record it covers (Snapshots.filenameFromSnapshotId:
 * `%020d-%010d.checkpoint`). A snapshot is written to a `.checkpoint.part` file, fsynced and
 * renamed into place when frozen (FileRawSnapshotWriter.freeze), so a crash leaves either the
 * whole snapshot or a partial file that opening the log deletes (KafkaMetadataLog
 * .recoverSnapshots). A follower downloading a snapshot with FetchSnapshot writes the chunks
 * to the same partial file. The file holds a header line (Kafka's SnapshotHeaderRecord, with
 * the append time of the last record covered), the state machine's records, one JSON string a
 * line, and a footer line (SnapshotFooterRecord): a file without its footer is not a snapshot.
 * The footer carries the CRC32C of the lines before it, as Kafka's snapshot batches carry
 * theirs: a file whose bytes rotted is not a snapshot either.
 */
import { crc32c } from '../../../log/crc32c.js';
import type { Disk } from '../../../log/disk.js';
import { compareNumbers } from '../../../sim/order.js';
import type { OffsetAndEpoch } from './raftMessages.js';

/** The directory of the metadata log, where its snapshots live too. */
export const METADATA_LOG_DIR = '__cluster_metadata-0';
const SUFFIX = '.checkpoint';
const PARTIAL = '.part';

/** A frozen snapshot: the state machine's records for every committed record below `id.offset`. */
export interface RaftSnapshot {
  readonly id: OffsetAndEpoch;
  /** The append time (ms) of the last record it covers (SnapshotHeaderRecord.lastContainedLogTimestamp), for metadata.max.retention.ms. */
  readonly lastContainedLogTimestamp: number;
  readonly data: readonly string[];
  /** The size of its file. */
  readonly sizeInBytes: number;
}

/** Snapshots.filenameFromSnapshotId. */
export function snapshotFileName(id: OffsetAndEpoch): string {
  return `${String(id.offset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SUFFIX}`;
}

function snapshotPath(id: OffsetAndEpoch): string {
  return `${METADATA_LOG_DIR}/${snapshotFileName(id)}`;
}

/** Snapshots.parse: the id a file name stands for, whether it is partial; undefined for any other file. */
function parseFileName(name: string): { readonly id: OffsetAndEpoch; readonly partial: boolean } | undefined {
  const m = /^(\d{20})-(\d{10})\.checkpoint(\.part)?$/.exec(name);
  if (m === null) return undefined;
  return { id: { offset: Number(m[1]), epoch: Number(m[2]) }, partial: m[3] !== undefined };
}

/** Orders snapshot ids as Kafka's OffsetAndEpoch.compareTo: by offset, then epoch. */
export function compareSnapshotIds(a: OffsetAndEpoch, b: OffsetAndEpoch): number {
  return compareNumbers(a.offset, b.offset) || compareNumbers(a.epoch, b.epoch);
}

export function sameSnapshotId(a: OffsetAndEpoch | undefined, b: OffsetAndEpoch | undefined): boolean {
  return a !== undefined && b !== undefined && a.offset === b.offset && a.epoch === b.epoch;
}

/** A snapshot's file content. */
export function encodeSnapshot(lastContainedLogTimestamp: number, data: readonly string[]): Buffer {
  let text = `${JSON.stringify({ header: { lastContainedLogTimestamp } })}\n`;
  for (const d of data) text += `${JSON.stringify(d)}\n`;
  text += `${JSON.stringify({ footer: { records: data.length, crc: crcOfText(text) } })}\n`;
  return Buffer.from(text, 'utf8');
}

function crcOfText(text: string): number {
  return crc32c(Buffer.from(text, 'utf8'));
}

/** A snapshot file's header, records and footer; undefined when it is not a whole snapshot. */
function decodeSnapshot(id: OffsetAndEpoch, bytes: Buffer): RaftSnapshot | undefined {
  const lines = bytes.toString('utf8').split('\n');
  if (lines.length < 3 || lines[lines.length - 1] !== '') return undefined;
  try {
    const header = JSON.parse(lines[0]) as { header?: { lastContainedLogTimestamp?: unknown } };
    const footer = JSON.parse(lines[lines.length - 2]) as { footer?: { records?: unknown; crc?: unknown } };
    if (footer.footer?.crc !== crcOfText(lines.slice(0, -2).map((l) => `${l}\n`).join(''))) return undefined;
    const data = lines.slice(1, -2).map((l) => JSON.parse(l) as unknown);
    const ts = header.header?.lastContainedLogTimestamp;
    if (typeof ts !== 'number' || footer.footer?.records !== data.length || !data.every((d) => typeof d === 'string')) return undefined;
    return { id, lastContainedLogTimestamp: ts, data: data as string[], sizeInBytes: bytes.length };
  } catch {
    return undefined;
  }
}

/** The frozen snapshots of one member's log, oldest first (KafkaMetadataLog's `snapshots` map). */
export class SnapshotStore {
  private ids: OffsetAndEpoch[] = [];
  private readonly cache = new Map<string, RaftSnapshot>();

  private constructor(private readonly disk: Disk) {}

  /**
   * KafkaMetadataLog.recoverSnapshots: the frozen snapshots from `logStartOffset` on; partial
   * files and snapshots below the log start are deleted. With `readOnly`, nothing is deleted.
   */
  static open(disk: Disk, logStartOffset: number, readOnly = false): SnapshotStore {
    const store = new SnapshotStore(disk);
    for (const name of disk.list(METADATA_LOG_DIR)) {
      const parsed = parseFileName(name);
      if (parsed === undefined) continue;
      const keep = !parsed.partial && parsed.id.offset >= logStartOffset && store.readFile(parsed.id) !== undefined;
      if (keep) store.ids.push(parsed.id);
      else if (!readOnly) disk.delete(`${METADATA_LOG_DIR}/${name}`);
    }
    store.ids.sort(compareSnapshotIds);
    return store;
  }

  latestId(): OffsetAndEpoch | undefined {
    return this.ids[this.ids.length - 1];
  }

  earliestId(): OffsetAndEpoch | undefined {
    return this.ids[0];
  }

  /** Every frozen snapshot id, oldest first. */
  allIds(): readonly OffsetAndEpoch[] {
    return this.ids;
  }

  /** The latest snapshot that ends at or below `offset`. */
  latestAtOrBelow(offset: number): RaftSnapshot | undefined {
    for (let i = this.ids.length - 1; i >= 0; i--) if (this.ids[i].offset <= offset) return this.read(this.ids[i]);
    return undefined;
  }

  has(id: OffsetAndEpoch): boolean {
    return this.ids.some((s) => sameSnapshotId(s, id));
  }

  /** KafkaMetadataLog.readSnapshot. */
  read(id: OffsetAndEpoch): RaftSnapshot | undefined {
    return this.has(id) ? this.readFile(id) : undefined;
  }

  private readFile(id: OffsetAndEpoch): RaftSnapshot | undefined {
    const key = snapshotFileName(id);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const path = snapshotPath(id);
    if (!this.disk.exists(path)) return undefined;
    const snapshot = decodeSnapshot(id, this.disk.readAll(path));
    if (snapshot !== undefined) this.cache.set(key, snapshot);
    return snapshot;
  }

  /** Up to `maxBytes` of snapshot `id`'s file from `position` (RawSnapshotReader.slice). */
  slice(id: OffsetAndEpoch, position: number, maxBytes: number): Buffer {
    return this.disk.read(snapshotPath(id), position, maxBytes);
  }

  /** Writes and freezes snapshot `id` (FileRawSnapshotWriter.create, append, freeze). Returns it. */
  write(id: OffsetAndEpoch, lastContainedLogTimestamp: number, data: readonly string[]): RaftSnapshot {
    this.beginPartial(id);
    this.appendPartial(id, encodeSnapshot(lastContainedLogTimestamp, data));
    const frozen = this.freezePartial(id);
    if (frozen === undefined) throw new Error(`snapshot ${snapshotFileName(id)} could not be read back after it was written`);
    return frozen;
  }

  /** Starts (or restarts) the partial file of snapshot `id`. */
  beginPartial(id: OffsetAndEpoch): void {
    const path = snapshotPath(id) + PARTIAL;
    this.disk.mkdir(METADATA_LOG_DIR);
    if (this.disk.exists(path)) this.disk.delete(path);
    this.disk.append(path, new Uint8Array(0));
  }

  /** Bytes written so far to the partial file of snapshot `id` (RawSnapshotWriter.sizeInBytes). */
  partialSize(id: OffsetAndEpoch): number {
    const path = snapshotPath(id) + PARTIAL;
    return this.disk.exists(path) ? this.disk.size(path) : 0;
  }

  /** Deletes the partial file of snapshot `id`, if any (a writer closed without freezing). */
  abortPartial(id: OffsetAndEpoch): void {
    const path = snapshotPath(id) + PARTIAL;
    if (this.disk.exists(path)) this.disk.delete(path);
  }

  appendPartial(id: OffsetAndEpoch, bytes: Uint8Array): void {
    this.disk.append(snapshotPath(id) + PARTIAL, bytes);
  }

  /**
   * FileRawSnapshotWriter.freeze: fsync the partial file and rename it into place, so the
   * snapshot is whole or absent after any crash; then onSnapshotFrozen. Undefined (and the
   * partial file gone) when its bytes are not a whole snapshot.
   */
  freezePartial(id: OffsetAndEpoch): RaftSnapshot | undefined {
    const partial = snapshotPath(id) + PARTIAL;
    const snapshot = decodeSnapshot(id, this.disk.readAll(partial));
    if (snapshot === undefined) {
      this.disk.delete(partial);
      return undefined;
    }
    this.disk.fsync(partial);
    this.disk.rename(partial, snapshotPath(id));
    this.cache.set(snapshotFileName(id), snapshot);
    if (!this.has(id)) this.ids = [...this.ids, id].sort(compareSnapshotIds);
    return snapshot;
  }

  /** Forgets and deletes every snapshot below `id` (forgetSnapshotsBefore, removeSnapshots). Returns how many. */
  deleteBefore(id: OffsetAndEpoch): number {
    const expired = this.ids.filter((s) => compareSnapshotIds(s, id) < 0);
    this.ids = this.ids.filter((s) => compareSnapshotIds(s, id) >= 0);
    for (const s of expired) {
      this.cache.delete(snapshotFileName(s));
      const path = snapshotPath(s);
      if (this.disk.exists(path)) this.disk.delete(path);
    }
    return expired.length;
  }

  /** The size of every frozen snapshot together (loadSnapshotSizes). */
  totalBytes(): number {
    let total = 0;
    for (const id of this.ids) total += this.read(id)?.sizeInBytes ?? 0;
    return total;
  }
}
