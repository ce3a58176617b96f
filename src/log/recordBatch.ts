import { gunzip, gzip } from './gzip.js';
import { readInt16, readInt32, readInt64, readUInt32, writeInt64 } from './int64.js';
import { crc32cRange } from './crc32c.js';
import { readVarint, varintSize, writeVarint } from './varint.js';

/**
 * Kafka's v2 record batch (magic 2), byte for byte as `DefaultRecordBatch` lays it out
 * (KIP-98):
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
 *   crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 *   maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
 *   recordCount int32 | records…
 *
 * batchLength counts the bytes after itself; the CRC32C covers everything from attributes
 * to the end, so a leader can stamp baseOffset and partitionLeaderEpoch into a producer's
 * batch without recomputing it.
 */

export const MAGIC_V2 = 2;
/** baseOffset + batchLength: the bytes in front of what batchLength counts. */
export const LOG_OVERHEAD = 12;
export const BATCH_HEADER_SIZE = 61;

const BASE_OFFSET = 0;
const LENGTH = 8;
const LEADER_EPOCH = 12;
const MAGIC = 16;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** Compression codecs, by their attribute value. kafkasim writes none and gzip. */
export enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
const DELETE_HORIZON_MASK = 0x40;

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** A record as a producer hands it over. */
/** A header to encode: its value may also be given as a string, written as UTF-8. */
export interface RecordHeaderInput {
  readonly key: string;
  readonly value: Uint8Array | string | null;
}

export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeaderInput[];
  /** Milliseconds since the epoch, from the producer's (local) clock. */
  readonly timestamp: number;
  /**
   * Offset relative to the batch base; default: the record's index. The log cleaner sets it
   * to keep a retained record's offset when it drops the records around it.
   */
  readonly offsetDelta?: number;
}

export interface BatchOptions {
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: Compression;
  readonly timestampType?: TimestampType;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  /**
   * KIP-534: when set, the batch's tombstones and transaction markers may be removed by the
   * cleaner after this instant; it is stored in baseTimestamp and flagged in the attributes.
   */
  readonly deleteHorizonMs?: number;
  /** Default: the last record's offset delta. The cleaner keeps a batch's original last offset. */
  readonly lastOffsetDelta?: number;
}

/** The fixed-size header of a batch, as read from its bytes. */
export interface BatchHeader {
  readonly baseOffset: number;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** A header just read, which its reader owns: a leader stamps its offsets and epoch into it in place. */
export type ReadBatchHeader = { -readonly [K in keyof BatchHeader]: BatchHeader[K] };

/** A decoded record, with its absolute offset and timestamp. Key and value are views into the batch. */
export interface DecodedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

// ------------------------------------------------------------------ header accessors

/** The last offset of the batch at `pos`, from its first 27 bytes, without parsing the rest. */
export function lastOffsetAt(buf: Uint8Array, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET) + readInt32(buf, pos + LAST_OFFSET_DELTA);
}

/** The whole size of the batch at `pos` (its length field plus the 12 bytes before it). */
export function batchSizeAt(buf: Uint8Array, pos: number): number {
  return readInt32(buf, pos + LENGTH) + LOG_OVERHEAD;
}

/** The partition leader epoch of the batch at `pos`, without parsing the rest. */
export function leaderEpochAt(buf: Uint8Array, pos: number): number {
  return readInt32(buf, pos + LEADER_EPOCH);
}

/** The stored CRC of the batch at `pos`, without parsing (or checking) the rest. */
export function crcAt(buf: Uint8Array, pos: number): number {
  return readUInt32(buf, pos + CRC);
}

/** How many leading bytes of a batch lastOffsetAt and batchSizeAt read. */
export const BATCH_SPAN_BYTES = LAST_OFFSET_DELTA + 4;

export function lastOffsetOf(h: BatchHeader): number {
  return h.baseOffset + h.lastOffsetDelta;
}

export function sizeOf(h: BatchHeader): number {
  return h.batchLength + LOG_OVERHEAD;
}

export function compressionOf(h: BatchHeader): Compression {
  return h.attributes & COMPRESSION_MASK;
}

export function timestampTypeOf(h: BatchHeader): TimestampType {
  return h.attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime';
}

export function isTransactional(h: BatchHeader): boolean {
  return (h.attributes & TRANSACTIONAL_MASK) !== 0;
}

export function isControl(h: BatchHeader): boolean {
  return (h.attributes & CONTROL_MASK) !== 0;
}

export function hasDeleteHorizon(h: BatchHeader): boolean {
  return (h.attributes & DELETE_HORIZON_MASK) !== 0;
}

/** The sequence of the batch's last record, wrapping at Int32.MAX as Kafka's does. */
export function lastSequenceOf(h: BatchHeader): number {
  if (h.baseSequence === NO_SEQUENCE) return NO_SEQUENCE;
  const last = h.baseSequence + h.lastOffsetDelta;
  return last > 0x7fffffff ? last - 0x80000000 : last;
}



// ------------------------------------------------------------------ encoding

const utf8 = new TextEncoder();

const SLAB_BYTES = 1 << 20;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/**
 * Space for an encoded batch, carved from a 1 MiB slab: a fresh ArrayBuffer per 16 KiB
 * batch costs more than encoding it. Every byte handed out is then written by the encoder,
 * so no stale bytes from the slab can leak into a batch.
 */
export function allocBatch(size: number): Buffer {
  if (size > SLAB_BYTES / 4) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return out;
}

export function recordBodySize(r: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const keyLen = r.key === null ? -1 : r.key.length;
  const valueLen = r.value === null ? -1 : r.value.length;
  let size = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + varintSize(keyLen) + Math.max(0, keyLen) + varintSize(valueLen) + Math.max(0, valueLen);
  const headers = r.headers ?? [];
  size += varintSize(headers.length);
  for (const h of headers) {
    const k = encodedHeaderKey(h.key);
    const hv = headerValueLength(h.value);
    size += varintSize(k.length) + k.length + varintSize(hv) + Math.max(0, hv);
  }
  return size;
}

function headerValueLength(v: Uint8Array | string | null): number {
  if (v === null) return -1;
  if (typeof v !== 'string') return v.length;
  return isShortAscii(v) ? v.length : Buffer.byteLength(v, 'utf8');
}

/*
 * Records are small and their fields smaller (a key of a few bytes, a message id of a
 * dozen characters): a byte loop beats the fixed cost of TypedArray.set and of Buffer's
 * UTF-8 writer for them, which showed in profiles of the producer.
 */
const SHORT = 32;

function isShortAscii(s: string): boolean {
  if (s.length > SHORT) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function putBytes(out: Buffer, pos: number, bytes: Uint8Array): number {
  if (bytes.length > SHORT) out.set(bytes, pos);
  else for (let i = 0; i < bytes.length; i++) out[pos + i] = bytes[i];
  return pos + bytes.length;
}

function putString(out: Buffer, pos: number, s: string, byteLength: number): number {
  if (byteLength !== s.length || s.length > SHORT) return pos + out.write(s, pos, byteLength, 'utf8');
  for (let i = 0; i < s.length; i++) out[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

/** Header keys repeat on every record ("id", "traceparent"): encode each once. */
const headerKeyCache = new Map<string, Uint8Array>();

function encodedHeaderKey(key: string): Uint8Array {
  let k = headerKeyCache.get(key);
  if (k === undefined) {
    k = utf8.encode(key);
    if (headerKeyCache.size < 1024) headerKeyCache.set(key, k);
  }
  return k;
}

/** Writes the records section (uncompressed) into `out` at `pos`; returns the end. */
function writeRecords(out: Buffer, pos: number, records: readonly RecordInput[], baseTimestamp: number, sizes: number[]): number {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeRecord(out, pos, r, sizes[i], r.timestamp - baseTimestamp, r.offsetDelta ?? i);
  }
  return pos;
}

/** Writes one record of `bodySize` bytes (see recordBodySize) at `pos`. Returns the end. */
export function writeRecord(out: Buffer, pos: number, r: RecordInput, bodySize: number, timestampDelta: number, offsetDelta: number): number {
  pos = writeVarint(out, pos, bodySize);
  out[pos++] = 0; // record attributes: unused
  pos = writeVarint(out, pos, timestampDelta);
  pos = writeVarint(out, pos, offsetDelta);
  if (r.key === null) pos = writeVarint(out, pos, -1);
  else pos = putBytes(out, writeVarint(out, pos, r.key.length), r.key);
  if (r.value === null) pos = writeVarint(out, pos, -1);
  else pos = putBytes(out, writeVarint(out, pos, r.value.length), r.value);
  const headers = r.headers ?? [];
  pos = writeVarint(out, pos, headers.length);
  for (const h of headers) {
    const k = encodedHeaderKey(h.key);
    pos = putBytes(out, writeVarint(out, pos, k.length), k);
    if (h.value === null) pos = writeVarint(out, pos, -1);
    else if (typeof h.value === 'string') {
      const length = headerValueLength(h.value);
      pos = putString(out, writeVarint(out, pos, length), h.value, length);
    } else pos = putBytes(out, writeVarint(out, pos, h.value.length), h.value);
  }
  return pos;
}

/** What a batch header says of its records, besides the options it was encoded with. */
export interface RecordsSummary {
  readonly compression: Compression;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
  readonly lastOffsetDelta: number;
}

/** Writes the 61-byte header of the batch in `out[0, end)`, whose records are written, and its CRC. */
export function writeBatchHeader(out: Buffer, end: number, records: RecordsSummary, options: BatchOptions): void {
  let attributes: number = records.compression;
  if (options.timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK;
  if (options.isTransactional) attributes |= TRANSACTIONAL_MASK;
  if (options.isControl) attributes |= CONTROL_MASK;
  if (options.deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_MASK;
  writeInt64(out, BASE_OFFSET, options.baseOffset ?? 0);
  out.writeInt32BE(end - LOG_OVERHEAD, LENGTH);
  out.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, LEADER_EPOCH);
  out.writeInt8(MAGIC_V2, MAGIC);
  out.writeInt16BE(attributes, ATTRIBUTES);
  out.writeInt32BE(records.lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(out, BASE_TIMESTAMP, records.baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP, records.maxTimestamp);
  writeInt64(out, PRODUCER_ID, options.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH);
  out.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE);
  out.writeInt32BE(records.recordCount, RECORD_COUNT);
  out.writeUInt32BE(crc32cRange(out, ATTRIBUTES, end), CRC);
}

/** Encodes `records` as one v2 batch. Offsets are relative: record i gets baseOffset + i. */
export function encodeBatch(records: readonly RecordInput[], options: BatchOptions = {}): Buffer {
  if (records.length === 0) throw new RangeError('a record batch holds at least one record');
  let baseTimestamp = records[0].timestamp;
  let maxTimestamp = records[0].timestamp;
  for (const r of records) {
    if (r.timestamp < baseTimestamp) baseTimestamp = r.timestamp;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  // KIP-534: a delete horizon takes baseTimestamp's place, and deltas are taken from it.
  if (options.deleteHorizonMs !== undefined) baseTimestamp = options.deleteHorizonMs;
  const sizes: number[] = new Array<number>(records.length);
  let recordsSize = 0;
  for (let i = 0; i < records.length; i++) {
    const body = recordBodySize(records[i], records[i].offsetDelta ?? i, records[i].timestamp - baseTimestamp);
    sizes[i] = body;
    recordsSize += varintSize(body) + body;
  }
  const compression = options.compression ?? Compression.None;
  let out: Buffer;
  let end: number;
  if (compression === Compression.None) {
    out = allocBatch(BATCH_HEADER_SIZE + recordsSize);
    end = writeRecords(out, BATCH_HEADER_SIZE, records, baseTimestamp, sizes);
  } else if (compression === Compression.Gzip) {
    const plain = Buffer.allocUnsafe(recordsSize);
    writeRecords(plain, 0, records, baseTimestamp, sizes);
    const packed = gzip(plain);
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + packed.length);
    packed.copy(out, BATCH_HEADER_SIZE);
    end = out.length;
  } else {
    throw new RangeError(`compression ${Compression[compression]} is not supported; kafkasim writes none and gzip`);
  }
  writeBatchHeader(out, end, { compression, baseTimestamp, maxTimestamp, recordCount: records.length, lastOffsetDelta: options.lastOffsetDelta ?? records[records.length - 1].offsetDelta ?? records.length - 1 }, options);
  return end === out.length ? out : out.subarray(0, end);
}

// ------------------------------------------------------------------ in-place stamping

/** Stamps the base offset. Not covered by the CRC, so the batch stays valid. */
export function setBaseOffset(batch: Buffer, pos: number, baseOffset: number): void {
  writeInt64(batch, pos + BASE_OFFSET, baseOffset);
}

/** Stamps the partition leader epoch. Not covered by the CRC, so the batch stays valid. */
export function setPartitionLeaderEpoch(batch: Buffer, pos: number, epoch: number): void {
  batch.writeInt32BE(epoch, pos + LEADER_EPOCH);
}

/**
 * Switches a batch to LogAppendTime with the broker's clock, as a leader does for topics
 * with message.timestamp.type=LogAppendTime; the CRC is recomputed since both fields are
 * covered by it.
 */
export function setLogAppendTime(batch: Buffer, pos: number, timestampMs: number): void {
  const attributes = batch.readInt16BE(pos + ATTRIBUTES) | TIMESTAMP_TYPE_MASK;
  batch.writeInt16BE(attributes, pos + ATTRIBUTES);
  writeInt64(batch, pos + MAX_TIMESTAMP, timestampMs);
  const end = pos + LOG_OVERHEAD + batch.readInt32BE(pos + LENGTH);
  batch.writeUInt32BE(crc32cRange(batch, pos + ATTRIBUTES, end), pos + CRC);
}

// ------------------------------------------------------------------ decoding

/** Reads the header at `pos`. The caller must know 61 bytes are there; see {@link checkBatch}. */
export function readBatchHeader(buf: Buffer, pos: number): ReadBatchHeader {
  return readBatchHeaderInto(buf, pos, newBatchHeader());
}

/** A header to read into (readBatchHeaderInto, checkBatchInto), for a reader that reuses its headers. */
export function newBatchHeader(): ReadBatchHeader {
  return { baseOffset: 0, batchLength: 0, partitionLeaderEpoch: 0, magic: 0, crc: 0, attributes: 0, lastOffsetDelta: 0, baseTimestamp: 0, maxTimestamp: 0, producerId: 0, producerEpoch: 0, baseSequence: 0, recordCount: 0 };
}

/** As readBatchHeader, into a header the caller owns; returns it. */
export function readBatchHeaderInto(buf: Buffer, pos: number, into: ReadBatchHeader): ReadBatchHeader {
  into.baseOffset = readInt64(buf, pos + BASE_OFFSET);
  into.batchLength = readInt32(buf, pos + LENGTH);
  into.partitionLeaderEpoch = readInt32(buf, pos + LEADER_EPOCH);
  into.magic = buf.readInt8(pos + MAGIC);
  into.crc = readUInt32(buf, pos + CRC);
  into.attributes = readInt16(buf, pos + ATTRIBUTES);
  into.lastOffsetDelta = readInt32(buf, pos + LAST_OFFSET_DELTA);
  into.baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
  into.maxTimestamp = readInt64(buf, pos + MAX_TIMESTAMP);
  into.producerId = readInt64(buf, pos + PRODUCER_ID);
  into.producerEpoch = readInt16(buf, pos + PRODUCER_EPOCH);
  into.baseSequence = readInt32(buf, pos + BASE_SEQUENCE);
  into.recordCount = readInt32(buf, pos + RECORD_COUNT);
  return into;
}

/** The base offset alone, without decoding the rest of the header. */
export function peekBaseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET);
}

export type BatchCheck =
  | { readonly ok: true; readonly header: ReadBatchHeader; readonly size: number }
  | { readonly ok: false; readonly reason: string; readonly truncated: boolean };

/**
 * Validates the batch at `pos`, with `end` the end of the readable bytes: enough bytes for
 * a header and for the declared length, magic 2, a sane header, and a CRC that matches.
 * `truncated` says whether the only problem is that the batch runs past `end`.
 */
export function checkBatch(buf: Buffer, pos: number, end: number): BatchCheck {
  const header = newBatchHeader();
  const size = checkBatchInto(buf, pos, end, header);
  return size > 0 ? { ok: true, header, size } : batchProblem(buf, pos, end, size);
}

/** The checks of checkBatch, failing with a negative code: too short for a header, length, magic, too short for the batch, counts, CRC. */
const enum Problem {
  NoHeader = -1,
  Length = -2,
  Magic = -3,
  NoBatch = -4,
  Counts = -5,
  Crc = -6,
}

/**
 * As checkBatch, without building anything: reads the header into `into` (a header its
 * caller reuses) and returns the batch's size, or a negative Problem when it is invalid (then
 * `into` may hold part of a header).
 */
export function checkBatchInto(buf: Buffer, pos: number, end: number, into: ReadBatchHeader): number {
  if (end - pos < BATCH_HEADER_SIZE) return Problem.NoHeader;
  const batchLength = buf.readInt32BE(pos + LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return Problem.Length;
  const size = batchLength + LOG_OVERHEAD;
  if (buf.readInt8(pos + MAGIC) !== MAGIC_V2) return Problem.Magic;
  if (end - pos < size) return Problem.NoBatch;
  readBatchHeaderInto(buf, pos, into);
  if (into.lastOffsetDelta < 0 || into.recordCount < 0) return Problem.Counts;
  return crc32cRange(buf, pos + ATTRIBUTES, pos + size) === into.crc ? size : Problem.Crc;
}

/** What checkBatchInto's `problem` with the batch at `pos` is, in words. */
export function batchProblem(buf: Buffer, pos: number, end: number, problem: number): { readonly ok: false; readonly reason: string; readonly truncated: boolean } {
  if (problem === Problem.NoHeader) return { ok: false, reason: `only ${end - pos} bytes left, a batch header takes ${BATCH_HEADER_SIZE}`, truncated: true };
  const size = buf.readInt32BE(pos + LENGTH) + LOG_OVERHEAD;
  switch (problem) {
    case Problem.Length:
      return { ok: false, reason: `batch length ${size - LOG_OVERHEAD} is smaller than a header`, truncated: false };
    case Problem.Magic:
      return { ok: false, reason: `magic ${buf.readInt8(pos + MAGIC)}, expected ${MAGIC_V2}`, truncated: false };
    case Problem.NoBatch:
      return { ok: false, reason: `batch of ${size} bytes runs past the end (${end - pos} left)`, truncated: true };
    case Problem.Counts:
      return { ok: false, reason: 'negative record count or offset delta', truncated: false };
    default:
      return { ok: false, reason: `CRC mismatch: stored ${hex(readUInt32(buf, pos + CRC))}, computed ${hex(crc32cRange(buf, pos + ATTRIBUTES, pos + size))}`, truncated: false };
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Thrown when a batch that passed its CRC still holds records that do not parse. */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

/** Decodes the records of the (already checked) batch at `pos`. */
export function decodeRecords(buf: Buffer, pos: number, header: BatchHeader = readBatchHeader(buf, pos)): DecodedRecord[] {
  const batchEnd = pos + sizeOf(header);
  let data = buf;
  let start = pos + BATCH_HEADER_SIZE;
  let end = batchEnd;
  const compression = compressionOf(header);
  if (compression === Compression.Gzip) {
    data = gunzip(buf.subarray(start, end));
    start = 0;
    end = data.length;
  } else if (compression !== Compression.None) {
    throw new RecordFormatError(`batch at offset ${header.baseOffset} uses ${Compression[compression] ?? compression} compression, which kafkasim does not read`);
  }
  // With a delete horizon (KIP-534) baseTimestamp holds it, and the deltas are relative to it.
  const baseTimestamp = header.baseTimestamp;
  // LogAppendTime: every record reads the batch's max timestamp, the leader's clock (DefaultRecordBatch).
  const logAppendTime = timestampTypeOf(header) === 'LogAppendTime' ? header.maxTimestamp : undefined;
  const cursor = { pos: start };
  const records: DecodedRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const length = readVarint(data, cursor, end);
    const recordEnd = cursor.pos + length;
    if (length < 0 || recordEnd > end) throw new RecordFormatError(`record ${i} of batch ${header.baseOffset} runs past the batch`);
    cursor.pos++; // attributes
    const timestampDelta = readVarint(data, cursor, recordEnd);
    const offsetDelta = readVarint(data, cursor, recordEnd);
    const key = readBytes(data, cursor, recordEnd);
    const value = readBytes(data, cursor, recordEnd);
    const headerCount = readVarint(data, cursor, recordEnd);
    if (headerCount < 0) throw new RecordFormatError(`record ${i} of batch ${header.baseOffset} has ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const k = readBytes(data, cursor, recordEnd);
      if (k === null) throw new RecordFormatError(`record ${i} of batch ${header.baseOffset} has a null header key`);
      headers.push({ key: k.toString('utf8'), value: readBytes(data, cursor, recordEnd) });
    }
    if (cursor.pos !== recordEnd) throw new RecordFormatError(`record ${i} of batch ${header.baseOffset} has ${recordEnd - cursor.pos} stray bytes`);
    records.push({ offset: header.baseOffset + offsetDelta, timestamp: logAppendTime ?? baseTimestamp + timestampDelta, key, value, headers });
  }
  return records;
}

/** A record as {@link recordHeaderValues} reads it: its offset, one header's value, and its key; a null value makes it a tombstone. */
export interface RecordHeaderValue {
  readonly offset: number;
  readonly value: string | undefined;
  readonly key: string | null;
  readonly tombstone: boolean;
}

/**
 * Each record's offset, the UTF-8 value of its header `key` (undefined when it has none),
 * its own key as UTF-8 and whether its value is null, for the (already checked) batch at
 * `pos`, without building the records.
 */
export function recordHeaderValues(buf: Buffer, pos: number, header: BatchHeader, key: string, out: RecordHeaderValue[] = []): RecordHeaderValue[] {
  forEachRecordFields(buf, pos, header, Buffer.from(key), (offset, bytes, start, length, keyBytes, keyStart, keyLength, valueLength) => {
    out.push({
      offset,
      value: length < 0 ? undefined : bytes.toString('utf8', start, start + length),
      key: keyLength < 0 ? null : keyBytes.toString('utf8', keyStart, keyStart + keyLength),
      tombstone: valueLength < 0,
    });
  });
  return out;
}

/**
 * Visits each record of the (already checked) batch at `pos` with its offset and where the
 * value of its first header named `key` lies: `length` is -1 when it has none. Nothing is
 * built or copied for an uncompressed batch: what a checker needs to follow message ids
 * through a log of millions of records.
 */
export function forEachHeaderValue(buf: Buffer, pos: number, header: BatchHeader, key: Uint8Array, visit: (offset: number, bytes: Buffer, start: number, length: number) => void): void {
  forEachRecordFields(buf, pos, header, key, visit);
}

/**
 * As {@link forEachHeaderValue}, also telling where each record's key lies (`keyLength` -1
 * for a null key) and its value's length (-1 for a null value: a tombstone).
 */
function forEachRecordFields(
  buf: Buffer,
  pos: number,
  header: BatchHeader,
  key: Uint8Array,
  visit: (offset: number, bytes: Buffer, start: number, length: number, keyBytes: Buffer, keyStart: number, keyLength: number, valueLength: number) => void,
): void {
  if (compressionOf(header) !== Compression.None) {
    const name = Buffer.from(key.buffer, key.byteOffset, key.length).toString('utf8');
    for (const r of decodeRecords(buf, pos, header)) {
      const h = r.headers.find((x) => x.key === name);
      const value = h?.value == null ? undefined : Buffer.from(h.value.buffer, h.value.byteOffset, h.value.length);
      const recordKey = r.key === null ? undefined : Buffer.from(r.key.buffer, r.key.byteOffset, r.key.length);
      visit(r.offset, value ?? buf, 0, value === undefined ? -1 : value.length, recordKey ?? buf, 0, recordKey === undefined ? -1 : recordKey.length, r.value === null ? -1 : r.value.length);
    }
    return;
  }
  const end = pos + sizeOf(header);
  const cursor = { pos: pos + BATCH_HEADER_SIZE };
  for (let i = 0; i < header.recordCount; i++) {
    const length = readVarint(buf, cursor, end);
    const recordEnd = cursor.pos + length;
    if (length < 0 || recordEnd > end) throw new RecordFormatError(`record ${i} of batch ${header.baseOffset} runs past the batch`);
    cursor.pos++; // attributes
    readVarint(buf, cursor, recordEnd); // timestamp delta
    const offsetDelta = readVarint(buf, cursor, recordEnd);
    const keyLength = readVarint(buf, cursor, recordEnd);
    const keyStart = cursor.pos;
    if (keyLength > 0) cursor.pos += keyLength;
    const valueLength = readVarint(buf, cursor, recordEnd);
    if (valueLength > 0) cursor.pos += valueLength;
    if (cursor.pos > recordEnd) throw new RecordFormatError(`a field of record ${i} of batch ${header.baseOffset} runs past its record`);
    const headerCount = readVarint(buf, cursor, recordEnd);
    let valueStart = 0;
    let headerLength = -1;
    let matched = false;
    for (let h = 0; h < headerCount; h++) {
      const kLen = readVarint(buf, cursor, recordEnd);
      const kStart = cursor.pos;
      cursor.pos += Math.max(0, kLen);
      const vLen = readVarint(buf, cursor, recordEnd);
      if (!matched && kLen === key.length && bytesEqual(buf, kStart, key)) {
        matched = true;
        valueStart = cursor.pos;
        headerLength = vLen;
      }
      cursor.pos += Math.max(0, vLen);
    }
    if (cursor.pos !== recordEnd) throw new RecordFormatError(`record ${i} of batch ${header.baseOffset} has ${recordEnd - cursor.pos} stray bytes`);
    visit(header.baseOffset + offsetDelta, buf, valueStart, headerLength, buf, keyStart, keyLength, valueLength);
  }
}

function bytesEqual(buf: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

function readBytes(data: Buffer, cursor: { pos: number }, end: number): Buffer | null {
  const len = readVarint(data, cursor, end);
  if (len < 0) return null;
  if (cursor.pos + len > end) throw new RecordFormatError(`a field of ${len} bytes runs past its record`);
  const out = data.subarray(cursor.pos, cursor.pos + len);
  cursor.pos += len;
  return out;
}

// ------------------------------------------------------------------ control records

/** Transaction markers (ControlRecordType): ABORT is 0, COMMIT is 1. */
export type ControlType = 'ABORT' | 'COMMIT';

export interface ControlMarker {
  readonly type: ControlType;
  readonly coordinatorEpoch: number;
}

/**
 * A control batch with one transaction marker (Kafka's `EndTransactionMarker`): key is
 * version int16 and type int16, value is version int16 and coordinatorEpoch int32.
 */
export function encodeControlBatch(
  marker: ControlMarker,
  options: { baseOffset?: number; partitionLeaderEpoch?: number; producerId: number; producerEpoch: number; timestamp: number },
): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(marker.type === 'COMMIT' ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return encodeBatch([{ key, value, timestamp: options.timestamp }], {
    baseOffset: options.baseOffset,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    isTransactional: true,
    isControl: true,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
  });
}

/** Reads a control record's marker, or undefined if it is not a transaction marker. */
export function parseControlRecord(record: DecodedRecord): ControlMarker | undefined {
  if (record.key === null || record.key.length < 4 || record.value === null || record.value.length < 6) return undefined;
  const type = record.key.readInt16BE(2);
  if (type !== 0 && type !== 1) return undefined;
  return { type: type === 1 ? 'COMMIT' : 'ABORT', coordinatorEpoch: record.value.readInt32BE(2) };
}
