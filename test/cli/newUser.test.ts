import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { ScenarioError, parseScenario, warningsOf } from '../../src/scenarios/loader.js';

/**
 * The new user of issue 25: someone who runs Kafka at work starts from `kafkasim init`,
 * makes the mistakes people make (one at a time), is told each time how to fix it, and ends
 * with a clean run whose summary has no false alarm.
 */
const MISTAKES: { readonly what: string; readonly from: string | RegExp; readonly to: string; readonly says: string }[] = [
  {
    what: 'a Kafka setting in camelCase',
    from: 'replication.factor: 3',
    to: 'replicationFactor: 3',
    says: 'line 24:24: topics[0].replicationFactor: unknown key "replicationFactor": did you mean "replication.factor"?',
  },
  {
    what: 'acks in capitals',
    from: 'acks: all',
    to: 'acks: ALL',
    says: 'line 34:13: clients[0].config.acks: "ALL" is not one of 0, 1, all, -1: did you mean "all"?',
  },
  {
    what: 'a producer setting beside config rather than in it',
    from: '    config:\n      acks: all\n      enable.idempotence: true\n      linger.ms: 20\n',
    to: '    linger.ms: 20\n    config:\n      acks: all\n      enable.idempotence: true\n',
    says: 'line 33:16: clients[0]["linger.ms"]: "linger.ms" is a setting: it belongs under clients[0].config, as config: { linger.ms: … }',
  },
  {
    what: 'a duration without a unit',
    from: 'duration: 60s',
    to: 'duration: 60',
    says: 'line 11:11: duration: 60 has no unit: a duration is written with one, such as "60s" or "60ms"',
  },
  {
    what: 'a topic setting on the topic rather than in its config',
    from: '    replication.factor: 3\n',
    to: '    replication.factor: 3\n    min.insync.replicas: 2\n',
    says: 'line 25:26: topics[0]["min.insync.replicas"]: "min.insync.replicas" is a setting: it belongs under topics[0].config, as config: { min.insync.replicas: … }',
  },
  {
    what: 'a member target unquoted in a flow mapping',
    from: 'target: broker-1 }',
    to: 'target: member(billing, 2) }',
    says: 'faults[0].target: invalid target "member(billing": it looks cut at a comma, as YAML cuts an unquoted member(ID, N) inside { … } or [ … ]; write the target in quotes, as "member(ID, N)"',
  },
  {
    what: 'expect written as a bare value',
    from: 'expect: { violations: none }',
    to: 'expect: none',
    says: 'expect: expect takes an object: write expect: { violations: none }',
  },
  {
    what: 'a misspelt client type',
    from: 'type: consumer',
    to: 'type: consumr',
    says: 'line 42:11: clients[1].type: type "consumr" is not one of producer, consumer, processor: did you mean "consumer"?',
  },
  {
    what: 'a tab to indent',
    from: '  brokers: 3',
    to: '\tbrokers: 3',
    says: 'line 15:1: YAML syntax: a tab indents this line; YAML indents with spaces only\n    15 | \tbrokers: 3\n       | ^',
  },
  {
    what: 'a broker the cluster does not have',
    from: /broker-1 \}/g,
    to: 'broker-4 }',
    says: 'faults[0].target: broker-4 is not a node of this scenario (its nodes: controller, controller-1, controller-2, controller-3, broker-1, broker-2, broker-3, producer-p1, consumer-billing-1, consumer-billing-2, consumer-billing-3, consumer-billing-4)',
  },
];

describe('a new user, from kafkasim init to a trusted answer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafkasim-new-user-'));
  const file = join(dir, 'my.yaml');
  const written = cli('init', '--out', file);
  const starter = readFileSync(file, 'utf8');

  // The first mistake is run by the CLI (exit 2, the message on stderr, no stack trace); the
  // others by the function it calls, whose ScenarioError is what the CLI prints after "error: ".
  it.each(MISTAKES.map((m, i) => ({ ...m, spawned: i === 0 })))('is told how to fix $what', ({ from, to, says, spawned }) => {
    expect(written.code).toBe(0);
    const wrong = starter.replace(from, to);
    expect(wrong).not.toBe(starter);
    const mistake = join(dir, 'mistake.yaml');
    writeFileSync(mistake, wrong);
    if (spawned) {
      const r = cli('run', mistake);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      return;
    }
    let thrown: unknown;
    try {
      runCommand(mistake, {}, () => undefined);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ScenarioError);
    expect((thrown as ScenarioError).message).toContain(says);
  });

  it("is warned before the run about Kafka's default auto.offset.reset, the false alarm of issue 25", () => {
    const latest = starter.replace('auto.offset.reset: earliest', 'auto.offset.reset: latest');
    expect(warningsOf(parseScenario(latest, 'latest.yaml')).map((w) => `${w.path}: ${w.message}`)).toEqual([
      expect.stringMatching(/^clients\[1\]\.config\["auto\.offset\.reset"\]: group billing starts at 0s with auto\.offset\.reset latest, and p1 writes to orders from 1s: .* reported as unseen/),
    ]);
    expect(warningsOf(parseScenario(starter, 'my.yaml'))).toEqual([]);
  });

  it('ends with a clean run of the file init wrote: no violation, no warning, every acknowledged record read', () => {
    const r = cli('run', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/24500 sends: 24500 acknowledged, 0 failed, 0 indeterminate/);
    expect(r.stdout).toMatch(/consumers: 24500 records processed/);
    expect(r.stdout).toContain('  no violations\n');
    expect(r.stdout).toContain('  expectation met (none)\n');
    expect(r.stdout).not.toContain('warning');
    expect(r.stdout).not.toContain('did nothing');
  });
});
