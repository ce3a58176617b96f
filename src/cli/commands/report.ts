import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import chalk from 'chalk';
import { loadScenario } from '../../scenarios/loader.js';
import { runScenario } from '../../scenarios/runner.js';
import { renderReport, reportInput } from '../../scenarios/report.js';
import { UsageError } from '../usageError.js';
import { parseSeedOption, resolveScenario } from './run.js';

export interface ReportCliOptions {
  readonly seed?: string;
  readonly out?: string;
}

/** `kafkasim report <scenario> --seed N --out reports/NAME.html`. */
export function reportCommand(nameOrPath: string, opts: ReportCliOptions, out: (line: string) => void): number {
  const scenario = loadScenario(resolveScenario(nameOrPath));
  const r = runScenario(scenario, { seed: parseSeedOption(opts.seed), keepTrace: true });
  const html = renderReport(reportInput(scenario, r, nameOrPath));
  const path = opts.out ?? `reports/${r.scenario}-seed${r.seed}.html`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  } catch (err) {
    throw new UsageError(`--out ${path}: ${(err as Error).message}`);
  }
  const skipped = r.skippedFaults.length === 0 ? '' : `, ${r.skippedFaults.length} fault${r.skippedFaults.length === 1 ? '' : 's'} that did nothing`;
  out(`${chalk.bold(r.scenario)} (seed ${r.seed}): ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'}${skipped}; report written to ${path}`);
  return 0;
}
