// The classic group harness the ports of GroupCoordinatorTest and ClassicGroupTest share:
// one kafkasim ConsumerGroup (src/nodes/coordinator/consumerGroup.ts) driven as Kafka's
// GroupCoordinatorTest drives its coordinator, with Kafka's MockTimer as a clock passed to
// each call (`advanceClock` is its timer.advanceClock) and futures as callbacks that record
// their answer. A first JoinGroup of a dynamic member gets MEMBER_ID_REQUIRED (KIP-394) and
// the member joins again with its id, as Kafka's dynamicJoinGroup does.
import { expect } from 'vitest';
import { ConsumerGroup, NEW_MEMBER_JOIN_TIMEOUT_MS, type GroupConfig, type GroupError, type JoinResult, type SyncResult } from '../../src/nodes/coordinator/consumerGroup.js';

export const PROTOCOL_TYPE = 'consumer';
export const METADATA = new Uint8Array(0);
export const PROTOCOLS = [{ name: 'range', metadata: METADATA }];
export const PROTOCOL_SUPERSET = [
  { name: 'range', metadata: METADATA },
  { name: 'roundrobin', metadata: METADATA },
];
export const DEFAULT_SESSION_TIMEOUT = 500;
export const DEFAULT_REBALANCE_TIMEOUT = 500;
export const GROUP_INITIAL_REBALANCE_DELAY = 50;
export const UNKNOWN_MEMBER_ID = '';

export class Future<T> {
  value: T | undefined;
  readonly complete = (v: T): void => {
    this.value = v;
  };
  get isCompleted(): boolean {
    return this.value !== undefined;
  }
  get(): T {
    if (this.value === undefined) throw new Error('not completed');
    return this.value;
  }
}

/** One group and Kafka's MockTimer. */
export class Harness {
  now = 0;
  readonly group: ConsumerGroup;

  /** Kafka's coordinator settings, or an older release's (`config`). */
  constructor(config: Partial<GroupConfig> = {}) {
    this.group = new ConsumerGroup('groupId', { initialRebalanceDelayMs: GROUP_INITIAL_REBALANCE_DELAY, expirePendingSync: true, newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS, ...config });
  }

  advanceClock(ms: number): void {
    this.now += ms;
    this.group.tick(this.now);
  }

  /** A JoinGroup as sent (Kafka's sendJoinGroup); a new dynamic member first gets its member id. */
  sendJoinGroup(memberId: string, opts: { protocolType?: string; protocols?: typeof PROTOCOLS; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; groupInstanceId?: string } = {}): Future<JoinResult> {
    const req = {
      clientId: 'clientId',
      protocolType: opts.protocolType ?? PROTOCOL_TYPE,
      protocols: opts.protocols ?? PROTOCOLS,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT,
      rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? DEFAULT_REBALANCE_TIMEOUT,
      ...(opts.groupInstanceId === undefined ? {} : { groupInstanceId: opts.groupInstanceId }),
    };
    const first = new Future<JoinResult>();
    this.group.join({ ...req, memberId }, this.now, first.complete);
    if (first.value?.error !== 'MEMBER_ID_REQUIRED') return first;
    const second = new Future<JoinResult>();
    this.group.join({ ...req, memberId: first.value.memberId }, this.now, second.complete);
    return second;
  }

  /** Kafka's joinGroupPartial: only the first JoinGroup of a new member, which hands it a member id (MEMBER_ID_REQUIRED) and makes it pending. */
  joinGroupPartial(opts: { sessionTimeoutMs?: number } = {}): JoinResult {
    const f = new Future<JoinResult>();
    this.group.join({ memberId: UNKNOWN_MEMBER_ID, clientId: 'clientId', protocolType: PROTOCOL_TYPE, protocols: PROTOCOLS, sessionTimeoutMs: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT, rebalanceTimeoutMs: DEFAULT_REBALANCE_TIMEOUT }, this.now, f.complete);
    return f.get();
  }

  /** Kafka's dynamicJoinGroup / staticJoinGroup: join, then let the initial rebalance delay pass. */
  joinGroup(memberId: string, opts: Parameters<Harness['sendJoinGroup']>[1] = {}): JoinResult {
    const f = this.sendJoinGroup(memberId, opts);
    if (f.isCompleted) return f.get();
    this.advanceClock(GROUP_INITIAL_REBALANCE_DELAY + 1);
    return f.get();
  }

  sendSyncGroup(memberId: string, generationId: number, assignments?: Map<string, Uint8Array>): Future<SyncResult> {
    const f = new Future<SyncResult>();
    this.group.sync({ memberId, generationId, ...(assignments === undefined ? {} : { assignments }) }, this.now, f.complete);
    return f;
  }

  syncGroupLeader(memberId: string, generationId: number, assignments: Map<string, Uint8Array>): SyncResult {
    return this.sendSyncGroup(memberId, generationId, assignments).get();
  }

  heartbeat(memberId: string, generationId: number): GroupError | undefined {
    return this.group.heartbeat({ memberId, generationId }, this.now);
  }

  commitOffsets(memberId: string, generationId: number): GroupError | undefined {
    const offsets = new Map([['topic-0', { offset: 0, leaderEpoch: -1, metadata: '', commitTimestamp: this.now }]]);
    return this.group.commit({ memberId, generationId }, offsets, this.now);
  }

  /** A one-member group, joined and synced (the start of many of Kafka's cases). */
  stableGroupOfOne(opts: Parameters<Harness['sendJoinGroup']>[1] = {}): JoinResult {
    const join = this.joinGroup(UNKNOWN_MEMBER_ID, opts);
    expect(join.error).toBeUndefined();
    expect(join.leaderId).toBe(join.memberId);
    expect(this.syncGroupLeader(join.memberId, join.generationId, new Map([[join.memberId, METADATA]])).error).toBeUndefined();
    return join;
  }

  /** Kafka's two-member setup: a stable member, a new member joins, the first rejoins. */
  groupOfTwo(): { first: JoinResult; leader: JoinResult; follower: JoinResult } {
    const first = this.stableGroupOfOne();
    const otherJoin = this.sendJoinGroup(UNKNOWN_MEMBER_ID);
    const join = this.sendJoinGroup(first.memberId);
    const leader = join.get();
    const follower = otherJoin.get();
    expect(leader.error).toBeUndefined();
    expect(follower.error).toBeUndefined();
    expect(leader.generationId).toBe(follower.generationId);
    expect(leader.leaderId).toBe(first.memberId);
    expect(follower.leaderId).toBe(first.memberId);
    return { first, leader, follower };
  }
}
