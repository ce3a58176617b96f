import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BROKER_SETTINGS } from '../../../src/nodes/config/brokerSettings.js';
import { CONSUMER_SETTINGS, PROCESSOR_SETTINGS, PRODUCER_SETTINGS } from '../../../src/nodes/config/clientSettings.js';
import { compareReleases, KAFKA_RELEASES, NEWEST_RELEASE, valueAt } from '../../../src/nodes/config/releases.js';
import { defaultAt, historyDoc, type Settings } from '../../../src/nodes/config/setting.js';
import { TOPIC_SETTINGS } from '../../../src/nodes/config/topicSettings.js';
import { parseScenario, ScenarioError } from '../../../src/scenarios/loader.js';

const ALL: readonly [string, Settings][] = [
  ['broker', BROKER_SETTINGS],
  ['topic', TOPIC_SETTINGS],
  ['producer', PRODUCER_SETTINGS],
  ['consumer', CONSUMER_SETTINGS],
  ['processor', PROCESSOR_SETTINGS],
];

const withHistory = ALL.flatMap(([role, settings]) => Object.entries(settings).filter(([, s]) => s.history !== undefined).map(([name, s]) => ({ role, name, s })));

describe('release histories', () => {
  it('some settings changed between releases', () => {
    expect(withHistory.length).toBeGreaterThan(10);
  });

  it.each(withHistory.map((h) => [`${h.role} ${h.name}`, h] as const))('%s: oldest first, ends at the default, cites its change', (_name, { s }) => {
    const history = s.history ?? [];
    for (let i = 1; i < history.length; i++) expect(compareReleases(history[i - 1][0], history[i][0])).toBeLessThan(0);
    expect(history.at(-1)?.[1]).toEqual(s.default);
    expect(defaultAt(s, NEWEST_RELEASE)).toEqual(s.default);
    expect(s.changedBy).toMatch(/KIP-\d+|KAFKA-\d+|\.(java|scala)/);
    expect(historyDoc(s)).toContain('and later');
  });

  it('valueAt takes the last change at or before the release, and the first value before any', () => {
    const h = [['0.11', 'a'], ['2.5', 'b'], ['4.0', 'c']] as const;
    expect(valueAt(h, '0.10')).toBe('a');
    expect(valueAt(h, '0.11')).toBe('a');
    expect(valueAt(h, '2.4')).toBe('a');
    expect(valueAt(h, '2.5')).toBe('b');
    expect(valueAt(h, '3.9')).toBe('b');
    expect(valueAt(h, '4.1')).toBe('c');
  });
});

function scenarioAt(version: string | number | undefined, producerConfig = '{}'): string {
  return `name: r
duration: 5s
cluster: { brokers: 3${version === undefined ? '' : `, version: ${typeof version === 'string' ? JSON.stringify(version) : version}`} }
topics: [{ name: t, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p, type: producer, topic: t, config: ${producerConfig}, workload: { rate: 10 } }
  - { id: c, type: consumer, group: g, topics: [t] }
`;
}

describe('cluster.version', () => {
  it('defaults to the newest release', () => {
    expect(parseScenario(scenarioAt(undefined)).cluster.version).toBe(NEWEST_RELEASE);
  });

  it("gives every setting the scenario leaves unset its release's value (property over releases)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KAFKA_RELEASES), (release) => {
        const s = parseScenario(scenarioAt(release));
        const producer = s.clients[0];
        const consumer = s.clients[1];
        if (producer.type !== 'producer' || consumer.type !== 'consumer') throw new Error('client order');
        // A history value of undefined is worked out from other settings (enable.idempotence since 3.0).
        const known = (setting: Settings[string]): boolean => setting.history !== undefined && defaultAt(setting, release) !== undefined;
        for (const [name, setting] of Object.entries(BROKER_SETTINGS)) if (known(setting)) expect(s.cluster.config[name as keyof typeof BROKER_SETTINGS], name).toEqual(defaultAt<unknown>(setting, release));
        for (const [name, setting] of Object.entries(PRODUCER_SETTINGS)) if (known(setting)) expect(producer.config[name as keyof typeof PRODUCER_SETTINGS], name).toEqual(defaultAt<unknown>(setting, release));
        for (const [name, setting] of Object.entries(CONSUMER_SETTINGS)) if (known(setting)) expect(consumer.config[name as keyof typeof CONSUMER_SETTINGS], name).toEqual(defaultAt<unknown>(setting, release));
      }),
      { numRuns: 40 },
    );
  });

  it('picks the old defaults of an old release: 2.0 producers acks=1 without idempotence, 0.10 truncates to the high watermark', () => {
    const s20 = parseScenario(scenarioAt('2.0'));
    const p = s20.clients[0];
    expect(p.type === 'producer' && p.config.acks).toBe('1');
    expect(p.type === 'producer' && p.config['enable.idempotence']).toBe(false);
    expect(s20.cluster.config['sim.truncation']).toBe('leader-epoch');
    expect(parseScenario(scenarioAt('0.10')).cluster.config['sim.truncation']).toBe('high-watermark');
    expect(parseScenario(scenarioAt('0.10')).cluster.config['unclean.leader.election.enable']).toBe(true);
  });

  it('keeps what the scenario sets: a setting overrides its release', () => {
    const s = parseScenario(scenarioAt('2.0', '{ acks: all }'));
    const p = s.clients[0];
    expect(p.type === 'producer' && p.config.acks).toBe('all');
  });

  it('rejects an unknown release, naming the field and the known ones', () => {
    expect(() => parseScenario(scenarioAt('3.10'), 'f.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(scenarioAt('3.10'), 'f.yaml')).toThrow(/line 3:\d+: cluster\.version: unknown Kafka release "3\.10"; known releases: 0\.10, 0\.11, .*4\.1/);
  });

  it('asks for quotes when YAML read the release as a number', () => {
    expect(() => parseScenario(scenarioAt(2.0))).toThrow(/cluster\.version: 2 is a number: write the release in quotes, as "2\.0"/);
  });

  it.each([
    ['0.10', '{ enable.idempotence: true }', /clients\[0\]\.config\["enable\.idempotence"\]: the idempotent producer \(KIP-98\) arrived in Kafka 0\.11; cluster\.version is 0\.10/],
    ['0.11', '{ enable.idempotence: true, acks: all }', /max\.in\.flight\.requests\.per\.connection"\]: an idempotent producer with more than one request in flight \(KAFKA-5494\) arrived in Kafka 1\.0/],
  ])('refuses a feature its release lacks (%s, %s)', (release, config, message) => {
    expect(() => parseScenario(scenarioAt(release, config))).toThrow(message);
  });

  // KIP-1030 (Kafka 4.0): segment.bytes and log.segment.bytes at least 1 MiB (LogConfig's atLeast(1024 * 1024)).
  it('refuses segment.bytes below 1 MiB from 4.0, takes it before, and takes internal.segment.bytes on every release', () => {
    const topic = (v: string | undefined, config: string): string => scenarioAt(v).replace('replication.factor: 3 }', `replication.factor: 3, config: ${config} }`);
    for (const v of [undefined, '4.0', '4.1']) {
      expect(() => parseScenario(topic(v, '{ segment.bytes: 4096 }'))).toThrow(/topics\[0\]\.config\["segment\.bytes"\]: segment\.bytes 4096 is below Kafka 4\.\d's minimum of 1048576 \(1 MiB, KIP-1030 in 4\.0\); set internal\.segment\.bytes/);
      expect(parseScenario(topic(v, '{ internal.segment.bytes: 4096 }')).topics[0].config['internal.segment.bytes']).toBe(4096);
      expect(parseScenario(topic(v, '{ segment.bytes: 1048576 }')).topics[0].config['segment.bytes']).toBe(1_048_576);
    }
    expect(() => parseScenario(scenarioAt('4.0').replace('cluster: { brokers: 3', 'cluster: { brokers: 3, config: { log.segment.bytes: 65536 }'))).toThrow(/cluster\.config\["log\.segment\.bytes"\]: log\.segment\.bytes 65536 is below/);
    expect(parseScenario(topic('3.9', '{ segment.bytes: 4096 }')).topics[0].config['segment.bytes']).toBe(4096);
    expect(parseScenario(scenarioAt('3.9').replace('cluster: { brokers: 3', 'cluster: { brokers: 3, config: { log.segment.bytes: 65536 }')).cluster.config['log.segment.bytes']).toBe(65_536);
  });

  it('refuses a broker feature its release lacks, and takes it on the release that has it', () => {
    const text = (v: string): string => scenarioAt(v).replace('cluster: { brokers: 3', 'cluster: { brokers: 3, config: { eligible.leader.replicas.version: 1 }');
    expect(() => parseScenario(text('3.9'))).toThrow(/cluster\.config\["eligible\.leader\.replicas\.version"\]: eligible leader replicas \(KIP-966\) arrived in Kafka 4\.0; cluster\.version is 3\.9/);
    expect(parseScenario(text('4.0')).cluster.config['eligible.leader.replicas.version']).toBe(1);
  });
});
