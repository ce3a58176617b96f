import seedrandom from 'seedrandom';

/**
 * A seeded random stream. Every stream is named by a path from the run's seed
 * ("42/network/link broker-1→broker-2"), and its draws depend on that path alone: forking
 * a child reads nothing from the parent's state, so a component that starts drawing more
 * numbers never shifts the numbers another component sees.
 *
 * Built on seedrandom's Alea generator, which is fast and passes the usual statistical
 * batteries; the uniform draw keeps 53 bits of precision.
 */
export class Rng {
  private readonly source: () => number;

  private constructor(
    /** The stream's name: the seed followed by each fork's name. */
    readonly path: string,
  ) {
    // One Alea step gives 32 random bits, plenty for a uniform draw that feeds a latency or
    // a coin flip; int() takes a second step when its range needs more bits.
    this.source = seedrandom.alea(path);
  }

  /** The root stream of a run. */
  static fromSeed(seed: number | string): Rng {
    return new Rng(String(seed));
  }

  /** An independent stream named `name` below this one. */
  fork(name: string): Rng {
    return new Rng(`${this.path}/${name}`);
  }

  /** A uniform draw in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.source();
  }

  /** A uniform integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`int(${lo}, ${hi}): bounds must be integers with lo <= hi`);
    }
    const span = hi - lo + 1;
    if (span <= 0x100000) return lo + Math.floor(this.source() * span);
    // Wide ranges: 53 bits from two steps, so every value stays reachable.
    const u = this.source() + Math.floor(this.source() * 0x200000) * 1.1102230246251565e-16;
    return lo + Math.floor(u * span);
  }

  /** A uniform float in [lo, hi). */
  float(lo: number, hi: number): number {
    return lo + this.source() * (hi - lo);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.source() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.source() * items.length)];
  }

  /** A shuffled copy (Fisher–Yates); the input is not changed. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.source() * (i + 1));
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  /** Exponentially distributed with the given mean (inverse-CDF method). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.source());
  }

  /**
   * Normally distributed (Box–Muller). Each call consumes exactly two uniforms, with no
   * cached spare, so the number of draws per call is fixed and easy to reason about.
   */
  normal(mean: number, stddev: number): number {
    const u1 = 1 - this.source(); // (0, 1], keeps log finite
    const u2 = this.source();
    return mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Log-normally distributed: exp of a normal with parameters mu and sigma. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }
}
