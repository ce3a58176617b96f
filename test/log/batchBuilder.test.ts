import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatchArena } from '../../src/log/batchBuilder.js';
import { checkBatch, Compression, compressionOf, decodeRecords, encodeBatch, readBatchHeader, type RecordInput } from '../../src/log/recordBatch.js';

const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const record: fc.Arbitrary<Omit<RecordInput, 'timestamp'>> = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 6 }), value: fc.oneof(fc.string({ maxLength: 12 }), bytes, fc.constant(null)) }), { maxLength: 3 }),
});
const options = fc.record({ producerId: fc.nat(1000), producerEpoch: fc.nat(10), baseSequence: fc.nat(1000) });

describe('BatchBuilder', () => {
  it('encodes records one at a time into the same bytes as encoding them together', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.nat(1e6), fc.array(fc.nat(50), { minLength: 30, maxLength: 30 }), options, (rs, start, steps, opts) => {
        // Non-decreasing timestamps, as one producer's clock gives them.
        let t = start;
        const records = rs.map((r, i) => ({ ...r, timestamp: (t += steps[i]) }));
        const builder = new BatchArena().builder(64 * 1024);
        for (const r of records) expect(builder.tryAppend(r)).toBe(true);
        const built = builder.close().stamp(opts);
        expect(built.equals(encodeBatch(records, opts))).toBe(true);
        expect(checkBatch(built, 0, built.length).ok).toBe(true);
      }),
    );
  });

  it('with compression.type gzip, closes into a gzip batch that decodes to the same records as the plain one', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.nat(1e6), options, (rs, start, opts) => {
        const records = rs.map((r, i) => ({ ...r, timestamp: start + i }));
        const build = (compression: Compression.None | Compression.Gzip): Buffer => {
          const builder = new BatchArena().builder(64 * 1024);
          for (const r of records) expect(builder.tryAppend(r)).toBe(true);
          return builder.close(compression).stamp(opts);
        };
        const plain = build(Compression.None);
        const packed = build(Compression.Gzip);
        expect(checkBatch(packed, 0, packed.length).ok).toBe(true);
        expect(compressionOf(readBatchHeader(packed, 0))).toBe(Compression.Gzip);
        expect(decodeRecords(packed, 0)).toEqual(decodeRecords(plain, 0));
        // The header agrees on everything but the attributes' codec, the length and the CRC.
        const { attributes: _a, batchLength: _l, crc: _c, ...rest } = readBatchHeader(packed, 0);
        const { attributes: _a2, batchLength: _l2, crc: _c2, ...restPlain } = readBatchHeader(plain, 0);
        expect(rest).toEqual(restPlain);
      }),
    );
  });

  it('stamps in place once, and a retry under other producer state into a copy, leaving the first attempt as it was', () => {
    const builder = new BatchArena().builder(1024);
    builder.tryAppend({ key: null, value: Buffer.from('v'), headers: [{ key: 'id', value: 'p1#0' }], timestamp: 5 });
    const closed = builder.close();
    const first = closed.stamp({ producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const copy = Buffer.from(first);
    expect(closed.stamp({ producerId: 7, producerEpoch: 0, baseSequence: 0 })).toBe(first);
    const retry = closed.stamp({ producerId: 7, producerEpoch: 1, baseSequence: 0 });
    expect(retry).not.toBe(first);
    expect(first.equals(copy)).toBe(true);
    expect(readBatchHeader(retry, 0).producerEpoch).toBe(1);
    expect(checkBatch(retry, 0, retry.length).ok).toBe(true);
  });

  it('builds batches one after another in an arena: a closed batch keeps its records while the next fills, and only one fills at a time', () => {
    const arena = new BatchArena();
    const a = arena.builder(1024);
    a.tryAppend({ key: null, value: Buffer.from('first'), timestamp: 1 });
    expect(() => arena.builder(1024)).toThrow(/one batch at a time/);
    const closed = a.close();
    const b = arena.builder(1024);
    b.tryAppend({ key: null, value: Buffer.from('other'), timestamp: 2 });
    expect(closed.stamp({}).equals(encodeBatch([{ key: null, value: Buffer.from('first'), timestamp: 1 }]))).toBe(true);
    // A record that does not fit is refused, and the batch is as it was.
    expect(b.tryAppend({ key: null, value: Buffer.alloc(2000), timestamp: 3 })).toBe(false);
    const second = b.close();
    expect(second.stamp({}).equals(encodeBatch([{ key: null, value: Buffer.from('other'), timestamp: 2 }]))).toBe(true);
    // Stamping the second batch's header did not touch the first one's bytes.
    expect(closed.stamp({}).equals(encodeBatch([{ key: null, value: Buffer.from('first'), timestamp: 1 }]))).toBe(true);
    // Past the end of a chunk, a batch starts in a fresh one.
    const big = arena.builder(300 * 1024);
    big.tryAppend({ key: null, value: Buffer.alloc(200 * 1024, 7), timestamp: 4 });
    const bigBatch = big.close().stamp({});
    expect(checkBatch(bigBatch, 0, bigBatch.length).ok).toBe(true);
    expect(closed.stamp({}).equals(encodeBatch([{ key: null, value: Buffer.from('first'), timestamp: 1 }]))).toBe(true);
  });

  it('reuses one builder per arena, which keeps nothing of the last batch: each batch encodes only its own records', () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 8 }), fc.array(fc.nat(1e6), { minLength: 8, maxLength: 8 }), options, (batches, starts, opts) => {
        const arena = new BatchArena();
        const first = arena.builder(4096);
        const closed = batches.map((rs, b) => {
          // Each batch's timestamps start anywhere, earlier or later than the last batch's.
          const records = rs.map((r, i) => ({ ...r, timestamp: starts[b] + i }));
          const builder = b === 0 ? first : arena.builder(4096);
          expect(builder).toBe(first);
          for (const r of records) expect(builder.tryAppend(r)).toBe(true);
          return { records, closed: builder.close() };
        });
        // A closed builder takes nothing until the arena hands it out again.
        expect(first.tryAppend({ key: null, value: Buffer.from('late'), timestamp: 0 })).toBe(false);
        for (const { records, closed: c } of closed) {
          const built = c.stamp(opts);
          expect(built.equals(encodeBatch(records, opts))).toBe(true);
          expect(c.recordCount).toBe(records.length);
        }
      }),
    );
  });
});
