import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

/** The partitions the controller created, from the metadata records in the trace. */
function placements(brokers: number, racks: readonly string[], partitions: number, rf: number, seed: number) {
  const scenario = parseScenario(`
name: racks
duration: 4s
drain: 1s
cluster: { brokers: ${brokers}, racks: [${racks.join(', ')}] }
topics: [{ name: orders, partitions: ${partitions}, replication.factor: ${rf} }]
`);
  const r = runScenario(scenario, { seed, keepTrace: true });
  const records = (r.simulation.memory?.records ?? []).flatMap((t) => (t.kind === 'metadata.record' && t.record === 'Partition' ? [JSON.parse(t.detail) as { partition: number; replicas: number[]; leader: number }] : []));
  const rackOf = (id: number): string => racks[(id - 1) % racks.length];
  return { records, rackOf };
}

describe('broker.rack', () => {
  it('places the replicas of every partition on distinct racks when there are enough, whatever the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 8 }), (seed, partitions) => {
        // Brokers 1-2 on rack a, 3-4 on b, 5-6 on c: neighbours by id share a rack, so a
        // placement that ignored racks would put two replicas on one.
        const { records, rackOf } = placements(6, ['a', 'a', 'b', 'b', 'c', 'c'], partitions, 3, seed);
        expect(records).toHaveLength(partitions);
        for (const p of records) expect(new Set(p.replicas.map(rackOf)).size).toBe(3);
      }),
      { numRuns: 8 },
    );
  });

  it('spreads replicas over both racks of two, and spreads leaders over the brokers', () => {
    const { records, rackOf } = placements(4, ['east', 'east', 'west', 'west'], 8, 3, 7);
    for (const p of records) expect(new Set(p.replicas.map(rackOf))).toEqual(new Set(['east', 'west']));
    const leaders = new Set(records.map((p) => p.replicas[0]));
    expect(leaders.size).toBe(4);
  });
});
