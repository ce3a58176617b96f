import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Compression,
  checkBatch,
  decodeRecords,
  encodeBatch,
  encodeControlBatch,
  isControl,
  isTransactional,
  lastOffsetOf,
  parseControlRecord,
  readBatchHeader,
  recordHeaderValues,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  timestampTypeOf,
  type RecordInput,
} from '../../src/log/recordBatch.js';
import { kjsCompression, kjsDecodeBatch, kjsLong, kjsRecord, kjsRecordBatch } from '../helpers/kafkajs.js';

const bytes = fc.option(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), { nil: null });
// Header values go in as bytes or as strings (written as UTF-8); they come out as bytes.
const header = fc.record({ key: fc.string({ maxLength: 10 }), value: fc.oneof(bytes, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 })) });
const recordArb = (baseTs: number): fc.Arbitrary<RecordInput> =>
  fc.record({ key: bytes, value: bytes, headers: fc.array(header, { maxLength: 3 }), timestamp: fc.integer({ min: baseTs, max: baseTs + 100_000 }) });
const recordsArb = fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).chain((ts) => fc.array(recordArb(ts), { minLength: 1, maxLength: 20 }));

function plain(r: { key: Buffer | Uint8Array | null; value: Buffer | Uint8Array | string | null }) {
  const hex = (v: Uint8Array | string) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)).toString('hex');
  return { key: r.key === null ? null : hex(r.key), value: r.value === null ? null : hex(r.value) };
}

describe('record batch v2', () => {
  it('round-trips records and header fields, with and without gzip', () => {
    fc.assert(
      fc.property(
        recordsArb,
        fc.record({
          baseOffset: fc.integer({ min: 0, max: 2 ** 52 }),
          partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          producerId: fc.oneof(fc.constant(-1), fc.maxSafeNat()),
          producerEpoch: fc.integer({ min: -1, max: 32767 }),
          baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          isTransactional: fc.boolean(),
          compression: fc.constantFrom(Compression.None, Compression.Gzip),
        }),
        (records, options) => {
          const buf = encodeBatch(records, options);
          const check = checkBatch(buf, 0, buf.length);
          expect(check.ok).toBe(true);
          if (!check.ok) return;
          const h = check.header;
          expect(check.size).toBe(buf.length);
          expect(h).toMatchObject({
            baseOffset: options.baseOffset,
            partitionLeaderEpoch: options.partitionLeaderEpoch,
            producerId: options.producerId,
            producerEpoch: options.producerEpoch,
            baseSequence: options.baseSequence,
            recordCount: records.length,
            lastOffsetDelta: records.length - 1,
            magic: 2,
          });
          expect(h.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
          expect(isTransactional(h)).toBe(options.isTransactional);
          const decoded = decodeRecords(buf, 0, h);
          expect(decoded.map((r) => r.offset)).toEqual(records.map((_, i) => options.baseOffset + i));
          expect(decoded.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
          expect(decoded.map(plain)).toEqual(records.map(plain));
          expect(decoded.map((r) => r.headers.map((x) => [x.key, plain({ key: null, value: x.value }).value]))).toEqual(
            records.map((r) => (r.headers ?? []).map((x) => [x.key, plain({ key: null, value: x.value }).value])),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads one header, the key and the tombstone mark of every record as full decoding does, with and without gzip', () => {
    fc.assert(
      fc.property(recordsArb, fc.string({ maxLength: 10 }), fc.constantFrom(Compression.None, Compression.Gzip), fc.nat(1000), (records, key, compression, baseOffset) => {
        const buf = encodeBatch(records, { compression, baseOffset });
        const h = readBatchHeader(buf, 0);
        const expected = decodeRecords(buf, 0, h).map((r) => {
          const found = r.headers.find((x) => x.key === key);
          return {
            offset: r.offset,
            value: found === undefined || found.value === null ? undefined : Buffer.from(found.value).toString('utf8'),
            key: r.key === null ? null : Buffer.from(r.key).toString('utf8'),
            tombstone: r.value === null,
          };
        });
        expect(recordHeaderValues(buf, 0, h, key)).toEqual(expected);
      }),
    );
  });

  it('lets a leader stamp offset and epoch without breaking the CRC', () => {
    const buf = encodeBatch([{ key: null, value: Buffer.from('v'), timestamp: 1 }]);
    setBaseOffset(buf, 0, 12345);
    setPartitionLeaderEpoch(buf, 0, 7);
    const check = checkBatch(buf, 0, buf.length);
    expect(check.ok && check.header.baseOffset === 12345 && check.header.partitionLeaderEpoch === 7).toBe(true);
    setLogAppendTime(buf, 0, 99);
    const again = checkBatch(buf, 0, buf.length);
    expect(again.ok && timestampTypeOf(again.header) === 'LogAppendTime' && again.header.maxTimestamp === 99).toBe(true);
  });

  it('detects any flipped bit covered by the CRC, and truncation', () => {
    fc.assert(
      fc.property(recordsArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (records, at, bit) => {
        const buf = encodeBatch(records);
        const pos = 21 + (at % (buf.length - 21)); // from attributes on
        buf[pos] ^= 1 << bit;
        expect(checkBatch(buf, 0, buf.length).ok).toBe(false);
        buf[pos] ^= 1 << bit;
        const cut = checkBatch(buf, 0, buf.length - 1);
        expect(cut.ok === false && cut.truncated).toBe(true);
      }),
    );
  });

  it('encodes and reads transaction markers', () => {
    const buf = encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 3 }, { baseOffset: 10, producerId: 42, producerEpoch: 1, timestamp: 5 });
    const h = readBatchHeader(buf, 0);
    expect(isControl(h) && isTransactional(h)).toBe(true);
    expect(lastOffsetOf(h)).toBe(10);
    expect(parseControlRecord(decodeRecords(buf, 0)[0])).toEqual({ type: 'COMMIT', coordinatorEpoch: 3 });
  });
});

describe('interop with kafkajs', () => {
  it('decodes batches that kafkajs encodes', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb, fc.integer({ min: 0, max: 2 ** 52 }), fc.boolean(), fc.boolean(), async (records, baseOffset, gzip, transactional) => {
        const baseTs = Math.min(...records.map((r) => r.timestamp));
        const kjsRecords = records.map((r, i) =>
          kjsRecord({
            offsetDelta: i,
            timestampDelta: r.timestamp - baseTs,
            key: r.key === null ? null : Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            headers: Object.fromEntries((r.headers ?? []).filter((h) => h.value !== null).map((h) => [h.key, Buffer.from(h.value as Uint8Array)])),
          }),
        );
        const encoder = await kjsRecordBatch({
          compression: gzip ? kjsCompression.Types.GZIP : kjsCompression.Types.None,
          firstOffset: kjsLong.fromValue(baseOffset),
          firstTimestamp: baseTs,
          maxTimestamp: Math.max(...records.map((r) => r.timestamp)),
          lastOffsetDelta: records.length - 1,
          transactional,
          producerId: kjsLong.fromValue(77),
          producerEpoch: 3,
          firstSequence: 9,
          records: kjsRecords,
        });
        const buf = encoder.buffer;
        const check = checkBatch(buf, 0, buf.length);
        expect(check.ok).toBe(true);
        if (!check.ok) return;
        expect(check.header).toMatchObject({ baseOffset, producerId: 77, producerEpoch: 3, baseSequence: 9, recordCount: records.length });
        expect(isTransactional(check.header)).toBe(transactional);
        const decoded = decodeRecords(buf, 0, check.header);
        expect(decoded.map(plain)).toEqual(records.map(plain));
        expect(decoded.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
      }),
      { numRuns: 100 },
    );
  });

  it('encodes batches that kafkajs decodes', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb, fc.integer({ min: 0, max: 2 ** 52 }), fc.boolean(), async (records, baseOffset, gzip) => {
        const buf = encodeBatch(records, { baseOffset, compression: gzip ? Compression.Gzip : Compression.None, producerId: 5, producerEpoch: 2, baseSequence: 100, partitionLeaderEpoch: 4 });
        const batch = await kjsDecodeBatch(buf);
        expect(batch).toMatchObject({ firstOffset: String(baseOffset), producerId: '5', producerEpoch: 2, firstSequence: 100, partitionLeaderEpoch: 4, lastOffsetDelta: records.length - 1 });
        expect(batch.records.map((r) => r.offset)).toEqual(records.map((_, i) => String(baseOffset + i)));
        expect(batch.records.map((r) => r.timestamp)).toEqual(records.map((r) => String(r.timestamp)));
        expect(batch.records.map(plain)).toEqual(records.map(plain));
      }),
      { numRuns: 100 },
    );
  });
});
