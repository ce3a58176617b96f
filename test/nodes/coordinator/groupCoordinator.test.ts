import { describe, expect, it } from 'vitest';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../../../src/nodes/coordinator/groupCoordinator.js';
import { partitionForGroup } from '../../../src/nodes/coordinator/offsetsTopic.js';
import { MemorySink, Trace, type TraceRecord } from '../../../src/sim/trace.js';
import { coordinatorLog } from '../../helpers/coordinatorLog.js';
import { time } from '../../../src/sim/time.js';
import { message, type HeartbeatRequest, type KafkaMessage } from '../../../src/nodes/protocol.js';

const CONFIG: GroupCoordinatorConfig = { offsetsPartitions: 4, initialRebalanceDelayMs: 0, expirePendingSync: true, minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 1_800_000, fencing: true, offsetsRetentionMs: 10_080 * 60_000, offsetExpiration: 'kip-211', runtime: true };
const GROUP = 'g1';
const PARTITION = partitionForGroup(GROUP, CONFIG.offsetsPartitions);

/**
 * A coordinator on a pretend broker: its `__consumer_offsets` partition is one real log,
 * and appends complete when the test says so (as the ISR catching up would), or fail.
 */
function world(config: GroupCoordinatorConfig = CONFIG) {
  const { sink, trace, log, append, awaitHighWatermark, commitWrites } = coordinatorLog(`__consumer_offsets-${PARTITION}`);
  const coordinator = new GroupCoordinator({ trace, brokerId: 1, append, awaitHighWatermark }, config);
  coordinator.load(PARTITION, log, 0);
  const ask = (req: KafkaMessage, now = 0): KafkaMessage[] => {
    const answers: KafkaMessage[] = [];
    handle(coordinator, req, now, (r) => answers.push(r));
    return answers;
  };
  return { coordinator, log, ask, completeWrites: commitWrites, records: sink.records };
}

/** Hands any message to the coordinator, as the broker does with the group APIs. */
function handle(c: GroupCoordinator, req: KafkaMessage, now: number, reply: (r: KafkaMessage) => void): void {
  c.handle(req as Parameters<GroupCoordinator['handle']>[0], now, reply);
}

const join = (memberId: string, instance?: string) =>
  message('JoinGroup', { groupId: GROUP, memberId, groupInstanceId: instance, clientId: 'c1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('m') }], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 });

/** One member joins and syncs; returns its id, with every write completed. */
function stableMember(w: ReturnType<typeof world>): string {
  const first = w.ask(join(''))[0];
  if (first.type !== 'JoinGroupResponse') throw new Error('no join answer');
  expect(first.error).toBe('MEMBER_ID_REQUIRED');
  const id = first.memberId;
  // With no initial delay and every member in, the rebalance completes at once.
  expect(w.ask(join(id))[0]).toMatchObject({ generationId: 1, leaderId: id });
  const sync = w.ask(message('SyncGroup', { groupId: GROUP, memberId: id, generationId: 1, assignments: [{ memberId: id, assignment: Buffer.from('a') }] }), 2);
  // SyncGroup waits for the group's record to be committed to __consumer_offsets.
  expect(sync).toEqual([]);
  w.completeWrites();
  return id;
}

const commit = (memberId: string, generationId: number, offset: number) =>
  message('OffsetCommit', { groupId: GROUP, memberId, generationId, offsets: [{ topic: 'orders', partition: 0, offset, leaderEpoch: 3 }] });
const fetchOffsets = message('OffsetFetch', { groupId: GROUP, partitions: [{ topic: 'orders', partition: 0 }] });

describe('GroupCoordinator', () => {
  it('answers NOT_COORDINATOR for groups whose partition it does not lead', () => {
    const w = world();
    w.coordinator.unload(PARTITION);
    expect(w.ask(join(''))[0]).toMatchObject({ error: 'NOT_COORDINATOR' });
    expect(w.ask(fetchOffsets)[0]).toMatchObject({ error: 'NOT_COORDINATOR' });
  });

  it('applies a commit only once its write is committed, and answers then', () => {
    const w = world();
    const id = stableMember(w);
    const answers = w.ask(commit(id, 1, 42));
    expect(answers).toEqual([]);
    expect(w.ask(fetchOffsets)[0]).toMatchObject({ offsets: [{ offset: -1 }] });
    w.completeWrites();
    expect(w.ask(fetchOffsets)[0]).toMatchObject({ offsets: [{ offset: 42, leaderEpoch: 3 }] });
  });

  it('a failed write fails the commit (COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR) and applies nothing', () => {
    const w = world();
    const id = stableMember(w);
    const a: KafkaMessage[] = [];
    handle(w.coordinator, commit(id, 1, 7), 0, (r) => a.push(r));
    w.completeWrites('NOT_ENOUGH_REPLICAS');
    handle(w.coordinator, commit(id, 1, 8), 0, (r) => a.push(r));
    w.completeWrites('NOT_LEADER_OR_FOLLOWER');
    expect(a.map((r) => (r as { error?: string }).error)).toEqual(['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR']);
    expect(w.ask(fetchOffsets)[0]).toMatchObject({ offsets: [{ offset: -1 }] });
  });

  it('refuses commits from stale generations and unknown members', () => {
    const w = world();
    const id = stableMember(w);
    expect(w.ask(commit(id, 0, 5))[0]).toMatchObject({ error: 'ILLEGAL_GENERATION' });
    expect(w.ask(commit('someone-else', 1, 5))[0]).toMatchObject({ error: 'UNKNOWN_MEMBER_ID' });
  });

  it('with fencing off, takes a stale commit and traces it as stale', () => {
    const w = world({ ...CONFIG, fencing: false });
    const id = stableMember(w);
    w.ask(commit(id, 0, 5));
    w.completeWrites();
    const commits = w.records.filter((r): r is TraceRecord<'group.commit'> => r.kind === 'group.commit');
    expect(commits).toMatchObject([{ member: id, generation: 0, currentGeneration: 1, stale: true, offset: 5 }]);
  });

  it('a new coordinator loads the group and its offsets from the partition', () => {
    const w = world();
    const id = stableMember(w);
    w.ask(commit(id, 1, 42));
    w.ask(commit(id, 1, 43));
    w.completeWrites();
    // Another broker takes over the partition: the same log, a fresh coordinator.
    const next = new GroupCoordinator({ trace: new Trace(() => time(0)), brokerId: 2, append: () => undefined, awaitHighWatermark: (_p: number, _o: number, done: (reached: boolean) => void) => done(true) }, CONFIG);
    next.load(PARTITION, w.log, 50_000);
    const answers: KafkaMessage[] = [];
    handle(next, fetchOffsets, 50_000, (r) => answers.push(r));
    handle(next, message<HeartbeatRequest>('Heartbeat', { groupId: GROUP, memberId: id, generationId: 1 }), 50_000, (r) => answers.push(r));
    expect(answers[0]).toMatchObject({ offsets: [{ offset: 43 }] });
    // The member is still in generation 1, and its session starts afresh at the load.
    expect(answers[1]).toMatchObject({ type: 'HeartbeatResponse', error: undefined });
    next.tick(50_000 + 9_000);
    answers.length = 0;
    handle(next, message<HeartbeatRequest>('Heartbeat', { groupId: GROUP, memberId: id, generationId: 1 }), 59_000, (r) => answers.push(r));
    expect(answers[0]).toMatchObject({ error: undefined });
  });

  describe('a load that reads past the high watermark (consumer-coordinator-failover, swarm case 7)', () => {
    /** A log holding a committed 42 and an uncommitted 43, and a new coordinator that loads it. */
    function takeOver(config: GroupCoordinatorConfig) {
      const w = world();
      const id = stableMember(w);
      w.ask(commit(id, 1, 42));
      w.completeWrites();
      w.ask(commit(id, 1, 43));
      // 43 is in the log, above the high watermark: the ISR never acknowledged it.
      const waits: { offset: number; done: (reached: boolean) => void }[] = [];
      const sink = new MemorySink();
      const next = new GroupCoordinator({ trace: new Trace(() => time(0), [sink]), brokerId: 2, append: () => undefined, awaitHighWatermark: (_p, offset, done) => waits.push({ offset, done }) }, config);
      next.load(PARTITION, w.log, 50_000);
      const answers: KafkaMessage[] = [];
      handle(next, fetchOffsets, 50_000, (r) => answers.push(r));
      const loaded = () => sink.records.filter((r): r is TraceRecord<'group.offset'> => r.kind === 'group.offset').map((r) => r.offset);
      return { next, answers, waits, loaded, log: w.log };
    }

    it('the runtime coordinator (4.0+) answers only once the high watermark reaches the loaded end (CoordinatorRuntime, KAFKA-16973)', () => {
      const t = takeOver(CONFIG);
      expect(t.answers).toEqual([]);
      expect(t.loaded()).toEqual([]);
      expect(t.waits.map((x) => x.offset)).toEqual([t.log.logEndOffset]);
      t.waits[0].done(true);
      expect(t.answers).toMatchObject([{ offsets: [{ offset: 43 }] }]);
      expect(t.loaded()).toEqual([43]);
    });

    it('the runtime coordinator fails what it held with NOT_COORDINATOR when it resigns first, and never exposes the uncommitted offset', () => {
      const t = takeOver(CONFIG);
      t.next.unload(PARTITION);
      t.waits[0].done(false);
      expect(t.answers).toMatchObject([{ type: 'OffsetFetchResponse', error: 'NOT_COORDINATOR' }]);
      expect(t.loaded()).toEqual([]);
    });

    it('the classic coordinator (before 4.0) serves the uncommitted offset at once (GroupMetadataManager reads with FetchIsolation.LOG_END)', () => {
      const t = takeOver({ ...CONFIG, runtime: false });
      expect(t.answers).toMatchObject([{ offsets: [{ offset: 43 }] }]);
      expect(t.loaded()).toEqual([43]);
      expect(t.waits).toEqual([]);
    });
  });

  it('never hands out a member id twice: not after the group lost its state, not on another broker or incarnation (consumer-nemesis seed 179)', () => {
    const ids = new Set<string>();
    const idFrom = (c: GroupCoordinator): string => {
      const answers: KafkaMessage[] = [];
      handle(c, join(''), 0, (r) => answers.push(r));
      return (answers[0] as { memberId: string }).memberId;
    };
    for (const [brokerId, incarnation] of [[1, 1], [1, 2], [2, 1]]) {
      const { log, append, awaitHighWatermark, trace } = coordinatorLog(`__consumer_offsets-${PARTITION}`);
      const c = new GroupCoordinator({ trace, brokerId, incarnation, append, awaitHighWatermark }, CONFIG);
      // The group is created, unloaded (its state lost with no member ever joined), and created again.
      for (let round = 0; round < 2; round++) {
        c.load(PARTITION, log, 0);
        ids.add(idFrom(c));
        ids.add(idFrom(c));
        c.unload(PARTITION);
      }
    }
    expect(ids.size).toBe(12);
  });

  it('unloading answers a held JoinGroup with NOT_COORDINATOR', () => {
    const w = world();
    const id = stableMember(w);
    const second = w.ask(join(''))[0] as { memberId: string };
    const held: KafkaMessage[] = [];
    handle(w.coordinator, join(second.memberId), 0, (r) => held.push(r));
    // Held: the group waits for its first member to rejoin.
    expect(held).toEqual([]);
    expect(id).not.toBe(second.memberId);
    w.coordinator.unload(PARTITION);
    expect(held.some((r) => (r as { error?: string }).error === 'NOT_COORDINATOR')).toBe(true);
  });

  it('refuses a session timeout outside the brokers\' bounds', () => {
    const w = world();
    const answer = w.ask({ ...join(''), sessionTimeoutMs: 1_000 } as KafkaMessage)[0];
    expect(answer).toMatchObject({ error: 'INVALID_SESSION_TIMEOUT' });
  });
});
