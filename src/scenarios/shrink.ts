import type { FaultAction, TimedFault } from '../network/faults.js';
import { formatDuration, parseDuration, type Time } from '../sim/time.js';
import { compareNumbers } from '../sim/order.js';
import { scenarioFromObject } from './loader.js';
import { runScenario, type RunResult } from './runner.js';
import type { Scenario } from './schema.js';

/** A scenario as written: the plain object a YAML file holds. */
export type RawScenario = Record<string, unknown>;

export interface ShrinkOptions {
  readonly seed: number;
  /** The violation kind to keep; default: the first the run finds. */
  readonly kind?: string;
  /** At most this many runs (each candidate is one run). */
  readonly maxRuns?: number;
  /** Told about each accepted reduction. */
  readonly onStep?: (message: string) => void;
}

export interface ShrinkSize {
  readonly faults: number;
  readonly messages: number;
  readonly durationMs: number;
  readonly brokers: number;
  readonly partitions: number;
  readonly clients: number;
}

export interface ShrinkResult {
  readonly kind: string;
  /** The minimal scenario, as a plain object ready to be written as YAML. */
  readonly raw: RawScenario;
  readonly before: ShrinkSize;
  readonly after: ShrinkSize;
  readonly runs: number;
}

export class ShrinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShrinkError';
  }
}

interface Fault {
  readonly at: number;
  readonly raw: Record<string, unknown>;
}

/**
 * Shrinks a failing run to a smaller scenario that still fails with the same violation
 * kind, with the same seed: the nemesis becomes explicit timed faults, delta debugging
 * (Zeller's ddmin) removes faults, then the duration, the clients, their rates, the
 * partitions and the brokers are cut down while the violation stays. Each step keeps a
 * candidate only if a run of it still shows the kind, so the result replays.
 */
/** How many seeds after the one asked for are tried, to point to those that show the kind. */
const SEEDS_TRIED = 10;

/** Where to look instead: the first few of the next seeds that show `kind`, or how to find some. */
function seedsThatShow(raw: RawScenario, source: string, seed: number, kind: string): string {
  const scenario = scenarioFromObject(raw, source);
  const found: number[] = [];
  for (let s = seed + 1; s <= seed + SEEDS_TRIED && found.length < 3; s++) {
    if (runScenario(scenario, { seed: s }).violations.some((v) => v.kind === kind)) found.push(s);
  }
  if (found.length === 0) return `nor does any of seeds ${seed + 1}..${seed + SEEDS_TRIED}: kafkasim sweep ${source} --seeds 1..200 counts the seeds that find each kind`;
  return `seed${found.length === 1 ? '' : 's'} ${found.join(', ')} ${found.length === 1 ? 'does' : 'do'}: kafkasim shrink ${source} --seed ${found[0]} --kind ${kind}`;
}

export function shrinkScenario(original: RawScenario, source: string, options: ShrinkOptions): ShrinkResult {
  const maxRuns = options.maxRuns ?? 300;
  let runs = 0;
  const run = (raw: RawScenario): RunResult => {
    runs++;
    return runScenario(scenarioFromObject(raw, source), { seed: options.seed });
  };
  const first = run(original);
  const kind = options.kind ?? first.violations[0]?.kind;
  if (kind === undefined) throw new ShrinkError(`seed ${options.seed} finds no violation in ${source}: nothing to shrink`);
  if (!first.violations.some((v) => v.kind === kind)) throw new ShrinkError(`seed ${options.seed} does not find ${kind} in ${source}; ${seedsThatShow(original, source, options.seed, kind)}`);
  const fails = (raw: RawScenario): boolean => {
    if (runs >= maxRuns) return false;
    try {
      return run(raw).violations.some((v) => v.kind === kind);
    } catch {
      return false; // a candidate the schema refuses is simply not smaller
    }
  };
  const before = sizeOf(scenarioFromObject(original, source), first);

  // The nemesis, drawn for this seed, as explicit faults beside the scenario's own.
  let current: RawScenario = { ...original, seed: options.seed, expect: { violations: [kind] } };
  delete current.nemesis;
  const faults = explicitFaults(original, first.schedule);
  current = withFaults(current, faults);
  if (!fails(current)) {
    // Should not happen (the same seed, the same schedule), but never hand back a scenario
    // that does not fail: keep the nemesis and shrink the rest.
    current = { ...original, seed: options.seed, expect: { violations: [kind] } };
  } else {
    const kept = ddmin(faults, (subset) => fails(withFaults(current, subset)));
    if (kept.length < faults.length) options.onStep?.(`faults: ${faults.length} -> ${kept.length}`);
    current = withFaults(current, kept);
  }

  const accept = (candidate: RawScenario, what: string): boolean => {
    if (!fails(candidate)) return false;
    current = candidate;
    options.onStep?.(what);
    return true;
  };

  // A shorter run: whole seconds, no shorter than just past the last fault.
  const lastFault = Math.max(0, ...((current.faults as Fault['raw'][] | undefined) ?? []).map((f) => parseDuration(String(f.at))));
  let lo = Math.floor(lastFault / 1_000_000) + 1;
  let hi = Math.ceil(parseDuration(String(current.duration)) / 1_000_000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (accept({ ...current, duration: `${mid}s` }, `duration: ${mid}s`)) hi = mid;
    else lo = mid + 1;
  }

  // Fewer clients, then lower rates.
  for (;;) {
    const clients = (current.clients as Record<string, unknown>[] | undefined) ?? [];
    if (clients.length <= 1) break;
    let removed = false;
    for (let i = 0; i < clients.length && !removed; i++) {
      removed = accept({ ...current, clients: clients.filter((_, j) => j !== i) }, `clients: ${clients.length} -> ${clients.length - 1}`);
    }
    if (!removed) break;
  }
  const clients = (current.clients as Record<string, unknown>[] | undefined) ?? [];
  for (let i = 0; i < clients.length; i++) {
    for (;;) {
      const now = (current.clients as Record<string, unknown>[])[i];
      const workload = now.workload as Record<string, unknown>;
      const rate = Number(String(workload.rate).replace(/\/s$/, ''));
      if (!(rate > 1)) break;
      const lower = Math.max(1, Math.floor(rate / 2));
      const next = (current.clients as Record<string, unknown>[]).map((c, j) => (j === i ? { ...c, workload: { ...workload, rate: `${lower}/s` } } : c));
      if (!accept({ ...current, clients: next }, `${String(now.id)} rate: ${rate}/s -> ${lower}/s`)) break;
    }
  }

  // Fewer partitions, then fewer brokers (no fewer than any topic's replication factor).
  const topics = (current.topics as Record<string, unknown>[] | undefined) ?? [];
  for (let i = 0; i < topics.length; i++) {
    for (;;) {
      const t = (current.topics as Record<string, unknown>[])[i];
      const partitions = Number(t.partitions);
      if (!(partitions > 1)) break;
      const fewer = Math.max(1, Math.floor(partitions / 2));
      const next = (current.topics as Record<string, unknown>[]).map((x, j) => (j === i ? { ...x, partitions: fewer } : x));
      if (!accept({ ...current, topics: next }, `${String(t.name)} partitions: ${partitions} -> ${fewer}`)) break;
    }
  }
  const cluster = current.cluster as Record<string, unknown>;
  const minBrokers = Math.max(1, ...topics.map((t) => Number(t['replication.factor'] ?? 1)));
  for (let b = Number(cluster.brokers) - 1; b >= minBrokers; b--) {
    if (!accept({ ...current, cluster: { ...(current.cluster as Record<string, unknown>), brokers: b } }, `brokers: ${b + 1} -> ${b}`)) break;
  }

  const last = run(current);
  const minimal = {
    name: `${String(original.name)}-min`,
    description: `Shrunk by kafkasim shrink from ${String(original.name)}, seed ${options.seed}: it still finds ${kind}.`,
    ...Object.fromEntries(Object.entries(current).filter(([k]) => k !== 'name' && k !== 'description')),
  };
  return { kind, raw: minimal, before, after: sizeOf(scenarioFromObject(minimal, source), last), runs };
}

/** The scenario's own faults as written, and the nemesis's as plain faults, in time order. */
function explicitFaults(original: RawScenario, schedule: readonly TimedFault[]): Fault['raw'][] {
  const own = ((original.faults as Fault['raw'][] | undefined) ?? []).map((raw, i) => ({ at: schedule[i]?.at ?? 0, raw, i }));
  const nemesis = schedule.slice(own.length).map((t, j) => ({ at: t.at, raw: rawFault(t.at, t.fault), i: own.length + j }));
  return [...own, ...nemesis].sort((a, b) => compareNumbers(a.at, b.at) || compareNumbers(a.i, b.i)).map((f) => f.raw);
}

/** A generated fault as a scenario file writes it. */
export function rawFault(at: Time, fault: FaultAction): Fault['raw'] {
  const out: Record<string, unknown> = { at: formatDuration(at), ...fault };
  if (fault.action === 'pause') out.for = formatDuration(fault.for);
  if (fault.action === 'clock' && fault.jump !== undefined) out.jump = formatDuration(fault.jump);
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

function withFaults(raw: RawScenario, faults: readonly Fault['raw'][]): RawScenario {
  return { ...raw, faults: [...faults] };
}

function sizeOf(scenario: Scenario, result: RunResult): ShrinkSize {
  return {
    faults: result.schedule.length,
    messages: result.stats.produced,
    durationMs: scenario.duration / 1000,
    brokers: scenario.cluster.brokers,
    partitions: scenario.topics.reduce((n, t) => n + t.partitions, 0),
    clients: scenario.clients.length,
  };
}

/**
 * Zeller's ddmin: a 1-minimal subset of `items` for which `fails` holds (removing any one
 * item makes it pass), assuming `fails(items)`. Tries the empty set first.
 */
export function ddmin<T>(items: readonly T[], fails: (subset: readonly T[]) => boolean): T[] {
  if (fails([])) return [];
  let current = [...items];
  let n = 2;
  while (current.length >= 2) {
    const size = Math.ceil(current.length / n);
    const chunks: T[][] = [];
    for (let i = 0; i < current.length; i += size) chunks.push(current.slice(i, i + size));
    let reduced = false;
    for (const chunk of chunks) {
      if (chunk.length < current.length && fails(chunk)) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      for (const chunk of chunks) {
        const complement = current.filter((x) => !chunk.includes(x));
        if (complement.length < current.length && fails(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return current;
}
