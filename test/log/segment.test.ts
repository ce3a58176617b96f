import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { BATCH_HEADER_SIZE, batchSizeAt, encodeBatch, lastOffsetAt } from '../../src/log/recordBatch.js';

/**
 * A segment starts a lookup at one of the batches it last appended when that is nearer than
 * its sparse index's entry. Whatever was appended and truncated, every offset must lead to
 * the same batch as from the index alone: the same log reopened from its files, which
 * knows no recent batches, is the reference.
 */
const CONFIG = { ...DEFAULT_LOG_CONFIG, segmentBytes: 4_000, indexIntervalBytes: 300 };

type Step = { readonly kind: 'append'; readonly records: number } | { readonly kind: 'truncate'; readonly back: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), records: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 1, max: 12 }) }) },
);

/** Where a one-byte read of each offset starts: the base offset of the batch holding it. */
function batchStarts(log: Log): number[] {
  const out: number[] = [];
  for (let o = log.logStartOffset; o < log.logEndOffset; o++) out.push(log.read(o, 1).firstBatchOffset ?? -1);
  return out;
}

function apply(log: Log, s: Step): void {
  if (s.kind === 'append') {
    const records = Array.from({ length: s.records }, (_, i) => ({ key: null, value: Buffer.from(`v${log.logEndOffset + i}`), timestamp: 0 }));
    log.appendAsLeader(encodeBatch(records), 0);
  } else log.truncateTo(Math.max(0, log.logEndOffset - s.back));
}

/** The offset after the last batch of `records` (where a follower fetches next), or `fallback` when there is none. */
function endOf(records: Buffer, fallback: number): number {
  let end = fallback;
  for (let pos = 0; pos + BATCH_HEADER_SIZE <= records.length; pos += batchSizeAt(records, pos)) end = lastOffsetAt(records, pos) + 1;
  return end;
}

describe('a segment remembering its latest batches', () => {
  it('finds the batch of every offset as its index alone does, across appends and truncations (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const disk = new MemoryDisk();
        const { log } = Log.open(disk, 'p-0', CONFIG);
        for (const s of steps) {
          apply(log, s);
          // Interleaved with the steps: lookups right after appends are the ones the recent batches answer.
          const starts = batchStarts(log);
          log.flush();
          const reopened = Log.open(disk, 'p-0', CONFIG, { recoveryPoint: log.logEndOffset }).log;
          expect(starts).toEqual(batchStarts(reopened));
          expect(starts.every((b, i) => b <= log.logStartOffset + i)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reads from where its latest reads ended (fetch cursors) exactly what a log without them reads (property)', () => {
    const read = fc.record({ back: fc.integer({ min: 0, max: 40 }), maxBytes: fc.integer({ min: 1, max: 900 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.array(read, { minLength: 1, maxLength: 12 }), (steps, reads) => {
        const disk = new MemoryDisk();
        const { log } = Log.open(disk, 'p-0', CONFIG);
        for (const s of steps) {
          apply(log, s);
          let next = log.logStartOffset;
          for (const r of reads) {
            // A follower's next fetch starts where its last one ended; `back` moves it anywhere before.
            const offset = Math.max(log.logStartOffset, next - r.back);
            const got = log.read(offset, r.maxBytes);
            log.flush();
            const fresh = Log.open(disk, 'p-0', CONFIG, { recoveryPoint: log.logEndOffset }).log.read(offset, r.maxBytes);
            expect(got.firstBatchOffset).toBe(fresh.firstBatchOffset);
            expect(Buffer.compare(got.records, fresh.records)).toBe(0);
            next = endOf(got.records, offset);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
