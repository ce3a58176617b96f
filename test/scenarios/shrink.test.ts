import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ddmin } from '../../src/scenarios/shrink.js';

describe('ddmin', () => {
  it('finds exactly the items a monotone failure needs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 40 }), fc.infiniteStream(fc.boolean()), (items, picks) => {
        const needed = new Set(items.filter(() => picks.next().value as boolean));
        const fails = (subset: readonly number[]) => [...needed].every((x) => subset.includes(x));
        expect(new Set(ddmin(items, fails))).toEqual(needed);
      }),
    );
  });

  it('returns a 1-minimal subset for a failure that needs any two of a group', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 30 }), (items) => {
        const group = new Set(items.slice(0, Math.max(2, Math.floor(items.length / 2))));
        const fails = (subset: readonly number[]) => subset.filter((x) => group.has(x)).length >= 2;
        const kept = ddmin(items, fails);
        expect(fails(kept)).toBe(true);
        for (let i = 0; i < kept.length; i++) expect(fails(kept.filter((_, j) => j !== i))).toBe(false);
      }),
    );
  });
});
