// Kafka's own tests as the oracle (issue 22): cases of
// storage/src/test/java/org/apache/kafka/storage/internals/log/LogSegmentTest.java
// ported to kafkasim's LogSegment (src/log/segment.ts). Kafka's seg.read(offset, maxSize)
// is `read(offset, maxSize, Infinity, true)`; its null is undefined here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LogSegment } from '../../src/log/segment.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { decodeRecords, encodeBatch, readBatchHeader, lastOffsetOf } from '../../src/log/recordBatch.js';

const DIR = 'test-0';

function createSegment(baseOffset: number, disk = new MemoryDisk(), indexIntervalBytes = 10): LogSegment {
  disk.mkdir(DIR);
  const seg = new LogSegment(disk, DIR, baseOffset, indexIntervalBytes);
  seg.create();
  return seg;
}

/** Kafka's records(offset, values…): one batch of the values from `offset`. */
function records(offset: number, ...values: string[]): Buffer {
  return encodeBatch(values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 0 })), { baseOffset: offset });
}

function append(seg: LogSegment, batch: Buffer): void {
  seg.append(batch, readBatchHeader(batch, 0));
}

/** The (offset, value) of every record in `bytes`. */
function recordsIn(bytes: Buffer | undefined): string[] {
  if (bytes === undefined) return [];
  const out: string[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const h = readBatchHeader(bytes, pos);
    for (const r of decodeRecords(bytes, pos, h)) out.push(`${r.offset}:${r.value?.toString() ?? ''}`);
    pos += h.batchLength + 12;
  }
  return out;
}

const read = (seg: LogSegment, offset: number, maxSize: number) => seg.read(offset, maxSize, Number.POSITIVE_INFINITY, true);

describe('LogSegmentTest', () => {
  // Kafka: LogSegmentTest.testReadOnEmptySegment
  it('testReadOnEmptySegment', () => {
    expect(read(createSegment(40), 40, 300)).toBeUndefined();
  });

  // Kafka: LogSegmentTest.testReadBeforeFirstOffset
  it('testReadBeforeFirstOffset', () => {
    const seg = createSegment(40);
    const ms = records(50, 'hello', 'there', 'little', 'bee');
    append(seg, ms);
    expect(recordsIn(read(seg, 41, 300)?.bytes)).toEqual(recordsIn(ms));
  });

  // Kafka: LogSegmentTest.testReadAfterLast
  it('testReadAfterLast', () => {
    const seg = createSegment(40);
    append(seg, records(50, 'hello', 'there'));
    expect(read(seg, 52, 200)).toBeUndefined();
  });

  // Kafka: LogSegmentTest.testReadFromGap
  it('testReadFromGap', () => {
    const seg = createSegment(40);
    append(seg, records(50, 'hello', 'there'));
    const ms2 = records(60, 'alpha', 'beta');
    append(seg, ms2);
    expect(recordsIn(read(seg, 55, 200)?.bytes)).toEqual(recordsIn(ms2));
  });

  // Kafka: LogSegmentTest.testTruncate
  it('testTruncate', () => {
    const seg = createSegment(40);
    let offset = 40;
    for (let i = 0; i < 30; i++) {
      const ms1 = records(offset, 'hello');
      append(seg, ms1);
      const ms2 = records(offset + 1, 'hello');
      append(seg, ms2);
      expect(recordsIn(read(seg, offset, 10_000)?.bytes)).toEqual([...recordsIn(ms1), ...recordsIn(ms2)]);
      seg.truncateTo(offset + 1);
      expect(recordsIn(read(seg, offset, 10_000)?.bytes)).toEqual(recordsIn(ms1));
      offset += 1;
    }
  });

  // Kafka: LogSegmentTest.testTruncateFull (without its roll-timer assertions)
  it('testTruncateFull', () => {
    const seg = createSegment(40);
    append(seg, records(40, 'hello', 'there'));
    seg.truncateTo(0);
    expect(read(seg, 0, 1024)).toBeUndefined();
    expect(seg.size).toBe(0);
    append(seg, records(40, 'hello', 'there'));
    expect(recordsIn(read(seg, 40, 1024)?.bytes)).toEqual(['40:hello', '41:there']);
  });

  // Kafka: LogSegmentTest.testNextOffsetCalculation
  it('testNextOffsetCalculation', () => {
    const seg = createSegment(40);
    expect(seg.nextOffset).toBe(40);
    append(seg, records(50, 'hello', 'there', 'you'));
    expect(seg.nextOffset).toBe(53);
  });

  // Kafka: LogSegmentTest.testRecoveryWithCorruptMessage (a property over where the nonsense begins)
  it('testRecoveryWithCorruptMessage', () => {
    const messagesAppended = 20;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: messagesAppended - 1 }), fc.integer({ min: 0, max: 14 }), fc.uint8Array({ minLength: 1, maxLength: 2_000 }), (offsetToBeginCorruption, within, nonsense) => {
        const disk = new MemoryDisk();
        const seg = createSegment(0, disk);
        const positions: number[] = [];
        for (let i = 0; i < messagesAppended; i++) {
          positions.push(seg.size);
          append(seg, records(i, String(i)));
        }
        // Nonsense from somewhere in the chosen batch to the end of the file.
        const position = positions[offsetToBeginCorruption] + within;
        const length = seg.size - position;
        const garbage = Buffer.alloc(length);
        for (let i = 0; i < length; i++) garbage[i] = nonsense[i % nonsense.length] ^ 0x5a;
        disk.write(seg.logPath, position, garbage);
        seg.recover();
        const lastOffsets: number[] = [];
        const bytes = read(seg, 0, Number.MAX_SAFE_INTEGER)?.bytes ?? Buffer.alloc(0);
        for (let pos = 0; pos < bytes.length; ) {
          const h = readBatchHeader(bytes, pos);
          lastOffsets.push(lastOffsetOf(h));
          pos += h.batchLength + 12;
        }
        expect(lastOffsets).toEqual(Array.from({ length: offsetToBeginCorruption }, (_, j) => j));
      }),
      { numRuns: 30 },
    );
  });
});
