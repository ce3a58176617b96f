import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/sim/rng.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    expect(draws(Rng.fromSeed(7), 20)).toEqual(draws(Rng.fromSeed(7), 20));
    expect(draws(Rng.fromSeed(7), 20)).not.toEqual(draws(Rng.fromSeed(8), 20));
  });

  it('forks streams whose draws do not depend on draws elsewhere', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(500), fc.nat(500), (seed, drawsInA, drawsInRoot) => {
        const quiet = Rng.fromSeed(seed);
        const expected = draws(quiet.fork('b'), 10);

        const busy = Rng.fromSeed(seed);
        const a = busy.fork('a');
        draws(a, drawsInA);
        draws(busy, drawsInRoot);
        const b = busy.fork('b');
        draws(a, 3);
        expect(draws(b, 10)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('gives distinct streams to distinct names and nested forks', () => {
    const root = Rng.fromSeed(1);
    const streams = [root, root.fork('a'), root.fork('b'), root.fork('a').fork('b'), root.fork('a/b2')].map((r) => draws(r, 5).join());
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('keeps every draw inside its range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -1000, max: 1000 }), fc.nat(1000), (seed, lo, span) => {
        const rng = Rng.fromSeed(seed);
        for (let i = 0; i < 50; i++) {
          const n = rng.int(lo, lo + span);
          expect(Number.isInteger(n) && n >= lo && n <= lo + span).toBe(true);
          const f = rng.float(lo, lo + span + 1);
          expect(f >= lo && f < lo + span + 1).toBe(true);
        }
      }),
    );
  });

  it('draws with roughly the asked-for moments', () => {
    const rng = Rng.fromSeed('moments');
    const n = 50_000;
    const mean = (f: () => number): number => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += f();
      return sum / n;
    };
    expect(mean(() => rng.exponential(10))).toBeCloseTo(10, 0);
    expect(mean(() => rng.normal(5, 2))).toBeCloseTo(5, 1);
    // E[lognormal(mu, sigma)] = exp(mu + sigma^2 / 2)
    expect(mean(() => rng.lognormal(0, 0.5))).toBeCloseTo(Math.exp(0.125), 1);
    expect(mean(() => (rng.chance(0.3) ? 1 : 0))).toBeCloseTo(0.3, 1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[rng.int(0, 3)]++;
    for (const c of counts) expect(Math.abs(c - n / 4)).toBeLessThan(n / 40);
  });

  it('shuffles into a permutation and picks members', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer(), { minLength: 1, maxLength: 40 }), (seed, items) => {
        const rng = Rng.fromSeed(seed);
        const shuffled = rng.shuffle(items);
        expect([...shuffled].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
        expect(items).toContain(rng.pick(items));
      }),
    );
    expect(() => Rng.fromSeed(1).pick([])).toThrow(RangeError);
    expect(() => Rng.fromSeed(1).int(3, 2)).toThrow(RangeError);
  });
});
