/**
 * The quorum's parts on their own: the log's durability and its divergence handling
 * (KafkaMetadataLog.validateOffsetAndEpoch, truncateToEndOffset), the quorum-state file
 * across crashes and power loss (FileQuorumStateStore), one vote per epoch (QuorumState,
 * UnattachedState.canGrantVote), and a run's determinism.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryDisk } from '../../../../src/log/memoryDisk.js';
import { Rng } from '../../../../src/sim/rng.js';
import { RaftLog } from '../../../../src/nodes/controller/raft/raftLog.js';
import { QuorumState } from '../../../../src/nodes/controller/raft/quorumState.js';
import { QuorumStateStore } from '../../../../src/nodes/controller/raft/quorumStateStore.js';
import { RaftCluster } from './raftCluster.js';

/** A log of `epochs[i]` records in epoch i + 1 (epochs with 0 records are skipped). */
function logWith(disk: MemoryDisk, runs: readonly (readonly [number, number])[]): RaftLog {
  const log = RaftLog.open(disk);
  for (const [epoch, n] of runs) if (n > 0) log.appendAsLeader(epoch, 'data', Array.from({ length: n }, (_, i) => `${epoch}.${i}`));
  return log;
}

describe('RaftLog', () => {
  it('keeps written records across a process crash, and only flushed ones across a power loss', () => {
    const disk = new MemoryDisk();
    const log = logWith(disk, [[1, 3]]);
    log.flush();
    log.appendAsLeader(1, 'data', ['unflushed']);
    disk.onProcessCrash();
    expect(RaftLog.open(disk).endOffset).toBe(4);
    disk.onPowerLoss();
    const reopened = RaftLog.open(disk);
    expect(reopened.endOffset).toBe(3);
    expect(reopened.read(0).map((r) => r.data)).toEqual(['1.0', '1.1', '1.2']);
  });

  it('cuts a torn last line off on open', () => {
    const disk = new MemoryDisk();
    logWith(disk, [[1, 2]]).flush();
    disk.append('__cluster_metadata-0/raft.log', Buffer.from('{"offset":2,"epo'));
    const log = RaftLog.open(disk);
    expect(log.endOffset).toBe(2);
    log.appendAsLeader(2, 'data', ['x']);
    expect(RaftLog.open(disk).read(2)).toEqual([{ offset: 2, epoch: 2, kind: 'data', data: 'x' }]);
  });

  it('answers a fetch that follows it as valid and one that does not with where the logs diverge', () => {
    const leader = logWith(new MemoryDisk(), [
      [1, 3],
      [3, 2],
    ]);
    expect(leader.validateOffsetAndEpoch(0, 0)).toEqual({ kind: 'valid' });
    expect(leader.validateOffsetAndEpoch(3, 1)).toEqual({ kind: 'valid' });
    expect(leader.validateOffsetAndEpoch(5, 3)).toEqual({ kind: 'valid' });
    // A follower with records of epoch 2, which this leader never had.
    expect(leader.validateOffsetAndEpoch(6, 2)).toEqual({ kind: 'diverging', at: { offset: 3, epoch: 1 } });
    // A follower with more of epoch 1 than this leader has.
    expect(leader.validateOffsetAndEpoch(4, 1)).toEqual({ kind: 'diverging', at: { offset: 3, epoch: 1 } });
  });

  it('a follower that fetches and truncates as told ends as a prefix of the leader (property)', () => {
    // Logs as runs of epochs: a shared prefix, then each its own suffix, the leader's in a later epoch.
    const runs = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(runs, runs, runs, (shared, leaderOwn, followerOwn) => {
        const sharedRuns = shared.map((n, i) => [i + 1, n] as const);
        const followerRuns = followerOwn.map((n, i) => [shared.length + 1 + i, n] as const);
        const leaderRuns = leaderOwn.map((n, i) => [shared.length + followerOwn.length + 1 + i, n] as const);
        const leader = logWith(new MemoryDisk(), [...sharedRuns, ...leaderRuns]);
        const follower = logWith(new MemoryDisk(), [...sharedRuns, ...followerRuns]);
        for (let round = 0; round < 20; round++) {
          const v = leader.validateOffsetAndEpoch(follower.endOffset, follower.lastEpoch);
          if (v.kind === 'valid') break;
          follower.truncateToEndOffset(v.at);
        }
        expect(leader.validateOffsetAndEpoch(follower.endOffset, follower.lastEpoch)).toEqual({ kind: 'valid' });
        follower.appendAsFollower(leader.read(follower.endOffset));
        expect(follower.read(0)).toEqual(leader.read(0));
      }),
      { numRuns: 200 },
    );
  });
});

describe('QuorumState and the quorum-state file', () => {
  const timeouts = { electionTimeoutMs: 1_000, fetchTimeoutMs: 2_000 };
  const fresh = (disk: MemoryDisk): QuorumState => {
    const q = new QuorumState(1, [1, 2, 3], new QuorumStateStore(disk), timeouts, Rng.fromSeed(1));
    q.initialize({ offset: 0, epoch: 0 }, 0);
    return q;
  };

  it('grants one vote per epoch, and remembers it across a power loss', () => {
    const disk = new MemoryDisk();
    const q = fresh(disk);
    q.transitionToUnattached(4, 0);
    expect(q.canGrantVote(2, true, false)).toBe(true);
    q.transitionToUnattachedVoted(4, 2, 0);
    expect(q.canGrantVote(3, true, false)).toBe(false);
    expect(q.canGrantVote(2, true, false)).toBe(true);
    disk.onPowerLoss();
    const back = fresh(disk);
    expect(back.election()).toEqual({ epoch: 4, leaderId: undefined, votedId: 2 });
    expect(back.canGrantVote(3, true, false)).toBe(false);
  });

  it('refuses a vote to a log behind its own, and pre-votes while it follows a live leader (KIP-996)', () => {
    const q = fresh(new MemoryDisk());
    q.transitionToUnattached(2, 0);
    expect(q.canGrantVote(2, false, false)).toBe(false);
    q.transitionToFollower(2, 3, 0);
    expect(q.canGrantVote(2, true, true)).toBe(true);
    const s = q.state;
    if (s.kind === 'follower') s.hasFetchedFromLeader = true;
    expect(q.canGrantVote(2, true, true)).toBe(false);
    expect(q.canGrantVote(2, true, false)).toBe(false);
  });

  it('starts a former leader resigned in its epoch, and a former candidate as candidate', () => {
    const disk = new MemoryDisk();
    new QuorumStateStore(disk).write({ epoch: 7, leaderId: 1, votedId: undefined });
    expect(fresh(disk).state).toMatchObject({ kind: 'resigned', epoch: 7 });
    new QuorumStateStore(disk).write({ epoch: 8, leaderId: undefined, votedId: 1 });
    expect(fresh(disk).state).toMatchObject({ kind: 'candidate', epoch: 8 });
  });
});

describe('determinism', () => {
  it('the same seed gives the same trace, record for record', () => {
    const run = (): { fingerprint: string; records: string } => {
      const c = new RaftCluster({ seed: 42, voters: 3, observers: 1, trace: 'memory' });
      c.startAll();
      c.appendEvery(5);
      c.runUntil(() => c.anyReachedHighWatermark(20), 30_000, 'high watermark 20');
      c.kill(c.latestLeader() ?? 0);
      c.runFor(5_000);
      expect(c.finish()).toEqual([]);
      return { fingerprint: c.sim.fingerprint, records: JSON.stringify(c.sim.memory?.records) };
    };
    const a = run();
    const b = run();
    expect(a.records.length).toBeGreaterThan(1_000);
    expect(b).toEqual(a);
  });
});
