import { KAFKA_RELEASES, type KafkaRelease } from '../nodes/config/releases.js';
import { ScenarioError, scenarioFromObject } from './loader.js';
import { runScenario } from './runner.js';
import type { Scenario } from './schema.js';

/**
 * `kafkasim versions`: one scenario under every modelled Kafka release. Releases that give the
 * scenario the same settings run once, as one row (every release-dependent behaviour is a
 * setting, src/nodes/config, so equal settings mean an equal run).
 */
export interface VersionsRow {
  /** The releases this row stands for, oldest first (consecutive in the list asked for). */
  readonly releases: readonly KafkaRelease[];
  /** Why the scenario cannot run on these releases (a feature they lack), if it cannot. */
  readonly invalid?: string;
  /** Per violation kind: how many seeds showed it, and the first that did. */
  readonly kinds: Readonly<Record<string, { readonly seeds: number; readonly first: number }>>;
  /** Seeds run, and how many met the scenario's expectation. */
  readonly runs: number;
  readonly expectMet: number;
}

export interface VersionsMatrix {
  readonly scenario: string;
  readonly seeds: readonly number[];
  readonly rows: readonly VersionsRow[];
  /** Every violation kind any row showed, in order of first appearance. */
  readonly kinds: readonly string[];
}

/** The scenario as written (`raw`, a plain object) at `release`, or why it cannot be. */
function atRelease(raw: Record<string, unknown>, release: KafkaRelease): Scenario | string {
  const cluster = typeof raw.cluster === 'object' && raw.cluster !== null ? raw.cluster : {};
  try {
    return scenarioFromObject({ ...raw, cluster: { ...cluster, version: release } }, `cluster.version ${release}`);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  }
}

/** What decides a run: the scenario with its release left out. */
function runKey(s: Scenario | string): string {
  return typeof s === 'string' ? `invalid:${s}` : JSON.stringify({ ...s, cluster: { ...s.cluster, version: undefined } });
}

/** Runs `raw` under each of `releases` for each seed; `onRun` hears of each run as it ends. */
export function versionsMatrix(raw: Record<string, unknown>, seeds: readonly number[], releases: readonly KafkaRelease[] = KAFKA_RELEASES, onRun?: (release: KafkaRelease, seed: number) => void): VersionsMatrix {
  const groups: { releases: KafkaRelease[]; key: string; scenario: Scenario | string }[] = [];
  for (const release of releases) {
    const scenario = atRelease(raw, release);
    const key = runKey(scenario);
    const last = groups.at(-1);
    if (last?.key === key) last.releases.push(release);
    else groups.push({ releases: [release], key, scenario });
  }
  const kinds: string[] = [];
  const rows = groups.map((g): VersionsRow => {
    if (typeof g.scenario === 'string') return { releases: g.releases, invalid: g.scenario, kinds: {}, runs: 0, expectMet: 0 };
    return runRow(g.scenario, g.releases, seeds, kinds, onRun);
  });
  return { scenario: typeof raw.name === 'string' ? raw.name : 'scenario', seeds, rows, kinds };
}

function runRow(scenario: Scenario, releases: KafkaRelease[], seeds: readonly number[], kinds: string[], onRun?: (release: KafkaRelease, seed: number) => void): VersionsRow {
  const found: Record<string, { seeds: number; first: number }> = {};
  let expectMet = 0;
  for (const seed of seeds) {
    const result = runScenario(scenario, { seed });
    onRun?.(releases[0], seed);
    if (result.expectMet) expectMet++;
    for (const kind of new Set(result.violations.map((v) => v.kind))) {
      if (!kinds.includes(kind)) kinds.push(kind);
      const f = found[kind];
      found[kind] = f === undefined ? { seeds: 1, first: seed } : { seeds: f.seeds + 1, first: f.first };
    }
  }
  return { releases, kinds: found, runs: seeds.length, expectMet };
}

/** "2.0-2.4", or "3.6" for one release. */
export function releaseRange(releases: readonly KafkaRelease[]): string {
  return releases.length === 1 ? releases[0] : `${releases[0]}-${releases[releases.length - 1]}`;
}
