import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import chalk from 'chalk';
import { loadScenario } from '../../scenarios/loader.js';
import { agreesWithExpect, mergeSummaries, parseSeeds, parseShard, parseSummary, shardSeeds, summarize, type SeedResult, type SweepSummary } from '../../scenarios/sweep.js';
import type { Scenario } from '../../scenarios/schema.js';
import { UsageError } from '../usageError.js';
import { resolveScenario } from './run.js';
import type { SweepWorkerData } from '../sweepWorker.js';

export interface SweepCliOptions {
  readonly seeds?: string;
  readonly workers?: string;
  readonly shard?: string;
  readonly json?: boolean;
  readonly stopOnFirst?: boolean;
  readonly onlineChecks?: boolean;
  /** No progress on stderr. */
  readonly quiet?: boolean;
}

export interface SweepOutcome {
  readonly summary: SweepSummary;
  readonly results: readonly SeedResult[];
}

/**
 * Runs `seeds` of the scenario at `path` on `workers` worker processes. Seeds go out in
 * order, one at a time to whichever worker is free; results are gathered by seed, so the
 * outcome does not depend on the number of workers. With `stopOnFirst`, no seed after the
 * first one (in seed order) that finds a violation is started, and the outcome is cut at
 * that seed: still the same for any number of workers.
 */
export function runSweep(
  path: string,
  scenario: Scenario,
  seeds: readonly number[],
  options: { workers: number; stopOnFirst?: boolean; onlineChecks?: boolean; onProgress?: (done: number, violating: number) => void },
): Promise<SweepOutcome> {
  const started = performance.now();
  const workers = Math.max(1, Math.min(options.workers, seeds.length));
  const results = new Map<number, SeedResult>();
  const position = new Map(seeds.map((s, i) => [s, i]));
  let next = 0;
  let cutAt = Number.POSITIVE_INFINITY; // position of the first violating seed, with stopOnFirst
  let violating = 0;
  return new Promise((resolve, reject) => {
    if (seeds.length === 0) {
      resolve({ summary: summarize(scenario.name, [], workers, 0, expectOf(scenario)), results: [] });
      return;
    }
    const pool: ChildProcess[] = [];
    let busy = 0;
    let failed = false;
    const finish = (): void => {
      for (const w of pool) w.kill();
      const kept = [...results.values()].filter((r) => (position.get(r.seed) ?? 0) <= cutAt).sort((a, b) => (position.get(a.seed) ?? 0) - (position.get(b.seed) ?? 0));
      const seconds = (performance.now() - started) / 1000;
      resolve({ summary: summarize(scenario.name, kept, workers, Math.round((results.size / Math.max(seconds, 1e-9)) * 10) / 10, expectOf(scenario)), results: kept });
    };
    const feed = (w: ChildProcess): void => {
      if (next < seeds.length && next <= cutAt) {
        busy++;
        w.send(seeds[next++]);
      } else if (busy === 0) finish();
    };
    const data: SweepWorkerData = { path, onlineChecks: options.onlineChecks ?? true };
    const script = fileURLToPath(new URL('../sweepWorker.js', import.meta.url));
    // Processes, not worker threads: threads of one process share its allocator and V8's
    // background threads, and two of them ran no faster than one on two cores. A lone worker
    // keeps V8's parallel garbage collection (it has cores to spare); when there are several,
    // each collects on its own thread, since the cores its GC helpers would use run the other
    // workers (on 2 cores: 15.0 seeds/s with helper threads, 16.2 without).
    const execArgv = workers > 1 ? ['--single-threaded-gc'] : [];
    for (let i = 0; i < workers; i++) {
      const w = fork(script, [JSON.stringify(data)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
      pool.push(w);
      w.on('message', (message) => {
        const r = message as SeedResult;
        busy--;
        results.set(r.seed, r);
        if (r.kinds.length > 0) {
          violating++;
          if (options.stopOnFirst) cutAt = Math.min(cutAt, position.get(r.seed) ?? cutAt);
        }
        options.onProgress?.(results.size, violating);
        feed(w);
      });
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        for (const x of pool) x.kill();
        reject(err);
      };
      w.on('error', fail);
      w.on('exit', (code, signal) => {
        if (code !== 0 && signal !== 'SIGTERM') fail(new Error(`a sweep worker exited with ${signal ?? `code ${code}`}`));
      });
      feed(w);
    }
  });
}

/** `kafkasim sweep`: returns the exit code. */
export async function sweepCommand(nameOrPath: string, opts: SweepCliOptions, out: (line: string) => void): Promise<number> {
  const path = resolveScenario(nameOrPath);
  const scenario = loadScenario(path);
  let seeds = parseSeeds(opts.seeds ?? '1..100');
  if (opts.shard !== undefined) seeds = shardSeeds(seeds, parseShard(opts.shard));
  const workers = opts.workers === undefined ? availableParallelism() : Number(opts.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number of at least 1, got "${opts.workers}"`);
  // Progress goes to stderr whether or not it is a terminal (a CI log shows a long sweep moving), unless --quiet.
  const progress = opts.quiet === true ? undefined : process.stderr.isTTY ? progressBar(seeds.length) : progressLines(seeds.length);
  const { summary, results } = await runSweep(path, scenario, seeds, { workers, stopOnFirst: opts.stopOnFirst, onlineChecks: opts.onlineChecks !== false, onProgress: progress?.update });
  progress?.done();
  if (opts.json) out(JSON.stringify(summary));
  else printSummary(summary, out, nameOrPath);
  return sweepExitCode(scenario, results);
}

/**
 * 0 when the sweep agrees with the scenario's `expect`: with violations expected, some seed
 * found all of them; otherwise no seed found any. 1 when it does not.
 */
export function sweepExitCode(scenario: Scenario, results: readonly SeedResult[]): number {
  const expected = scenario.expect?.violations;
  if (expected === undefined || expected === 'none') return results.every((r) => r.kinds.length === 0) ? 0 : 1;
  return results.some((r) => r.expectMet) ? 0 : 1;
}

/** `kafkasim merge a.json b.json …`: the shards' results as one sweep's. */
export function mergeCommand(files: readonly string[], opts: { json?: boolean }, out: (line: string) => void): number {
  const parts = files.map((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      throw new UsageError(`${f}: cannot read this file`);
    }
    return parseSummary(text, f);
  });
  const merged = mergeSummaries(parts);
  if (opts.json) out(JSON.stringify(merged));
  else printSummary(merged, out, merged.scenario);
  return agreesWithExpect(merged) ? 0 : 1;
}

/** The scenario's `expect`, as a sweep summary records it. */
function expectOf(scenario: Scenario): 'none' | readonly string[] {
  return scenario.expect?.violations ?? 'none';
}

function printSummary(s: SweepSummary, out: (line: string) => void, replayTarget: string): void {
  out(chalk.bold(`${s.scenario}: ${s.seeds} seeds with ${s.workers} worker${s.workers === 1 ? '' : 's'}, ${s.seedsPerSec} seeds/s`));
  const skipped = skippedFaultsLine(s.skippedFaults);
  if (skipped !== undefined) out(chalk.yellow(skipped));
  const kinds = Object.entries(s.violations);
  if (kinds.length === 0) {
    out(chalk.green('  no violations'));
    return;
  }
  const width = Math.max(4, ...kinds.map(([k]) => k.length));
  out(`  ${'kind'.padEnd(width)}  ${'seeds'.padStart(6)}  ${'first'.padStart(6)}  some seeds`);
  for (const [kind, k] of kinds) {
    const some = k.seeds.slice(0, 8).join(' ') + (k.seeds.length > 8 ? ' …' : '');
    out(`  ${chalk.red(kind.padEnd(width))}  ${String(k.count).padStart(6)}  ${String(k.firstSeed).padStart(6)}  ${some}`);
  }
  out(chalk.dim(`  replay one: kafkasim run ${replayTarget} --seed ${kinds[0][1].firstSeed}`));
}

/** "  faults that did nothing: 5 in 3 seeds (seed 2: 1, seed 4: 3, seed 9: 1)", or nothing when every fault did something. */
function skippedFaultsLine(bySeed: Readonly<Record<string, number>>): string | undefined {
  const seeds = Object.entries(bySeed);
  if (seeds.length === 0) return undefined;
  const total = seeds.reduce((n, [, k]) => n + k, 0);
  const some = seeds.slice(0, 8).map(([seed, k]) => `seed ${seed}: ${k}`).join(', ') + (seeds.length > 8 ? ', …' : '');
  return `  faults that did nothing: ${total} in ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${some}); see them with kafkasim run --seed N`;
}

interface Progress {
  readonly update: (done: number, violating: number) => void;
  readonly done: () => void;
}

/** "12/100 seeds, 1 violating, 3.1 seeds/s, ETA 28s". */
function progressText(started: number, now: number, done: number, total: number, violating: number): string {
  const rate = done / Math.max((now - started) / 1000, 1e-9);
  const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
  return `${done}/${total} seeds, ${violating} violating, ${rate.toFixed(1)} seeds/s, ETA ${eta}s`;
}

/** Progress as plain lines on stderr when it is not a terminal (a file, a CI log): at each tenth of the seeds, and at the end. */
function progressLines(total: number): Progress {
  const started = performance.now();
  let tenth = 0;
  return {
    update(done, violating) {
      const reached = Math.floor((done * 10) / total);
      if (reached <= tenth && done < total) return;
      tenth = reached;
      process.stderr.write(`sweep: ${progressText(started, performance.now(), done, total, violating)}\n`);
    },
    done() {},
  };
}

/** A one-line progress bar on stderr, when it is a terminal. */
function progressBar(total: number): Progress {
  const started = performance.now();
  let last = 0;
  return {
    update(done, violating) {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progressText(started, now, done, total, violating)}  `);
    },
    done() {
      process.stderr.write('\n');
    },
  };
}
