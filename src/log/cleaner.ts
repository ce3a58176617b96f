import { isCompacted, type Log } from './log.js';
import {
  checkBatch,
  decodeRecords,
  encodeBatch,
  hasDeleteHorizon,
  isControl,
  isTransactional,
  lastOffsetOf,
  compressionOf,
  timestampTypeOf,
  type BatchHeader,
  type DecodedRecord,
} from './recordBatch.js';

export interface CleanResult {
  readonly cleaned: boolean;
  /** Why nothing was cleaned, when nothing was. */
  readonly skipped?: string;
  readonly dirtyRatio: number;
  readonly recordsRemoved: number;
  readonly tombstonesRemoved: number;
  /** The offsets of the records removed, superseded, aborted or expired tombstones, in offset order. */
  readonly removedOffsets: readonly number[];
  /** Of those, the tombstones removed past their delete horizon, and their keys (UTF-8). */
  readonly removedTombstones: readonly number[];
  readonly removedTombstoneKeys: readonly string[];
  readonly firstDirtyOffset: number;
  readonly firstUncleanableOffset: number;
}

interface ScannedBatch {
  readonly header: BatchHeader;
  readonly records: readonly DecodedRecord[];
}

function scanSegment(log: Log, index: number): ScannedBatch[] {
  const seg = log.allSegments()[index];
  const data = log.disk.readAll(seg.logPath);
  const out: ScannedBatch[] = [];
  let pos = 0;
  while (pos < data.length) {
    const check = checkBatch(data, pos, data.length);
    if (!check.ok) break;
    out.push({ header: check.header, records: decodeRecords(data, pos, check.header) });
    pos += check.size;
  }
  return out;
}

/**
 * One pass of the log cleaner over one log (Kafka's LogCleaner and Cleaner.doClean, for
 * cleanup.policy=compact): keep the latest record per key, keeping every retained record's
 * offset, never touching the active segment or anything at or above the last stable
 * offset, and only when the dirty part is at least `min.cleanable.dirty.ratio` of the
 * cleanable log.
 *
 * - Records younger than `min.compaction.lag.ms` are not compacted.
 * - A tombstone (null value) is kept, with a delete horizon of now + `delete.retention.ms`
 *   written into its batch (KIP-534), and removed by a later pass after that horizon.
 * - Records of aborted transactions are removed; transaction markers are kept.
 * Simplification: each segment is rewritten on its own, rather than grouping small
 * segments into one as Kafka does.
 */
export function cleanLog(log: Log, nowMs: number): CleanResult {
  const segments = log.allSegments();
  const none = (skipped: string, dirtyRatio = 0, firstUncleanableOffset = log.firstDirtyOffset): CleanResult => ({
    cleaned: false,
    skipped,
    dirtyRatio,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
    removedOffsets: [],
    removedTombstones: [],
    removedTombstoneKeys: [],
    firstDirtyOffset: log.firstDirtyOffset,
    firstUncleanableOffset,
  });
  if (!isCompacted(log.config)) return none('cleanup.policy does not include compact');

  // The first offset the cleaner may not touch: the active segment, the last stable offset,
  // and the first segment holding records younger than min.compaction.lag.ms.
  let uncleanable = Math.min(segments[segments.length - 1].baseOffset, log.lastStableOffset);
  for (const s of segments) {
    if (log.config.minCompactionLagMs > 0 && s.largestTimestamp >= 0 && nowMs - s.largestTimestamp < log.config.minCompactionLagMs) {
      uncleanable = Math.min(uncleanable, s.baseOffset);
      break;
    }
  }
  // Whole segments only.
  let lastCleanable = -1;
  for (let i = 0; i < segments.length - 1; i++) if (segments[i].nextOffset <= uncleanable) lastCleanable = i;
  if (lastCleanable < 0) return none('no closed segment is cleanable yet', 0, uncleanable);
  const firstDirty = log.firstDirtyOffset;
  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (let i = 0; i <= lastCleanable; i++) {
    if (segments[i].nextOffset <= firstDirty) cleanBytes += segments[i].size;
    else dirtyBytes += segments[i].size;
  }
  const dirtyRatio = cleanBytes + dirtyBytes === 0 ? 0 : dirtyBytes / (cleanBytes + dirtyBytes);
  if (dirtyBytes === 0 || dirtyRatio < log.config.minCleanableDirtyRatio) return none(`dirty ratio ${dirtyRatio.toFixed(2)} is below min.cleanable.dirty.ratio`, dirtyRatio, uncleanable);

  const scanned = Array.from({ length: lastCleanable + 1 }, (_, i) => scanSegment(log, i));
  const end = segments[lastCleanable].nextOffset;
  // The offset map: the latest offset of each key in the dirty section (Kafka's OffsetMap).
  const latest = new Map<string, number>();
  for (const batches of scanned) {
    for (const b of batches) {
      if (isControl(b.header)) continue;
      for (const r of b.records) if (r.key !== null && r.offset >= firstDirty) latest.set(r.key.toString('base64'), r.offset);
    }
  }
  const aborted = log.abortedTransactions(log.logStartOffset, end);
  const isAborted = (h: BatchHeader): boolean =>
    isTransactional(h) && !isControl(h) && aborted.some((t) => t.producerId === h.producerId && h.baseOffset >= t.firstOffset && h.baseOffset <= t.lastOffset);

  const removedOffsets: number[] = [];
  const removedTombstones: number[] = [];
  const removedTombstoneKeys: string[] = [];
  for (let i = 0; i <= lastCleanable; i++) {
    const kept: Buffer[] = [];
    let changed = false;
    for (const b of scanned[i]) {
      const h = b.header;
      if (isControl(h)) {
        kept.push(reencode(b, b.records, h));
        continue;
      }
      const dropAll = isAborted(h);
      const horizonPassed = hasDeleteHorizon(h) && nowMs >= h.baseTimestamp;
      const keep = (r: DecodedRecord): boolean => {
        if (dropAll) return false;
        if (r.key === null) return true;
        const newest = latest.get(r.key.toString('base64'));
        if (newest !== undefined && newest > r.offset) return false;
        if (r.value === null && horizonPassed) {
          removedTombstones.push(r.offset);
          removedTombstoneKeys.push(r.key.toString('utf8'));
          return false;
        }
        return true;
      };
      const retained: DecodedRecord[] = [];
      for (const r of b.records) {
        if (keep(r)) retained.push(r);
        else removedOffsets.push(r.offset);
      }
      const needsHorizon = !hasDeleteHorizon(h) && retained.some((r) => r.value === null);
      if (retained.length === b.records.length && !needsHorizon) {
        kept.push(reencode(b, b.records, h));
        continue;
      }
      changed = true;
      if (retained.length === 0) continue;
      kept.push(reencode(b, retained, h, needsHorizon ? nowMs + log.config.deleteRetentionMs : hasDeleteHorizon(h) ? h.baseTimestamp : undefined));
    }
    if (changed) log.replaceSegment(i, kept);
  }
  log.firstDirtyOffset = end;
  return { cleaned: true, dirtyRatio, recordsRemoved: removedOffsets.length, tombstonesRemoved: removedTombstones.length, removedOffsets, removedTombstones, removedTombstoneKeys, firstDirtyOffset: end, firstUncleanableOffset: uncleanable };
}

/** Re-encodes a batch with the records kept, keeping their offsets, the batch's last offset and its producer fields. */
function reencode(b: ScannedBatch, records: readonly DecodedRecord[], h: BatchHeader, deleteHorizonMs?: number): Buffer {
  return encodeBatch(
    records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offset - h.baseOffset })),
    {
      baseOffset: h.baseOffset,
      lastOffsetDelta: lastOffsetOf(h) - h.baseOffset,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      compression: compressionOf(h),
      timestampType: timestampTypeOf(h),
      isTransactional: isTransactional(h),
      isControl: isControl(h),
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      deleteHorizonMs: deleteHorizonMs ?? (hasDeleteHorizon(h) ? h.baseTimestamp : undefined),
    },
  );
}
