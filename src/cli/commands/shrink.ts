import { readFileSync, writeFileSync } from 'node:fs';
import chalk from 'chalk';
import { stringify } from 'yaml';
import { parseScenarioDocument, ScenarioError } from '../../scenarios/loader.js';
import { shrinkScenario, type RawScenario, type ShrinkSize } from '../../scenarios/shrink.js';
import { UsageError } from '../usageError.js';
import { parseSeedOption, resolveScenario } from './run.js';

export interface ShrinkCliOptions {
  readonly seed?: string;
  readonly out?: string;
  readonly kind?: string;
  readonly json?: boolean;
}

/** `kafkasim shrink <scenario> --seed N [--out minimal.yaml]`. */
export function shrinkCommand(nameOrPath: string, opts: ShrinkCliOptions, out: (line: string) => void): number {
  const path = resolveScenario(nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ScenarioError(path, [{ path: '', message: 'cannot read this file' }]);
  }
  const { raw, scenario } = parseScenarioDocument(text, path);
  const seed = parseSeedOption(opts.seed) ?? scenario.seed;
  const steps: string[] = [];
  const result = shrinkScenario(raw as RawScenario, path, { seed, kind: opts.kind, onStep: (s) => steps.push(s) });
  const yaml = stringify(result.raw, { lineWidth: 0 });
  if (opts.out !== undefined) {
    try {
      writeFileSync(opts.out, yaml);
    } catch (err) {
      throw new UsageError(`--out ${opts.out}: ${(err as Error).message}`);
    }
  }
  if (opts.json) {
    out(JSON.stringify({ scenario: scenario.name, seed, kind: result.kind, before: result.before, after: result.after, runs: result.runs, out: opts.out ?? null, minimal: result.raw }));
    return 0;
  }
  out(chalk.bold(`${scenario.name} (seed ${seed}): shrunk while it still finds ${result.kind}, in ${result.runs} runs`));
  for (const line of sizeLines(result.before, result.after)) out(`  ${line}`);
  if (opts.out === undefined) {
    out('');
    out(yaml.trimEnd());
  } else out(`  written to ${opts.out}; replay it: kafkasim run ${opts.out}`);
  return 0;
}

function sizeLines(before: ShrinkSize, after: ShrinkSize): string[] {
  const row = (what: string, a: number, b: number): string => `${what.padEnd(11)} ${String(a).padStart(8)} -> ${b}`;
  return [
    row('faults', before.faults, after.faults),
    row('messages', before.messages, after.messages),
    row('duration s', before.durationMs / 1000, after.durationMs / 1000),
    row('clients', before.clients, after.clients),
    row('partitions', before.partitions, after.partitions),
    row('brokers', before.brokers, after.brokers),
  ];
}
