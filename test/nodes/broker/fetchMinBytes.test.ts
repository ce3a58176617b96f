import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/** 40 small records a second into one partition, consumed by one member. */
const scenario = (consumerConfig: string) => `
name: fetch-min-bytes
duration: 12s
drain: 10s
cluster: { brokers: 3, config: { offsets.topic.num.partitions: 3 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 40/s, valueBytes: 50, start: 2s, stop: 10s } }
  - { id: c1, type: consumer, group: g1, topics: [orders], config: { auto.offset.reset: earliest, ${consumerConfig} }, processing: { mode: commit-after-process } }
checks: [skipped, reprocessed]
`;

/** The consumer's polls that returned records, as (time, count). */
function polls(r: ReturnType<typeof runScenario>): { at: number; n: number }[] {
  return (r.simulation.memory?.records ?? []).flatMap((x) => {
    if (x.kind !== 'client.op' || x.f !== 'poll' || x.type !== 'ok') return [];
    const n = (x.value as { records: unknown[] }).records.length;
    return n > 0 ? [{ at: x.at, n }] : [];
  });
}

describe('fetch.min.bytes', () => {
  it('holds a consumer fetch until that much is readable or fetch.max.wait.ms passes, so polls come fuller and fewer', () => {
    const eager = runScenario(parseScenario(scenario('fetch.min.bytes: 1')), { keepTrace: true });
    const patient = runScenario(parseScenario(scenario('fetch.min.bytes: 1000000, fetch.max.wait.ms: 1000')), { keepTrace: true });
    for (const r of [eager, patient]) expect(r.violations).toEqual([]);
    const a = polls(eager);
    const b = polls(patient);
    // Every record is read either way.
    expect(b.reduce((s, p) => s + p.n, 0)).toBe(a.reduce((s, p) => s + p.n, 0));
    // ~40 KB/s never reaches a megabyte: each fetch waits out its second, about one poll a second.
    expect(b.length).toBeLessThanOrEqual(10);
    expect(a.length).toBeGreaterThan(4 * b.length);
    for (let i = 1; i < b.length - 1; i++) expect(b[i].at - b[i - 1].at).toBeGreaterThan(900_000);
  });
});
