import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runCheckers } from '../../src/sim/checker.js';
import { History } from '../../src/sim/history.js';
import { time } from '../../src/sim/time.js';
import { groupCheckers, groupLag } from '../../src/checkers/groupCheckers.js';
import type { AppliedCommit, ClusterFinalState, CommittedOffsetChange } from '../../src/checkers/finalState.js';

const P = 'orders-0';

/** What one member does, step by step, in a made-up run of one partition holding n records. */
type Step =
  | { readonly kind: 'poll'; readonly from: number; readonly to: number; readonly process?: readonly number[] }
  | { readonly kind: 'seek'; readonly from: number; readonly to: number; readonly reason: string }
  | { readonly kind: 'assign' };

interface Run {
  readonly n: number;
  readonly steps: readonly Step[];
  readonly committed: number;
  readonly commits?: readonly AppliedCommit[];
  readonly offsetChanges?: readonly CommittedOffsetChange[];
  /** Ids read at offsets, when a test wants a different one than p#offset. */
  readonly idAt?: (offset: number, step: number) => string;
}

/** Builds the history and final state a run like this leaves, with sends for every record. */
function build(run: Run): { history: History; state: ClusterFinalState } {
  let now = 0;
  const h = new History(() => time(now++));
  for (let i = 0; i < run.n; i++) {
    h.completeSend(h.invokeSend('p', i, P), 'ok', P, i);
  }
  h.complete(h.invoke('c1-1', 'assign', {}), 'ok', { added: [P], generation: 1, member: 'c1-1', partitions: [P] });
  run.steps.forEach((s, k) => {
    if (s.kind === 'assign') h.complete(h.invoke('c1-1', 'assign', {}), 'ok', { added: [P], generation: 1, member: 'c1-1', partitions: [P] });
    if (s.kind === 'seek') h.complete(h.invoke('c1-1', 'seek', {}), 'ok', { from: s.from, member: 'c1-1', partition: P, reason: s.reason, to: s.to });
    if (s.kind !== 'poll') return;
    const offsets = Array.from({ length: s.to - s.from }, (_, i) => s.from + i);
    const id = (o: number): string => run.idAt?.(o, k) ?? `p#${o}`;
    h.complete(h.invoke('c1-1', 'poll', {}), 'ok', { generation: 1, member: 'c1-1', records: offsets.map((o) => [P, o, id(o)]) });
    for (const o of s.process ?? offsets) {
      const v = { generation: 1, id: id(o), member: 'c1-1', offset: o, partition: P };
      h.complete(h.invoke('c1-1', 'process', v), 'ok', v);
    }
  });
  const records = Array.from({ length: run.n }, (_, i) => ({ offset: i, id: `p#${i}`, epoch: 0 }));
  const state: ClusterFinalState = {
    partitions: [{ partition: P, committed: records, highWatermark: run.n, logStartOffset: 0, replicas: [] }],
    groups: [{ group: 'g1', members: ['c1-1'], partitions: [P], committed: new Map([[P, run.committed]]) }],
    commits: run.commits ?? [],
    offsetChanges: run.offsetChanges ?? [],
  };
  return { history: h, state };
}

const kindsOf = (run: Run): string[] => {
  const { history, state } = build(run);
  return [...new Set(runCheckers(groupCheckers, history, state).violations.map((v) => v.kind))].sort();
};

/** A clean run: n records polled in consecutive chunks, each processed once, all committed. */
const cleanRun = fc
  .integer({ min: 2, max: 60 })
  .chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: 8 })))
  .map(([n, cuts]): Run => {
    const bounds = [0, ...[...cuts].sort((a, b) => a - b), n];
    const steps: Step[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) steps.push({ kind: 'poll', from: bounds[i], to: bounds[i + 1] });
    return { n, steps, committed: n };
  });

const commit = (member: string, generation: number, offset: number, at: number, stale = false): AppliedCommit => ({ at, broker: 1, group: 'g1', member, generation, currentGeneration: 1, stale, partition: P, offset });

describe('group checkers', () => {
  it('find nothing in a clean run', () => {
    fc.assert(
      fc.property(cleanRun, (run) => {
        expect(kindsOf(run)).toEqual([]);
      }),
    );
  });

  it('skipped: a committed record nobody processed', () => {
    fc.assert(
      fc.property(cleanRun, fc.nat(), (run, pick) => {
        const victim = pick % run.n;
        const steps = run.steps.map((s) => (s.kind === 'poll' && s.from <= victim && victim < s.to ? { ...s, process: Array.from({ length: s.to - s.from }, (_, i) => s.from + i).filter((o) => o !== victim) } : s));
        expect(kindsOf({ ...run, steps })).toEqual(['skipped']);
      }),
    );
  });

  it('reprocessed: a record processed twice', () => {
    fc.assert(
      fc.property(cleanRun, (run) => {
        const last = run.steps.at(-1) as Extract<Step, { kind: 'poll' }>;
        // The last chunk is polled again after a rebalance, and processed again.
        expect(kindsOf({ ...run, steps: [...run.steps, { kind: 'assign' }, last] })).toEqual(['reprocessed']);
      }),
    );
  });

  it('poll-skip and nonmonotonic-poll, unless a rebalance or a seek comes between', () => {
    const n = 10;
    const skip: Run = { n, committed: 4, steps: [{ kind: 'poll', from: 0, to: 2 }, { kind: 'poll', from: 4, to: 6 }] };
    // Offsets 2 and 3 were never read, yet committed past: a poll-skip, and they were skipped.
    expect(kindsOf(skip)).toEqual(['poll-skip', 'skipped']);
    const back: Run = { n, committed: 4, steps: [{ kind: 'poll', from: 0, to: 4 }, { kind: 'poll', from: 2, to: 4 }] };
    expect(kindsOf(back)).toEqual(['nonmonotonic-poll', 'reprocessed']);
    const seeked: Run = { n, committed: 4, steps: [{ kind: 'poll', from: 0, to: 4 }, { kind: 'seek', from: 4, to: 2, reason: 'log-truncation' }, { kind: 'poll', from: 2, to: 4 }] };
    expect(kindsOf(seeked)).toEqual(['reprocessed']);
  });

  it('inconsistent-offsets: one offset read as two messages', () => {
    const run: Run = { n: 4, committed: 4, steps: [{ kind: 'poll', from: 0, to: 4 }, { kind: 'assign' }, { kind: 'poll', from: 2, to: 4, process: [] }], idAt: (o, step) => (step === 2 && o === 3 ? 'x#9' : `p#${o}`) };
    expect(kindsOf(run)).toEqual(['inconsistent-offsets']);
  });

  it('stale-commit and ownership come from the commits coordinators applied', () => {
    const base: Run = { n: 4, committed: 4, steps: [{ kind: 'poll', from: 0, to: 4 }] };
    expect(kindsOf({ ...base, commits: [commit('m1', 1, 2, 10), commit('m1', 1, 4, 20)] })).toEqual([]);
    expect(kindsOf({ ...base, commits: [commit('m1', 0, 2, 10, true)] })).toEqual(['stale-commit']);
    // A restarted static member takes over: its commits follow the old one's, no overlap.
    expect(kindsOf({ ...base, commits: [commit('m1', 1, 2, 10), commit('m2', 1, 3, 20), commit('m2', 1, 4, 30)] })).toEqual([]);
    expect(kindsOf({ ...base, commits: [commit('m1', 1, 2, 10), commit('m2', 1, 3, 20), commit('m1', 1, 4, 30)] })).toEqual(['ownership']);
  });

  it('offset-regression: a committed offset going back with no seek between', () => {
    const base: Run = { n: 4, committed: 4, steps: [{ kind: 'poll', from: 0, to: 4 }] };
    const change = (offset: number, at: number, source: 'commit' | 'load' = 'commit'): CommittedOffsetChange => ({ at, broker: 1, group: 'g1', partition: P, offset, source });
    expect(kindsOf({ ...base, offsetChanges: [change(2, 1), change(4, 2), change(4, 3, 'load')] })).toEqual([]);
    expect(kindsOf({ ...base, offsetChanges: [change(2, 1), change(4, 2), change(3, 3, 'load')] })).toEqual(['offset-regression']);
  });

  it('retention-loss: a member jumped forward past records the group never processed', () => {
    const run: Run = { n: 10, committed: 10, steps: [{ kind: 'poll', from: 0, to: 3 }, { kind: 'seek', from: 3, to: 7, reason: 'offset-out-of-range' }, { kind: 'poll', from: 7, to: 10 }] };
    const { history, state } = build(run);
    // Retention took offsets 0..6 from the final log.
    const trimmed: ClusterFinalState = { ...state, partitions: state.partitions.map((p) => ({ ...p, committed: p.committed.filter((r) => r.offset >= 7), logStartOffset: 7 })) };
    const violations = runCheckers(groupCheckers, history, trimmed).violations;
    expect(violations.map((v) => v.kind)).toEqual(['retention-loss']);
    expect(violations[0].details).toMatchObject({ from: 3, to: 7, lost: 4 });
  });

  it('unseen: an acknowledged write nobody read in a partition the group caught up with', () => {
    const run: Run = { n: 5, committed: 5, steps: [{ kind: 'poll', from: 0, to: 2 }, { kind: 'poll', from: 3, to: 5 }] };
    const kinds = kindsOf(run);
    expect(kinds).toContain('unseen');
    expect(kinds).toContain('skipped');
  });

  // ConsumerConfig auto.offset.reset=latest: a group with no committed offset starts at the log
  // end (swarm finding consumer-offset-expiry-kip211 case 20: the group formed after the
  // producer's first 146 records per partition, and unseen called them lost).
  it('unseen: records written before a group with no committed offset started at the log end (latest) are not owed; after a commit they are', () => {
    const { history, state } = build({ n: 10, committed: 10, steps: [{ kind: 'poll', from: 4, to: 10 }] });
    const unseenIds = (s: ClusterFinalState): unknown => runCheckers(groupCheckers, history, s).violations.find((v) => v.kind === 'unseen')?.details.ids;
    const reset = { at: 50, member: 'c1-1', partition: P, policy: 'latest', offset: 4 } as const;
    expect(unseenIds(state)).toEqual(['p#0', 'p#1', 'p#2', 'p#3']);
    expect(unseenIds({ ...state, resets: [reset] })).toBeUndefined();
    // A reset to latest after the group had committed (its offsets expired) skips records it owed.
    expect(unseenIds({ ...state, resets: [reset], commits: [commit('c1-1', 1, 2, 40)] })).toEqual(['p#0', 'p#1', 'p#2', 'p#3']);
    // earliest never skips; nor does a member of another group excuse this one.
    expect(unseenIds({ ...state, resets: [{ ...reset, policy: 'earliest' }] })).toEqual(['p#0', 'p#1', 'p#2', 'p#3']);
    expect(unseenIds({ ...state, resets: [{ ...reset, member: 'other-1' }] })).toEqual(['p#0', 'p#1', 'p#2', 'p#3']);
    expect(unseenIds({ ...state, resets: [{ ...reset, offset: 2 }] })).toEqual(['p#2', 'p#3']);
  });

  it('reports the lag per partition', () => {
    const { state } = build({ n: 10, committed: 7, steps: [] });
    expect(groupLag(state)).toEqual({ [P]: 3 });
  });
});

describe('group checkers: the end of the run', () => {
  it("records of a live member's last poll, unfinished when the run ended, are not skipped; a crashed member's are", () => {
    let now = 0;
    const h = new History(() => time(now++));
    for (let i = 0; i < 3; i++) h.completeSend(h.invokeSend('p', i, P), 'ok', P, i);
    h.complete(h.invoke('c1-1', 'assign', {}), 'ok', { added: [P], generation: 1, member: 'c1-1', partitions: [P] });
    h.complete(h.invoke('c1-1', 'poll', {}), 'ok', { generation: 1, member: 'c1-1', records: [0, 1, 2].map((o) => [P, o, `p#${o}`]) });
    const v = (o: number) => ({ generation: 1, id: `p#${o}`, member: 'c1-1', offset: o, partition: P });
    h.complete(h.invoke('c1-1', 'process', v(0)), 'ok', v(0));
    h.complete(h.invoke('c1-1', 'process', v(1)), 'ok', v(1));
    h.invoke('c1-1', 'process', v(2)); // begun, never finished
    const records = [0, 1, 2].map((o) => ({ offset: o, id: `p#${o}`, epoch: 0 }));
    const state = (alive: Map<string, number>): ClusterFinalState => ({
      partitions: [{ partition: P, committed: records, highWatermark: 3, logStartOffset: 0, replicas: [] }],
      groups: [{ group: 'g1', members: ['c1-1'], partitions: [P], committed: new Map([[P, 3]]), alive }],
    });
    const kinds = (s: ClusterFinalState) => runCheckers(groupCheckers, h, s).violations.map((x) => x.kind);
    expect(kinds(state(new Map([['c1-1', 0]])))).toEqual([]);
    // The member crashed (it is not alive), or restarted after it began the record: lost.
    expect(kinds(state(new Map()))).toEqual(['skipped']);
    expect(kinds(state(new Map([['c1-1', 50]])))).toEqual(['skipped']);
  });
});
