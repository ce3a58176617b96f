/**
 * Shared plumbing for benchmarks: wall-clock timing (allowed here, never in src/),
 * argument flags and the one-JSON-object-last-line convention that reports/bench.md quotes.
 */
import inspector from 'node:inspector';
import { performance } from 'node:perf_hooks';

export interface BenchArgs {
  readonly json: boolean;
  readonly flags: ReadonlySet<string>;
  readonly options: ReadonlyMap<string, string>;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const flags = new Set<string>();
  const options = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (m === null) continue;
    if (m[2] === undefined) flags.add(m[1]);
    else options.set(m[1], m[2]);
  }
  return { json: flags.has('json'), flags, options };
}

/** Seconds of wall time `fn` takes. */
export function timeIt(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

/** Runs `fn` `repeats` times and keeps the fastest, the usual guard against a noisy neighbour. */
export function bestOf(repeats: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) best = Math.min(best, timeIt(fn));
  return best;
}

export function fmtRate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)}M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)}k/s`;
  return `${perSec.toFixed(0)}/s`;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A tiny xorshift32 stream, identical across the contenders of one benchmark. */
export function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

export function printTable(rows: readonly (readonly (string | number)[])[]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padEnd(widths[c])).join('  '));
}

/**
 * Objects allocated while `fn` runs, estimated with V8's sampling heap profiler (every object,
 * including those a scavenge or a mark-compact already freed). An object of `size` bytes is
 * sampled with probability 1 - e^(-size/interval), so each sample stands for the inverse of
 * that many objects. Slow (a small interval), so run it once, apart from the timed runs.
 */
export function countAllocations(fn: () => void, interval = 64): { objects: number; bytes: number } {
  const session = new inspector.Session();
  session.connect();
  let profile: { samples: { size: number }[] } | undefined;
  const post = (method: string, params?: object): void => {
    session.post(method, params, (err: Error | null, result?: { profile?: { samples: { size: number }[] } }) => {
      if (err !== null) throw err;
      if (result?.profile !== undefined) profile = result.profile;
    });
  };
  post('HeapProfiler.enable');
  post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  fn();
  post('HeapProfiler.stopSampling');
  session.disconnect();
  let objects = 0;
  let bytes = 0;
  for (const { size } of profile?.samples ?? []) {
    const p = 1 - Math.exp(-size / interval);
    objects += 1 / p;
    bytes += size / p;
  }
  return { objects, bytes };
}
