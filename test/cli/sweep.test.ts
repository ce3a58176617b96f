import { describe, expect, it } from 'vitest';
import { DEEP } from '../helpers/deep.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, inProcess, sweepInProcess } from '../helpers/cli.js';
import { mergeCommand, sweepCommand } from '../../src/cli/commands/sweep.js';
import { SweepInputError } from '../../src/scenarios/sweep.js';
import { UsageError } from '../../src/cli/usageError.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const lossy = `${fixtures}tiny-lossy.yaml`;
const mergeInProcess = (files: readonly string[]): { code: number; stdout: string } => inProcess((out) => mergeCommand(files, { json: true }, out));
const json = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() as string) as { scenario: string; seeds: number; workers: number; violations: Record<string, { count: number; firstSeed: number; seeds: number[] }>; ran: string; expectMet?: string };

describe('kafkasim sweep', () => {
  const one = cli('sweep', lossy, '--seeds', '1..12', '--workers', '1', '--json');
  const two = cli('sweep', lossy, '--seeds', '1..12', '--workers', '2', '--json');

  it('finds the same violations in the same seeds whatever the number of workers', () => {
    expect(one.code).toBe(0); // the scenario expects lost-write, and some seed found it
    const [a, b] = [json(one.stdout), json(two.stdout)];
    expect(a.violations['lost-write'].count).toBeGreaterThan(0);
    expect(a.violations['lost-write'].count).toBeLessThan(12);
    expect(b.violations).toEqual(a.violations);
    expect([a.seeds, a.ran, a.workers, b.workers]).toEqual([12, '1..12', 1, 2]);
  });

  it('splits into shards that merge back into the whole sweep, for 1, 2, 3 and 7 shards, with the sweep\'s exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkasim-shards-'));
    const whole = json(two.stdout);
    // 7 shards by default (an uneven split: shards of two seeds and of one); 1, 2 (an even split)
    // and 3 more under KAFKASIM_DEEP. The first shard of each split goes through the CLI (the
    // --shard flag as a user types it), the others through the compiled command in this process.
    for (const n of DEEP ? [1, 2, 3, 7] : [7]) {
      const files: string[] = [];
      for (let i = 0; i < n; i++) {
        const shard = `${i + 1}/${n}`;
        const r = i === 0 ? cli('sweep', lossy, '--seeds', '1..12', '--shard', shard, '--workers', '1', '--json') : await sweepInProcess(lossy, { seeds: '1..12', shard, workers: '1', json: true });
        const file = join(dir, `shard-${n}-${i + 1}.json`);
        writeFileSync(file, r.stdout);
        files.push(file);
      }
      const merged = n === 7 ? cli('merge', ...files, '--json') : mergeInProcess(files);
      expect(json(merged.stdout)).toMatchObject({ scenario: 'tiny-lossy', seeds: 12, ran: '1..12', violations: whole.violations, workers: n, expect: ['lost-write'], expectMet: whole.expectMet });
      // The scenario expects lost-write and some seed found it: the merge agrees, as the sweep does (exit 0).
      expect([merged.code, two.code]).toEqual([0, 0]);
    }
    const overlap = cli('merge', join(dir, 'shard-7-1.json'), join(dir, 'shard-7-1.json'));
    expect(overlap.code).toBe(2);
    expect(overlap.stderr).toMatch(/appears in two results/);
  });

  it('with --stop-on-first, stops at the first violating seed, the same with any number of workers', async () => {
    const first = json(one.stdout).violations['lost-write'].firstSeed;
    for (const workers of ['1', '2']) {
      const r = json(workers === '1' ? cli('sweep', lossy, '--seeds', '1..12', '--stop-on-first', '--workers', workers, '--json').stdout : (await sweepInProcess(lossy, { seeds: '1..12', stopOnFirst: true, workers, json: true })).stdout);
      expect(r.ran).toBe(first === 1 ? '1' : `1..${first}`);
      expect(r.violations['lost-write']).toEqual({ count: 1, firstSeed: first, seeds: [first] });
    }
  });

  it('prints a table of kinds, first seeds and a replay command, and progress lines on stderr when it is not a terminal, none with --quiet', () => {
    const r = cli('sweep', lossy, '--seeds', '1..6', '--workers', '2');
    expect(r.stdout).toMatch(/tiny-lossy: 6 seeds with 2 workers/);
    // No bar drawn with carriage returns: one line at each tenth of the seeds, the last at 6/6.
    expect(r.stderr).not.toContain('\r');
    const lines = r.stderr.trim().split('\n');
    expect(lines.every((l) => /^sweep: \d\/6 seeds, \d violating, [\d.]+ seeds\/s, ETA \d+s$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^sweep: 6\/6 seeds/);
    if (r.stdout.includes('lost-write')) expect(r.stdout).toContain(`replay one: kafkasim run ${lossy} --seed`);
    const quiet = cli('sweep', lossy, '--seeds', '1..2', '--workers', '1', '--quiet');
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/tiny-lossy: 2 seeds with 1 worker/);
  });

  it('exits 1 when a scenario that expects no violation finds one, and 2 on bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkasim-sweep-'));
    const strict = join(dir, 'strict.yaml');
    writeFileSync(strict, readFileSync(lossy, 'utf8').replace('expect: { violations: [lost-write] }', 'expect: { violations: none }'));
    // Seeds 1 and 4 lose writes (tiny-lossy's first violating seeds), so four seeds are enough to find one.
    expect(cli('sweep', strict, '--seeds', '1..4', '--workers', '1', '--json').code).toBe(1);
    const bad = cli('sweep', lossy, '--seeds', '9..1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--seeds: range 9..1 runs backwards');
    // The other bad inputs are refused before any worker starts, with the errors the CLI turns into exit 2 (as above).
    await expect(sweepCommand(lossy, { shard: '3/2' }, () => undefined)).rejects.toThrow(SweepInputError);
    await expect(sweepCommand(lossy, { workers: '0' }, () => undefined)).rejects.toThrow(UsageError);
  });
});
