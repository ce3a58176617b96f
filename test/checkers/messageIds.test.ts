import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageIdCounts, MessageIdMap, MessageIdSet } from '../../src/checkers/messageIds.js';

describe('message id sets and maps in shards', () => {
  const ids = fc.array(fc.oneof(fc.string(), fc.nat(5_000).map((n) => `p1#${n}`)), { maxLength: 300 });

  it('answer every lookup as one Set and one Map would', () => {
    fc.assert(
      fc.property(ids, ids, (added, probes) => {
        const set = new MessageIdSet();
        const map = new MessageIdMap<number>();
        const counts = new MessageIdCounts();
        const refSet = new Set<string>();
        const refMap = new Map<string, number>();
        added.forEach((id, i) => {
          set.add(id);
          map.set(id, i);
          expect(counts.increment(id)).toBe([...added.slice(0, i)].filter((x) => x === id).length);
          refSet.add(id);
          refMap.set(id, i);
        });
        for (const id of [...added, ...probes]) {
          expect(set.has(id)).toBe(refSet.has(id));
          expect(map.get(id)).toBe(refMap.get(id));
          expect(counts.count(id)).toBe(added.filter((x) => x === id).length);
        }
      }),
    );
  });
});
