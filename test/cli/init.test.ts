import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cli } from '../helpers/cli.js';
import { scenarioJsonSchema } from '../../src/scenarios/schema.js';
import { parseScenario } from '../../src/scenarios/loader.js';

describe('kafkasim init', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafkasim-init-'));
  const file = join(dir, 'my.yaml');

  it('writes the starter scenario of issue 25: 3 brokers, orders 12 x 3, an idempotent producer, a group of 4, a rolling restart and a partition', () => {
    const w = cli('init', '--out', file);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain(`kafkasim run ${file}`);
    const s = parseScenario(readFileSync(file, 'utf8'), file);
    expect(s.cluster.brokers).toBe(3);
    expect(s.topics).toEqual([expect.objectContaining({ name: 'orders', partitions: 12, 'replication.factor': 3 })]);
    const [p, c] = s.clients;
    expect(p).toMatchObject({ type: 'producer', config: { acks: 'all', 'enable.idempotence': true, 'linger.ms': 20 } });
    expect(c).toMatchObject({ type: 'consumer', instances: 4, config: { 'enable.auto.commit': true, 'auto.offset.reset': 'earliest' } });
    expect(s.faults.map((f) => f.action)).toEqual(['shutdown', 'restart', 'shutdown', 'restart', 'shutdown', 'restart', 'partition', 'heal']);
    // That it runs clean (exit 0, no violation, no warning, every record read) is the end of test/cli/newUser.test.ts.
  });

  it("points editors at the package's schema file, which is what kafkasim schema prints", () => {
    const first = readFileSync(file, 'utf8').split('\n')[0];
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(m).not.toBeNull();
    const schemaFile = resolve(dirname(file), m?.[1] ?? '');
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(scenarioJsonSchema());
  });

  it('refuses to overwrite an existing file, with exit 2 and no stack trace', () => {
    writeFileSync(file, 'mine\n');
    const r = cli('init', '--out', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} already exists: kafkasim init does not overwrite a file`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });
});
