import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { TraceRecord } from '../../../src/sim/trace.js';

/**
 * KIP-903 end to end: a follower that crashed and registered again (a new broker epoch)
 * fetches by its new epoch, which is the one in every broker's metadata, so the leader lets it
 * back into the ISR. On 3.4 (no broker epochs) 3.2 (no eligibility check) and 2.8 it comes back too. The unit cases are ports of
 * Kafka's PartitionTest and ReplicationControlManagerTest in test/oracle.
 */
const scenario = (version: string): string => `
name: broker-epochs
duration: 30s
drain: 5s
cluster: { brokers: 3, version: "${version}", config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 100/s, stop: 28s } }
faults:
  - { at: 5s, action: crash, target: broker-2 }
  - { at: 8s, action: restart, target: broker-2 }
`;

type Metadata = Extract<TraceRecord, { kind: 'metadata.record' }>;
const metadata = (records: readonly TraceRecord[]): Metadata[] => records.filter((x): x is Metadata => x.kind === 'metadata.record');
const detail = (m: Metadata): { brokerId?: number; brokerEpoch?: number; isr?: number[] } => JSON.parse(m.detail) as { brokerId?: number; brokerEpoch?: number; isr?: number[] };

describe('broker epochs (KIP-903)', () => {
  it.each(['4.1', '3.4', '3.2', '2.8'])('on %s, a restarted follower registers with a new epoch and rejoins the ISR', (version) => {
    const r = runScenario(parseScenario(scenario(version)), { keepTrace: true });
    const records = metadata(r.simulation.memory?.records ?? []);
    const registrations = records.filter((m) => m.record === 'RegisterBroker' && detail(m).brokerId === 2).map((m) => detail(m).brokerEpoch);
    expect(registrations).toHaveLength(2);
    expect(new Set(registrations).size).toBe(2);
    const changes = records.filter((m) => m.record === 'PartitionChange' && detail(m).isr !== undefined);
    const out = changes.findIndex((m) => !(detail(m).isr ?? []).includes(2));
    expect(out).toBeGreaterThanOrEqual(0);
    expect(changes.slice(out).some((m) => (detail(m).isr ?? []).includes(2))).toBe(true);
    expect(r.violations).toEqual([]);
  });
});
