import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Log, DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { encodeBatch } from '../../src/log/recordBatch.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1_500, indexIntervalBytes: 200 };

function batch(n: number, seed: number): Buffer {
  return encodeBatch(Array.from({ length: n }, (_, k) => ({ key: null, value: Buffer.alloc(20, seed + k), timestamp: seed })));
}

type Summary = [number, number, number, number];

function fromIndex(log: Log, from: number, to: number): Summary[] {
  const out: Summary[] = [];
  log.forEachAppendedBatch(from, to, (...x) => out.push(x));
  return out;
}

function fromBytes(log: Log, from: number, to: number): Summary[] {
  const out: Summary[] = [];
  log.forEachBatchSummary(from, to, (...x) => out.push(x));
  return out;
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), records: fc.integer({ min: 1, max: 6 }), epoch: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('truncate' as const), back: fc.nat({ max: 12 }) }),
  fc.record({ kind: fc.constant('retain' as const), segments: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('restart-at' as const), ahead: fc.nat({ max: 5 }) }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

describe('BatchIndex (Log.forEachAppendedBatch)', () => {
  it('answers every range exactly as reading the bytes does, through appends, truncations, retention, restarts and reopening', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }), (steps, ranges) => {
        const disk = new MemoryDisk();
        let log = Log.open(disk, 'p-0', CONFIG).log;
        let epoch = 0;
        steps.forEach((s, i) => {
          if (s.kind === 'append') {
            epoch = Math.max(epoch, s.epoch);
            log.appendAsLeader(batch(s.records, i), epoch);
          } else if (s.kind === 'truncate') log.truncateTo(Math.max(log.logStartOffset, log.logEndOffset - s.back));
          else if (s.kind === 'retain') {
            log.updateHighWatermark(log.logEndOffset);
            log.deleteOldestSegments(s.segments);
          } else if (s.kind === 'restart-at') log.truncateFullyAndStartAt(log.logEndOffset + s.ahead);
          else {
            log.close();
            log = Log.open(disk, 'p-0', CONFIG, { logStartOffset: log.logStartOffset, recoveryPoint: log.recoveryPoint, hadCleanShutdown: true }).log;
          }
          for (const [a, b] of ranges) {
            const from = a % (log.logEndOffset + 2);
            const to = from + (b % (log.logEndOffset + 2));
            expect(fromIndex(log, from, to)).toEqual(fromBytes(log, from, to));
          }
        });
      }),
      { numRuns: 80 },
    );
  });

  it('keeps answering from the bytes what it no longer holds, past its capacity', () => {
    const { log } = Log.open(new MemoryDisk(), 'p-0', { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 5_000; i++) log.appendAsLeader(batch(1, i), 1);
    for (const [from, to] of [
      [0, 5_000],
      [4_990, 5_000],
      [1_000, 1_010],
    ]) {
      const bytes = fromBytes(log, from, to);
      expect(bytes.length).toBe(to - from);
      expect(fromIndex(log, from, to)).toEqual(bytes);
    }
  });
});

describe('BatchIndex', () => {
  it('answers from what was appended, not from the bytes: a file cut behind the log\'s back goes unseen (the final snapshot reads the bytes)', () => {
    const disk = new MemoryDisk();
    const { log } = Log.open(disk, 'p-0', { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 10; i++) log.appendAsLeader(batch(2, i), 1);
    const before = fromIndex(log, 0, 20);
    expect(before.length).toBe(10);
    disk.truncate('p-0/00000000000000000000.log', 0);
    expect(fromIndex(log, 0, 20)).toEqual(before);
    expect(fromBytes(log, 0, 20)).toEqual([]);
  });
});
