// Kafka's own tests as the oracle (issue 22): cases of
// core/src/test/scala/unit/kafka/log/UnifiedLogTest.scala
// ported to kafkasim's Log (src/log/log.ts) and its retention (src/log/retention.ts).
// Kafka's log.read with a FetchIsolation is `read` with its upper bound: the log end, the
// high watermark or the last stable offset; deleteOldSegments is applyRetention.
import { describe, expect, it } from 'vitest';
import { Log, DEFAULT_LOG_CONFIG, LogError, type LogConfig } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { applyRetention } from '../../src/log/retention.js';
import { decodeRecords, encodeBatch, readBatchHeader, type RecordInput } from '../../src/log/recordBatch.js';

function createLog(config: Partial<LogConfig> = {}): Log {
  return Log.open(new MemoryDisk(), 'test-0', { ...DEFAULT_LOG_CONFIG, ...config }).log;
}

const simple = (...values: string[]): RecordInput[] => values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 0 }));

/** Kafka's TestUtils.records with a producer id, epoch and sequence. */
function idempotent(producerEpoch: number, sequence: number): Buffer {
  return encodeBatch([{ key: Buffer.from('key'), value: Buffer.from('value'), timestamp: 0 }], { producerId: 1, producerEpoch, baseSequence: sequence });
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof LogError) return err.code;
    throw err;
  }
}

/** The offsets of the records a read returns. */
function offsetsRead(log: Log, from: number, upperBound: number): number[] {
  const { records } = log.read(from, Number.MAX_SAFE_INTEGER, upperBound, true);
  const out: number[] = [];
  for (let pos = 0; pos < records.length; ) {
    const h = readBatchHeader(records, pos);
    for (const r of decodeRecords(records, pos, h)) out.push(r.offset);
    pos += h.batchLength + 12;
  }
  return out;
}

describe('UnifiedLogTest', () => {
  // Kafka: UnifiedLogTest.testHighWatermarkMaintenance
  it('testHighWatermarkMaintenance', () => {
    const log = createLog({ segmentBytes: 1024 * 1024 });
    const records = (offset: number) => encodeBatch(simple('a', 'b', 'c'), { baseOffset: offset, partitionLeaderEpoch: 0 });
    expect(log.highWatermark).toBe(0);
    log.appendAsLeader(records(0), 0);
    expect(log.highWatermark).toBe(0); // not moved by an append
    log.updateHighWatermark(1);
    expect(log.highWatermark).toBe(1);
    log.updateHighWatermark(5); // not past the log end
    expect(log.highWatermark).toBe(3);
    log.appendAsFollower(records(3));
    log.updateHighWatermark(6);
    expect(log.highWatermark).toBe(6);
    log.truncateTo(3); // truncation lowers it
    expect(log.highWatermark).toBe(3);
    log.appendAsLeader(records(0), 0);
    expect(log.highWatermark).toBe(3);
    expect(log.logEndOffset).toBe(6);
    expect(log.logStartOffset).toBe(0);
    log.truncateFullyAndStartAt(4); // so does full truncation
    expect(log.logEndOffset).toBe(4);
    expect(log.logStartOffset).toBe(4);
    expect(log.highWatermark).toBe(4);
  });

  // Kafka: UnifiedLogTest.testFetchUpToLogEndOffset
  it('testFetchUpToLogEndOffset', () => {
    const log = createLog({ segmentBytes: 1024 * 1024 });
    log.appendAsLeader(encodeBatch(simple('0', '1', '2')), 0);
    log.appendAsLeader(encodeBatch(simple('3', '4')), 0);
    for (let offset = log.logStartOffset; offset < log.logEndOffset; offset++) {
      const read = offsetsRead(log, offset, log.logEndOffset);
      expect(read.length).toBeGreaterThan(0);
      for (const o of read) expect(o).toBeLessThan(log.logEndOffset);
    }
  });

  // Kafka: UnifiedLogTest.testFetchUpToHighWatermark
  it('testFetchUpToHighWatermark', () => {
    const log = createLog({ segmentBytes: 1024 * 1024 });
    log.appendAsLeader(encodeBatch(simple('0', '1', '2')), 0);
    log.appendAsLeader(encodeBatch(simple('3', '4')), 0);
    const assertHighWatermarkBoundedFetches = (): void => {
      for (let offset = log.logStartOffset; offset < log.highWatermark; offset++) {
        const read = offsetsRead(log, offset, log.highWatermark);
        expect(read.length).toBeGreaterThan(0);
        for (const o of read) expect(o).toBeLessThan(log.highWatermark);
      }
      for (let offset = log.highWatermark; offset <= log.logEndOffset; offset++) expect(offsetsRead(log, offset, log.highWatermark)).toEqual([]);
    };
    assertHighWatermarkBoundedFetches();
    log.updateHighWatermark(3);
    assertHighWatermarkBoundedFetches();
    log.updateHighWatermark(5);
    assertHighWatermarkBoundedFetches();
  });

  // Kafka: UnifiedLogTest.testNonSequentialAppend
  it('testNonSequentialAppend', () => {
    const log = createLog();
    log.appendAsLeader(idempotent(0, 0), 0);
    expect(errorCode(() => log.appendAsLeader(idempotent(0, 2), 0))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  // Kafka: UnifiedLogTest.testOldProducerEpoch
  it('testOldProducerEpoch', () => {
    const log = createLog();
    log.appendAsLeader(idempotent(1, 0), 0);
    expect(errorCode(() => log.appendAsLeader(idempotent(0, 0), 0))).toBe('INVALID_PRODUCER_EPOCH');
  });

  // Kafka: UnifiedLogTest.testTruncateToEndOffsetClearsEpochCache
  it('testTruncateToEndOffsetClearsEpochCache', () => {
    const log = createLog();
    // kafkasim's follower appends must continue the log exactly: start it at 27 first.
    log.truncateFullyAndStartAt(27);
    log.appendAsFollower(encodeBatch(simple('a', 'b'), { baseOffset: 27, partitionLeaderEpoch: 19 }));
    expect(log.epochs.all().at(-1)).toEqual({ epoch: 19, startOffset: 27 });
    expect(log.logEndOffset).toBe(29);
    for (const [epoch, truncationOffset] of [[20, 29], [24, 30]]) {
      // Becoming leader records the epoch at the log end; truncating as a follower at or past it removes it.
      log.epochs.assign(epoch, log.logEndOffset);
      expect(log.epochs.all().at(-1)).toEqual({ epoch, startOffset: 29 });
      log.truncateTo(truncationOffset);
      expect(log.epochs.all().at(-1)).toEqual({ epoch: 19, startOffset: 27 });
      expect(log.logEndOffset).toBe(29);
    }
  });

  // Kafka: UnifiedLogTest.testCannotDeleteSegmentsAtOrAboveHighWatermark
  it('testCannotDeleteSegmentsAtOrAboveHighWatermark', () => {
    const log = createLog({ segmentBytes: 512, retentionMs: 999 });
    const nowMs = 10_000;
    for (let i = 0; i < 100; i++) log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from(`test${i}`), timestamp: nowMs - 1_000 }]), 0);
    expect(log.segmentCount).toBeGreaterThan(5);
    expect(log.highWatermark).toBe(0);
    expect(log.logStartOffset).toBe(0);
    expect(log.logEndOffset).toBe(100);
    for (let hw = 0; hw <= 100; hw++) {
      log.updateHighWatermark(hw);
      expect(log.highWatermark).toBe(hw);
      applyRetention(log, nowMs);
      expect(log.logStartOffset).toBeLessThanOrEqual(hw);
      const [head, ...tail] = log.allSegments();
      expect(head.baseOffset).toBeLessThanOrEqual(hw);
      expect(head.baseOffset).toBeGreaterThanOrEqual(log.logStartOffset);
      for (const s of tail) {
        expect(s.baseOffset).toBeGreaterThan(hw);
        expect(s.baseOffset).toBeGreaterThanOrEqual(log.logStartOffset);
      }
    }
    expect(log.logStartOffset).toBe(100);
    expect(log.segmentCount).toBe(1);
    expect(log.allSegments()[0].size).toBe(0);
  });
});
