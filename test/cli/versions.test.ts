import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { versionsMatrix } from '../../src/scenarios/versions.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { LIBRARY_DIR } from '../../src/scenarios/library.js';
import type { KafkaRelease } from '../../src/nodes/config/releases.js';

const DEEP = process.env.KAFKASIM_DEEP !== undefined;

interface Row {
  readonly releases: readonly string[];
  readonly invalid?: string;
  readonly kinds: Record<string, { seeds: number; first: number }>;
  readonly runs: number;
}

const lesson = (name: string): Record<string, unknown> => parse(readFileSync(`${LIBRARY_DIR}${name}.yaml`, 'utf8')) as Record<string, unknown>;

describe('kafkasim versions', () => {
  it('shows the release that fixed a lesson: KIP-101 ends the high-watermark truncation losses in 0.11', () => {
    const r = cli('versions', 'kip101-hw-truncation', '--releases', '0.10,0.11', '--seeds', '1', '--json');
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows;
    expect(rows.map((row) => row.releases)).toEqual([['0.10'], ['0.11']]);
    expect(rows[0].kinds['lost-write']).toEqual({ seeds: 1, first: 1 });
    expect(rows[1].kinds).toEqual({});
  });

  it('prints a matrix of release ranges by violation kind', () => {
    const r = cli('versions', 'kip101-hw-truncation', '--releases', '0.10,2.5,2.6', '--seeds', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/release\s+lost-write/);
    expect(r.stdout).toMatch(/\n0\.10\s+1\/1 \(seed 1\)/);
    // 2.5 and 2.6 give this scenario the same settings: one row, run once.
    expect(r.stdout).toMatch(/\n2\.5-2\.6\s+-/);
  });

  it('names a release a scenario cannot run on, and why', () => {
    const m = versionsMatrix(lesson('unknown-producer-id'), [1], ['0.10']);
    expect(m.rows[0].invalid).toMatch(/the idempotent producer \(KIP-98\) arrived in Kafka 0\.11/);
    expect(m.rows[0].runs).toBe(0);
  });

  it('rejects an unknown release with exit 2, naming the known ones', () => {
    const r = cli('versions', 'kip101-hw-truncation', '--releases', '0.9');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--releases: unknown Kafka release 0\.9; known releases: 0\.10, 0\.11/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  // Each lesson pinned to the last release without a fix shows its violation there, and not on the
  // release that brought the fix (docs/lessons.md): the "fix landing between two releases".
  const FIXES: readonly [string, KafkaRelease, KafkaRelease, string][] = [
    ['kip101-hw-truncation', '0.10', '0.11', 'lost-write'],
    ['kip279-fast-failovers', '1.1', '2.0', 'divergence'],
    ['consumer-offset-expiry', '2.0', '2.1', 'skipped'],
    ['unknown-producer-id', '2.3', '2.5', 'duplicate'],
    ['eos-kip890-off', '3.5', '3.6', 'exactly-once'],
    ['eos-late-endtxn', '3.9', '4.0', 'exactly-once'],
  ];
  it.runIf(DEEP).each(FIXES)('%s: %s shows it, %s does not (%s)', (name, before, after, kind) => {
    const own = lesson(name).seed as number;
    const m = versionsMatrix(lesson(name), [own], [before, after]);
    expect(m.rows.map((r) => r.releases)).toEqual([[before], [after]]);
    expect(m.rows[0].kinds[kind]?.seeds).toBe(1);
    expect(m.rows[1].kinds[kind]).toBeUndefined();
  });
});
