/**
 * The controller lessons of KIP-996 and KAFKA-15489: on a release without the feature the
 * quorum's failure is reported, naming who did what; on the twin's release it is not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import type { FrozenLeadership } from '../../src/checkers/quorumCheckers.js';

const entry = (name: string) => {
  const e = libraryEntries().find((x) => x.name === name);
  if (e === undefined) throw new Error(`no lesson ${name}`);
  return e;
};
const lesson = (name: string) => runScenario(entry(name).scenario, { seed: entry(name).scenario.seed });

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

  it('frozen-leadership: a quorum of one whose controller is down leaves a dead leader in place until it returns; three controllers elect a new active one and move it', () => {
    const r = lesson('controller-failover-single');
    expect(r.violations.map((v) => v.kind)).toEqual(['frozen-leadership']);
    const d = r.violations[0].details as unknown as FrozenLeadership;
    expect(d).toMatchObject({ partition: 'orders-0', broker: 'broker-1', why: 'no active controller: controller-1 down', open: false });
    // From broker-1's crash at 10 s to the controller's return at 30 s.
    expect(d.from).toBe(10_000_000);
    expect(d.to).toBeGreaterThanOrEqual(30_000_000);
    expect(d.to).toBeLessThan(31_000_000);
    expect(lesson('controller-failover').violations).toEqual([]);
  });

  it('frozen-leadership: two of three controllers down freeze it until the majority returns; two of five do not', () => {
    const r = lesson('controller-no-majority');
    expect(r.violations.map((v) => v.kind)).toEqual(['frozen-leadership']);
    const d = r.violations[0].details as unknown as FrozenLeadership;
    // controller-3 is still active when broker-1 dies (it resigned at 8.3 s, its epoch unchanged), but reaches no majority.
    expect(d).toMatchObject({ partition: 'orders-0', broker: 'broker-1', why: 'controller-3, active, reaches 1 of 3 voters', open: false, from: 10_000_000 });
    expect(d.to).toBeGreaterThanOrEqual(25_000_000);
    expect(d.to).toBeLessThan(26_000_000);
    // The acks=all sends waited and none was lost.
    expect(r.stats.failed + r.stats.indeterminate).toBe(0);
    expect(r.stats.acked).toBe(r.stats.produced);
    expect(lesson('controller-majority-of-five').violations).toEqual([]);
  });

  it('frozen-leadership: a freeze shorter than broker.session.timeout.ms is not one (a healthy controller waits that long anyway)', () => {
    const e = entry('controller-failover-single');
    const text = readFileSync(e.path, 'utf8');
    // The controller back 5 s after broker-1 died: frozen 5 s, under the 9 s session timeout.
    const quick = text.replace('{ at: 30s, action: restart, target: controller }', '{ at: 15s, action: restart, target: controller }');
    expect(quick).not.toBe(text);
    expect(runScenario(parseScenario(quick, e.path)).violations).toEqual([]);
    // The same 5 s with a 4 s session timeout is one.
    const shorterSession = quick.replace('min.insync.replicas: 2 }', 'min.insync.replicas: 2, broker.session.timeout.ms: 4000 }');
    expect(shorterSession).not.toBe(quick);
    expect(runScenario(parseScenario(shorterSession, e.path)).violations.map((v) => v.kind)).toEqual(['frozen-leadership']);
  });

  it("frozen-leadership: an internal topic's partitions are left out, as the availability report leaves them", () => {
    const e = entry('controller-failover-single');
    const text = readFileSync(e.path, 'utf8');
    // A consumer group brings __consumer_offsets, some of whose partitions broker-1 leads.
    const withGroup = text.replace('    workload: { rate: 200/s, keys: 50, start: 1s, stop: 38s }\n', '    workload: { rate: 200/s, keys: 50, start: 1s, stop: 38s }\n  - { id: c1, type: consumer, group: g1, topics: [orders] }\n');
    expect(withGroup).not.toBe(text);
    const r = runScenario(parseScenario(withGroup, e.path));
    expect(r.violations.filter((v) => v.kind === 'frozen-leadership').map((v) => (v.details as unknown as FrozenLeadership).partition)).toEqual(['orders-0']);
  });
});

