import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cli, repoRoot as root } from '../helpers/cli.js';

describe('kafkasim CLI', () => {
  it('prints its version and help', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    expect(cli('--version')).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: kafkasim');
  });

  it('exits 2 on a usage error', () => {
    const r = cli('no-such-command');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'no-such-command'");
  });

  it('runs the demo, a lesson that loses writes beside its fixed twin, the same way twice', () => {
    const a = cli('demo');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/acks1-leader-failover[\s\S]*✗ lost-write[\s\S]*acks-all-leader-failover[\s\S]*✓ no violations/);
    expect(a.stdout).toMatch(/fingerprints [0-9a-f]{16} and [0-9a-f]{16}/);
    expect(cli('demo').stdout).toBe(a.stdout);
  });

  it('lists the library with one lesson per scenario', () => {
    const r = cli('list', '--json');
    expect(r.code).toBe(0);
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; lesson: string; expects: string[] | 'none' });
    expect(entries.length).toBeGreaterThanOrEqual(15);
    expect(entries.find((e) => e.name === 'acks1-leader-failover')).toMatchObject({ expects: ['lost-write'] });
    for (const e of entries) expect(e.lesson).toMatch(/\.$/);
  });
});

describe('kafkasim schema', () => {
  it('prints the JSON Schema of scenario files', () => {
    const r = cli('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    expect(schema.properties).toHaveProperty('cluster');
    expect(schema.properties).toHaveProperty('faults');
  });
});
