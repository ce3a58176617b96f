import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  Compression,
  MAGIC_V2,
  compressionOf,
  decodeRecords,
  isControl,
  isTransactional,
  lastOffsetOf,
  parseControlRecord,
  readBatchHeader,
  timestampTypeOf,
  type DecodedRecord,
} from './recordBatch.js';
import { crc32cRange } from './crc32c.js';

/** Bytes shown as text when they are valid UTF-8, as base64 otherwise. */
export interface DumpBytes {
  readonly text: string;
  readonly encoding: 'utf8' | 'base64';
}

export interface DumpRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: DumpBytes | null;
  readonly value: DumpBytes | null;
  readonly headers: readonly { readonly key: string; readonly value: DumpBytes | null }[];
  /** For a control record: the transaction marker it holds. */
  readonly marker?: string;
}

/** One batch as `kafka-dump-log.sh --print-data-log` shows it. */
export interface DumpBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly position: number;
  readonly size: number;
  readonly partitionLeaderEpoch: number;
  readonly crc: number;
  readonly crcValid: boolean;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly compression: string;
  readonly timestampType: string;
  readonly maxTimestamp: number;
  readonly records: readonly DumpRecord[];
  /** Set when the batch's CRC held but its records did not parse. */
  readonly recordError?: string;
}

export interface DumpResult {
  readonly batches: readonly DumpBatch[];
  /** Where the readable batches end, and why, when bytes remain that are not a batch. */
  readonly corruptTail?: { readonly position: number; readonly bytes: number; readonly reason: string };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function dumpBytes(b: Uint8Array | null): DumpBytes | null {
  if (b === null) return null;
  try {
    return { text: strictUtf8.decode(b), encoding: 'utf8' };
  } catch {
    return { text: Buffer.from(b).toString('base64'), encoding: 'base64' };
  }
}

/**
 * Reads every batch of a segment file's bytes. A batch whose CRC is wrong is still shown
 * (with crcValid false) when its frame is sound; the dump stops, and reports the tail, at
 * the first bytes that cannot be a batch. It never throws on corrupt input.
 */
export function dumpLog(data: Buffer): DumpResult {
  const batches: DumpBatch[] = [];
  let pos = 0;
  while (pos < data.length) {
    const left = data.length - pos;
    if (left < BATCH_HEADER_SIZE) return { batches, corruptTail: { position: pos, bytes: left, reason: `${left} bytes, too few for a batch header` } };
    const h = readBatchHeader(data, pos);
    const size = h.batchLength + LOG_OVERHEAD;
    if (h.magic !== MAGIC_V2) return { batches, corruptTail: { position: pos, bytes: left, reason: `magic ${h.magic}, expected ${MAGIC_V2}` } };
    if (h.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || size > left) {
      return { batches, corruptTail: { position: pos, bytes: left, reason: `batch length ${h.batchLength} does not fit the ${left} bytes left` } };
    }
    const crcValid = crc32cRange(data, pos + 21, pos + size) === h.crc;
    let records: DecodedRecord[] = [];
    let recordError: string | undefined;
    if (crcValid) {
      try {
        records = decodeRecords(data, pos, h);
      } catch (err) {
        recordError = (err as Error).message;
      }
    }
    const control = isControl(h);
    batches.push({
      baseOffset: h.baseOffset,
      lastOffset: lastOffsetOf(h),
      count: h.recordCount,
      position: pos,
      size,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      crc: h.crc,
      crcValid,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      isTransactional: isTransactional(h),
      isControl: control,
      compression: (Compression[compressionOf(h)] ?? String(compressionOf(h))).toLowerCase(),
      timestampType: timestampTypeOf(h),
      maxTimestamp: h.maxTimestamp,
      records: records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: dumpBytes(r.key),
        value: dumpBytes(r.value),
        headers: r.headers.map((x) => ({ key: x.key, value: dumpBytes(x.value) })),
        marker: control ? parseControlRecord(r)?.type : undefined,
      })),
      recordError,
    });
    pos += size;
  }
  return { batches };
}
