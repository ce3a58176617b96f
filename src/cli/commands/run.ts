import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Disk } from '../../log/disk.js';
import chalk from 'chalk';
import { performance } from 'node:perf_hooks';
import { formatIssue, loadScenario, warningsOf } from '../../scenarios/loader.js';
import { runScenario } from '../../scenarios/runner.js';
import { LIBRARY_DIR } from '../../scenarios/library.js';
import { JsonlFileSink } from '../../sim/jsonlSink.js';
import { CHECK_KINDS } from '../../scenarios/schema.js';
import { UsageError } from '../usageError.js';
import { didYouMean } from '../../scenarios/issueHints.js';
import type { MetricsReport } from '../../scenarios/metricsRecorder.js';
import type { FaultAvailability } from '../../scenarios/availability.js';
import type { GroupStall } from '../../scenarios/groupStalls.js';
import { describeSkippedFault, type SkippedFault } from '../../scenarios/skippedFaults.js';

/** A path, or the name of a library scenario. */
export function resolveScenario(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return nameOrPath;
  const lib = `${LIBRARY_DIR}${nameOrPath}.yaml`;
  if (/^[\w.-]+$/.test(nameOrPath) && existsSync(lib)) return lib;
  const names = readdirSync(LIBRARY_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
  const hint = didYouMean(nameOrPath.replace(/\.ya?ml$/, ''), names);
  throw new UsageError(`${nameOrPath}: no such scenario file, and no library scenario by that name${hint === '' ? ' (kafkasim list names them)' : hint}`);
}

export interface RunCliOptions {
  readonly seed?: string;
  readonly json?: boolean;
  readonly trace?: string;
  readonly checks?: string;
  /** commander's negation of --no-online-checks: false turns the TLA+ invariants off. */
  readonly onlineChecks?: boolean;
  /** A fault of the scenario's own that did nothing is a usage error. */
  readonly strictFaults?: boolean;
  /** Write every broker's log directory, as the run left it, under this directory. */
  readonly keepLogs?: string;
}

/** The --seed option: an integer, or undefined for the scenario's own seed. */
export function parseSeedOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${text}"`);
  return seed;
}

/** `kafkasim run <scenario>`: returns the exit code (0 expectation met, 1 not met); with --strict-faults, a skipped fault of the scenario's own throws a UsageError. */
export function runCommand(nameOrPath: string, opts: RunCliOptions, out: (line: string) => void): number {
  const scenario = loadScenario(resolveScenario(nameOrPath));
  const seed = parseSeedOption(opts.seed);
  const checks = opts.checks?.split(',').map((c) => c.trim());
  const unknown = checks?.filter((c) => !(CHECK_KINDS as readonly string[]).includes(c)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--checks: unknown check ${unknown.join(', ')}${didYouMean(unknown[0], CHECK_KINDS)}; known: ${CHECK_KINDS.join(', ')}`);
  // Warnings come before the run (a long run's user sees them at once) and again in the summary.
  const warnings = warningsOf(scenario);
  if (!opts.json) for (const w of warnings) out(chalk.yellow(`warning: ${formatIssue(w)}`));
  const sink = opts.trace === undefined ? undefined : new JsonlFileSink(opts.trace);
  const started = performance.now();
  const result = runScenario(scenario, { seed, checks, onlineChecks: opts.onlineChecks !== false, sinks: sink === undefined ? [] : [sink] });
  sink?.close();
  const wallMs = Math.round(performance.now() - started);
  const stats = { ...result.stats, wallMs };
  if (opts.strictFaults) rejectSkippedFaults(result.skippedFaults);
  const kept = opts.keepLogs === undefined ? undefined : keepLogs(result.disks, opts.keepLogs);
  if (opts.json) {
    out(JSON.stringify({ scenario: result.scenario, seed: result.seed, release: scenario.cluster.version, fingerprint: result.fingerprint, violations: result.violations, expectMet: result.expectMet, skippedFaults: result.skippedFaults, warnings, availability: result.stats.availability, stats }));
  } else {
    out(chalk.bold(`${result.scenario} (seed ${result.seed}, Kafka ${scenario.cluster.version})`));
    if (scenario.description !== '') out(`  ${scenario.description}`);
    out(`  ${stats.produced} sends: ${stats.acked} acknowledged, ${stats.failed} failed, ${stats.indeterminate} indeterminate; ${stats.events} events over ${(stats.simulatedMs / 1000).toFixed(1)} simulated s in ${wallMs} ms`);
    const c = result.stats.consumers;
    if (c !== undefined) {
      const lag = Object.entries(result.stats.lag ?? {}).map(([p, n]) => `${p} ${n}`);
      out(`  consumers: ${c.processed} records processed, ${c.commits} commits (${c.failedCommits} failed), ${c.generations} generation${c.generations === 1 ? '' : 's'}; lag at the end: ${lag.join(', ')}`);
    }
    for (const line of skippedFaultLines(result.skippedFaults)) out(line);
    if (result.violations.length === 0) out(chalk.green('  no violations'));
    for (const v of result.violations) out(`  ${chalk.red(v.kind)}: ${v.message}`);
    const expected = scenario.expect?.violations;
    const expectation = expected === undefined ? 'no violations' : expected === 'none' ? 'none' : expected.join(', ');
    out(result.expectMet ? chalk.green(`  expectation met (${expectation})`) : chalk.red(`  expectation NOT met (expected ${expectation})`));
    for (const w of warnings) out(chalk.yellow(`  warning: ${formatIssue(w)}`));
    if (kept !== undefined) out(`  logs kept: ${kept.files} files of ${kept.brokers} brokers under ${opts.keepLogs} (kafkasim log dump ${join(opts.keepLogs ?? '', 'broker-1', 'data', '<topic-partition>')})`);
    for (const line of availabilityLines(result.stats.availability)) out(line);
    for (const line of metricsLines(result.stats.metrics)) out(line);
    out(`  fingerprint ${result.fingerprint}`);
  }
  return result.expectMet ? 0 : 1;
}

/** --strict-faults: the scenario's own faults must all do something (the nemesis's draws may miss, by design). */
function rejectSkippedFaults(skipped: readonly SkippedFault[]): void {
  const own = skipped.filter((f) => !f.nemesis);
  if (own.length === 0) return;
  const what = own.length === 1 ? "one of the scenario's faults did nothing" : `${own.length} of the scenario's faults did nothing`;
  throw new UsageError(`--strict-faults: ${what}: ${own.map(describeSkippedFault).join('; ')}`);
}

/** "2 faults did nothing:", then one line each. */
export function skippedFaultLines(skipped: readonly SkippedFault[]): string[] {
  if (skipped.length === 0) return [];
  const head = chalk.yellow(`  ${skipped.length === 1 ? '1 fault' : `${skipped.length} faults`} did nothing:`);
  return [head, ...skipped.map((f) => chalk.yellow(`    ${describeSkippedFault(f)}`))];
}

/** "kafka.server:type=ReplicaManager,name=IsrShrinksPerSec Count" -> "IsrShrinksPerSec". */
function shortName(key: string): string {
  const [mbean, attribute] = [key.slice(0, key.lastIndexOf(' ')), key.slice(key.lastIndexOf(' ') + 1)];
  const name = /name=([^,]+)/.exec(mbean)?.[1];
  if (name !== undefined) return name;
  const client = /client-id=([^,]+)/.exec(mbean)?.[1];
  return `${client ?? mbean} ${attribute}`;
}

/** The human summary's metrics: what moved after each fault, in Kafka's JMX names. */
function metricsLines(report: MetricsReport): string[] {
  const lines: string[] = [];
  for (const w of report.aroundFaults) {
    const parts = [
      ...Object.entries(w.deltas).map(([k, v]) => `${shortName(k)} ${v > 0 ? '+' : ''}${v}`),
      ...Object.entries(w.gauges).map(([k, g]) => `${shortName(k)} ${g.before}→${g.peak === g.before || g.peak === g.after ? '' : `${g.peak}→`}${g.after}`),
    ];
    if (parts.length === 0) continue;
    lines.push(`  ${chalk.dim(`t=${(w.at / 1000).toFixed(3)}s`)} ${w.label}: ${parts.join(', ')}`);
  }
  return lines.length === 0 ? [] : [chalk.bold('  metrics after each fault (until the next):'), ...lines];
}

/** Seconds, short: "7.1s", "0.35s". */
function seconds(ms: number): string {
  return `${ms >= 1000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2)}s`;
}

/**
 * The human summary's availability: per fault, the partitions it left unable to take writes
 * and for how long (longest first, a few named), and the sends that failed or ended unknown.
 */
export function availabilityLines(report: readonly FaultAvailability[]): string[] {
  const lines: string[] = [];
  for (const w of report) {
    const parts: string[] = [];
    if (w.partitions.length > 0) {
      const longest = [...w.partitions].sort((a, b) => b.ms - a.ms);
      const named = longest.slice(0, 4).map((p) => `${p.partition} ${seconds(p.ms)}${p.open ? ' (still at the end)' : ''} (${p.why})`);
      parts.push(`${w.partitions.length} partition${w.partitions.length === 1 ? '' : 's'} unable to take writes: ${named.join(', ')}${longest.length > 4 ? ` and ${longest.length - 4} more` : ''}`);
    }
    if (w.failedSends > 0 || w.indeterminateSends > 0) parts.push(`${w.failedSends} sends failed, ${w.indeterminateSends} indeterminate`);
    lines.push(`  ${chalk.dim(`t=${(w.at / 1000).toFixed(3)}s`)} ${w.fault}${parts.length === 0 ? '' : `: ${parts.join('; ')}`}`);
    for (const g of w.groups) lines.push(...groupStallLines(g));
  }
  return lines.length === 0
    ? [chalk.green('  availability: every partition could take writes, and every consumer group made progress, throughout')]
    : [chalk.bold('  availability: what each fault left unable to take writes, and which consumer groups it stalled, for how long in all'), ...lines];
}

/** A stalled group: how many partitions, how long, why; then the group as `kafkasim state` shows it when it resumed. */
function groupStallLines(g: GroupStall): string[] {
  const which = g.partitions.length <= 4 ? g.partitions.join(', ') : `${g.partitions.slice(0, 4).join(', ')} and ${g.partitions.length - 4} more`;
  return [
    `    group ${g.group} stalled on ${g.partitions.length} of ${g.of} partitions (${which}), up to ${seconds(g.ms)}${g.open ? ' (still at the end)' : ''}: ${g.why}`,
    chalk.dim(`      ${g.open ? 'at the end' : 'when it resumed'}: ${g.state}`),
  ];
}

/**
 * `run --keep-logs DIR`: every broker's disk as the run left it (what its page cache holds:
 * the files a process reading them would see), under DIR/<broker>/; its log directory, data/,
 * holds the partitions' segments (.log, .index, .timeindex, .txnindex, .snapshot,
 * leader-epoch-checkpoint) and the log directory's checkpoints, in Kafka's own formats, so
 * `kafkasim log dump` (or Kafka's kafka-dump-log.sh) reads them.
 */
function keepLogs(disks: ReadonlyMap<string, Disk>, dir: string): { brokers: number; files: number } {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`--keep-logs: ${dir} is not empty; name a new or empty directory`);
  let files = 0;
  const copy = (disk: Disk, from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const name of disk.list(from)) {
      writeFileSync(join(to, name), disk.readAll(from === '' ? name : `${from}/${name}`));
      files++;
    }
    for (const sub of disk.listDirs(from)) copy(disk, from === '' ? sub : `${from}/${sub}`, join(to, sub));
  };
  for (const [node, disk] of disks) copy(disk, '', join(dir, node));
  return { brokers: disks.size, files };
}
