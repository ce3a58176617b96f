import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, inProcess, sweepInProcess } from '../helpers/cli.js';
import { runCommand, type RunCliOptions } from '../../src/cli/commands/run.js';
import { explainCommand, type ExplainCliOptions } from '../../src/cli/commands/explain.js';
import { UsageError } from '../../src/cli/usageError.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
// A restart of broker-2 while it runs, and a crash of leader(orders-0) while the controller is down.
const skipping = `${fixtures}skipped-faults.yaml`;
const clean = `${fixtures}tiny-scenario.yaml`;
const last = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;

// `kafkasim run` and `explain` are spawned once each (the JSON lists; the usage error); the
// other cases call the functions the CLI calls, in this process: their exit code and stdout.
const run = (file: string, opts: RunCliOptions = {}): { code: number; stdout: string } => inProcess((out) => runCommand(file, opts, out));
const explain = (file: string, opts: ExplainCliOptions = {}): { code: number; stdout: string } => inProcess((out) => explainCommand(file, opts, out));

const EXPECTED = [
  { index: 1, at: 3000, action: 'crash', target: 'leader(orders-0)', reason: 'resolved to no node: the controller was down, so no leader was known', nemesis: false },
  { index: 3, at: 5000, action: 'restart', target: 'broker-2', reason: 'broker-2 was running', nemesis: false },
];

describe('faults that did nothing', () => {
  it('run --json lists each with its index, time, action, target and reason', () => {
    const r = cli('run', skipping, '--json');
    expect(r.code).toBe(0);
    expect(last(r.stdout).skippedFaults).toEqual(EXPECTED);
  });

  it("run's summary says which faults did nothing, next to its verdict", () => {
    const r = run(skipping);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 faults did nothing:');
    expect(r.stdout).toContain('faults[1] at 3.000s crash leader(orders-0): resolved to no node: the controller was down, so no leader was known');
    expect(r.stdout).toContain('faults[3] at 5.000s restart broker-2: broker-2 was running');
  });

  it('with --strict-faults, a fault of the scenario that did nothing is a usage error naming it', () => {
    const r = cli('run', skipping, '--strict-faults');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--strict-faults: 2 of the scenario's faults did nothing/);
    expect(r.stderr).toContain('faults[1] at 3.000s crash leader(orders-0): resolved to no node: the controller was down');
    expect(r.stderr).toContain('faults[3] at 5.000s restart broker-2: broker-2 was running');
    expect(() => run(skipping, { strictFaults: true })).toThrow(UsageError);
  });

  it('a scenario whose faults all fire lists none, and --strict-faults changes nothing', () => {
    const plain = run(clean, { json: true });
    const strict = run(clean, { json: true, strictFaults: true });
    expect(last(plain.stdout).skippedFaults).toEqual([]);
    expect(strict.code).toBe(plain.code);
    expect(last(strict.stdout).fingerprint).toBe(last(plain.stdout).fingerprint);
    expect(run(clean).stdout).not.toContain('did nothing');
  });

  it('sweep counts them per seed, in its JSON and its summary', async () => {
    const json = cli('sweep', skipping, '--seeds', '1..3', '--workers', '1', '--json');
    expect(json.code).toBe(0);
    expect(last(json.stdout).skippedFaults).toEqual({ '1': 2, '2': 2, '3': 2 });
    const human = await sweepInProcess(skipping, { seeds: '1..2', workers: '1' });
    expect(human.stdout).toContain('faults that did nothing: 4 in 2 seeds (seed 1: 2, seed 2: 2)');
    expect(last((await sweepInProcess(clean, { seeds: '1..2', workers: '1', json: true })).stdout).skippedFaults).toEqual({});
  });

  it('explain and report tell them', () => {
    const told = cli('explain', skipping);
    expect(told.code).toBe(0);
    expect(told.stdout).toContain('faults[3] at 5.000s restart broker-2: broker-2 was running');
    expect(last(explain(skipping, { json: true }).stdout).skippedFaults).toEqual(EXPECTED);
    const out = join(mkdtempSync(join(tmpdir(), 'kafkasim-skipped-')), 'r.html');
    const report = cli('report', skipping, '--out', out);
    expect(report.stdout).toContain('2 faults that did nothing');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Faults that did nothing');
    expect(html).toContain('faults[1] at 3.000s crash leader(orders-0): resolved to no node');
  });
});
