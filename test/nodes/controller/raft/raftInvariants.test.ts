/** Each invariant of RaftEventSimulationTest fires on the state that breaks it, naming its kind, time and node. */
import { describe, expect, it } from 'vitest';
import { RaftInvariants, type RaftMemberView } from '../../../../src/nodes/controller/raft/raftInvariants.js';
import type { RaftRecord } from '../../../../src/nodes/controller/raft/raftMessages.js';

interface Member {
  readonly id: number;
  readonly epoch: number;
  readonly leaderId?: number;
  readonly isLeader?: boolean;
  readonly hw?: number;
  readonly end?: number;
  readonly records?: readonly RaftRecord[];
}

function view(m: Member): RaftMemberView {
  const records = m.records ?? [];
  return {
    id: m.id,
    node: `controller-${m.id}`,
    voter: true,
    storedElection: { epoch: m.epoch, leaderId: m.leaderId, votedId: undefined },
    logEndOffset: m.end ?? records.length,
    live: { epoch: m.epoch, isLeader: m.isLeader ?? false, highWatermark: m.hw, logEndOffset: m.end ?? records.length, records: (from, end) => records.slice(from, end) },
  };
}

const data = (offset: number, value: string): RaftRecord => ({ offset, epoch: 1, kind: 'data', data: value });

describe('RaftInvariants', () => {
  it('SingleLeader: two leaders named for one epoch', () => {
    const inv = new RaftInvariants();
    inv.verify([view({ id: 1, epoch: 3, leaderId: 1 }), view({ id: 2, epoch: 3, leaderId: 2 })], 5_000);
    expect(inv.violations).toEqual([expect.objectContaining({ kind: 'spec:SingleLeader', at: 5_000, node: 'controller-2' })]);
  });

  it('MonotonicEpoch: a stored epoch that goes back', () => {
    const inv = new RaftInvariants();
    inv.verify([view({ id: 1, epoch: 3 })], 1);
    inv.verify([view({ id: 1, epoch: 2 })], 2);
    expect(inv.violations.map((v) => v.kind)).toEqual(['spec:MonotonicEpoch']);
  });

  it('MonotonicHighWatermark and MajorityReachedHighWatermark', () => {
    const inv = new RaftInvariants();
    const leader = (hw: number, end: number): RaftMemberView => view({ id: 1, epoch: 1, leaderId: 1, isLeader: true, hw, end });
    inv.verify([leader(5, 5), view({ id: 2, epoch: 1, leaderId: 1, end: 5 }), view({ id: 3, epoch: 1, leaderId: 1, end: 0 })], 1);
    expect(inv.violations).toEqual([]);
    inv.verify([leader(4, 5), view({ id: 2, epoch: 1, leaderId: 1, end: 5 }), view({ id: 3, epoch: 1, leaderId: 1, end: 0 })], 2);
    inv.verify([leader(5, 5), view({ id: 2, epoch: 1, leaderId: 1, end: 3 }), view({ id: 3, epoch: 1, leaderId: 1, end: 0 })], 3);
    expect(inv.violations.map((v) => v.kind)).toEqual(['spec:MonotonicHighWatermark', 'spec:MajorityReachedHighWatermark']);
  });

  it('MonotonicHighWatermark holds a newer leader to its predecessor, but not a stale leader of an older epoch', () => {
    const inv = new RaftInvariants();
    const leaderIn = (epoch: number, hw: number): RaftMemberView => view({ id: epoch, epoch, leaderId: epoch, isLeader: true, hw, end: 10 });
    inv.verify([leaderIn(3, 5), view({ id: 9, epoch: 3, end: 10 })], 1);
    inv.verify([leaderIn(1, 2), view({ id: 9, epoch: 3, end: 10 })], 2);
    expect(inv.violations).toEqual([]);
    inv.verify([leaderIn(4, 4), view({ id: 9, epoch: 4, end: 10 })], 3);
    expect(inv.violations.map((v) => v.kind)).toEqual(['spec:MonotonicHighWatermark']);
  });

  it('ConsistentCommittedData: a committed offset that holds another record on another member, or later', () => {
    const inv = new RaftInvariants();
    inv.validate([view({ id: 1, epoch: 1, hw: 2, records: [data(0, 'a'), data(1, 'b')] }), view({ id: 2, epoch: 1, hw: 2, records: [data(0, 'a'), data(1, 'c')] })], 9);
    expect(inv.violations).toEqual([expect.objectContaining({ kind: 'spec:ConsistentCommittedData', node: 'controller-2' })]);
  });

  it('leaves out the kinds it was asked to skip', () => {
    const inv = new RaftInvariants(['spec:MonotonicEpoch']);
    inv.verify([view({ id: 1, epoch: 3 })], 1);
    inv.verify([view({ id: 1, epoch: 2 })], 2);
    expect(inv.violations).toEqual([]);
  });
});
