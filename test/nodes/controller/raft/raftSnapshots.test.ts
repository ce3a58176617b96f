/**
 * KIP-630 in the quorum: the log's snapshots and log start offset (KafkaMetadataLog
 * .createNewSnapshot, deleteBeforeSnapshot, truncateToLatestSnapshot, maybeClean,
 * recoverSnapshots), the leader's answers to Fetch and FetchSnapshot (a port of a set of
 * raft/src/test/java/org/apache/kafka/raft/KafkaRaftClientSnapshotTest.java, each test naming
 * its origin), and RaftEventSimulationTest-style runs with a small snapshot threshold in which
 * a lagging, late or restarted member catches up by FetchSnapshot, over many seeds.
 */
import { describe, expect, it } from 'vitest';
import { MemoryDisk } from '../../../../src/log/memoryDisk.js';
import { RaftLog } from '../../../../src/nodes/controller/raft/raftLog.js';
import { snapshotFileName } from '../../../../src/nodes/controller/raft/raftSnapshots.js';
import { fetchRequest, fetchSnapshotRequest, type FetchSnapshotResponse, type RaftFetchResponse, type RaftMessage } from '../../../../src/nodes/controller/raft/raftMessages.js';
import type { KafkaRaftClient } from '../../../../src/nodes/controller/raft/kafkaRaftClient.js';
import { RaftInvariants, type RaftMemberView } from '../../../../src/nodes/controller/raft/raftInvariants.js';
import type { OffsetAndEpoch, RaftRecord } from '../../../../src/nodes/controller/raft/raftMessages.js';
import { RaftCluster, type RaftClusterOptions } from './raftCluster.js';

const DEEP = process.env.KAFKASIM_DEEP !== undefined;
const SEEDS = Array.from({ length: DEEP ? 50 : 3 }, (_, i) => i + 1);
const DIR = '__cluster_metadata-0';

/** A log of `n` records in each of `epochs`, its high watermark at its end. */
function logWith(disk: MemoryDisk, runs: readonly (readonly [number, number])[]): RaftLog {
  const log = RaftLog.open(disk);
  for (const [epoch, n] of runs) log.appendAsLeader(epoch, 'data', Array.from({ length: n }, (_, i) => `${epoch}.${i}`));
  log.flush();
  return log;
}

describe('RaftLog with snapshots (KafkaMetadataLog)', () => {
  it('writes a snapshot as %020d-%010d.checkpoint at a committed offset; refuses one above the high watermark (testCreateSnapshotAsLeaderWithInvalidSnapshotId)', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [[1, 5]]);
    expect(() => log.createNewSnapshot({ offset: 5, epoch: 1 }, 4, 0, ['x'])).toThrow(/greater than the high watermark 4/);
    expect(() => log.createNewSnapshot({ offset: 3, epoch: 2 }, 5, 0, ['x'])).toThrow(/not valid according to the log/);
    const snapshot = log.createNewSnapshot({ offset: 3, epoch: 1 }, 5, 0, ['state']);
    expect(snapshot?.data).toEqual(['state']);
    expect(disk.list(DIR)).toContain('00000000000000000003-0000000001.checkpoint');
    expect(snapshotFileName({ offset: 3, epoch: 1 })).toBe('00000000000000000003-0000000001.checkpoint');
    // The same id again: nothing new (createNewSnapshotUnchecked returns empty).
    expect(log.createNewSnapshot({ offset: 3, epoch: 1 }, 5, 0, ['other'])).toBeUndefined();
    expect(log.snapshots.latestId()).toEqual({ offset: 3, epoch: 1 });
  });

  it('deleteBeforeSnapshot moves the log start to the snapshot and deletes the records and snapshots before it, on disk too', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [
      [1, 4],
      [2, 4],
    ]);
    log.createNewSnapshot({ offset: 2, epoch: 1 }, 8, 0, ['a']);
    log.createNewSnapshot({ offset: 6, epoch: 2 }, 8, 0, ['b']);
    expect(log.deleteBeforeSnapshot({ offset: 9, epoch: 2 })).toBe(false);
    expect(log.deleteBeforeSnapshot({ offset: 6, epoch: 2 })).toBe(true);
    expect(log.startOffset).toBe(6);
    expect(log.endOffset).toBe(8);
    expect(log.read(0).map((r) => r.offset)).toEqual([6, 7]);
    expect(log.snapshots.allIds()).toEqual([{ offset: 6, epoch: 2 }]);
    expect(disk.list(DIR).filter((f) => f.endsWith('.checkpoint'))).toEqual(['00000000000000000006-0000000002.checkpoint']);
    // The prefix is gone from the file as well: a power loss and reopen read the same log.
    disk.onPowerLoss();
    const reopened = RaftLog.open(disk);
    expect([reopened.startOffset, reopened.endOffset, reopened.lastEpoch]).toEqual([6, 8, 2]);
    expect(reopened.endOffsetForEpoch(1)).toEqual({ offset: 6, epoch: 2 });
  });

  it('answers a fetch below the log start, or at it in another epoch, with the latest snapshot (testFetchRequestOffsetLessThanLogStart, testFetchRequestAtLogStartOffsetWithValidEpoch, ...WithInvalidEpoch, testFetchRequestWithLastFetchedEpochLessThanOldestSnapshot)', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    log.createNewSnapshot({ offset: 4, epoch: 2 }, 9, 0, ['a']);
    log.createNewSnapshot({ offset: 7, epoch: 3 }, 9, 0, ['b']);
    log.deleteBeforeSnapshot({ offset: 4, epoch: 2 });
    const latest = { offset: 7, epoch: 3 };
    expect(log.validateOffsetAndEpoch(3, 1)).toEqual({ kind: 'snapshot', at: latest });
    expect(log.validateOffsetAndEpoch(4, 2)).toEqual({ kind: 'valid' });
    expect(log.validateOffsetAndEpoch(4, 3)).toEqual({ kind: 'snapshot', at: latest });
    expect(log.validateOffsetAndEpoch(5, 1)).toEqual({ kind: 'snapshot', at: latest });
    expect(log.validateOffsetAndEpoch(9, 3)).toEqual({ kind: 'valid' });
    expect(log.validateOffsetAndEpoch(8, 2)).toEqual({ kind: 'diverging', at: { offset: 6, epoch: 2 } });
  });

  it('truncateToLatestSnapshot starts a log behind its latest snapshot at it, also on open after a crash in between (KafkaMetadataLog.apply)', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [[1, 3]]);
    log.snapshots.write({ offset: 10, epoch: 4 }, 0, ['downloaded']);
    disk.onPowerLoss();
    const reopened = RaftLog.open(disk);
    expect([reopened.startOffset, reopened.endOffset, reopened.lastEpoch]).toEqual([10, 10, 4]);
    expect(reopened.read(0)).toEqual([]);
    reopened.appendAsFollower([{ offset: 10, epoch: 4, kind: 'data', data: 'next' }]);
    expect(reopened.truncateToLatestSnapshot()).toBe(false);
    expect(reopened.endOffsetAndEpoch()).toEqual({ offset: 11, epoch: 4 });
  });

  it('opening the log deletes partial snapshot files and snapshots below the log start (recoverSnapshots)', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [[1, 6]]);
    log.createNewSnapshot({ offset: 4, epoch: 1 }, 6, 0, ['a']);
    log.snapshots.beginPartial({ offset: 6, epoch: 1 });
    log.snapshots.appendPartial({ offset: 6, epoch: 1 }, Buffer.from('{"header":'));
    expect(disk.list(DIR)).toContain('00000000000000000006-0000000001.checkpoint.part');
    const reopened = RaftLog.open(disk);
    expect(disk.list(DIR).some((f) => f.endsWith('.part'))).toBe(false);
    expect(reopened.snapshots.allIds()).toEqual([{ offset: 4, epoch: 1 }]);
  });

  it('maybeClean deletes old snapshots and the log before the next one while over metadata.max.retention.bytes, keeping the latest', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [[1, 10]]);
    for (const offset of [3, 6, 9]) log.createNewSnapshot({ offset, epoch: 1 }, 10, offset * 1_000, [`state-${offset}`]);
    expect(log.maybeClean({ bytes: -1, ms: -1 }, 0)).toBe(false);
    expect(log.maybeClean({ bytes: 1_000_000, ms: -1 }, 0)).toBe(false);
    expect(log.maybeClean({ bytes: 1, ms: -1 }, 0)).toBe(true);
    expect(log.snapshots.allIds()).toEqual([{ offset: 9, epoch: 1 }]);
    expect(log.startOffset).toBe(9);
  });

  it('maybeClean by metadata.max.retention.ms deletes snapshots older than the retention', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [[1, 10]]);
    for (const offset of [3, 6, 9]) log.createNewSnapshot({ offset, epoch: 1 }, 10, offset * 1_000, [`state-${offset}`]);
    expect(log.maybeClean({ bytes: -1, ms: 4_000 }, 8_000)).toBe(true);
    expect(log.snapshots.allIds().map((s) => s.offset)).toEqual([6, 9]);
    expect(log.startOffset).toBe(6);
  });
});

/** A member's view with snapshots: records from `start`, snapshots with their data. */
function snapshotMember(id: number, hw: number, start: number, records: readonly RaftRecord[], snapshots: readonly (readonly [OffsetAndEpoch, string])[]): RaftMemberView {
  return {
    id,
    node: `controller-${id}`,
    voter: true,
    storedElection: undefined,
    logEndOffset: start + records.length,
    live: {
      epoch: 2,
      isLeader: false,
      highWatermark: hw,
      logEndOffset: start + records.length,
      records: (from, end) => records.filter((r) => r.offset >= from && r.offset < end),
      logStartOffset: start,
      snapshots: () => snapshots.map(([snapshotId]) => snapshotId),
      snapshotData: (snapshotId) => snapshots.filter(([i]) => i.offset === snapshotId.offset && i.epoch === snapshotId.epoch).map(([, d]) => d),
    },
  };
}

const rec = (offset: number, epoch: number, value: string): RaftRecord => ({ offset, epoch, kind: 'data', data: value });

describe('ConsistentCommittedData with snapshots (RaftEventSimulationTest.assertCommittedData, SnapshotAtLogStart)', () => {
  const full = [rec(0, 1, 'a'), rec(1, 1, 'b'), rec(2, 2, 'c'), rec(3, 2, 'd')];

  it('holds for a member whose log starts at its snapshot, agreeing with one that has the whole log', () => {
    const inv = new RaftInvariants();
    inv.validate([snapshotMember(1, 4, 0, full, []), snapshotMember(2, 4, 2, full.slice(2), [[{ offset: 2, epoch: 1 }, 'ab']])], 1);
    expect(inv.violations).toEqual([]);
  });

  it('a snapshot whose epoch is not that of the committed record before its end offset', () => {
    const inv = new RaftInvariants();
    inv.validate([snapshotMember(1, 4, 0, full, []), snapshotMember(2, 4, 3, full.slice(3), [[{ offset: 3, epoch: 1 }, 'abc']])], 1);
    expect(inv.violations).toEqual([expect.objectContaining({ kind: 'spec:ConsistentCommittedData', node: 'controller-2' })]);
  });

  it('two members whose snapshots at one id hold different states', () => {
    const inv = new RaftInvariants();
    inv.validate([snapshotMember(1, 4, 2, full.slice(2), [[{ offset: 2, epoch: 1 }, 'ab']]), snapshotMember(2, 4, 2, full.slice(2), [[{ offset: 2, epoch: 1 }, 'XX']])], 1);
    expect(inv.violations).toEqual([expect.objectContaining({ kind: 'spec:ConsistentCommittedData', node: 'controller-2' })]);
    expect(inv.violations[0].message).toMatch(/another state/);
  });

  it('a log that starts past 0 without a snapshot there (SnapshotAtLogStart), and a snapshot past the high watermark', () => {
    const inv = new RaftInvariants();
    inv.validate([snapshotMember(1, 4, 3, full.slice(3), [[{ offset: 2, epoch: 1 }, 'ab']]), snapshotMember(2, 3, 0, full, [[{ offset: 4, epoch: 2 }, 'abcd']])], 1);
    expect(inv.violations.map((v) => [v.node, v.message.includes('log starts at 3'), v.message.includes('past its high watermark')])).toEqual([
      ['controller-1', true, false],
      ['controller-2', false, true],
    ]);
  });
});

/** A quorum whose members snapshot every few records and keep little log. */
function snapshotting(seed: number, extra: Partial<RaftClusterOptions> = {}): RaftCluster {
  return new RaftCluster({
    seed,
    voters: 3,
    counter: true,
    snapshotChunkBytes: 16,
    settings: { 'metadata.log.max.record.bytes.between.snapshots': 2000, 'metadata.max.retention.bytes': 1 },
    ...extra,
  });
}

function leaderClient(c: RaftCluster): KafkaRaftClient {
  const id = c.latestLeader();
  const leader = id === undefined ? undefined : c.client(id);
  if (leader === undefined) throw new Error(`seed ${c.sim.seed}: no leader`);
  return leader;
}

/** Sends `request` straight to `client` and returns its immediate answer. */
function ask<T extends RaftMessage>(client: KafkaRaftClient, request: RaftMessage): T {
  let answer: RaftMessage | undefined;
  client.onRequest('test', request, (r) => (answer = r));
  if (answer === undefined) throw new Error(`no immediate answer to ${request.type}`);
  return answer as T;
}

describe("the leader's answers (KafkaRaftClientSnapshotTest)", () => {
  const c = snapshotting(7);
  c.startAll();
  c.appendEvery(5);
  c.runUntil(() => c.running().some((m) => m.quorum.state.kind === 'leader' && m.log.snapshots.allIds().length > 0 && m.log.startOffset > 0), 200_000, 'a leader with a snapshot and a log start past 0');
  const leader = leaderClient(c);
  const follower = c.running().find((m) => m !== leader);
  const epoch = leader.quorum.epoch;
  const latest = leader.log.snapshots.latestId();
  if (latest === undefined || follower === undefined) throw new Error('no snapshot or no follower');

  it('testLeaderImmediatelySendsSnapshotId / testFetchRequestOffsetAtZero: a fetch from an empty log is sent the snapshot id', () => {
    const resp = ask<RaftFetchResponse>(leader, fetchRequest({ replicaId: 99, currentLeaderEpoch: epoch, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 500 }));
    expect(resp.snapshotId).toEqual(leader.log.snapshots.latestId());
    expect(resp.records).toEqual([]);
  });

  it('testFetchRequestOffsetLessThanLogStart: a fetch below the log start is sent the snapshot id', () => {
    const resp = ask<RaftFetchResponse>(leader, fetchRequest({ replicaId: 99, currentLeaderEpoch: epoch, fetchOffset: leader.log.startOffset - 1, lastFetchedEpoch: 1, maxWaitMs: 500 }));
    expect(resp.error).toBeUndefined();
    expect(resp.snapshotId).toEqual(leader.log.snapshots.latestId());
  });

  it('testFetchSnapshotRequestMissingSnapshot: SNAPSHOT_NOT_FOUND', () => {
    const resp = ask<FetchSnapshotResponse>(leader, fetchSnapshotRequest({ replicaId: 99, currentLeaderEpoch: epoch, snapshotId: { offset: 1, epoch: 99 }, position: 0, maxBytes: 100 }));
    expect(resp.error).toBe('SNAPSHOT_NOT_FOUND');
  });

  it('testPartialFetchSnapshotRequestAsLeader: chunks of maxBytes from each position make up the file', () => {
    const id = leader.log.snapshots.latestId() ?? latest;
    const size = leader.log.snapshots.read(id)?.sizeInBytes ?? 0;
    const parts: Buffer[] = [];
    for (let position = 0; position < size; ) {
      const resp = ask<FetchSnapshotResponse>(leader, fetchSnapshotRequest({ replicaId: 99, currentLeaderEpoch: epoch, snapshotId: id, position, maxBytes: 7 }));
      expect(resp.error).toBeUndefined();
      expect(resp.size).toBe(size);
      expect(resp.chunk.length).toBe(Math.min(7, size - position));
      parts.push(Buffer.from(resp.chunk));
      position += resp.chunk.length;
    }
    expect(Buffer.concat(parts)).toEqual(leader.log.snapshots.slice(id, 0, size));
  });

  it('testFetchSnapshotRequestWithInvalidPosition: POSITION_OUT_OF_RANGE at or past the end; INVALID_REQUEST below 0', () => {
    const id = leader.log.snapshots.latestId() ?? latest;
    const size = leader.log.snapshots.read(id)?.sizeInBytes ?? 0;
    expect(ask<FetchSnapshotResponse>(leader, fetchSnapshotRequest({ replicaId: 99, currentLeaderEpoch: epoch, snapshotId: id, position: size, maxBytes: 10 })).error).toBe('POSITION_OUT_OF_RANGE');
    expect(ask<FetchSnapshotResponse>(leader, fetchSnapshotRequest({ replicaId: 99, currentLeaderEpoch: epoch, snapshotId: id, position: -1, maxBytes: 10 })).error).toBe('INVALID_REQUEST');
  });

  it('testFetchSnapshotRequestAsFollower, ...WithOlderEpoch, ...WithNewerEpoch', () => {
    const id = leader.log.snapshots.latestId() ?? latest;
    const req = (e: number) => fetchSnapshotRequest({ replicaId: 99, currentLeaderEpoch: e, snapshotId: id, position: 0, maxBytes: 10 });
    expect(ask<FetchSnapshotResponse>(follower, req(epoch)).error).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(ask<FetchSnapshotResponse>(leader, req(epoch - 1)).error).toBe('FENCED_LEADER_EPOCH');
    expect(ask<FetchSnapshotResponse>(leader, req(epoch + 1)).error).toBe('UNKNOWN_LEADER_EPOCH');
  });
});

/** Runs until every running member has reached the leader's high watermark and holds the leader's counter. */
function converge(c: RaftCluster, what: string): void {
  c.runFor(1_000);
  const hw = c.maxHighWatermarkReached();
  c.runUntil(() => c.allReachedHighWatermark(hw + 5), 120_000, what);
}

/**
 * With the appends stopped, every running member's state machine reaches the leader's high
 * watermark and holds the same state there: the one that caught up from a snapshot too.
 */
function expectSameState(c: RaftCluster): void {
  c.stopAppending();
  const running = () => c.ids.filter((id) => c.client(id) !== undefined);
  c.runUntil(() => {
    const hw = c.latestLeader() === undefined ? undefined : leaderClient(c).highWatermark;
    return hw !== undefined && running().every((id) => c.counter(id)?.offset === hw);
  }, 60_000, 'every state machine at the high watermark');
  const states = new Set(running().map((id) => `${c.counter(id)?.count}/${c.counter(id)?.last}`));
  expect([...states]).toHaveLength(1);
  expect(c.counter(running()[0])?.count).toBeGreaterThan(0);
}

describe('RaftEventSimulationTest with snapshots', () => {
  it.each(SEEDS)('a voter cut off while the leader snapshots and cleans catches up by FetchSnapshot (seed %i)', (seed) => {
    const c = snapshotting(seed);
    const fetched: string[] = [];
    c.sim.trace.observe('raft.snapshot', (r) => {
      if (r.how === 'fetched') fetched.push(r.node);
    });
    c.startAll();
    c.appendEvery(5);
    c.runUntil(() => c.hasConsistentLeader(), 30_000, 'a consistent leader');
    const leader = leaderClient(c);
    const lagging = c.voterIds.find((id) => id !== leader.id) ?? 0;
    const cut = c.isolate(lagging);
    const behind = c.client(lagging)?.log.endOffset ?? 0;
    c.runUntil(() => leader.log.startOffset > behind + 10, 300_000, "the leader's log start past the cut-off voter's log end");
    c.heal(cut);
    converge(c, 'the cut-off voter caught up');
    expect(fetched).toContain(c.nodeOf(lagging));
    expect(c.client(lagging)?.log.startOffset).toBeGreaterThan(behind);
    expectSameState(c);
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('an observer that starts late catches up by FetchSnapshot and loads it (seed %i)', (seed) => {
    const c = snapshotting(seed, { observers: 1 });
    const observer = c.ids[c.ids.length - 1];
    for (const id of c.voterIds) c.start(id);
    c.appendEvery(5);
    c.runUntil(() => c.running().some((m) => m.log.startOffset > 0), 300_000, 'a log start past 0');
    c.start(observer);
    converge(c, 'the observer caught up');
    expect(c.client(observer)?.log.startOffset).toBeGreaterThan(0);
    expect(c.counter(observer)?.totalLoads).toBeGreaterThan(0);
    expectSameState(c);
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('a restarted voter loads its latest snapshot and replays the log after it; all killed and restarted recover (canRecoverAfterAllNodesKilled) (seed %i)', (seed) => {
    const c = snapshotting(seed, { voters: 3 + (seed % 3) });
    c.startAll();
    c.appendEvery(5);
    c.runUntil(() => c.running().every((m) => m.log.snapshots.allIds().length > 0), 300_000, 'a snapshot on every member');
    const victim = c.voterIds[seed % c.voterIds.length];
    c.kill(victim, seed % 2 === 0 ? 'power' : 'process');
    c.runFor(2_000);
    c.start(victim);
    converge(c, 'the restarted voter caught up');
    expect(c.counter(victim)?.totalLoads).toBeGreaterThan(0);
    c.killAll();
    c.runFor(1_000);
    c.startAll();
    converge(c, 'every member back after all were killed');
    expectSameState(c);
    expect(c.finish()).toEqual([]);
  });
});
