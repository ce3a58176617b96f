import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConsumerGroup, type JoinRequest, type JoinResult, type SyncResult } from '../../../src/nodes/coordinator/consumerGroup.js';

const proto = (name = 'range', meta = 'orders') => [{ name, metadata: Buffer.from(meta) }];
const req = (memberId: string, extra: Partial<JoinRequest> = {}): JoinRequest => ({
  memberId,
  clientId: 'c',
  protocolType: 'consumer',
  protocols: proto(),
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 60_000,
  ...extra,
});

/** Joins a member the KIP-394 way: first for an id, then with it. Returns the id and where its JoinGroup answer lands. */
function joinNew(g: ConsumerGroup, now: number, extra: Partial<JoinRequest> = {}): { id: string; result: JoinResult[] } {
  const result: JoinResult[] = [];
  let id = '';
  g.join(req('', extra), now, (r) => {
    expect(r.error).toBe('MEMBER_ID_REQUIRED');
    id = r.memberId;
  });
  g.join(req(id, extra), now, (r) => result.push(r));
  return { id, result };
}

function stableGroupOfTwo(): { g: ConsumerGroup; a: string; b: string; syncs: Map<string, SyncResult> } {
  const g = new ConsumerGroup('g');
  const a = joinNew(g, 0);
  const b = joinNew(g, 100);
  expect(a.result).toEqual([]); // held: a new group waits group.initial.rebalance.delay.ms
  g.tick(3_000);
  // Kafka: GroupCoordinatorTest.shouldDelayRebalanceUptoRebalanceTimeout (KIP-134's InitialDelayedJoin):
  // b joined during the delay, so it runs another stretch of group.initial.rebalance.delay.ms.
  expect(g.state).toBe('PreparingRebalance');
  expect(a.result).toEqual([]);
  g.tick(6_000);
  expect(g.state).toBe('CompletingRebalance');
  expect(a.result[0]).toMatchObject({ generationId: 1, protocol: 'range', leaderId: a.id });
  expect(a.result[0].members.map((m) => m.memberId)).toEqual([a.id, b.id]); // the leader sees everyone
  expect(b.result[0]).toMatchObject({ generationId: 1, leaderId: a.id, members: [] });
  const syncs = new Map<string, SyncResult>();
  g.sync({ memberId: b.id, generationId: 1 }, 6_010, (r) => syncs.set(b.id, r));
  expect(syncs.size).toBe(0); // waits for the leader's assignment
  g.sync({ memberId: a.id, generationId: 1, assignments: new Map([[a.id, Buffer.from('p0')], [b.id, Buffer.from('p1')]]) }, 6_020, (r) => syncs.set(a.id, r));
  expect(g.state).toBe('Stable');
  expect([a.id, b.id].map((id) => Buffer.from(syncs.get(id)?.assignment ?? []).toString())).toEqual(['p0', 'p1']);
  return { g, a: a.id, b: b.id, syncs };
}

describe('a consumer group on its coordinator (classic protocol)', () => {
  it('hands out member ids, waits for members, elects a leader, and distributes its assignment', () => {
    stableGroupOfTwo();
  });

  it('rejects commits and heartbeats from unknown members and stale generations, and commits during rebalance', () => {
    const { g, a, b } = stableGroupOfTwo();
    const offsets = new Map([['orders-0', { offset: 42, leaderEpoch: 0, metadata: '', commitTimestamp: 5 }]]);
    expect(g.commit({ memberId: a, generationId: 1 }, offsets, 7_000)).toBeUndefined();
    expect(g.fetchOffset('orders-0')?.offset).toBe(42);
    expect(g.commit({ memberId: 'stranger', generationId: 1 }, offsets, 7_000)).toBe('UNKNOWN_MEMBER_ID');
    expect(g.commit({ memberId: a, generationId: 0 }, offsets, 7_000)).toBe('ILLEGAL_GENERATION');
    expect(g.heartbeat({ memberId: b, generationId: 0 }, 7_000)).toBe('ILLEGAL_GENERATION');
    // b leaves: a rebalance starts; a's heartbeat says so, and a's commits for generation 1 still count until it rejoins.
    expect(g.leave(b, undefined, 8_000)).toBeUndefined();
    expect(g.state).toBe('PreparingRebalance');
    expect(g.heartbeat({ memberId: a, generationId: 1 }, 8_001)).toBe('REBALANCE_IN_PROGRESS');
    const rejoined: JoinResult[] = [];
    g.join(req(a), 8_002, (r) => rejoined.push(r));
    expect(rejoined[0]).toMatchObject({ generationId: 2, leaderId: a });
    expect(g.state).toBe('CompletingRebalance');
    expect(g.commit({ memberId: a, generationId: 2 }, offsets, 8_003)).toBe('REBALANCE_IN_PROGRESS');
  });

  it('removes a member silent for session.timeout.ms and rebalances the rest', () => {
    const { g, a, b } = stableGroupOfTwo();
    for (let t = 7_000; t <= 17_000; t += 2_000) expect(g.heartbeat({ memberId: a, generationId: 1 }, t)).toBeUndefined();
    g.tick(16_021); // b's last word was at 6,010: more than 10 s ago
    expect(g.has(b)).toBe(false);
    expect(g.state).toBe('PreparingRebalance');
    const rejoined: JoinResult[] = [];
    g.join(req(a), 17_000, (r) => rejoined.push(r));
    expect(rejoined[0]).toMatchObject({ generationId: 2 });
    // b is no longer a member: Kafka checks the member before the group state
    // (GroupCoordinatorTest.testCommitOffsetInCompletingRebalanceFromUnknownMemberId).
    expect(g.commit({ memberId: b, generationId: 1 }, new Map(), 17_001)).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: MemberMetadata.shouldKeepAlive (awaitingSyncCallback != null): a member parked in SyncGroup
  // is not expired by its session timeout while it waits for the leader's assignment.
  it('keeps a member waiting in SyncGroup past its session timeout, while one that is silent outside it goes', () => {
    for (const expirePendingSync of [true, false]) {
      const g = new ConsumerGroup('g', { initialRebalanceDelayMs: 0, expirePendingSync });
      const a = joinNew(g, 0, { rebalanceTimeoutMs: 30_000 });
      expect(a.result[0]).toMatchObject({ generationId: 1, leaderId: a.id });
      const b = joinNew(g, 10, { rebalanceTimeoutMs: 30_000 }); // a second member: a rebalance
      g.join(req(a.id, { rebalanceTimeoutMs: 30_000 }), 20, () => {});
      expect(g.state).toBe('CompletingRebalance');
      const answered: SyncResult[] = [];
      g.sync({ memberId: b.id, generationId: 2 }, 30, (r) => answered.push(r)); // b waits for the leader's assignment
      g.tick(15_000); // 15 s of silence: a's session (10 s) is over, b waits in SyncGroup
      expect(g.has(b.id)).toBe(true);
      expect(g.has(a.id)).toBe(false); // a sent neither heartbeat nor SyncGroup
      expect(answered).toEqual([{ error: 'REBALANCE_IN_PROGRESS', assignment: expect.anything() }]);
    }
  });

  it('expires members that joined but never sent SyncGroup once the rebalance timeout passes (KAFKA-12890), or not before 2.8', () => {
    for (const expirePendingSync of [true, false]) {
      const g = new ConsumerGroup('g', { initialRebalanceDelayMs: 0, expirePendingSync });
      const a = joinNew(g, 0, { rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 60_000 });
      expect(g.state).toBe('CompletingRebalance');
      g.tick(4_000);
      expect(g.has(a.id)).toBe(true);
      g.tick(5_100); // the rebalance timeout after the join completed
      expect(g.has(a.id)).toBe(!expirePendingSync);
    }
  });

  it('lets a static member restart without a rebalance, and fences its old incarnation (KIP-345)', () => {
    const g = new ConsumerGroup('g', { initialRebalanceDelayMs: 0, expirePendingSync: true });
    const first: JoinResult[] = [];
    g.join(req('', { groupInstanceId: 'i-1' }), 0, (r) => first.push(r));
    expect(first[0]).toMatchObject({ generationId: 1 });
    const oldId = first[0].memberId;
    g.sync({ memberId: oldId, groupInstanceId: 'i-1', generationId: 1, assignments: new Map([[oldId, Buffer.from('all')]]) }, 10, () => {});
    expect(g.state).toBe('Stable');
    // The process restarts and rejoins with no member id: same place, no new generation.
    const again: JoinResult[] = [];
    g.join(req('', { groupInstanceId: 'i-1' }), 5_000, (r) => again.push(r));
    expect(again[0].error).toBeUndefined();
    expect(again[0].generationId).toBe(1);
    expect(again[0].memberId).not.toBe(oldId);
    expect(g.state).toBe('Stable');
    const assignment: SyncResult[] = [];
    g.sync({ memberId: again[0].memberId, groupInstanceId: 'i-1', generationId: 1 }, 5_001, (r) => assignment.push(r));
    expect(Buffer.from(assignment[0].assignment).toString()).toBe('all');
    // The old incarnation, a zombie, is fenced.
    expect(g.heartbeat({ memberId: oldId, groupInstanceId: 'i-1', generationId: 1 }, 5_002)).toBe('FENCED_INSTANCE_ID');
    expect(g.commit({ memberId: oldId, groupInstanceId: 'i-1', generationId: 1 }, new Map(), 5_003)).toBe('FENCED_INSTANCE_ID');
  });

  it('refuses a member whose protocols share nothing with the group, and takes commits from outside an empty group', () => {
    const { g } = stableGroupOfTwo();
    const r: JoinResult[] = [];
    g.join(req('', { protocols: proto('roundrobin') }), 7_000, (x) => r.push(x));
    expect(r[0].error).toBe('INCONSISTENT_GROUP_PROTOCOL');
    const empty = new ConsumerGroup('e');
    expect(empty.commit({ memberId: '', generationId: -1 }, new Map([['t-0', { offset: 7, leaderEpoch: -1, metadata: '', commitTimestamp: 0 }]]), 0)).toBeUndefined();
    expect(empty.fetchOffset('t-0')?.offset).toBe(7);
  });
});

describe('consumer group invariants under random members, leaves, heartbeats and time', () => {
  type Step = { op: 'join'; who: number; static: boolean } | { op: 'rejoin'; who: number } | { op: 'leave'; who: number } | { op: 'beat'; who: number } | { op: 'sync'; who: number } | { op: 'wait'; ms: number } | { op: 'commit'; who: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('join' as const), who: fc.nat(4), static: fc.boolean() }),
    fc.record({ op: fc.constant('rejoin' as const), who: fc.nat(4) }),
    fc.record({ op: fc.constant('leave' as const), who: fc.nat(4) }),
    fc.record({ op: fc.constant('beat' as const), who: fc.nat(4) }),
    fc.record({ op: fc.constant('sync' as const), who: fc.nat(4) }),
    fc.record({ op: fc.constant('commit' as const), who: fc.nat(4) }),
    fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 15_000 }) }),
  );

  it('never moves the generation back, keeps the leader a member, and commits only from the current generation', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const g = new ConsumerGroup('g', { initialRebalanceDelayMs: 1_000, expirePendingSync: true });
        const ids: string[] = [];
        const gens: number[] = [];
        let now = 0;
        let lastGeneration = g.generationId;
        for (const s of steps) {
          now += 10;
          const id = ids[s.op === 'wait' ? 0 : s.who] ?? '';
          switch (s.op) {
            case 'join': {
              const instance = s.static ? `i-${s.who}` : undefined;
              g.join(req('', { groupInstanceId: instance }), now, (r) => {
                if (r.error === 'MEMBER_ID_REQUIRED') g.join(req(r.memberId), now, (x) => { if (!x.error) { ids[s.who] = x.memberId; gens[s.who] = x.generationId; } });
                else if (!r.error) {
                  ids[s.who] = r.memberId;
                  gens[s.who] = r.generationId;
                }
              });
              break;
            }
            case 'rejoin':
              g.join(req(id), now, (r) => { if (!r.error) gens[s.who] = r.generationId; });
              break;
            case 'leave':
              g.leave(id, undefined, now);
              break;
            case 'beat':
              g.heartbeat({ memberId: id, generationId: gens[s.who] ?? -1 }, now);
              break;
            case 'sync':
              g.sync({ memberId: id, generationId: gens[s.who] ?? -1, assignments: new Map() }, now, () => {});
              break;
            case 'commit': {
              const before = g.fetchOffset('t-0')?.offset;
              const err = g.commit({ memberId: id, generationId: gens[s.who] ?? -1 }, new Map([['t-0', { offset: now, leaderEpoch: 0, metadata: '', commitTimestamp: now }]]), now);
              if (err === undefined) {
                // Accepted only from a current member in the current generation (or from outside an empty group).
                expect(g.has(id) ? gens[s.who] === g.generationId : g.state === 'Empty').toBe(true);
                expect(g.fetchOffset('t-0')?.offset).toBe(now);
              } else expect(g.fetchOffset('t-0')?.offset).toBe(before);
              break;
            }
            case 'wait':
              now += s.ms;
              g.tick(now);
              break;
          }
          expect(g.generationId).toBeGreaterThanOrEqual(lastGeneration);
          lastGeneration = g.generationId;
          if (g.state === 'Stable' || g.state === 'CompletingRebalance') expect(g.memberIds).toContain(g.leaderId);
          if (g.state === 'Empty') expect(g.memberIds).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
