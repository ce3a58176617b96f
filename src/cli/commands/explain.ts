import chalk from 'chalk';
import { loadScenario } from '../../scenarios/loader.js';
import { runScenario } from '../../scenarios/runner.js';
import { explainViolation, formatTimeline } from '../../scenarios/explain.js';
import { explainMessage, messageWasSent, parseMessageId } from '../../scenarios/explainMessage.js';
import type { RunResult } from '../../scenarios/runner.js';
import type { Scenario } from '../../scenarios/schema.js';
import { withSkippedFaults } from '../../scenarios/skippedFaults.js';
import { UsageError } from '../usageError.js';
import { availabilityLines, parseSeedOption, resolveScenario, skippedFaultLines } from './run.js';
import { explainCleanRun, type AppliedFault } from '../../scenarios/explainClean.js';

export interface ExplainCliOptions {
  readonly seed?: string;
  readonly violation?: string;
  /** A message id (p1#3585): its life instead of a violation's chain. */
  readonly message?: string;
  readonly json?: boolean;
}

/** `kafkasim explain <scenario> --seed N`: a violation's causal chain, narrated. */
export function explainCommand(nameOrPath: string, opts: ExplainCliOptions, out: (line: string) => void): number {
  const scenario = loadScenario(resolveScenario(nameOrPath));
  if (opts.message !== undefined && parseMessageId(opts.message) === undefined) throw new UsageError(`--message: "${opts.message}" is not a message id (a producer and its send's number, such as p1#3585)`);
  const r = runScenario(scenario, { seed: parseSeedOption(opts.seed), keepTrace: true });
  if (opts.message !== undefined) return explainOneMessage(scenario, r, opts.message, opts.json === true, out);
  const index = opts.violation === undefined ? 0 : Number(opts.violation) - 1;
  if (r.violations.length > 0 && (!Number.isInteger(index) || index < 0 || index >= r.violations.length)) {
    throw new UsageError(`--violation must be between 1 and ${r.violations.length}, got "${opts.violation}"`);
  }
  const violation = r.violations[index];
  // The faults that did nothing are told at their instants: a story without them would be told as if they happened.
  const timeline = violation === undefined ? [] : withSkippedFaults(explainViolation(r.simulation.memory?.records ?? [], violation), r.skippedFaults);
  if (opts.json) {
    const clean = violation === undefined ? { why: explainCleanRun(scenario, faultsOf(r)), availability: r.stats.availability } : {};
    out(JSON.stringify({ scenario: r.scenario, seed: r.seed, release: scenario.cluster.version, violation: violation ?? null, timeline, skippedFaults: r.skippedFaults, ...clean }));
    return 0;
  }
  out(chalk.bold(`${r.scenario} (seed ${r.seed}, Kafka ${scenario.cluster.version})`));
  if (violation === undefined) {
    out(chalk.green('  no violations; why nothing went wrong:'));
    for (const line of explainCleanRun(scenario, faultsOf(r))) out(`  ${line}`);
    for (const line of availabilityLines(r.stats.availability)) out(line);
    for (const line of skippedFaultLines(r.skippedFaults)) out(line);
    return 0;
  }
  for (const line of formatTimeline(timeline)) out(line.startsWith('→') ? chalk.red(line) : `  ${line}`);
  if (r.violations.length > 1) {
    out(chalk.dim(`\n${r.violations.length} violations in this run; explain another with --violation N:`));
    r.violations.forEach((v, i) => out(chalk.dim(`  ${i + 1}. ${v.kind}: ${v.message.length > 100 ? `${v.message.slice(0, 100)}…` : v.message}`)));
  }
  return 0;
}

/** `explain --message p1#3585`: one message's life, from its send to where it ended. */
function explainOneMessage(scenario: Scenario, r: RunResult, id: string, json: boolean, out: (line: string) => void): number {
  const records = r.simulation.memory?.records ?? [];
  if (!messageWasSent(records, id)) {
    const producers = scenario.clients.filter((c) => c.type === 'producer').map((c) => c.id);
    throw new UsageError(`--message: the run sent no message ${id} (its producers: ${producers.join(', ') || 'none'}; ids are <producer>#<n>, from #0)`);
  }
  const timeline = explainMessage(records, id, r.state);
  if (json) {
    out(JSON.stringify({ scenario: r.scenario, seed: r.seed, release: scenario.cluster.version, message: id, timeline }));
    return 0;
  }
  out(chalk.bold(`${r.scenario} (seed ${r.seed}, Kafka ${scenario.cluster.version}): the life of ${id}`));
  for (const line of formatTimeline(timeline)) out(line.startsWith('→') ? chalk.bold(line) : `  ${line}`);
  return 0;
}

/** The faults the run applied, as the summary labels them (the metrics windows after the first). */
function faultsOf(r: RunResult): AppliedFault[] {
  return r.stats.metrics.aroundFaults.slice(1).map((w) => ({ at: w.at, label: w.label }));
}
