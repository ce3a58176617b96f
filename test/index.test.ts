import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenario, parseScenario, scenarioFromObject, simulate, ScenarioError, libraryEntries } from '../src/index.js';
import { faultSchedule, scenario } from '../src/scenarios/arbitraries.js';

describe('the library API', () => {
  it('generates only scenarios the schema accepts, with faults in time order', () => {
    fc.assert(
      fc.property(scenario(), (s) => {
        const parsed = scenarioFromObject(s);
        const ats = parsed.faults.map((f) => f.at);
        expect(ats).toEqual([...ats].sort((a, b) => a - b));
        expect(parsed.topics[0]['replication.factor']).toBeLessThanOrEqual(parsed.cluster.brokers);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(faultSchedule({ brokers: 3, durationS: 5, maxFaults: 8 }), (faults) => {
        for (const f of faults) expect(Number(f.at.replace('ms', ''))).toBeLessThan(5_000);
      }),
    );
  });

  it('simulates a plain object or a loaded scenario, the same way for the same seed', () => {
    const text = `
name: api
duration: 6s
drain: 3s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 50/s, start: 1s } }
faults: [{ at: 4s, action: crash, target: leader(orders-0) }]
`;
    const a = simulate(parseScenario(text), { seed: 3 });
    const b = simulate({ name: 'api', duration: '6s', drain: '3s', cluster: { brokers: 3 }, topics: [{ name: 'orders', partitions: 1, 'replication.factor': 3 }], clients: [{ id: 'p1', type: 'producer', topic: 'orders', workload: { rate: '50/s', start: '1s' } }], faults: [{ at: '4s', action: 'crash', target: 'leader(orders-0)' }] }, { seed: 3 });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.stats.acked).toBeGreaterThan(0);
    const kept = simulate(parseScenario(text), { seed: 3, trace: 'memory' });
    expect(kept.fingerprint).toBe(a.fingerprint);
    expect(kept.simulation.memory?.records.length).toBeGreaterThan(100);
    expect(() => simulate({ name: 'bad', duration: 'soon' })).toThrow(ScenarioError);
  });

  it('exposes the library scenarios', () => {
    const entries = libraryEntries();
    expect(entries.length).toBeGreaterThanOrEqual(15);
    expect(loadScenario(entries[0].path).name).toBe(entries[0].scenario.name);
  });
});
