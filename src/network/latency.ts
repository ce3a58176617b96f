import type { Rng } from '../sim/rng.js';
import type { Duration } from '../sim/time.js';

/**
 * How long a message takes on a link, as a distribution over microseconds. Draws are
 * rounded to whole microseconds and never fall below the floor (default 0), so a normal or
 * lognormal tail cannot make a message arrive before it was sent.
 */
export type LatencyDist =
  | { readonly dist: 'fixed'; readonly value: Duration }
  | { readonly dist: 'uniform'; readonly min: Duration; readonly max: Duration }
  | { readonly dist: 'normal'; readonly mean: Duration; readonly stddev: Duration; readonly floor?: Duration }
  /** Parameterised by its median and the sigma of the underlying normal, the usual way to describe a tail. */
  | { readonly dist: 'lognormal'; readonly median: Duration; readonly sigma: number; readonly floor?: Duration }
  | { readonly dist: 'exponential'; readonly mean: Duration; readonly floor?: Duration };

export const DEFAULT_LATENCY: LatencyDist = { dist: 'uniform', min: 1_000 as Duration, max: 5_000 as Duration };

/** Draws one latency. Fixed latencies draw nothing, so they leave the stream untouched. */
export function sampleLatency(dist: LatencyDist, rng: Rng): Duration {
  let v: number;
  let floor = 0;
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      v = dist.min + rng.next() * (dist.max - dist.min);
      break;
    case 'normal':
      v = rng.normal(dist.mean, dist.stddev);
      floor = dist.floor ?? 0;
      break;
    case 'lognormal':
      v = dist.median * rng.lognormal(0, dist.sigma);
      floor = dist.floor ?? 0;
      break;
    case 'exponential':
      v = (dist.floor ?? 0) + rng.exponential(dist.mean);
      floor = dist.floor ?? 0;
      break;
  }
  return Math.max(floor, Math.round(v)) as Duration;
}

/** A latency distribution compiled to one function, for links that draw on every message. */
export type LatencySampler = (rng: Rng) => Duration;

export function latencySampler(dist: LatencyDist): LatencySampler {
  switch (dist.dist) {
    case 'fixed': {
      const value = dist.value;
      return () => value;
    }
    case 'uniform': {
      const min = dist.min;
      const span = dist.max - dist.min;
      return (rng) => Math.round(min + rng.next() * span) as Duration;
    }
    default:
      return (rng) => sampleLatency(dist, rng);
  }
}

/** The distribution's mean, for reports and for sizing timeouts. */
export function meanLatency(dist: LatencyDist): number {
  switch (dist.dist) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return (dist.min + dist.max) / 2;
    case 'normal':
      return dist.mean;
    case 'lognormal':
      return dist.median * Math.exp((dist.sigma * dist.sigma) / 2);
    case 'exponential':
      return (dist.floor ?? 0) + dist.mean;
  }
}
