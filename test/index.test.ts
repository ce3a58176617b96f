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

  it('generates every fault kind on request, as scenarios the schema accepts and the simulator runs', () => {
    const kinds = ['crash', 'restart', 'shutdown', 'pause', 'isolate', 'heal', 'oneWay', 'degrade', 'clock', 'disk'] as const;
    const all = scenario({ durationS: 8, maxFaults: 8, faultKinds: kinds });
    fc.assert(
      fc.property(all, (s) => {
        const parsed = scenarioFromObject(s);
        for (const f of parsed.faults) expect(kinds.some((k) => k === f.action || (k === 'oneWay' && f.action === 'partition') || (k === 'isolate' && f.action === 'partition'))).toBe(true);
      }),
      { numRuns: 200 },
    );
    // Every kind is drawn.
    const actions = new Set(fc.sample(faultSchedule({ brokers: 3, durationS: 8, maxFaults: 8, kinds, partitions: ['orders-0'] }), { numRuns: 100, seed: 1 }).flat().map((f) => ('oneWay' in f ? 'oneWay' : 'isolate' in f ? 'isolate' : f.action)));
    expect([...actions].sort()).toEqual([...kinds].sort());
    // A few whole runs, each the same twice.
    for (const s of fc.sample(all, { numRuns: 4, seed: 7 })) {
      const a = simulate(s, { seed: 1 });
      expect(simulate(s, { seed: 1 }).fingerprint).toBe(a.fingerprint);
      expect(a.stats.produced).toBeGreaterThan(0);
    }
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
