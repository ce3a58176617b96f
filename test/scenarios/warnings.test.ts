import { describe, expect, it } from 'vitest';
import { parseScenario, warningsOf } from '../../src/scenarios/loader.js';
import { libraryEntries } from '../../src/scenarios/library.js';
import { cli } from '../helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A producer and a group of two; `consumer` is spliced into the consumer's flow mapping, `faults` appended. */
function scenario(consumer: string, faults = '', producerStart = '1s'): string {
  return `
name: trap
duration: 20s
drain: 10s
cluster: { brokers: 3, config: { offsets.topic.num.partitions: 3 } }
topics: [{ name: orders, partitions: 2, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 50/s, start: ${producerStart}, stop: 15s } }
  - { id: billing, type: consumer, group: billing, topics: [orders], instances: 2${consumer} }
${faults === '' ? '' : `faults:\n${faults}`}
`;
}

const warnings = (text: string): string[] => warningsOf(parseScenario(text, 'trap.yaml')).map((w) => `${w.line ?? '?'}: ${w.path}: ${w.message}`);

describe('trap warnings', () => {
  it('flags a latest group that gets its partitions after its producer started writing', () => {
    expect(warnings(scenario(''))).toEqual([
      expect.stringMatching(/^9: clients\[1\]\.config\["auto\.offset\.reset"\]: group billing starts at 0s with auto\.offset\.reset latest, and p1 writes to orders from 1s: .*never read and are reported as unseen\. Set auto\.offset\.reset: earliest/),
    ]);
    expect(warnings(scenario(', config: { auto.offset.reset: earliest }'))).toEqual([]);
    // A producer that starts once the group has its partitions: nothing is skipped.
    expect(warnings(scenario('', '', '12s'))).toEqual([]);
  });

  it('flags enable.auto.commit false with the auto-commit mode, which never commits', () => {
    expect(warnings(scenario(', config: { auto.offset.reset: earliest, enable.auto.commit: false }, processing: { mode: auto-commit }'))).toEqual([
      expect.stringMatching(/^9: clients\[1\]\.config\["enable\.auto\.commit"\]: billing has enable\.auto\.commit false with processing mode auto-commit: nothing ever commits its offsets/),
    ]);
  });

  it('flags enable.auto.commit true with a mode that commits by hand', () => {
    expect(warnings(scenario(', config: { auto.offset.reset: earliest, enable.auto.commit: true }, processing: { mode: commit-after-process }'))).toEqual([
      expect.stringMatching(/^9: clients\[1\]\.config\["enable\.auto\.commit"\]: billing has enable\.auto\.commit true with processing mode commit-after-process: .*Set enable\.auto\.commit: false/),
    ]);
    expect(warnings(scenario(', config: { auto.offset.reset: earliest }, processing: { mode: commit-after-process }'))).toEqual([]);
  });

  it('flags a member fault that leaves less time than session.timeout.ms before the run ends', () => {
    const earliest = ', config: { auto.offset.reset: earliest }';
    expect(warnings(scenario(earliest, '  - { at: 10s, action: crash, target: "member(billing, 1)" }'))).toEqual([
      expect.stringMatching(/^11: faults\[0\]\.at: this crash hits billing's members at 10s, 20s before the run ends, but its session\.timeout\.ms is 45s: .*not reassigned within the run/),
    ]);
    // Restarted before its session expires: the member rejoins, nothing stalls.
    expect(warnings(scenario(earliest, '  - { at: 10s, action: crash, target: "member(billing, 1)" }\n  - { at: 12s, action: restart, target: "member(billing, 1)" }'))).toEqual([]);
    // A session that expires within the run.
    expect(warnings(scenario(', config: { auto.offset.reset: earliest, session.timeout.ms: 6000 }', '  - { at: 10s, action: crash, target: consumer-billing-2 }'))).toEqual([]);
    expect(warnings(scenario(earliest, '  - { at: 5s, action: pause, target: "client(billing)", for: 10s }'))[0]).toMatch(/this pause hits billing's members at 5s, 10s before the pause ends, but its session\.timeout\.ms is 45s/);
    // Faults on brokers hit no member.
    expect(warnings(scenario(earliest, '  - { at: 10s, action: crash, target: broker-1 }'))).toEqual([]);
  });

  it('finds no trap in the library lessons', () => {
    expect(libraryEntries().filter((e) => warningsOf(e.scenario).length > 0).map((e) => e.name)).toEqual([]);
  });

  it('warns before the run, goes on, repeats the warning in the summary, and lists it in --json', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kafkasim-trap-')), 'trap.yaml');
    writeFileSync(file, scenario(', config: { enable.auto.commit: true, auto.offset.reset: earliest }, processing: { mode: commit-after-process }'));
    const r = cli('run', file);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^warning: line 9:\d+: clients\[1\]\.config\["enable\.auto\.commit"\]: billing has enable\.auto\.commit true/);
    expect(lines.findIndex((l) => l.startsWith('  warning: line 9'))).toBeGreaterThan(lines.findIndex((l) => l.includes('expectation met')));
    const json = JSON.parse(cli('run', file, '--json').stdout) as { warnings: { path: string; line: number; message: string }[] };
    expect(json.warnings).toEqual([expect.objectContaining({ path: 'clients[1].config["enable.auto.commit"]', line: 9 })]);
  });
});
