import { time, toMillis } from '../sim/time.js';
import { clusterState, RecentEvents, RECENT_EVENTS, type ClusterState, type RecentEvent } from '../scenarios/clusterState.js';
import { explainViolation } from '../scenarios/explain.js';
import { finishRun, startRun } from '../scenarios/runner.js';
import { PartitionFollower, reportInput, spaceTimeDiagram } from '../scenarios/report.js';
import { withSkippedFaults } from '../scenarios/skippedFaults.js';
import type { Scenario } from '../scenarios/schema.js';
import type { TraceRecord } from '../sim/trace.js';

/**
 * A run as the playground shows it: the cluster at every moment of a grid (what `kafkasim
 * state --at` prints for the same moment), the events of interest, the violations with the
 * story `kafkasim explain` tells of each, and the run's fingerprint. Plain data, so that it
 * crosses from the worker to the page by structured clone.
 */
export interface PlayedRun {
  readonly scenario: string;
  readonly seed: number;
  readonly release: string;
  readonly fingerprint: string;
  readonly expectMet: boolean;
  /** Where the scenario's own time ends and the drain begins, and where the run ends, in simulated milliseconds. */
  readonly drainStartMs: number;
  readonly endMs: number;
  /** The grid: frame i is the cluster at `min(i * frameEveryMs, endMs)`. */
  readonly frameEveryMs: number;
  readonly frames: readonly ClusterState[];
  /** Every event of interest, oldest first (the frames keep only the last few before each). */
  readonly events: readonly RecentEvent[];
  readonly violations: readonly PlayedViolation[];
  readonly stats: { readonly produced: number; readonly acked: number; readonly failed: number; readonly indeterminate: number; readonly events: number };
  /** The report's space-time diagram of the run (report.ts, spaceTimeDiagram): one renderer for both. */
  readonly diagram: string;
  /** The faults that fired and did nothing, as `kafkasim run` lists them. */
  readonly skippedFaults: readonly { readonly atMs: number; readonly action: string; readonly target: string; readonly reason: string }[];
}

export interface PlayedViolation {
  readonly kind: string;
  readonly message: string;
  /** When it became observable, or (not known) the last moment of its story, in simulated milliseconds. */
  readonly atMs: number;
  /** `kafkasim explain --violation N`'s lines. */
  readonly story: readonly { readonly atMs: number; readonly text: string }[];
  /** The records in question, when the violation names a partition and their offsets (lost-write's acknowledged offsets). */
  readonly records?: RecordsInQuestion;
}

/**
 * Where a violation's records sat: their partition and offsets, and when each replica that
 * had them dropped them (the first truncation below them after the story begins), so a
 * replica is drawn as holding them only until then, not after a truncation refilled the
 * same offsets with other records.
 */
export interface RecordsInQuestion {
  readonly partition: string;
  readonly from: number;
  /** One past the last offset. */
  readonly to: number;
  /** Per broker, when it truncated below `from`, in simulated milliseconds. */
  readonly droppedAtMs: Readonly<Record<number, number>>;
  /**
   * Per broker, the spans in which it held the original of at least one of them (the report's
   * PartitionFollower): a later leader writing other records at those offsets does not hold them.
   */
  readonly heldMs: Readonly<Record<number, readonly HeldSpan[]>>;
}

/** From `fromMs` until `toMs` (absent: to the end of the run), in simulated milliseconds. */
export interface HeldSpan {
  readonly fromMs: number;
  readonly toMs?: number;
}

export interface PlayOptions {
  readonly seed?: number;
  /** The grid's step in simulated milliseconds; default 25. */
  readonly frameEveryMs?: number;
}

/**
 * Runs `scenario` to its end, stopping at every moment of the grid to read the cluster
 * through its probe. Stopping and looking change nothing (runner.ts, RunInProgress): the
 * fingerprint is the one `kafkasim run` prints.
 */
export function playScenario(scenario: Scenario, options: PlayOptions = {}): PlayedRun {
  const step = Math.max(1, Math.floor(options.frameEveryMs ?? 25));
  const run = startRun(scenario, { seed: options.seed, keepTrace: true });
  const recent = new RecentEvents(run.sim.trace, new Set(scenario.topics.map((t) => t.name)), Number.POSITIVE_INFINITY);
  const frames: ClusterState[] = [];
  const endMs = toMillis(run.end);
  for (let ms = 0; ; ms = Math.min(ms + step, endMs)) {
    run.runTo(time(ms * 1000));
    const state = clusterState(run, undefined);
    frames.push({ ...state, recent: recent.list.slice(-RECENT_EVENTS) });
    if (ms >= endMs) break;
  }
  const result = finishRun(run);
  const trace = result.simulation.memory?.records ?? [];
  const violations = result.violations.map((v): PlayedViolation => {
    const story = withSkippedFaults(explainViolation(trace, v), result.skippedFaults).map((l) => ({ atMs: l.at / 1000, text: l.text }));
    const last = story.at(-1)?.atMs ?? endMs;
    const records = recordsInQuestion(v.details, trace, story[0]?.atMs ?? 0);
    return { kind: v.kind, message: v.message, atMs: v.at === undefined ? last : toMillis(v.at), story, ...(records === undefined ? {} : { records }) };
  });
  return {
    scenario: scenario.name,
    seed: result.seed,
    release: scenario.cluster.version,
    fingerprint: result.fingerprint,
    expectMet: result.expectMet,
    drainStartMs: toMillis(run.drainStart),
    endMs,
    frameEveryMs: step,
    frames,
    events: recent.list,
    violations,
    stats: { produced: result.stats.produced, acked: result.stats.acked, failed: result.stats.failed, indeterminate: result.stats.indeterminate, events: result.stats.events },
    diagram: spaceTimeDiagram(reportInput(scenario, result, scenario.name)),
    skippedFaults: result.skippedFaults.map((f) => ({ atMs: f.at, action: f.action, target: f.target, reason: f.reason })),
  };
}

/** The records a violation names by partition and offsets (`details.partition` with `ackedOffsets` or `offsets`), and when each replica truncated below them. */
function recordsInQuestion(details: Readonly<Record<string, unknown>>, trace: readonly TraceRecord[], storyStartMs: number): RecordsInQuestion | undefined {
  const partition = details.partition;
  const offsets = [details.ackedOffsets, details.offsets].find((o): o is number[] => Array.isArray(o) && o.length > 0 && o.every((x) => typeof x === 'number'));
  if (typeof partition !== 'string' || offsets === undefined) return undefined;
  const from = Math.min(...offsets);
  const droppedAtMs: Record<number, number> = {};
  for (const r of trace) {
    if (r.kind !== 'replica.truncate' || r.partition !== partition || r.to > from || r.at / 1000 < storyStartMs) continue;
    if (droppedAtMs[r.broker] === undefined) droppedAtMs[r.broker] = r.at / 1000;
  }
  return { partition, from, to: Math.max(...offsets) + 1, droppedAtMs, heldMs: heldSpans(partition, new Set(offsets), trace) };
}

/** When each replica held the original of any record in question, following the partition record by record. */
function heldSpans(partition: string, offsets: ReadonlySet<number>, trace: readonly TraceRecord[]): Record<number, HeldSpan[]> {
  const follower = new PartitionFollower(partition, offsets);
  const spans: Record<number, HeldSpan[]> = {};
  const open = new Map<number, number>();
  for (const r of trace) {
    follower.see(r);
    for (const broker of follower.brokers) {
      const holds = follower.holds(broker) > 0;
      const since = open.get(broker);
      if (holds && since === undefined) open.set(broker, r.at / 1000);
      if (holds || since === undefined) continue;
      (spans[broker] ??= []).push({ fromMs: since, toMs: r.at / 1000 });
      open.delete(broker);
    }
  }
  for (const [broker, since] of open) (spans[broker] ??= []).push({ fromMs: since });
  return spans;
}
