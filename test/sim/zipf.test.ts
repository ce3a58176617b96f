import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/sim/rng.js';
import { ZipfSampler } from '../../src/sim/zipf.js';

describe('ZipfSampler', () => {
  it('draws rank k in proportion to 1/(k+1): for 10 ranks, rank 0 about 34%, rank 9 about 3.4%', () => {
    const z = new ZipfSampler(10);
    const rng = Rng.fromSeed(7);
    const counts = new Array<number>(10).fill(0);
    const draws = 50_000;
    for (let i = 0; i < draws; i++) counts[z.sample(rng)]++;
    const harmonic = Array.from({ length: 10 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    for (let k = 0; k < 10; k++) {
      const expected = draws / (k + 1) / harmonic;
      // Within 5 standard deviations of the binomial count.
      expect(Math.abs(counts[k] - expected)).toBeLessThan(5 * Math.sqrt(expected));
    }
  });

  it('property: every draw is a rank in [0, n), and the same seed draws the same ranks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.2, max: 3, noNaN: true }), fc.integer(), (n, s, seed) => {
        const z = new ZipfSampler(n, s);
        const a = Rng.fromSeed(seed);
        const b = Rng.fromSeed(seed);
        for (let i = 0; i < 50; i++) {
          const r = z.sample(a);
          expect(Number.isInteger(r) && r >= 0 && r < n).toBe(true);
          expect(z.sample(b)).toBe(r);
        }
      }),
    );
  });

  it('refuses an empty range and a non-positive exponent', () => {
    expect(() => new ZipfSampler(0)).toThrow(/at least one rank/);
    expect(() => new ZipfSampler(5, 0)).toThrow(/positive/);
  });
});
