// Kafka's own tests as the oracle (issue 22): cases of
// storage/src/test/java/org/apache/kafka/storage/internals/log/OffsetIndexTest.java
// ported to kafkasim's OffsetIndex (src/log/offsetIndex.ts). kafkasim's index is not
// preallocated (no maxEntries, no read-only mode): Kafka's `maxEntries` is 30 here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OffsetIndex } from '../../src/log/offsetIndex.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';

const BASE_OFFSET = 45;
const MAX_ENTRIES = 30;
const PATH = 'test-0/00000000000000000045.index';

function index(disk = new MemoryDisk(), baseOffset = BASE_OFFSET): OffsetIndex {
  disk.mkdir('test-0');
  return new OffsetIndex(disk, PATH, baseOffset);
}

/** Kafka's monotonicSeq: `len` values, each 1 to 15 above the previous, from `base`. */
const monotonicSeq = (base: number) => fc.array(fc.integer({ min: 1, max: 15 }), { minLength: MAX_ENTRIES, maxLength: MAX_ENTRIES }).map((steps) => steps.map((_, i) => base + steps.slice(0, i + 1).reduce((a, b) => a + b, 0)));

describe('OffsetIndexTest', () => {
  // Kafka: OffsetIndexTest.randomLookupTest
  it('randomLookupTest', () => {
    fc.assert(
      fc.property(monotonicSeq(BASE_OFFSET + 1), monotonicSeq(0), fc.array(fc.nat(), { minLength: 30, maxLength: 30 }), (offsets, positions, picks) => {
        const idx = index();
        expect(idx.lookup(92)).toEqual({ offset: BASE_OFFSET, position: 0 }); // not present: the segment start
        offsets.forEach((o, i) => idx.append(o, positions[i]));
        // Every appended offset is found.
        offsets.forEach((o, i) => expect(idx.lookup(o)).toEqual({ offset: o, position: positions[i] }));
        // Any other offset finds the largest entry at or below it (a sorted map's floorEntry).
        const last = offsets[offsets.length - 1];
        for (const pick of picks) {
          const offset = BASE_OFFSET + (pick % (last - BASE_OFFSET));
          let floor = -1;
          for (let i = 0; i < offsets.length && offsets[i] <= offset; i++) floor = i;
          const right = floor < 0 ? { offset: BASE_OFFSET, position: 0 } : { offset: offsets[floor], position: positions[floor] };
          expect(idx.lookup(offset)).toEqual(right);
        }
      }),
      { numRuns: 20 },
    );
  });

  // Kafka: OffsetIndexTest.lookupExtremeCases
  it('lookupExtremeCases', () => {
    const idx = index();
    expect(idx.lookup(BASE_OFFSET)).toEqual({ offset: BASE_OFFSET, position: 0 });
    for (let i = 0; i < MAX_ENTRIES; i++) idx.append(BASE_OFFSET + i + 1, i);
    expect(idx.lookup(BASE_OFFSET)).toEqual({ offset: BASE_OFFSET, position: 0 });
    expect(idx.lookup(BASE_OFFSET + MAX_ENTRIES)).toEqual({ offset: BASE_OFFSET + MAX_ENTRIES, position: MAX_ENTRIES - 1 });
  });

  // Kafka: OffsetIndexTest.testReopen (without its read-only append check)
  it('testReopen', () => {
    const disk = new MemoryDisk();
    const idx = index(disk);
    idx.append(51, 0);
    idx.append(52, 1);
    idx.flush();
    const reopened = index(disk);
    reopened.load();
    expect(reopened.lookup(51)).toEqual({ offset: 51, position: 0 });
    expect(reopened.lookup(52)).toEqual({ offset: 52, position: 1 });
    expect(reopened.lastOffset).toBe(52);
    expect(reopened.entries).toBe(2);
  });

  // Kafka: OffsetIndexTest.truncate
  it('truncate', () => {
    const idx = index(new MemoryDisk(), 0);
    idx.reset();
    for (let i = 1; i < 10; i++) idx.append(i, i);
    idx.truncateTo(12); // past the end: unchanged
    expect(idx.lookup(10)).toEqual({ offset: 9, position: 9 });
    expect(idx.lastOffset).toBe(9);
    idx.append(10, 10);
    idx.truncateTo(10); // at the end
    expect(idx.lookup(10)).toEqual({ offset: 9, position: 9 });
    expect(idx.lastOffset).toBe(9);
    idx.append(10, 10);
    idx.truncateTo(9);
    expect(idx.lookup(10)).toEqual({ offset: 8, position: 8 });
    expect(idx.lastOffset).toBe(8);
    idx.append(9, 9);
    idx.truncateTo(5);
    expect(idx.lookup(10)).toEqual({ offset: 4, position: 4 });
    expect(idx.lastOffset).toBe(4);
    idx.append(5, 5);
    idx.reset();
    expect(idx.entries).toBe(0);
  });

  // Kafka: OffsetIndexTest.appendOutOfOrder
  // DIVERGENCE: Kafka's OffsetIndex.append refuses an offset not above the last entry
  // (InvalidOffsetException); kafkasim's index trusts its segment, which only appends in order.
  it.fails('appendOutOfOrder', () => {
    const idx = index();
    idx.append(51, 0);
    expect(() => idx.append(50, 1)).toThrow();
  });
});
