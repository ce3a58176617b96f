// Kafka's own tests as the oracle (issue 22): cases of
// core/src/test/scala/unit/kafka/coordinator/group/GroupCoordinatorTest.scala (the classic
// group protocol's coordinator) ported to kafkasim's ConsumerGroup
// (src/nodes/coordinator/consumerGroup.ts), the group's state machine without a network.
//
// Kafka's harness, adapted (test/oracle/classicGroupHarness.ts): its MockTimer is a clock passed to each call;
// futures are callbacks that record their answer. dynamicJoinGroup
// requires a known member id (KIP-394), as Kafka's helper does: a first JoinGroup gets
// MEMBER_ID_REQUIRED and the member joins again with the id. kafkasim always requires it, so
// Kafka's sendJoinGroup with UNKNOWN_MEMBER_ID (and requireKnownMemberId = false) is the same
// two JoinGroups here. Groups are created by the first join, as the coordinator does.
import { describe, expect, it } from 'vitest';
import { NEW_MEMBER_JOIN_TIMEOUT_MS, type JoinResult } from '../../src/nodes/coordinator/consumerGroup.js';
import { DEFAULT_REBALANCE_TIMEOUT, DEFAULT_SESSION_TIMEOUT, GROUP_INITIAL_REBALANCE_DELAY, Harness, METADATA, PROTOCOL_SUPERSET, UNKNOWN_MEMBER_ID } from './classicGroupHarness.js';

describe('GroupCoordinatorTest: JoinGroup', () => {
  // Kafka: GroupCoordinatorTest.testJoinGroupUnknownConsumerNewGroup
  it('testJoinGroupUnknownConsumerNewGroup', () => {
    const h = new Harness();
    expect(h.joinGroup('memberId').error).toBe('UNKNOWN_MEMBER_ID');
    expect(h.joinGroup('memberId', { groupInstanceId: 'groupInstanceId' }).error).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testValidJoinGroup
  it('testValidJoinGroup', () => {
    expect(new Harness().joinGroup(UNKNOWN_MEMBER_ID).error).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupInconsistentProtocolType
  it('testJoinGroupInconsistentProtocolType', () => {
    const h = new Harness();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID).error).toBeUndefined();
    expect(h.sendJoinGroup(UNKNOWN_MEMBER_ID, { protocolType: 'connect' }).get().error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupWithEmptyProtocolType
  it('testJoinGroupWithEmptyProtocolType', () => {
    const h = new Harness();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID, { protocolType: '' }).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(h.joinGroup(UNKNOWN_MEMBER_ID, { protocolType: '', groupInstanceId: 'groupInstanceId' }).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupWithEmptyGroupProtocol
  it('testJoinGroupWithEmptyGroupProtocol', () => {
    expect(new Harness().joinGroup(UNKNOWN_MEMBER_ID, { protocols: [] }).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupInconsistentGroupProtocol
  it('testJoinGroupInconsistentGroupProtocol', () => {
    const h = new Harness();
    const joinFuture = h.sendJoinGroup(UNKNOWN_MEMBER_ID, { protocols: [{ name: 'range', metadata: METADATA }] });
    const other = h.joinGroup(UNKNOWN_MEMBER_ID, { protocols: [{ name: 'roundrobin', metadata: METADATA }] });
    h.advanceClock(GROUP_INITIAL_REBALANCE_DELAY + 1);
    expect(joinFuture.get().error).toBeUndefined();
    expect(other.error).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupUnknownConsumerExistingGroup
  it('testJoinGroupUnknownConsumerExistingGroup', () => {
    const h = new Harness();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID).error).toBeUndefined();
    expect(h.sendJoinGroup('memberId').get().error).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupUnknownConsumerNewDeadGroup and testSyncDeadGroup
  it('testJoinGroupUnknownConsumerNewDeadGroup, testSyncDeadGroup', () => {
    const h = new Harness();
    h.group.markDead();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID).error).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(h.sendSyncGroup('memberId', 1).get().error).toBe('COORDINATOR_NOT_AVAILABLE');
  });

  // Kafka: GroupCoordinatorTest.testGenerationIdIncrementsOnRebalance
  it('testGenerationIdIncrementsOnRebalance', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(join.generationId).toBe(1);
    expect(join.error).toBeUndefined();
    expect(h.syncGroupLeader(join.memberId, 1, new Map([[join.memberId, METADATA]])).error).toBeUndefined();
    const again = h.sendJoinGroup(join.memberId).get();
    expect(again.generationId).toBe(2);
    expect(again.error).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupFromUnchangedFollowerDoesNotRebalance
  it('testJoinGroupFromUnchangedFollowerDoesNotRebalance', () => {
    const h = new Harness();
    const { leader, follower } = h.groupOfTwo();
    const next = leader.generationId;
    // This shouldn't cause a rebalance since protocol information hasn't changed.
    const followerJoin = h.sendJoinGroup(follower.memberId).get();
    expect(followerJoin.error).toBeUndefined();
    expect(followerJoin.generationId).toBe(next);
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupFromUnchangedLeaderShouldRebalance
  it('testJoinGroupFromUnchangedLeaderShouldRebalance', () => {
    const h = new Harness();
    const first = h.stableGroupOfOne();
    const second = h.sendJoinGroup(first.memberId).get();
    expect(second.error).toBeUndefined();
    expect(second.generationId).not.toBe(first.generationId);
  });
});

describe('GroupCoordinatorTest: pending members (KIP-394) and rebalance timeouts', () => {
  // Kafka: GroupCoordinatorTest.testSecondMemberPartiallyJoinAndTimeout
  it('testSecondMemberPartiallyJoinAndTimeout', () => {
    const h = new Harness();
    const first = h.stableGroupOfOne();
    h.advanceClock(100);
    expect(h.group.memberIds).toEqual([first.memberId]);
    expect(h.group.state).toBe('Stable');
    // A new member starts to join: it gets its id and is pending; the group stays Stable.
    const second = h.joinGroupPartial();
    expect(second.error).toBe('MEMBER_ID_REQUIRED');
    expect(h.group.state).toBe('Stable');
    h.advanceClock(300);
    expect(h.heartbeat(first.memberId, 1)).toBeUndefined();
    // Its session times out: it is no longer pending (its id no longer joins), the group unchanged.
    h.advanceClock(300);
    expect(h.group.memberIds).toEqual([first.memberId]);
    expect(h.group.state).toBe('Stable');
    expect(h.sendJoinGroup(second.memberId).get().error).toBe('UNKNOWN_MEMBER_ID');
  });

  /**
   * Kafka's setupGroupWithPendingMember: two members, stable; the first rejoins (a rebalance);
   * a third member starts to join (pending, session 100 ms); the second rejoins. The rebalance
   * waits for the pending member.
   */
  function setupGroupWithPendingMember(h: Harness): JoinResult {
    const { leader, follower } = h.groupOfTwo();
    expect(h.syncGroupLeader(leader.memberId, leader.generationId, new Map([[leader.memberId, METADATA]])).error).toBeUndefined();
    expect(h.group.state).toBe('Stable');
    h.sendJoinGroup(leader.memberId);
    expect(h.group.state).toBe('PreparingRebalance');
    const pending = h.joinGroupPartial({ sessionTimeoutMs: 100 });
    expect(pending.error).toBe('MEMBER_ID_REQUIRED');
    h.sendJoinGroup(follower.memberId);
    expect(h.group.state).toBe('PreparingRebalance');
    return pending;
  }

  // Kafka: GroupCoordinatorTest.testJoinGroupCompletionWhenPendingMemberJoins
  it('testJoinGroupCompletionWhenPendingMemberJoins', () => {
    const h = new Harness();
    const pending = setupGroupWithPendingMember(h);
    expect(h.sendJoinGroup(pending.memberId).get().error).toBeUndefined();
    expect(h.group.state).toBe('CompletingRebalance');
    expect(h.group.memberIds).toHaveLength(3);
  });

  // Kafka: GroupCoordinatorTest.testJoinGroupCompletionWhenPendingMemberTimesOut
  it('testJoinGroupCompletionWhenPendingMemberTimesOut', () => {
    const h = new Harness();
    setupGroupWithPendingMember(h);
    h.advanceClock(120); // past the pending member's session, not the others'
    expect(h.group.state).toBe('CompletingRebalance');
    expect(h.group.memberIds).toHaveLength(2);
  });

  // Kafka: GroupCoordinatorTest.testPendingMembersLeavesGroup
  it('testPendingMembersLeavesGroup', () => {
    const h = new Harness();
    const pending = setupGroupWithPendingMember(h);
    expect(h.group.leave(pending.memberId, undefined, h.now)).toBeUndefined();
    expect(h.group.state).toBe('CompletingRebalance');
    expect(h.group.memberIds).toHaveLength(2);
  });

  // Kafka: GroupCoordinatorTest.testRebalanceTimesOutWhenSyncRequestIsNotReceived (KAFKA-12890):
  // DelayedSync removes every member that has not sent SyncGroup within the rebalance timeout,
  // heartbeats or not. As Kafka's joinWithNMembers, the clock passes the initial delay and then
  // the rebalance timeout (the delay runs another stretch since members joined during it).
  it('testRebalanceTimesOutWhenSyncRequestIsNotReceived', () => {
    const h = new Harness();
    const joins = [0, 1, 2].map(() => h.sendJoinGroup(UNKNOWN_MEMBER_ID));
    h.advanceClock(GROUP_INITIAL_REBALANCE_DELAY + 1);
    h.advanceClock(DEFAULT_REBALANCE_TIMEOUT + 1);
    const results = joins.map((f) => f.get());
    for (const r of results) expect(r.error).toBeUndefined();
    h.advanceClock(DEFAULT_REBALANCE_TIMEOUT / 2);
    for (const r of results) expect(h.heartbeat(r.memberId, r.generationId)).toBeUndefined();
    h.advanceClock(DEFAULT_REBALANCE_TIMEOUT / 2 + 1);
    for (const r of results) expect(h.heartbeat(r.memberId, r.generationId)).toBe('UNKNOWN_MEMBER_ID');
  });
});

describe('GroupCoordinatorTest: Heartbeat and sessions', () => {
  // Kafka: GroupCoordinatorTest.testHeartbeatUnknownConsumerExistingGroup
  it('testHeartbeatUnknownConsumerExistingGroup', () => {
    const h = new Harness();
    h.stableGroupOfOne();
    expect(h.heartbeat('memberId', 1)).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testHeartbeatRebalanceInProgress
  it('testHeartbeatRebalanceInProgress', () => {
    // Between JoinGroup and SyncGroup (CompletingRebalance) a heartbeat is fine.
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(join.error).toBeUndefined();
    expect(h.heartbeat(join.memberId, 1)).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testHeartbeatIllegalGeneration
  it('testHeartbeatIllegalGeneration', () => {
    const h = new Harness();
    const join = h.stableGroupOfOne();
    expect(h.heartbeat(join.memberId, 2)).toBe('ILLEGAL_GENERATION');
  });

  // Kafka: GroupCoordinatorTest.testValidHeartbeat
  it('testValidHeartbeat', () => {
    const h = new Harness();
    const join = h.stableGroupOfOne();
    expect(h.heartbeat(join.memberId, 1)).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testSessionTimeout
  it('testSessionTimeout', () => {
    const h = new Harness();
    const join = h.stableGroupOfOne();
    h.advanceClock(DEFAULT_SESSION_TIMEOUT + 100);
    expect(h.heartbeat(join.memberId, 1)).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testHeartbeatMaintainsSession
  it('testHeartbeatMaintainsSession', () => {
    const h = new Harness();
    const sessionTimeout = 1_000;
    const join = h.stableGroupOfOne({ sessionTimeoutMs: sessionTimeout, rebalanceTimeoutMs: sessionTimeout });
    h.advanceClock(sessionTimeout / 2);
    expect(h.heartbeat(join.memberId, 1)).toBeUndefined();
    h.advanceClock(sessionTimeout / 2 + 100);
    expect(h.heartbeat(join.memberId, 1)).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testCommitMaintainsSession
  it('testCommitMaintainsSession', () => {
    const h = new Harness();
    const sessionTimeout = 1_000;
    const join = h.stableGroupOfOne({ sessionTimeoutMs: sessionTimeout, rebalanceTimeoutMs: sessionTimeout });
    h.advanceClock(sessionTimeout / 2);
    expect(h.commitOffsets(join.memberId, join.generationId)).toBeUndefined();
    h.advanceClock(sessionTimeout / 2 + 100);
    expect(h.heartbeat(join.memberId, 1)).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testSessionTimeoutDuringRebalance
  it('testSessionTimeoutDuringRebalance', () => {
    const h = new Harness();
    const first = h.stableGroupOfOne({ rebalanceTimeoutMs: 2_000, sessionTimeoutMs: 1_000 });
    // A new member joins: a rebalance.
    const otherJoin = h.sendJoinGroup(UNKNOWN_MEMBER_ID);
    h.advanceClock(500);
    expect(h.heartbeat(first.memberId, first.generationId)).toBe('REBALANCE_IN_PROGRESS');
    // Its session expires: it falls out, and the rebalance completes with the new member alone.
    h.advanceClock(1_100);
    expect(h.heartbeat(first.memberId, first.generationId)).toBe('UNKNOWN_MEMBER_ID');
    expect(otherJoin.get().error).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testHeartbeatDuringRebalanceCausesRebalanceInProgress
  it('testHeartbeatDuringRebalanceCausesRebalanceInProgress', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(join.error).toBeUndefined();
    h.sendJoinGroup(UNKNOWN_MEMBER_ID);
    expect(h.heartbeat(join.memberId, join.generationId)).toBe('REBALANCE_IN_PROGRESS');
  });
});

describe('GroupCoordinatorTest: SyncGroup', () => {
  // Kafka: GroupCoordinatorTest.testSyncGroupEmptyAssignment
  it('testSyncGroupEmptyAssignment', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    const sync = h.syncGroupLeader(join.memberId, join.generationId, new Map());
    expect(sync.error).toBeUndefined();
    expect(sync.assignment.length).toBe(0);
    expect(h.heartbeat(join.memberId, 1)).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testSyncGroupFromUnknownGroup
  it('testSyncGroupFromUnknownGroup', () => {
    expect(new Harness().sendSyncGroup('memberId', 1).get().error).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testSyncGroupFromUnknownMember
  it('testSyncGroupFromUnknownMember', () => {
    const h = new Harness();
    const join = h.stableGroupOfOne();
    expect(h.sendSyncGroup('blah', join.generationId).get().error).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testSyncGroupFromIllegalGeneration
  it('testSyncGroupFromIllegalGeneration', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(h.syncGroupLeader(join.memberId, join.generationId + 1, new Map([[join.memberId, METADATA]])).error).toBe('ILLEGAL_GENERATION');
  });

  // Kafka: GroupCoordinatorTest.testSyncGroupFollowerAfterLeader
  it('testSyncGroupFollowerAfterLeader', () => {
    const h = new Harness();
    const { leader, follower } = h.groupOfTwo();
    const leaderAssignment = Uint8Array.of(0);
    const followerAssignment = Uint8Array.of(1);
    const leaderSync = h.syncGroupLeader(leader.memberId, leader.generationId, new Map([[leader.memberId, leaderAssignment], [follower.memberId, followerAssignment]]));
    expect(leaderSync.error).toBeUndefined();
    expect(leaderSync.assignment).toEqual(leaderAssignment);
    const followerSync = h.sendSyncGroup(follower.memberId, follower.generationId).get();
    expect(followerSync.error).toBeUndefined();
    expect(followerSync.assignment).toEqual(followerAssignment);
  });

  // Kafka: GroupCoordinatorTest.testSyncGroupLeaderAfterFollower
  it('testSyncGroupLeaderAfterFollower', () => {
    const h = new Harness();
    const { leader, follower } = h.groupOfTwo();
    const leaderAssignment = Uint8Array.of(0);
    const followerAssignment = Uint8Array.of(1);
    const followerSync = h.sendSyncGroup(follower.memberId, follower.generationId);
    expect(followerSync.isCompleted).toBe(false);
    const leaderSync = h.syncGroupLeader(leader.memberId, leader.generationId, new Map([[leader.memberId, leaderAssignment], [follower.memberId, followerAssignment]]));
    expect(leaderSync.error).toBeUndefined();
    expect(leaderSync.assignment).toEqual(leaderAssignment);
    expect(followerSync.get().error).toBeUndefined();
    expect(followerSync.get().assignment).toEqual(followerAssignment);
  });

  // Kafka: GroupCoordinatorTest.testLeaderFailureInSyncGroup: a member waiting in SyncGroup is
  // exempt from session expiry (MemberMetadata.shouldKeepAlive), so when the leader's session
  // expires the follower's SyncGroup is answered REBALANCE_IN_PROGRESS.
  it('testLeaderFailureInSyncGroup', () => {
    const h = new Harness();
    const { follower } = h.groupOfTwo();
    const followerSync = h.sendSyncGroup(follower.memberId, follower.generationId);
    h.advanceClock(DEFAULT_SESSION_TIMEOUT + 100);
    expect(followerSync.get().error).toBe('REBALANCE_IN_PROGRESS');
  });
});

describe('GroupCoordinatorTest: OffsetCommit and LeaveGroup', () => {
  // Kafka: GroupCoordinatorTest.testCommitOffsetWithDefaultGeneration
  it('testCommitOffsetWithDefaultGeneration', () => {
    expect(new Harness().commitOffsets(UNKNOWN_MEMBER_ID, -1)).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testCommitOffsetInCompletingRebalance
  it('testCommitOffsetInCompletingRebalance', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(h.commitOffsets(join.memberId, join.generationId)).toBe('REBALANCE_IN_PROGRESS');
  });

  // Kafka: GroupCoordinatorTest.testCommitOffsetInCompletingRebalanceFromUnknownMemberId
  it('testCommitOffsetInCompletingRebalanceFromUnknownMemberId', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(h.commitOffsets(UNKNOWN_MEMBER_ID, join.generationId)).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testCommitOffsetInCompletingRebalanceFromIllegalGeneration
  it('testCommitOffsetInCompletingRebalanceFromIllegalGeneration', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(h.commitOffsets(join.memberId, join.generationId + 1)).toBe('ILLEGAL_GENERATION');
  });

  // Kafka: GroupCoordinatorTest.testLeaveGroupUnknownConsumerExistingGroup
  it('testLeaveGroupUnknownConsumerExistingGroup', () => {
    const h = new Harness();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID).error).toBeUndefined();
    expect(h.group.leave('consumerId', undefined, h.now)).toBe('UNKNOWN_MEMBER_ID');
  });

  // Kafka: GroupCoordinatorTest.testSingleLeaveDeadGroup
  it('testSingleLeaveDeadGroup', () => {
    const h = new Harness();
    h.group.markDead();
    expect(h.group.leave('memberId', undefined, h.now)).toBe('COORDINATOR_NOT_AVAILABLE');
  });

  // Kafka: GroupCoordinatorTest.testValidLeaveGroup
  it('testValidLeaveGroup', () => {
    const h = new Harness();
    const join = h.joinGroup(UNKNOWN_MEMBER_ID);
    expect(h.group.leave(join.memberId, undefined, h.now)).toBeUndefined();
    expect(h.group.has(join.memberId)).toBe(false);
  });

  // Kafka: GroupCoordinatorTest.testLeaveGroupWithFencedInstanceId
  it('testLeaveGroupWithFencedInstanceId', () => {
    const h = new Harness();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID, { groupInstanceId: 'leader', protocols: PROTOCOL_SUPERSET }).error).toBeUndefined();
    expect(h.group.leave('some_member', 'leader', h.now)).toBe('FENCED_INSTANCE_ID');
  });

  // Kafka: GroupCoordinatorTest.testLeaveGroupStaticMemberWithUnknownMemberId
  it('testLeaveGroupStaticMemberWithUnknownMemberId', () => {
    const h = new Harness();
    expect(h.joinGroup(UNKNOWN_MEMBER_ID, { groupInstanceId: 'leader', protocols: PROTOCOL_SUPERSET }).error).toBeUndefined();
    expect(h.group.leave(UNKNOWN_MEMBER_ID, 'leader', h.now)).toBeUndefined();
  });
});

describe('GroupCoordinatorTest: new members awaiting JoinGroup (KAFKA-7610)', () => {
  /** The first member, stable with large timeouts; a second starts joining and the rebalance hangs on the first. */
  function protractedRebalance(h: Harness) {
    const sessionTimeoutMs = NEW_MEMBER_JOIN_TIMEOUT_MS + 5_000;
    const rebalanceTimeoutMs = NEW_MEMBER_JOIN_TIMEOUT_MS * 2;
    const first = h.joinGroup(UNKNOWN_MEMBER_ID, { sessionTimeoutMs, rebalanceTimeoutMs });
    expect(first.error).toBeUndefined();
    expect(first.memberId).toBe(first.leaderId);
    const response = h.sendJoinGroup(UNKNOWN_MEMBER_ID, { sessionTimeoutMs, rebalanceTimeoutMs });
    expect(response.isCompleted).toBe(false);
    expect(h.group.memberIds.length).toBe(2);
    return { first, response };
  }

  // Kafka: GroupCoordinatorTest.testNewMemberJoinExpiration
  it('testNewMemberJoinExpiration', () => {
    const h = new Harness();
    const { first, response } = protractedRebalance(h);
    h.advanceClock(NEW_MEMBER_JOIN_TIMEOUT_MS + 1);
    expect(response.isCompleted).toBe(true);
    expect(response.get().error).toBe('UNKNOWN_MEMBER_ID');
    expect(h.group.memberIds).toEqual([first.memberId]);
  });

  // Before KAFKA-7610 (Kafka 2.2; sim.group.new.member.join.timeout false) the new member waits
  // as long as the rebalance does, and is in the next generation when it completes.
  it('before KAFKA-7610 a new member waits the whole rebalance', () => {
    const h = new Harness({ newMemberJoinTimeoutMs: undefined });
    const { response } = protractedRebalance(h);
    h.advanceClock(NEW_MEMBER_JOIN_TIMEOUT_MS + 1);
    expect(response.isCompleted).toBe(false);
    expect(h.group.memberIds.length).toBe(2);
    h.advanceClock(NEW_MEMBER_JOIN_TIMEOUT_MS);
    expect(response.get().error).toBeUndefined();
  });

  // Kafka: GroupCoordinatorTest.testNewMemberTimeoutCompletion
  it('testNewMemberTimeoutCompletion', () => {
    const h = new Harness();
    const sessionTimeoutMs = NEW_MEMBER_JOIN_TIMEOUT_MS + 5_000;
    const join = h.joinGroup(UNKNOWN_MEMBER_ID, { sessionTimeoutMs });
    expect(join.error).toBeUndefined();
    expect(h.syncGroupLeader(join.memberId, join.generationId, new Map([[join.memberId, METADATA]])).error).toBeUndefined();
    expect(h.group.memberIds.length).toBe(1);
    h.advanceClock(NEW_MEMBER_JOIN_TIMEOUT_MS + 100);
    // The new-member timeout no longer applies once its join completed.
    expect(h.group.memberIds.length).toBe(1);
    h.advanceClock(sessionTimeoutMs + 100);
    expect(h.group.memberIds.length).toBe(0);
  });
});

