import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { formatPath, loadScenario, parseScenario } from '../../src/scenarios/loader.js';
import { scenarioJsonSchema } from '../../src/scenarios/schema.js';
import { scenarioIssues } from '../helpers/scenarioIssues.js';

const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));

const minimal = `
name: t
duration: 10s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 100/s } }
`;

const issues = scenarioIssues;

describe('scenario files', () => {
  it('loads the example from the issue, with durations in microseconds and defaults filled', () => {
    const s = loadScenario(`${library}acks1-leader-failover.yaml`);
    expect(s.duration).toBe(30_000_000);
    expect(s.cluster.config['min.insync.replicas']).toBe(1);
    expect(s.cluster.config['replica.lag.time.max.ms']).toBe(30_000); // Kafka's default
    expect(s.cluster.network.latency).toEqual({ dist: 'uniform', min: 1_000, max: 20_000 });
    const p = s.clients[0];
    if (p.type !== 'producer') throw new Error('expected a producer');
    expect(p.config).toMatchObject({ acks: '1', 'enable.idempotence': false, 'linger.ms': 5, retries: 2_147_483_647, 'request.timeout.ms': 30_000 });
    expect(p.workload).toMatchObject({ rate: 5000, keys: 100, valueBytes: 100, start: 0, stop: 25_000_000 });
    expect(s.faults[2]).toEqual({ at: 16_000_000, action: 'partition', groups: [['broker-2'], ['broker-1', 'broker-3']] });
    expect(s.nemesis?.interval).toEqual([3_000_000, 8_000_000]);
    expect(s.expect).toEqual({ violations: ['lost-write'] });
  });

  it("uses Kafka's producer defaults: acks=all with idempotence on", () => {
    const s = parseScenario(minimal);
    expect(s.clients[0].config).toMatchObject({ acks: 'all', 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5, 'delivery.timeout.ms': 120_000 });
    expect(s.seed).toBe(1);
  });

  it('runs no cross-field check over a field that failed its own (a huge broker count once threw a RangeError from a Set)', () => {
    expect(issues(minimal.replace('brokers: 3', 'brokers: 1e12'))).toEqual(['4: cluster.brokers: Too big: expected number to be <=100']);
    expect(issues(minimal.replace('rate: 100/s', 'rate: 100/s, tombstones: 2, keys: 0'))).toEqual(['7: clients[0].workload.tombstones: Too big: expected number to be <=1']);
  });

  it('names the field and the line of every problem', () => {
    const bad = `
name: t
duration: 10 seconds
cluster: { brokers: 3, config: { min.insync.replica: 2 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: fast } }
faults:
  - { at: 1s, action: crash, target: "leader(orders)" }
`;
    expect(issues(bad)).toEqual([
      '3: duration: invalid duration "10 seconds": expected a number and a unit (us, ms, s, m, h), e.g. "250us", "5ms", "1.5s", "2m"',
      '4: cluster.config["min.insync.replica"]: unknown key "min.insync.replica": did you mean "min.insync.replicas"?',
      '7: clients[0].workload.rate: expected a rate in messages per second, such as 1000 or "1000/s"',
      expect.stringMatching(/^9: faults\[0\]\.target: invalid target "leader\(orders\)"/),
    ]);
  });

  it('checks fields against each other once each is valid', () => {
    const bad = `
name: t
duration: 10s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 4 }]
clients:
  - { id: p1, type: producer, topic: nope, config: { acks: "1", enable.idempotence: true }, workload: { rate: 10 } }
faults:
  - { at: 11s, action: heal }
expect: { violations: [lost-writes] }
`;
    expect(issues(bad)).toEqual([
      '5: topics[0]["replication.factor"]: replication.factor 4 is larger than the 3 brokers',
      '7: clients[0].topic: topic nope is not defined under topics',
      '7: clients[0].config.acks: Must set acks to all in order to use the idempotent producer (enable.idempotence=true); set enable.idempotence: false, or leave it out, to use acks 0 or 1',
      '9: faults[0].at: fault at 11s is after the scenario\'s duration (10s)',
      '10: expect.violations[0]: unknown violation kind "lost-writes": did you mean "lost-write"? Known: lost-write, duplicate, reorder, divergence, split-brain, hw-regression, skipped, reprocessed, stale-commit, offset-regression, retention-loss, ownership, tombstone-loss, aborted-read, zombie-write, exactly-once, hanging-txn, inconsistent-offsets, poll-skip, nonmonotonic-poll, unseen, disruptive-election, stale-controller, frozen-leadership, spec:LeaderCompleteness, spec:LogMatching, spec:NoCommittedRecordLostGlobally, spec:HighWatermarkMonotonic, spec:SingleLeader, spec:MonotonicEpoch, spec:MonotonicHighWatermark, spec:MajorityReachedHighWatermark, spec:ConsistentCommittedData, spec:MetadataLogMatchingProperty',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const found = issues('name: [unclosed\nduration: 1s\n');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(/^\d+: : /);
  });

  it('reports a missing file by name', () => {
    expect(() => loadScenario('/no/such/scenario.yaml')).toThrow(/\/no\/such\/scenario.yaml: invalid scenario\n {2}no such file/);
  });

  it('refuses partitions that name no cut, or more than one kind', () => {
    expect(issues(`${minimal}faults: [{ at: 1s, action: partition }]`).join()).toContain('exactly one of groups, isolate or oneWay');
    expect(issues(`${minimal}faults: [{ at: 1s, action: partition, isolate: broker-1, groups: [[broker-1], [broker-2]] }]`).join()).toContain('exactly one');
  });

  it('refuses fault targets that name nothing in the scenario, at their path', () => {
    const faults = `
faults:
  - { at: 1s, action: crash, target: broker-4 }
  - { at: 2s, action: partition, oneWay: { from: leader(orders-1), to: client-p1 } }
  - { at: 3s, action: partition, groups: [[broker-1], [producer-p1, producer-p2]] }
  - { at: 4s, action: pause, target: "member(p1, 1)", for: 1s }
  - { at: 5s, action: degrade, between: [client(nope), leader(__consumer_offsets-7)], loss: 0.5 }
`;
    expect(issues(`${minimal}${faults}`)).toEqual([
      '10: faults[0].target: broker-4 is not a node of this scenario (its nodes: controller, controller-1, controller-2, controller-3, broker-1, broker-2, broker-3, producer-p1)',
      '11: faults[1].oneWay.from: orders-1 is not a partition of the topics defined under topics',
      '11: faults[1].oneWay.to: client-p1 is not a node of this scenario (its nodes: controller, controller-1, controller-2, controller-3, broker-1, broker-2, broker-3, producer-p1)',
      '12: faults[2].groups[1][1]: producer-p2 is not a node of this scenario (its nodes: controller, controller-1, controller-2, controller-3, broker-1, broker-2, broker-3, producer-p1)',
      '13: faults[3].target: p1 is not a consumer or processor of this scenario',
      '14: faults[4].between[0]: nope is not a client of this scenario',
    ]);
    // Every target the library uses names something real.
    expect(issues(`${minimal}faults: [{ at: 1s, action: crash, target: leader(orders-0) }, { at: 2s, action: partition, isolate: producer-p1 }]`)).toEqual([]);
  });

  it('formats paths unambiguously', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(), fc.string()), { maxLength: 5 }), (path) => {
        const text = formatPath(path);
        if (path.length > 0) expect(text.length).toBeGreaterThan(0);
      }),
    );
    expect(formatPath(['clients', 0, 'config', 'linger.ms'])).toBe('clients[0].config["linger.ms"]');
  });

  it('resolves idempotence as KafkaProducer does: off by default with acks 0/1 or retries=0, an error when asked for with them', () => {
    const producer = (config: string) => `
name: p
duration: 5s
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 1 }]
clients: [{ id: p1, type: producer, topic: t, config: { ${config} }, workload: { rate: 10 } }]
`;
    const resolved = (config: string) => {
      const c = parseScenario(producer(config)).clients[0];
      return c.type === 'producer' ? [c.config['enable.idempotence'], c.config['delivery.timeout.ms']] : undefined;
    };
    expect(resolved('')).toEqual([true, 120_000]);
    expect(resolved('acks: "1"')).toEqual([false, 120_000]);
    expect(resolved('retries: 0')).toEqual([false, 120_000]);
    expect(resolved('acks: "1", max.in.flight.requests.per.connection: 10')).toEqual([false, 120_000]);
    // delivery.timeout.ms left out grows to linger.ms + request.timeout.ms.
    expect(resolved('request.timeout.ms: 200000')).toEqual([true, 200_005]);
    expect(issues(producer('acks: "0", enable.idempotence: true'))).toEqual([expect.stringMatching(/clients\[0\]\.config\.acks: Must set acks to all/)]);
    expect(issues(producer('retries: 0, enable.idempotence: true'))).toEqual([expect.stringMatching(/clients\[0\]\.config\.retries: Must set retries to non-zero/)]);
    expect(issues(producer('max.in.flight.requests.per.connection: 6'))).toEqual([expect.stringMatching(/max.in.flight.requests.per.connection"\]: To use the idempotent producer/)]);
    expect(issues(producer('delivery.timeout.ms: 1000'))).toEqual([expect.stringMatching(/delivery.timeout.ms"\]: delivery.timeout.ms should be equal to or larger than linger.ms \+ request.timeout.ms \(30005\)/)]);
  });

  it('refuses a member whose heartbeat.interval.ms is not below its session.timeout.ms, processors included', () => {
    const text = `
name: hb
duration: 5s
cluster: { brokers: 1, config: { offsets.topic.replication.factor: 1, transaction.state.log.replication.factor: 1, transaction.state.log.min.isr: 1 } }
topics: [{ name: a, partitions: 1 }, { name: b, partitions: 1 }]
clients:
  - { id: c1, type: consumer, group: g1, topics: [a], config: { session.timeout.ms: 6000, heartbeat.interval.ms: 6000 } }
  - { id: x1, type: processor, from: a, to: b, group: g2, config: { session.timeout.ms: 1000 } }
`;
    expect(issues(text)).toEqual([
      '7: clients[0].config["heartbeat.interval.ms"]: Heartbeat must be set lower than the session timeout: heartbeat.interval.ms 6000 >= session.timeout.ms 6000',
      '8: clients[1].config["heartbeat.interval.ms"]: Heartbeat must be set lower than the session timeout: heartbeat.interval.ms 3000 >= session.timeout.ms 1000',
      "8: clients[1].config[\"session.timeout.ms\"]: session.timeout.ms 1000 is outside the brokers' group.min.session.timeout.ms..group.max.session.timeout.ms (6000..1800000): the coordinator would refuse it with INVALID_SESSION_TIMEOUT",
    ]);
  });

  it('gives a topic that names no replication factor the cluster\'s default.replication.factor, and checks it', () => {
    const base = (config: string) => `
name: rf
duration: 5s
cluster: { brokers: 3, config: { ${config} } }
topics: [{ name: a, partitions: 1 }, { name: b, partitions: 1, replication.factor: 1 }]
`;
    expect(parseScenario(base('default.replication.factor: 3')).topics.map((t) => t['replication.factor'])).toEqual([3, 1]);
    expect(parseScenario(base('')).topics.map((t) => t['replication.factor'])).toEqual([1, 1]);
    expect(issues(base('default.replication.factor: 4'))).toEqual(['4: cluster.config["default.replication.factor"]: default.replication.factor 4 (topic a names none) is larger than the 3 brokers']);
  });

  it('publishes a JSON Schema for the format', () => {
    const schema = scenarioJsonSchema() as { type: string; properties: Record<string, unknown>; required: string[] };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'duration', 'cluster', 'topics', 'clients', 'faults', 'nemesis', 'checks', 'expect']));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'duration', 'cluster']));
  });
});
