/**
 * The controller lessons of KIP-996 and KAFKA-15489: on a release without the feature the
 * quorum's failure is reported, naming who did what; on the twin's release it is not.
 */
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';
import { runScenario } from '../../src/scenarios/runner.js';

const lesson = (name: string) => {
  const e = libraryEntries().find((x) => x.name === name);
  if (e === undefined) throw new Error(`no lesson ${name}`);
  return runScenario(e.scenario, { seed: e.scenario.seed });
};

describe('the controller quorum checkers on their lessons', () => {
  it('disruptive-election: on 3.9 the cut-off controller stands in newer epochs while the leader is healthy; on 4.0 it asks for pre-votes', () => {
    const r = lesson('controller-rejoin-no-prevote');
    expect(r.violations.map((v) => v.kind)).toEqual(['disruptive-election']);
    expect(r.violations[0].details).toMatchObject({ candidate: 'controller-2', leader: 'controller-3', leaderEpoch: 1 });
    // The partition starts at 5 s; the first candidacy waits out the fetch timeout (2 s) from the last fetch the leader answered.
    expect(r.violations[0].at).toBeGreaterThan(6_000_000);
    expect((r.violations[0].details as { count: number }).count).toBeGreaterThan(3);
    expect(lesson('controller-rejoin-prevote').violations).toEqual([]);
  });

  it('stale-controller: on 3.6 the cut-off leader keeps serving its broker after its successor fenced it; on 4.0 it resigned long before', () => {
    const r = lesson('controller-stale-no-check-quorum');
    expect(r.violations.map((v) => v.kind)).toEqual(['stale-controller']);
    expect(r.violations[0].details).toMatchObject({ controller: 'controller-3', broker: 'broker-1', answer: 'Raft', epoch: 1 });
    // Not before broker.session.timeout.ms (9 s) passed at the successor, and before the heal at 25 s.
    expect(r.violations[0].at).toBeGreaterThan(14_000_000);
    expect(r.violations[0].at).toBeLessThan(25_000_000);
    expect(lesson('controller-stale-check-quorum').violations).toEqual([]);
  });
});
