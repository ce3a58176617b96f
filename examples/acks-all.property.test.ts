/**
 * An example property test to copy into your own suite: generate clusters, workloads and
 * fault schedules with fast-check, simulate each with kafkasim, and state what must hold.
 * When a property fails, fast-check shrinks the counterexample to a minimal fault schedule;
 * the scenario it prints can be saved as YAML and replayed with `kafkasim run`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate } from 'kafkasim';
import { scenario } from 'kafkasim/arbitraries';

describe('Kafka durability, as properties', () => {
  it('acks=all with min.insync.replicas=2, RF=3 and no unclean election never loses an acknowledged write, whatever the network and the clocks do', () => {
    const safe = scenario({
      brokers: { min: 3, max: 4 },
      minInsyncReplicas: [2],
      uncleanLeaderElection: [false],
      acks: ['all'],
      faultKinds: ['crash', 'restart', 'shutdown', 'pause', 'isolate', 'heal', 'oneWay', 'degrade', 'clock'],
      durationS: 10,
    });
    fc.assert(
      fc.property(safe, fc.integer({ min: 1, max: 1_000_000 }), (s, seed) => {
        // Process crashes only: a site-wide power loss can lose unflushed writes (by design).
        const faults = (s.faults as { mode?: string }[]).map((f) => (f.mode === 'power' ? { ...f, mode: 'process' } : f));
        const r = simulate({ ...s, faults }, { seed });
        expect(r.violations.filter((v) => v.kind === 'lost-write')).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  it('acks=1 does lose acknowledged writes, and fast-check shrinks the proof to a tiny fault schedule', () => {
    const risky = scenario({ brokers: { min: 3, max: 3 }, minInsyncReplicas: [1], acks: ['1'], rate: { min: 200, max: 500 }, faultKinds: ['crash'], maxFaults: 4, durationS: 10, partitions: { min: 1, max: 1 } });
    const result = fc.check(
      fc.property(risky, (s) => simulate(s, { seed: 7, onlineChecks: false, checks: ['lost-write'] }).violations.length === 0),
      { numRuns: 60, seed: 42 },
    );
    expect(result.failed).toBe(true);
    const [counterexample] = result.counterexample as [{ faults: unknown[] }];
    // One crash of the leader at the wrong moment is enough.
    expect(counterexample.faults.length).toBeLessThanOrEqual(2);
  });
});
