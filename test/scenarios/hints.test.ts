import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ScenarioError, parseScenario } from '../../src/scenarios/loader.js';
import { closest, editDistance } from '../../src/scenarios/issueHints.js';
import { cli } from '../helpers/cli.js';
import { scenarioIssues } from '../helpers/scenarioIssues.js';

const base = `
name: t
duration: 10s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 2, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 100/s } }
  - { id: billing, type: consumer, group: billing, topics: [orders], instances: 2 }
faults:
  - { at: 1s, action: crash, target: broker-1 }
`;

const problems = scenarioIssues;

describe('errors that say how to fix them', () => {
  it('suggests the key meant, separators and case aside, or at a small edit distance', () => {
    expect(problems(base.replace('replication.factor: 3', 'replicationFactor: 3'))).toEqual(['5: topics[0].replicationFactor: unknown key "replicationFactor": did you mean "replication.factor"?']);
    expect(problems(base.replace('cluster: { brokers: 3 }', 'cluster: { brokers: 3, config: { min.insync.replica: 2 } }'))).toEqual([
      '4: cluster.config["min.insync.replica"]: unknown key "min.insync.replica": did you mean "min.insync.replicas"?',
    ]);
    expect(problems(base.replace('instances: 2', 'instance: 2'))).toEqual(['8: clients[1].instance: unknown key "instance": did you mean "instances"?']);
  });

  it('says where a key that does not belong here belongs', () => {
    expect(problems(base.replace('replication.factor: 3 }', 'replication.factor: 3, min.insync.replicas: 2 }'))).toEqual([
      '5: topics[0]["min.insync.replicas"]: "min.insync.replicas" is a setting: it belongs under topics[0].config, as config: { min.insync.replicas: … }',
    ]);
    expect(problems(base.replace('cluster: { brokers: 3 }', 'cluster: { brokers: 3, config: { auto.offset.reset: earliest } }'))).toEqual([
      '4: cluster.config["auto.offset.reset"]: "auto.offset.reset" does not go here: it belongs under clients[N].config (a consumer), or under clients[N].config (a processor)',
    ]);
    expect(problems(base.replace('topic: orders,', 'topic: orders, linger.ms: 20,'))).toEqual([
      '7: clients[0]["linger.ms"]: "linger.ms" is a setting: it belongs under clients[0].config, as config: { linger.ms: … }',
    ]);
    expect(problems(base.replace('cluster: { brokers: 3 }', 'cluster: { brokers: 3, config: { min.insync.replicas:2 } }'))).toEqual([
      '4: cluster.config["min.insync.replicas:2"]: unknown key "min.insync.replicas:2": YAML needs a space after the colon, as min.insync.replicas: 2',
    ]);
  });

  it('lists the allowed values, and the one probably meant', () => {
    expect(problems(base.replace('topic: orders,', 'topic: orders, config: { acks: ALL },'))).toEqual(['7: clients[0].config.acks: "ALL" is not one of 0, 1, all, -1: did you mean "all"?']);
    expect(problems(base.replace('type: consumer', 'type: consumr'))).toEqual(['8: clients[1].type: type "consumr" is not one of producer, consumer, processor: did you mean "consumer"?']);
    expect(problems(base.replace('action: crash', 'action: crsh'))).toEqual([
      '10: faults[0].action: action "crsh" is not one of crash, restart, shutdown, pause, partition, heal, degrade, clock, disk: did you mean "crash"?',
    ]);
    expect(problems(base.replace('instances: 2', 'instances: 2, config: { auto.offset.reset: Earliest }'))).toEqual([
      '8: clients[1].config["auto.offset.reset"]: "Earliest" is not one of earliest, latest, none: did you mean "earliest"?',
    ]);
    expect(problems(`${base}checks: [lost-writes]\n`)[0]).toMatch(/^11: checks\[0\]: "lost-writes" is not one of lost-write, .*: did you mean "lost-write"\?$/);
  });

  it('asks for a unit where a bare number stands for a duration', () => {
    expect(problems(base.replace('duration: 10s', 'duration: 30'))).toEqual(['3: duration: 30 has no unit: a duration is written with one, such as "30s" or "30ms"']);
    expect(problems(base.replace('at: 1s', 'at: 1'))).toEqual(['10: faults[0].at: 1 has no unit: a duration is written with one, such as "1s" or "1ms"']);
  });

  it('rewrites expect: none as expect: { violations: none }', () => {
    expect(problems(`${base}expect: none\n`)).toEqual(['11: expect: expect takes an object: write expect: { violations: none }']);
    expect(problems(`${base}expect: [lost-write]\n`)).toEqual(['11: expect: expect takes an object: write expect: { violations: [lost-write] }']);
  });

  it('reports every problem of a file in one pass, fault targets included', () => {
    const bad = base
      .replace('duration: 10s', 'duration: 10')
      .replace('topic: orders,', 'topic: order,')
      .replace('target: broker-1', 'target: broker-4')
      .replace('replication.factor: 3 }', 'replication.factor: 3, min.insync.replicas: 2 }');
    expect(problems(bad)).toEqual([
      '3: duration: 10 has no unit: a duration is written with one, such as "10s" or "10ms"',
      '5: topics[0]["min.insync.replicas"]: "min.insync.replicas" is a setting: it belongs under topics[0].config, as config: { min.insync.replicas: … }',
      '7: clients[0].topic: topic order is not defined under topics: did you mean "orders"?',
      '10: faults[0].target: broker-4 is not a node of this scenario (its nodes: controller, controller-1, controller-2, controller-3, broker-1, broker-2, broker-3, producer-p1, consumer-billing-1, consumer-billing-2)',
    ]);
  });

  it('runs no cross-field check over a field that failed its own', () => {
    // The broker count failed: which nodes exist is unknown, so no target is judged.
    expect(problems(base.replace('brokers: 3', 'brokers: 1e12').replace('target: broker-1', 'target: broker-4'))).toEqual(['4: cluster.brokers: Too big: expected number to be <=100']);
    // A session timeout that failed is not compared with the heartbeat, nor with the brokers' bounds.
    expect(problems(base.replace('instances: 2', 'instances: 2, config: { session.timeout.ms: 1s, heartbeat.interval.ms: 99999999 }'))).toEqual([
      '8: clients[1].config["session.timeout.ms"]: Invalid input: expected number, received string',
    ]);
    // A client whose type failed was not parsed: its topic is not looked up, and targets are not judged.
    expect(problems(base.replace('type: producer, topic: orders', 'type: prodcer, topic: nope').replace('target: broker-1', 'target: broker-4'))).toEqual([
      '7: clients[0].type: type "prodcer" is not one of producer, consumer, processor: did you mean "producer"?',
    ]);
  });

  it('reads no malformed structure while checking across fields (found by the scenario fuzzer)', () => {
    for (const bad of [
      base.replace('target: broker-1 }', 'target: broker-1 }\n  - { at: 2s, action: partition, groups: [broker-2] }'),
      base.replace('instances: 2 }', 'instances: 2, actions: [null, { at: 1s, do: seek, offset: 1, partition: orders-1 }] }'),
      base.replace('topics: [{ name: orders', 'topics: [5, { name: orders'),
      base.replace('clients:\n', 'clients:\n  - null\n'),
    ]) {
      expect(() => parseScenario(bad, 'bad.yaml')).toThrow(ScenarioError);
    }
  });

  it('explains a target cut at its comma by YAML, and asks for quotes', () => {
    const found = problems(`${base}  - { at: 2s, action: pause, target: member(billing, 2), for: 1s }\n`);
    expect(found).toEqual([
      '11: faults[1]["2)"]: unknown key "2)": the end of a target cut at its comma; quote the target, as "member(ID, N)"',
      '11: faults[1].target: invalid target "member(billing": it looks cut at a comma, as YAML cuts an unquoted member(ID, N) inside { … } or [ … ]; write the target in quotes, as "member(ID, N)"',
    ]);
    expect(problems(`${base}  - { at: 2s, action: pause, target: "member(billing, 2)", for: 1s }\n`)).toEqual([]);
  });

  it('rephrases YAML syntax errors and shows the line', () => {
    const err = (() => {
      try {
        parseScenario('name: x\nduration: 10s\ncluster:\n\tbrokers: 3\n', 'tabs.yaml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toBe('tabs.yaml: invalid scenario\n  line 4:1: YAML syntax: a tab indents this line; YAML indents with spaces only\n    4 | \tbrokers: 3\n      | ^');
    expect(problems('name: x\nduration: 10s\ntopics: [{ name: orders, partitions: 3\nclients: []\n')).toEqual(['4: : YAML syntax: a { opened above is not closed with } (or the line after it is not indented under its key)']);
    expect(problems('name: x\nname: y\n')).toEqual(['2: : YAML syntax: this key is written twice in the same section; keep one']);
  });

  it('suggests library scenario names, and checks', () => {
    const r = cli('run', 'acks1-leader-failovr');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('acks1-leader-failovr: no such scenario file, and no library scenario by that name: did you mean "acks1-leader-failover"?');
    expect(cli('run', 'acks1-leader-failover', '--checks', 'lost-writes').stderr).toContain('--checks: unknown check lost-writes: did you mean "lost-write"?');
  });

  it('measures edit distance as a metric, and suggests a name to itself', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        expect(editDistance(a, a)).toBe(0);
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(closest(a, [a])).toBe(a);
      }),
    );
    expect(closest('zzzzzz', ['lost-write', 'duplicate'])).toBeUndefined();
  });
});
