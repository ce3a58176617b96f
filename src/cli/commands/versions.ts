import { readFileSync } from 'node:fs';
import chalk from 'chalk';
import { isKafkaRelease, KAFKA_RELEASES, type KafkaRelease } from '../../nodes/config/releases.js';
import { parseScenarioDocument } from '../../scenarios/loader.js';
import { parseSeeds } from '../../scenarios/sweep.js';
import { releaseRange, versionsMatrix, type VersionsMatrix } from '../../scenarios/versions.js';
import { UsageError } from '../usageError.js';
import { resolveScenario } from './run.js';

export interface VersionsCliOptions {
  readonly seeds?: string;
  readonly releases?: string;
  readonly json?: boolean;
}

/** The --releases option: release lines separated by commas, or every modelled one. */
function parseReleases(text: string | undefined): KafkaRelease[] {
  if (text === undefined) return [...KAFKA_RELEASES];
  const out = text.split(',').map((r) => r.trim());
  const unknown = out.filter((r) => !isKafkaRelease(r));
  if (unknown.length > 0) throw new UsageError(`--releases: unknown Kafka release ${unknown.join(', ')}; known releases: ${KAFKA_RELEASES.join(', ')}`);
  return KAFKA_RELEASES.filter((r) => out.includes(r));
}

/**
 * `kafkasim versions <scenario>`: the scenario under every modelled Kafka release, as a
 * matrix of release × violation kind with the first seed that shows each. Exit 0.
 */
export function versionsCommand(nameOrPath: string, opts: VersionsCliOptions, out: (line: string) => void, progress?: (line: string) => void): number {
  const path = resolveScenario(nameOrPath);
  const { raw } = parseScenarioDocument(readFileSync(path, 'utf8'), path);
  const seeds = parseSeeds(opts.seeds ?? '1..3');
  const releases = parseReleases(opts.releases);
  const matrix = versionsMatrix(raw as Record<string, unknown>, seeds, releases, (release, seed) => progress?.(`  ${release} seed ${seed}`));
  if (opts.json) out(JSON.stringify(matrix));
  else for (const line of matrixLines(matrix)) out(line);
  return 0;
}

/** The matrix as a table: a row per group of releases, a column per violation kind. */
export function matrixLines(m: VersionsMatrix): string[] {
  const seedText = m.seeds.length === 1 ? `seed ${m.seeds[0]}` : `${m.seeds.length} seeds from ${m.seeds[0]}`;
  const header = ['release', ...m.kinds, 'expect met'];
  const runnable = m.rows.filter((r) => r.invalid === undefined);
  const cells = runnable.map((r) => [releaseRange(r.releases), ...m.kinds.map((k) => kindCell(r.kinds[k], r.runs)), `${r.expectMet}/${r.runs}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...m.rows.map((r) => releaseRange(r.releases).length), ...cells.map((c) => c[i].length)));
  const line = (cols: readonly string[]): string => cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const lines = [chalk.bold(`${m.scenario} under each Kafka release, ${seedText} (a cell: seeds that show the kind / seeds run, and the first)`), line(header)];
  for (const r of m.rows) {
    if (r.invalid !== undefined) lines.push(`${releaseRange(r.releases).padEnd(widths[0])}  cannot run: ${r.invalid}`);
    else lines.push(line(cells[runnable.indexOf(r)]));
  }
  if (m.kinds.length === 0) lines.push(chalk.green('no violations on any release'));
  return lines;
}

function kindCell(found: { readonly seeds: number; readonly first: number } | undefined, runs: number): string {
  return found === undefined ? '-' : `${found.seeds}/${runs} (seed ${found.first})`;
}
