import { isValidatedScenario, scenarioFromObject } from './loader.js';
import { runScenario, type RunResult } from './runner.js';
import type { Scenario, ScenarioInput } from './schema.js';

export interface SimulateOptions {
  /** Default: the scenario's own seed. */
  readonly seed?: number;
  /** 'memory' keeps every trace record (result.simulation.memory.records); default 'none', fingerprint only. */
  readonly trace?: 'none' | 'memory';
  /** The TLA+ invariants checked at every replication event; default on. */
  readonly onlineChecks?: boolean;
  /** Run only these post-run checkers; default: the scenario's `checks`, or all. */
  readonly checks?: readonly string[];
}

/**
 * Runs a scenario once, deterministically: the library's entry point. `scenario` is either
 * what loadScenario/parseScenario return, or a plain object shaped like a scenario file
 * (durations as "10s", rates as "1000/s"), which is validated first; a bad one throws a
 * ScenarioError that names the field.
 */
export function simulate(scenario: Scenario | ScenarioInput | Record<string, unknown>, options: SimulateOptions = {}): RunResult {
  // What loadScenario/parseScenario returned runs as it is; anything else is validated first, so
  // that a bad object (one with a number for its duration, or no object at all) throws a
  // ScenarioError naming the field instead of failing inside the run.
  const validated = isValidatedScenario(scenario) ? scenario : scenarioFromObject(scenario, 'scenario');
  return runScenario(validated, { seed: options.seed, keepTrace: options.trace === 'memory', onlineChecks: options.onlineChecks, checks: options.checks });
}
