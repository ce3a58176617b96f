import type { Rng } from './rng.js';

/**
 * Zipf's law over ranks 0 … n-1: rank k is drawn with probability proportional to
 * 1 / (k + 1)^s. With s = 1 (the classic law, and the workload's default) the hottest of
 * 100 keys takes about a fifth of the draws, the tenth about a fiftieth. The cumulative
 * weights are computed once; each draw is one uniform number and a binary search, so a
 * seed gives the same keys in the same order.
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number = 1,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`a zipf distribution needs at least one rank, got ${n}`);
    if (!(exponent > 0)) throw new RangeError(`a zipf exponent must be positive, got ${exponent}`);
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / Math.pow(k + 1, exponent);
      this.cumulative[k] = sum;
    }
  }

  /** One rank, from one uniform draw of `rng`. */
  sample(rng: Rng): number {
    const target = rng.float(0, this.cumulative[this.n - 1]);
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
