import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';
import { parseScenarioDocument } from '../../src/scenarios/loader.js';
import { faultsBeyondDesign, judge, lessonProfile, runSwarmCase, scenarioWithFaults, swarmCase, type SwarmCase, type SwarmLesson } from '../../src/scenarios/swarm.js';
import type { RawFault } from '../../src/scenarios/arbitraries.js';
import type { Violation } from '../../src/sim/checker.js';

const entries = libraryEntries();

function lesson(name: string): SwarmLesson {
  const entry = entries.find((e) => e.name === name);
  if (entry === undefined) throw new Error(`no lesson ${name}`);
  return { name, raw: parseScenarioDocument(readFileSync(entry.path, 'utf8'), entry.path).raw as Record<string, unknown>, scenario: entry.scenario };
}

const violation = (kind: string): Violation => ({ kind, message: `${kind} (made up for the test)`, details: {} });

/** The verdict on a made-up run of `name` with `faults` added, which found `kinds`. */
function verdict(name: string, faults: RawFault[], kinds: string[], extra: { epochBumped?: boolean; error?: unknown } = {}) {
  const l = lesson(name);
  const profile = lessonProfile(l.scenario);
  const c: SwarmCase = { lesson: name, seed: 1, faults };
  return judge(profile, c, { violations: kinds.map(violation), beyondDesign: faultsBeyondDesign(profile, scenarioWithFaults(l, faults)), ...extra });
}

describe('the swarm (scripts/swarm.mjs; npm run test:swarm)', () => {
  it('runs real cases: a safe lesson and an unsafe one, each with its generated faults added, and finds nothing', { timeout: 60_000 }, () => {
    for (const name of ['retries-idempotent', 'unclean-election']) {
      const l = lesson(name);
      const c = swarmCase(l, 1);
      expect(c.faults.length).toBeGreaterThan(0);
      // The same lesson and case number always draw the same schedule.
      expect(swarmCase(l, 1).faults).toEqual(c.faults);
      const outcome = runSwarmCase(l, c);
      expect(outcome.events).toBeGreaterThan(1000);
      expect(outcome.findings).toEqual([]);
    }
  });

  it('finds a real violation the lesson does not expect: commit-before-process, edited to expect none, skips records', { timeout: 60_000 }, () => {
    const l = lesson('consumer-commit-before-crash');
    const edited: SwarmLesson = { ...l, raw: { ...l.raw, expect: { violations: 'none' } }, scenario: scenarioWithFaults({ ...l, raw: { ...l.raw, expect: { violations: 'none' } } }, []) };
    const out = runSwarmCase(edited, { lesson: l.name, seed: 1, faults: [{ at: '3s', action: 'pause', target: 'broker-1', for: '100ms' }] });
    expect(out.withinDesign).toBe(true);
    expect(out.findings.map((f) => `${f.kind} ${f.what}`)).toContain('unexpected-violation skipped');
  });

  it('counts a simulator exception as a finding, whatever the lesson and its faults', () => {
    const out = verdict('power-loss-all', [], [], { error: new RangeError('index out of range') });
    expect(out.findings).toMatchObject([{ kind: 'simulator-error', what: 'RangeError' }]);
  });

  it('counts a generated schedule the lesson refuses as an error (a bug in the swarm, never silence)', () => {
    const l = lesson('retries-idempotent');
    const out = runSwarmCase(l, { lesson: l.name, seed: 1, faults: [{ at: '2s', action: 'crash', target: 'leader(no-such-topic-0)' }] });
    expect(out.findings.map((f) => f.kind)).toEqual(['simulator-error']);
  });

  it('does not count a multi-broker power loss against a safe lesson, nor a disk fault', () => {
    const lost = ['lost-write', 'spec:LeaderCompleteness'];
    const twoPower: RawFault[] = [
      { at: '5s', action: 'crash', target: 'broker-1', mode: 'power' },
      { at: '5s', action: 'crash', target: 'broker-2', mode: 'power' },
    ];
    expect(verdict('retries-idempotent', twoPower, lost).findings).toEqual([]);
    expect(verdict('retries-idempotent', [{ at: '5s', action: 'crash', target: 'all-brokers', mode: 'power' }], lost).findings).toEqual([]);
    const disk = verdict('retries-idempotent', [{ at: '5s', action: 'disk', target: 'broker-1', fault: 'bitflip', count: 2 }], lost);
    expect(disk.withinDesign).toBe(false);
    expect(disk.findings).toEqual([]);
  });

  it('holds a safe lesson to a single power loss, but not to one after another broker was cut off', () => {
    const lost = ['lost-write', 'spec:NoCommittedRecordLostGlobally'];
    const single = verdict('retries-idempotent', [{ at: '5s', action: 'crash', target: 'leader(orders-0)', mode: 'power' }], lost);
    expect(single.withinDesign).toBe(true);
    expect(single.findings.map((f) => `${f.kind} ${f.what}`)).toEqual(['unexpected-violation lost-write', 'spec-violation spec:NoCommittedRecordLostGlobally']);
    const afterCut = verdict(
      'retries-idempotent',
      [
        { at: '2s', action: 'partition', isolate: 'broker-3' },
        { at: '5s', action: 'crash', target: 'broker-1', mode: 'power' },
      ],
      lost,
    );
    expect(afterCut.withinDesign).toBe(false);
    expect(afterCut.findings).toEqual([]);
    // acks=1 lets one replica hold acknowledged writes: one power loss is already beyond it.
    expect(verdict('acks1-leader-failover', [{ at: '25s', action: 'crash', target: 'broker-1', mode: 'power' }], ['spec:LeaderCompleteness']).findings).toEqual([]);
  });

  it('judges online-spec violations on every lesson whose configuration does not allow them', () => {
    const crash: RawFault[] = [{ at: '5s', action: 'crash', target: 'broker-1' }];
    // acks=1 expects lost writes, yet elects cleanly: a spec violation is a finding.
    expect(verdict('acks1-leader-failover', crash, ['lost-write', 'spec:LeaderCompleteness']).findings.map((f) => f.what)).toEqual(['spec:LeaderCompleteness']);
    expect(verdict('unclean-election-off', crash, ['spec:LeaderCompleteness']).findings.map((f) => f.what)).toEqual(['spec:LeaderCompleteness']);
    // Unclean election gives committed records up by design: no broker fault is within its design.
    const unclean = verdict('unclean-election', crash, ['lost-write', 'spec:LeaderCompleteness']);
    expect(unclean.withinDesign).toBe(false);
    expect(unclean.findings).toEqual([]);
  });

  it('allows what the configuration allows under faults: retries without idempotence, at-least-once consumers, duplicates after an epoch bump, writes lost with acks=1', () => {
    const crash: RawFault[] = [{ at: '5s', action: 'crash', target: 'broker-1' }];
    expect(verdict('kip101-leader-epoch', crash, ['duplicate']).findings).toEqual([]);
    expect(verdict('consumer-zombie-member', crash, ['reprocessed']).findings).toEqual([]);
    expect(verdict('consumer-zombie-member', crash, ['skipped']).findings.map((f) => f.what)).toEqual(['skipped']);
    expect(verdict('retries-idempotent', crash, ['duplicate']).findings.map((f) => f.what)).toEqual(['duplicate']);
    expect(verdict('retries-idempotent', crash, ['duplicate'], { epochBumped: true }).findings).toEqual([]);
    // acks=1, the default of a release before 3.0 (KIP-679): a leader change loses what only the leader had.
    expect(verdict('consumer-offset-expiry-kip211', crash, ['lost-write']).findings).toEqual([]);
    expect(verdict('retries-idempotent', crash, ['lost-write']).findings.map((f) => f.what)).toEqual(['lost-write']);
    // A message lost-write found lost (and allowed) is never read either; other unread messages are still found.
    const l = lesson('consumer-offset-expiry-kip211');
    const lost = (ids: string[]): Violation => ({ kind: 'lost-write', message: 'made up', details: { partition: 'orders-0', ids } });
    const unseen = (ids: string[]): Violation => ({ kind: 'unseen', message: 'made up', details: { partition: 'orders-0', ids } });
    const judged = (vs: Violation[]) => judge(lessonProfile(l.scenario), { lesson: l.name, seed: 1, faults: crash }, { violations: vs, beyondDesign: [] }).findings.map((f) => f.what);
    expect(judged([lost(['p2#1810']), unseen(['p2#1810'])])).toEqual([]);
    expect(judged([lost(['p2#1810']), unseen(['p2#1810', 'p1#0'])])).toEqual(['unseen']);
    expect(judged([unseen(['p2#1810'])])).toEqual(['unseen']);
    // A lesson that expects violations is judged on simulator errors and the replication invariants only.
    expect(verdict('retries-duplicate', crash, ['lost-write', 'duplicate']).findings).toEqual([]);
    expect(verdict('retries-duplicate', crash, ['divergence', 'hw-regression']).findings.map((f) => `${f.kind} ${f.what}`)).toEqual(['replication-violation divergence', 'replication-violation hw-regression']);
  });
});
