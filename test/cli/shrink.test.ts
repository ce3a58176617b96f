import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cli, repoRoot } from '../helpers/cli.js';

describe('kafkasim shrink', () => {
  it('shrinks a known failing seed (KIP-101, 24 faults) to at most 3 faults, and the result replays to the same violation', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kafkasim-shrink-')), 'minimal.yaml');
    const r = cli('shrink', 'kip101-hw-truncation', '--seed', '1', '--out', out, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { kind: string; before: { faults: number; messages: number }; after: { faults: number; messages: number } };
    expect(report.kind).toBe('lost-write');
    expect(report.before.faults).toBeGreaterThan(10);
    expect(report.after.faults).toBeLessThanOrEqual(3);
    expect(report.after.messages).toBeLessThan(report.before.messages);
    const minimal = parse(readFileSync(out, 'utf8')) as { nemesis?: unknown; faults: unknown[]; expect: unknown };
    expect(minimal.nemesis).toBeUndefined(); // the nemesis became explicit faults
    expect(minimal.faults.length).toBe(report.after.faults);
    const replay = cli('run', out, '--json');
    expect(replay.code).toBe(0); // its expect is the violation kind
    expect((JSON.parse(replay.stdout) as { violations: { kind: string }[] }).violations.map((v) => v.kind)).toContain('lost-write');
  });

  it('points to the seeds that do show a kind when --kind names one the seed does not', () => {
    const lossy = join(repoRoot, 'test/fixtures/tiny-lossy.yaml');
    const r = cli('shrink', lossy, '--seed', '2', '--kind', 'lost-write');
    expect(r.code).toBe(2);
    // Seed 2 of tiny-lossy loses nothing; seeds 3, 4 and 7 lose acknowledged writes. (Re-pinned
    // for the 3-controller default and its faster start-up, which moved which seeds lose: seed 1
    // now does, so the seed that does not is 2; the hint was seeds 3, 11.)
    expect(r.stderr).toContain(`seed 2 does not find lost-write in ${lossy}; seeds 4, 7, 9 do: kafkasim shrink ${lossy} --seed 4 --kind lost-write`);
  });

  it('exits 2 when the seed finds nothing to shrink', () => {
    const r = cli('shrink', 'acks-all-leader-failover');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('finds no violation');
  });
});
