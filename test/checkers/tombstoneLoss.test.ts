import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runCheckers } from '../../src/sim/checker.js';
import { History } from '../../src/sim/history.js';
import { time } from '../../src/sim/time.js';
import { tombstoneLossChecker } from '../../src/checkers/groupCheckers.js';
import type { ClusterFinalState, KeyedRecord } from '../../src/checkers/finalState.js';

const P = 'users-0';

/** One write to the compacted topic: a key set or deleted. */
interface Write {
  readonly key: string;
  readonly tombstone: boolean;
}

/**
 * A group that processed `processed` (offsets into `writes`, in order), against a topic whose
 * committed log holds `writes` with the cleaner's removals in `removed`.
 */
function judge(writes: readonly Write[], processed: readonly number[], removed: ReadonlySet<number> = new Set()): string[] {
  let now = 0;
  const h = new History(() => time(now++));
  for (const o of processed) {
    const w = writes[o];
    const v = { generation: 1, id: `p#${o}`, key: w.key, member: 'c1-1', offset: o, partition: P, ...(w.tombstone ? { tombstone: true } : {}) };
    h.complete(h.invoke('c1-1', 'process', v), 'ok', v);
  }
  // The final table: each key's latest record still in the log.
  const table = new Map<string, KeyedRecord>();
  writes.forEach((w, o) => {
    if (!removed.has(o)) table.set(w.key, { offset: o, id: `p#${o}`, tombstone: w.tombstone });
  });
  const state: ClusterFinalState = {
    partitions: [{ partition: P, committed: [], highWatermark: writes.length, replicas: [], keyTable: table, compactedAway: removed }],
    groups: [{ group: 'g1', members: ['c1-1'], partitions: [P], committed: new Map([[P, writes.length]]) }],
  };
  return runCheckers([tombstoneLossChecker], h, state).violations.map((v) => v.message);
}

const writesArb = fc.array(fc.record({ key: fc.constantFrom('k0', 'k1', 'k2', 'k3'), tombstone: fc.boolean() }), { minLength: 1, maxLength: 40 });

/** What compaction may remove: records superseded by a later record of their key, and tombstones. */
function removable(writes: readonly Write[]): number[] {
  return writes.flatMap((w, o) => (w.tombstone || writes.slice(o + 1).some((x) => x.key === w.key) ? [o] : []));
}

describe('tombstone-loss', () => {
  it('property: a group that read every record in order ends with the topic\'s table, whatever the cleaner removed ahead of it', () => {
    fc.assert(
      fc.property(writesArb, fc.infiniteStream(fc.boolean()), (writes, coins) => {
        // Compaction ahead of the reader removes superseded records it then never sees.
        const superseded = writes.flatMap((w, o) => (writes.slice(o + 1).some((x) => x.key === w.key) ? [o] : []));
        const removed = new Set(superseded.filter(() => coins.next().value));
        const processed = writes.map((_, o) => o).filter((o) => !removed.has(o));
        expect(judge(writes, processed, removed)).toEqual([]);
      }),
    );
  });

  it('property: a group that missed a tombstone removed before it got there keeps the key, unless the key was set again', () => {
    fc.assert(
      fc.property(writesArb, fc.nat(), (writes, pick) => {
        const tombstones = writes.flatMap((w, o) => (w.tombstone ? [o] : []));
        fc.pre(tombstones.length > 0);
        const lost = tombstones[pick % tombstones.length];
        const key = writes[lost].key;
        // The cleaner drops a tombstone only after the records it deleted went: every earlier record of its key is gone too.
        const removed = new Set(removable(writes).filter((o) => o <= lost || writes[o].key !== key));
        const processed = writes.map((_, o) => o).filter((o) => o !== lost && !(removed.has(o) && o > lost));
        const setBefore = processed.some((o) => o < lost && writes[o].key === key && !writes[o].tombstone && !writes.slice(o + 1, lost).some((x) => x.key === key));
        const setAfter = writes.slice(lost + 1).some((x) => x.key === key);
        const found = judge(writes, processed, removed);
        if (setBefore && !setAfter) expect(found.join()).toContain(`${key}=`);
        if (!setBefore || setAfter) expect(found.join()).not.toContain(`${key}=`);
      }),
    );
  });

  it('names the kept keys, and says the cleaner removed their tombstones', () => {
    const writes: Write[] = [
      { key: 'k0', tombstone: false },
      { key: 'k1', tombstone: false },
      { key: 'k0', tombstone: true },
      { key: 'k1', tombstone: false },
    ];
    // The tombstone at 2 and the record it deleted are both gone; the group read 0, 1 and 3.
    const found = judge(writes, [0, 1, 3], new Set([0, 2]));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/holds 1 key the topic deleted \(k0=p#0@0\): the cleaner had removed their tombstones/);
  });

  it('judges only a group that read to the end of the partition', () => {
    const writes: Write[] = [
      { key: 'k0', tombstone: false },
      { key: 'k0', tombstone: true },
      { key: 'k1', tombstone: false },
    ];
    expect(judge(writes, [0], new Set([1]))).toEqual([]);
  });
});
