import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Log, DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { decodeRecords, encodeBatch, encodeControlBatch, readBatchHeader, sizeOf } from '../../src/log/recordBatch.js';
import { applyRetention } from '../../src/log/retention.js';
import { cleanLog } from '../../src/log/cleaner.js';

interface Rec {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

function all(log: Log): Rec[] {
  const out: Rec[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const { records } = log.read(next, 1 << 20);
    if (records.length === 0) break;
    let pos = 0;
    const before = next;
    while (pos < records.length) {
      const h = readBatchHeader(records, pos);
      for (const r of decodeRecords(records, pos, h)) {
        if (r.offset >= next) out.push({ offset: r.offset, key: r.key === null ? null : String(r.key), value: r.value === null ? null : String(r.value) });
      }
      next = Math.max(next, h.baseOffset + h.lastOffsetDelta + 1);
      pos += sizeOf(h);
    }
    if (next === before) throw new Error('no progress');
  }
  return out;
}

const COMPACT: LogConfig = { ...DEFAULT_LOG_CONFIG, cleanupPolicy: 'compact', segmentBytes: 600, indexIntervalBytes: 100, minCleanableDirtyRatio: 0.01, deleteRetentionMs: 1_000 };

describe('log compaction', () => {
  it('keeps the latest record per key, at its offset, and never touches the active segment', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 6 }), tombstone: fc.boolean() }), { minLength: 1, maxLength: 120 }),
        (writes) => {
          const disk = new MemoryDisk();
          const { log } = Log.open(disk, 'c-0', COMPACT);
          const written: Rec[] = [];
          writes.forEach((w, i) => {
            const value = w.tombstone && i % 3 === 0 ? null : `v${i}`;
            log.appendAsLeader(encodeBatch([{ key: Buffer.from(`k${w.key}`), value: value === null ? null : Buffer.from(value), timestamp: 1_000 + i }]), 1);
            written.push({ offset: i, key: `k${w.key}`, value });
          });
          log.updateHighWatermark(log.logEndOffset);
          const activeBase = log.allSegments()[log.segmentCount - 1].baseOffset;
          const result = cleanLog(log, 10_000);
          const after = all(log);
          // Every surviving record is the one written at its offset, in offset order.
          for (const r of after) expect(r).toEqual(written[r.offset]);
          expect(after.map((r) => r.offset)).toEqual([...after.map((r) => r.offset)].sort((a, b) => a - b));
          // The latest record of every key is still there (tombstones too: their horizon is ahead).
          const latest = new Map<string, Rec>();
          for (const w of written) latest.set(w.key as string, w);
          for (const l of latest.values()) expect(after).toContainEqual(l);
          // Below the active segment, a key appears at most once.
          const cleanedKeys = after.filter((r) => r.offset < activeBase).map((r) => r.key);
          expect(new Set(cleanedKeys).size).toBe(cleanedKeys.length);
          // The active segment is untouched.
          expect(after.filter((r) => r.offset >= activeBase)).toEqual(written.filter((r) => r.offset >= activeBase));
          // Offsets were not renumbered: the log still ends where it did, and recovery agrees.
          expect(log.logEndOffset).toBe(writes.length);
          const { log: reopened } = Log.open(disk, 'c-0', COMPACT);
          expect(all(reopened)).toEqual(after);
          if (result.cleaned) expect(result.firstDirtyOffset).toBe(activeBase);
        },
      ),
      { numRuns: 150 },
    );
  });

  // Kafka: UnifiedLog.append with validateAndAssignOffsets off refuses only a first offset below
  // the log end and offsets that do not increase; a follower behind a cleaned leader fetches
  // batches with gaps between them (swarm finding compaction-tombstone-kept case 20: broker-2
  // failed with "batch at 4640 does not follow 4636" and stopped replicating).
  it('a follower copies a cleaned leader across the gaps of removed batches, from wherever it stopped', () => {
    const leaderWith60 = (): Log => {
      const { log } = Log.open(new MemoryDisk(), 'c-0', COMPACT);
      for (let i = 0; i < 60; i++) log.appendAsLeader(encodeBatch([{ key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`), timestamp: i }]), 1);
      log.updateHighWatermark(log.logEndOffset);
      return log;
    };
    for (const stop of [0, 7, 20]) {
      const leader = leaderWith60();
      const { log: follower } = Log.open(new MemoryDisk(), 'c-0', COMPACT);
      if (stop > 0) follower.appendAsFollower(leader.read(0, 1 << 20, stop).records);
      expect(cleanLog(leader, 5_000).recordsRemoved).toBeGreaterThan(0);
      while (follower.logEndOffset < leader.logEndOffset) follower.appendAsFollower(leader.read(follower.logEndOffset, 1 << 20).records);
      expect(all(follower).filter((r) => r.offset >= stop)).toEqual(all(leader).filter((r) => r.offset >= stop));
    }
    // Offsets that go back are still refused.
    const leader = leaderWith60();
    const { log: follower } = Log.open(new MemoryDisk(), 'c-0', COMPACT);
    follower.appendAsFollower(leader.read(0, 1 << 20).records);
    expect(() => follower.appendAsFollower(leader.read(0, 1 << 20).records)).toThrow(/OFFSET_OUT_OF_RANGE/);
  });

  it('removes tombstones only after delete.retention.ms', () => {
    const { log } = Log.open(new MemoryDisk(), 'c-0', COMPACT);
    const put = (k: string, v: string | null, i: number) => log.appendAsLeader(encodeBatch([{ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp: i }]), 1);
    for (let i = 0; i < 40; i++) put(`k${i % 4}`, `v${i}`, i);
    put('k0', null, 40);
    for (let i = 41; i < 80; i++) put(`k${1 + (i % 3)}`, `v${i}`, i);
    log.updateHighWatermark(log.logEndOffset);
    expect(cleanLog(log, 5_000).cleaned).toBe(true);
    expect(all(log).filter((r) => r.key === 'k0')).toEqual([{ offset: 40, key: 'k0', value: null }]);
    // Make the log dirty again, then clean after the horizon (5s + 1s).
    for (let i = 80; i < 140; i++) put(`k${1 + (i % 3)}`, `v${i}`, i);
    log.updateHighWatermark(log.logEndOffset);
    const second = cleanLog(log, 7_000);
    expect(second.tombstonesRemoved).toBe(1);
    // What went, by offset, for the checkers: the tombstone (and its key) among the superseded records.
    expect(second.removedTombstones).toEqual([40]);
    expect(second.removedTombstoneKeys).toEqual(['k0']);
    expect(second.removedOffsets).toContain(40);
    expect(second.removedOffsets.length).toBe(second.recordsRemoved);
    expect(all(log).filter((r) => r.key === 'k0')).toEqual([]);
  });

  it('waits for min.cleanable.dirty.ratio and min.compaction.lag.ms', () => {
    const lazy = { ...COMPACT, minCleanableDirtyRatio: 0.99 };
    const { log } = Log.open(new MemoryDisk(), 'c-0', lazy);
    for (let i = 0; i < 60; i++) log.appendAsLeader(encodeBatch([{ key: Buffer.from('k'), value: Buffer.from(`v${i}`), timestamp: i }]), 1);
    log.updateHighWatermark(log.logEndOffset);
    expect(cleanLog(log, 0).cleaned).toBe(true); // all dirty at first: ratio 1
    for (let i = 60; i < 70; i++) log.appendAsLeader(encodeBatch([{ key: Buffer.from('k'), value: Buffer.from(`v${i}`), timestamp: i }]), 1);
    log.updateHighWatermark(log.logEndOffset);
    expect(cleanLog(log, 0).skipped).toMatch(/dirty ratio/);
    const { log: young } = Log.open(new MemoryDisk(), 'y-0', { ...COMPACT, minCompactionLagMs: 1_000_000 });
    for (let i = 0; i < 60; i++) young.appendAsLeader(encodeBatch([{ key: Buffer.from('k'), value: Buffer.from(`v${i}`), timestamp: i }]), 1);
    young.updateHighWatermark(young.logEndOffset);
    expect(cleanLog(young, 100).skipped).toMatch(/no closed segment/);
  });

  it('drops aborted transactional records and keeps the markers', () => {
    const { log } = Log.open(new MemoryDisk(), 'c-0', COMPACT);
    log.appendAsLeader(encodeBatch([{ key: Buffer.from('a'), value: Buffer.from('aborted'), timestamp: 1 }], { producerId: 4, producerEpoch: 0, baseSequence: 0, isTransactional: true }), 1);
    log.appendAsLeader(encodeControlBatch({ type: 'ABORT', coordinatorEpoch: 0 }, { producerId: 4, producerEpoch: 0, timestamp: 2 }), 1);
    for (let i = 0; i < 30; i++) log.appendAsLeader(encodeBatch([{ key: Buffer.from(`b${i}`), value: Buffer.from('x'), timestamp: 3 + i }]), 1);
    log.updateHighWatermark(log.logEndOffset);
    cleanLog(log, 100);
    expect(all(log).some((r) => r.value === 'aborted')).toBe(false);
    const { records } = log.read(0, 1 << 20);
    expect(readBatchHeader(records, 0).baseOffset).toBe(1); // the marker is the first batch left
  });

  it('finishes a swap that a crash cut short', () => {
    const disk = new MemoryDisk();
    const { log } = Log.open(disk, 'c-0', COMPACT);
    for (let i = 0; i < 40; i++) log.appendAsLeader(encodeBatch([{ key: Buffer.from(`k${i % 2}`), value: Buffer.from(`v${i}`), timestamp: i }]), 1);
    const first = log.allSegments()[0].logPath;
    // A .swap left beside its segment: the new content wins. A .cleaned is dropped.
    disk.append(`${first}.swap`, disk.readAll(first));
    disk.append(`${log.allSegments()[1].logPath}.cleaned`, Buffer.from('half-written'));
    const before = all(log);
    const { log: reopened } = Log.open(disk, 'c-0', COMPACT);
    expect(all(reopened)).toEqual(before);
    expect(disk.list('c-0').some((n) => n.endsWith('.swap') || n.endsWith('.cleaned'))).toBe(false);
  });
});

describe('retention', () => {
  const DELETE: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 600, indexIntervalBytes: 100, retentionMs: 1_000 };

  function filled(config: LogConfig, n: number): Log {
    const { log } = Log.open(new MemoryDisk(), 'r-0', config);
    for (let i = 0; i < n; i++) log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from(`value-${i}`), timestamp: i * 100 }]), 1);
    return log;
  }

  it('deletes closed segments older than retention.ms, below the high watermark only', () => {
    const log = filled(DELETE, 100);
    expect(applyRetention(log, 50_000).segmentsDeleted).toBe(0); // HW is 0: nothing consumable may go
    log.updateHighWatermark(50);
    const r = applyRetention(log, 50_000);
    expect(r.segmentsDeleted).toBeGreaterThan(0);
    expect(log.allSegments()[0].baseOffset).toBe(log.logStartOffset);
    expect(log.logStartOffset).toBeLessThanOrEqual(50);
    log.updateHighWatermark(log.logEndOffset);
    applyRetention(log, 1_000_000);
    expect(log.segmentCount).toBe(1); // a new, empty segment replaces them all
    expect(() => log.read(0, 100)).toThrow(/OFFSET_OUT_OF_RANGE/);
  });

  it('deletes an expired active segment once all of it is below the high watermark, rolling a new one first', () => {
    const log = filled({ ...DELETE, segmentBytes: 1_000_000 }, 20); // one segment: the active one
    log.updateHighWatermark(19);
    expect(applyRetention(log, 1_000_000).segmentsDeleted).toBe(0); // offset 19 is not yet committed
    log.updateHighWatermark(20);
    expect(applyRetention(log, 1_000_000)).toMatchObject({ segmentsDeleted: 1, logStartOffset: 20 });
    expect(log.segmentCount).toBe(1);
    expect(log.allSegments()[0].baseOffset).toBe(20);
    expect(log.logEndOffset).toBe(20);
    // The empty active segment is never deleted, and the log goes on from its end.
    expect(applyRetention(log, 2_000_000).segmentsDeleted).toBe(0);
    expect(log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from('next'), timestamp: 1_999_999 }]), 1).firstOffset).toBe(20);
  });

  it("follows a log start offset moved from outside (a follower taking its leader's): reads below it fail, wholly passed segments go", () => {
    for (const policy of ['delete', 'compact'] as const) {
      const log = filled({ ...DELETE, retentionMs: -1, cleanupPolicy: policy }, 100);
      const bases = log.allSegments().map((x) => x.baseOffset);
      log.updateHighWatermark(40);
      expect(log.maybeIncrementLogStartOffset(60)).toBe(true); // never past the high watermark
      expect(log.logStartOffset).toBe(40);
      expect(log.maybeIncrementLogStartOffset(30)).toBe(false); // never back
      expect(() => log.read(39, 100)).toThrow(/OFFSET_OUT_OF_RANGE/);
      expect(log.read(40, 100).records.length).toBeGreaterThan(0);
      const r = applyRetention(log, 0);
      expect(r.reason).toBe('log-start-offset');
      // The segment holding offset 40 stays, with the log starting inside it.
      expect(log.allSegments()[0].baseOffset).toBe(Math.max(...bases.filter((b) => b <= 40)));
      expect(log.logStartOffset).toBe(40);
    }
  });

  it('deletes the oldest segments while the log exceeds retention.bytes', () => {
    const log = filled({ ...DELETE, retentionMs: -1, retentionBytes: 1_500 }, 100);
    log.updateHighWatermark(log.logEndOffset);
    const before = log.size;
    const r = applyRetention(log, 0);
    expect(r.reason).toBe('retention.bytes');
    // As Kafka does: a segment goes only if the log is still at least retention.bytes without it.
    expect(log.size - log.allSegments()[0].size).toBeLessThan(1_500);
    expect(before - log.size).toBeGreaterThan(0);
  });

  it('leaves compact-only logs alone', () => {
    const log = filled({ ...DELETE, cleanupPolicy: 'compact' }, 50);
    log.updateHighWatermark(log.logEndOffset);
    expect(applyRetention(log, 1_000_000).segmentsDeleted).toBe(0);
  });
});
