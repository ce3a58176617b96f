import { compareNumbers, compareStrings } from '../sim/order.js';

/**
 * Seed sweeps as data: which seeds a sweep (or one shard of it) runs, what one seed's run
 * found, and the summary that `kafkasim sweep --json` prints and `kafkasim merge` joins.
 * Everything here is a function of the seeds' results alone, never of which worker ran
 * which seed or in what order they finished, so a sweep's answer does not depend on
 * --workers or on how it was sharded.
 */

/** What one seed's run found. */
export interface SeedResult {
  readonly seed: number;
  /** The violation kinds it found, sorted, each once. */
  readonly kinds: readonly string[];
  readonly fingerprint: string;
  /** Whether this seed's run met the scenario's `expect`. */
  readonly expectMet: boolean;
  /** When the simulator itself failed on this seed, why. */
  readonly error?: string;
  /** How many of its faults (the scenario's and the nemesis's) fired but did nothing; absent for none. */
  readonly skippedFaults?: number;
}

/** The kind under which a sweep counts seeds that crashed the simulator. */
export const SIMULATOR_ERROR = 'simulator-error';

export interface KindSummary {
  readonly count: number;
  readonly firstSeed: number;
  readonly seeds: readonly number[];
}

/** The JSON a sweep prints (its last line) and a merge prints. */
export interface SweepSummary {
  readonly scenario: string;
  /** How many seeds ran. */
  readonly seeds: number;
  readonly workers: number;
  readonly violations: Readonly<Record<string, KindSummary>>;
  readonly seedsPerSec: number;
  /** The seeds that ran, as ranges ("1..40,45"), so merged shards can be checked for overlap. */
  readonly ran: string;
  /** Seed -> how many of its faults did nothing, for the seeds where some did ({} when none did). */
  readonly skippedFaults: Readonly<Record<string, number>>;
  /** The scenario's `expect`: no violation, or these kinds (absent in summaries of older versions). */
  readonly expect?: 'none' | readonly string[];
  /** The seeds whose run met `expect`, as ranges like `ran`, so that merged shards can be judged as the whole sweep. */
  readonly expectMet?: string;
}

export class SweepInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepInputError';
  }
}

/** "1..1000", "7", "1..10,20..30": the seeds, in the order given, each once. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^\s*(-?\d+)\s*(?:\.\.\s*(-?\d+)\s*)?$/.exec(part);
    if (m === null) throw new SweepInputError(`--seeds: "${part.trim()}" is not a seed or a range such as 1..1000`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new SweepInputError(`--seeds: "${part.trim()}" is out of range`);
    if (to < from) throw new SweepInputError(`--seeds: range ${from}..${to} runs backwards`);
    if (to - from > 10_000_000) throw new SweepInputError(`--seeds: range ${from}..${to} has more than 10,000,000 seeds`);
    for (let s = from; s <= to; s++) {
      if (!seen.has(s)) {
        seen.add(s);
        out.push(s);
      }
    }
  }
  return out;
}

/** "2/5": the second of five shards. */
export function parseShard(spec: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) throw new SweepInputError(`--shard: expected i/n with 1 <= i <= n, such as 1/4; got "${spec}"`);
  return { index, count };
}

/**
 * The i-th of n disjoint slices of `seeds` (1-based): every n-th seed from position i-1,
 * so each shard gets a fair share of cheap and costly seeds. The n shards cover every seed
 * exactly once.
 */
export function shardSeeds(seeds: readonly number[], shard: { index: number; count: number }): number[] {
  return seeds.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Seeds as compact ranges: [1,2,3,5] -> "1..3,5". */
export function formatSeeds(seeds: readonly number[]): string {
  const sorted = [...seeds].sort(compareNumbers);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The summary of a set of seed results, whatever order they came in. */
export function summarize(scenario: string, results: readonly SeedResult[], workers: number, seedsPerSec: number, expect?: 'none' | readonly string[]): SweepSummary {
  const byKind = new Map<string, number[]>();
  for (const r of results) {
    for (const kind of r.kinds) {
      const list = byKind.get(kind) ?? [];
      list.push(r.seed);
      byKind.set(kind, list);
    }
  }
  return {
    scenario,
    seeds: results.length,
    workers,
    violations: kindSummaries(byKind),
    seedsPerSec,
    ran: formatSeeds(results.map((r) => r.seed)),
    skippedFaults: skippedBySeed(results.map((r) => [r.seed, r.skippedFaults ?? 0])),
    ...(expect === undefined ? {} : { expect, expectMet: formatSeeds(results.filter((r) => r.expectMet).map((r) => r.seed)) }),
  };
}

/**
 * Whether a sweep agrees with its scenario's `expect` (the sweep's and the merge's exit 0):
 * with violations expected, some seed found all of them; otherwise no seed found any.
 */
export function agreesWithExpect(s: SweepSummary): boolean {
  if (s.expect === undefined || s.expect === 'none') return Object.keys(s.violations).length === 0;
  return s.expectMet !== undefined && s.expectMet !== '';
}

/**
 * Joins the summaries of shards of one sweep into the summary the whole sweep would have
 * printed. Shards must be of the same scenario and must not overlap.
 */
export function mergeSummaries(parts: readonly SweepSummary[]): SweepSummary {
  if (parts.length === 0) throw new SweepInputError('merge: nothing to merge');
  const scenario = parts[0].scenario;
  const seen = new Set<number>();
  const byKind = new Map<string, number[]>();
  const skipped: [number, number][] = [];
  const met: number[] = [];
  const expect = parts[0].expect;
  for (const p of parts) {
    if (p.scenario !== scenario) throw new SweepInputError(`merge: results of two scenarios (${scenario} and ${p.scenario}) cannot be merged`);
    if (JSON.stringify(p.expect) !== JSON.stringify(expect)) throw new SweepInputError(`merge: the results expect different things (${JSON.stringify(expect)} and ${JSON.stringify(p.expect)}); were they run from different versions of ${scenario}?`);
    if (p.expectMet !== undefined && p.expectMet !== '') met.push(...parseSeeds(p.expectMet));
    for (const seed of p.ran === '' ? [] : parseSeeds(p.ran)) {
      if (seen.has(seed)) throw new SweepInputError(`merge: seed ${seed} appears in two results; shards must not overlap`);
      seen.add(seed);
    }
    for (const [kind, k] of Object.entries(p.violations)) byKind.set(kind, [...(byKind.get(kind) ?? []), ...k.seeds]);
    for (const [seed, n] of Object.entries(p.skippedFaults)) skipped.push([Number(seed), n]);
  }
  return {
    scenario,
    seeds: seen.size,
    workers: parts.reduce((n, p) => n + p.workers, 0),
    violations: kindSummaries(byKind),
    // Shards run side by side: their rates add up.
    seedsPerSec: parts.reduce((n, p) => n + p.seedsPerSec, 0),
    ran: formatSeeds([...seen]),
    skippedFaults: skippedBySeed(skipped),
    ...(expect === undefined ? {} : { expect, expectMet: formatSeeds(met) }),
  };
}

/** Seed -> count, in seed order, only for counts above 0. */
function skippedBySeed(counts: readonly (readonly [number, number])[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [seed, n] of [...counts].sort((a, b) => compareNumbers(a[0], b[0]))) if (n > 0) out[String(seed)] = n;
  return out;
}

function kindSummaries(byKind: ReadonlyMap<string, number[]>): Record<string, KindSummary> {
  const out: Record<string, KindSummary> = {};
  for (const kind of [...byKind.keys()].sort(compareStrings)) {
    const seeds = [...(byKind.get(kind) as number[])].sort(compareNumbers);
    out[kind] = { count: seeds.length, firstSeed: seeds[0], seeds };
  }
  return out;
}

/** Reads a sweep's JSON (the last line of `sweep --json` output), naming the file on error. */
export function parseSummary(text: string, source: string): SweepSummary {
  const last = text.trim().split('\n').pop() ?? '';
  let value: unknown;
  try {
    value = JSON.parse(last);
  } catch {
    throw new SweepInputError(`${source}: the last line is not JSON; expected the output of kafkasim sweep --json`);
  }
  const v = value as Partial<SweepSummary>;
  const fields: (keyof SweepSummary)[] = ['scenario', 'seeds', 'workers', 'violations', 'seedsPerSec', 'ran'];
  for (const f of fields) if (v === null || typeof v !== 'object' || v[f] === undefined) throw new SweepInputError(`${source}: field "${f}" is missing; expected the output of kafkasim sweep --json`);
  // Summaries written before skipped faults were counted have none.
  return { ...(v as SweepSummary), skippedFaults: v.skippedFaults ?? {} };
}
