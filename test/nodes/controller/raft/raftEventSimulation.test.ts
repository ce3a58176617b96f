/**
 * The scenarios of Kafka's raft/src/test/java/org/apache/kafka/raft/RaftEventSimulationTest
 * .java, each over a few seeds (50 with KAFKASIM_DEEP), with its invariants checked after
 * every event: SingleLeader, MonotonicEpoch, MonotonicHighWatermark,
 * MajorityReachedHighWatermark, and ConsistentCommittedData at the end. As Kafka's test runs
 * every scenario with its ReplicatedCounter snapshotting every 10 records, odd seeds run a
 * counter state machine that writes a KIP-630 snapshot about every 10 records (and checks
 * LeaderNeverLoadSnapshot), so a member that restarts or lost its disk may catch up from one.
 */
import { describe, expect, it } from 'vitest';
import { RaftCluster, type RaftClusterOptions } from './raftCluster.js';

const DEEP = process.env.KAFKASIM_DEEP !== undefined;
const SEEDS = Array.from({ length: DEEP ? 50 : 3 }, (_, i) => i + 1);

/** A counter state machine on every member, snapshotting about every 10 records (ReplicatedCounter's SNAPSHOT_DELAY_IN_RECORDS). */
const SNAPSHOTS: Partial<RaftClusterOptions> = { counter: true, snapshotChunkBytes: 64, settings: { 'metadata.log.max.record.bytes.between.snapshots': 300, 'metadata.max.retention.bytes': 1 } };

/**
 * A cluster for `seed`, its size drawn from the seed within the ranges the Kafka test gives,
 * and the release switches too: pre-vote on even seeds, check-quorum off on every third;
 * snapshots on odd seeds.
 */
function cluster(seed: number, voters: { min: number; max: number }, observers: number, extra: Partial<RaftClusterOptions> = {}): RaftCluster {
  const span = voters.max - voters.min + 1;
  const features = { preVote: seed % 2 === 0, checkQuorum: seed % 3 !== 0, quietResigned: true };
  const snapshots = seed % 2 === 1 ? SNAPSHOTS : {};
  const c = new RaftCluster({ seed, voters: voters.min + ((seed * 7) % span), observers: seed % (observers + 1), features, ...snapshots, ...extra });
  c.startAll();
  c.appendEvery(5);
  return c;
}

/** "Seed the cluster with some data": a leader everyone agrees on, and a high watermark past 10. */
function seedData(c: RaftCluster): void {
  c.runUntil(() => c.hasConsistentLeader(), 30_000, 'a consistent leader');
  c.runUntil(() => c.anyReachedHighWatermark(10), 30_000, 'high watermark 10');
}

function leaderOf(c: RaftCluster): number {
  const leader = c.latestLeader();
  if (leader === undefined) throw new Error(`seed ${c.sim.seed}: no leader`);
  return leader;
}

describe('RaftEventSimulationTest scenarios', () => {
  it.each(SEEDS)('canElectInitialLeader (seed %i)', (seed) => {
    const c = cluster(seed, { min: 1, max: 5 }, 5);
    c.runUntil(() => c.hasConsistentLeader(), 30_000, 'a consistent leader');
    c.runUntil(() => c.allReachedHighWatermark(10), 30_000, 'high watermark 10 everywhere');
    expect(c.finish()).toEqual([]);
  });

  for (const graceful of [true, false]) {
    it.each(SEEDS)(`canElectNewLeaderAfterOldLeaderFailure, ${graceful ? 'graceful shutdown' : 'hard kill'} (seed %i)`, (seed) => {
      const c = cluster(seed, { min: 3, max: 5 }, 5);
      seedData(c);
      const leader = leaderOf(c);
      if (graceful) c.shutdown(leader);
      else c.kill(leader);
      c.runUntil(() => c.client(leader) === undefined && c.allReachedHighWatermark(20), 30_000, 'high watermark 20 without the old leader');
      expect(c.latestLeader()).not.toBe(leader);
      const hw = c.maxHighWatermarkReached();
      c.start(leader);
      c.runUntil(() => c.allReachedHighWatermark(hw + 10), 30_000, 'the old leader caught up');
      expect(c.finish()).toEqual([]);
    });
  }

  it.each(SEEDS)('canRecoverAfterAllNodesKilled (seed %i)', (seed) => {
    const c = cluster(seed, { min: 1, max: 5 }, 5);
    seedData(c);
    const hw = c.maxHighWatermarkReached();
    c.killAll();
    for (const id of c.voterIds.slice(0, c.majority)) c.start(id);
    c.runUntil(() => c.allReachedHighWatermark(hw + 10), 30_000, 'a majority back and past the old high watermark');
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('canElectNewLeaderAfterOldLeaderPartitionedAway (seed %i)', (seed) => {
    const c = cluster(seed, { min: 3, max: 5 }, 5);
    seedData(c);
    const leader = leaderOf(c);
    c.isolate(leader);
    const others = c.ids.filter((id) => id !== leader);
    c.runUntil(() => c.allReachedHighWatermark(20, others), 30_000, 'high watermark 20 on the rest');
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('canMakeProgressIfMajorityIsReachable, 5 voters (seed %i)', (seed) => {
    const c = cluster(seed, { min: 5, max: 5 }, 3);
    seedData(c);
    c.split('minority', [
      [1, 2],
      [3, 4, 5],
    ]);
    const partitionLogEnd = c.maxLogEndOffset();
    c.runUntil(() => c.anyReachedHighWatermark(2 * partitionLogEnd), 30_000, 'progress in the majority');
    expect(c.maxHighWatermarkReached([3, 4, 5])).toBeGreaterThan(c.maxHighWatermarkReached([1, 2]));
    c.heal('minority');
    const restoredLogEnd = c.maxLogEndOffset();
    c.runUntil(() => c.allReachedHighWatermark(2 * restoredLogEnd), 30_000, 'everyone caught up after the heal');
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('canMakeProgressAfterBackToBackLeaderFailures (seed %i)', (seed) => {
    const c = cluster(seed, { min: 3, max: 5 }, 5);
    seedData(c);
    const leader = leaderOf(c);
    const cut = c.isolate(leader);
    c.runUntil(() => c.latestLeader() !== undefined && c.latestLeader() !== leader, 30_000, 'a new leader');
    const newLeader = leaderOf(c);
    c.heal(cut);
    c.isolate(newLeader);
    const target = c.maxHighWatermarkReached() + 10;
    c.runUntil(() => c.anyReachedHighWatermark(target), 30_000, 'progress after the second failure');
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('canRecoverFromSingleNodeCommittedDataLoss (seed %i)', (seed) => {
    // As in Kafka's test, MonotonicEpoch and MajorityReachedHighWatermark are left out: a
    // member that loses its disk breaks them by construction.
    const c = cluster(seed, { min: 3, max: 5 }, 2, { skip: ['spec:MonotonicEpoch', 'spec:MajorityReachedHighWatermark'] });
    c.runUntil(() => c.anyReachedHighWatermark(10), 30_000, 'high watermark 10');
    const victim = c.ids[seed % c.ids.length];
    c.killAndDeletePersistentState(victim);
    c.runUntil(() => c.latestLeader() !== undefined && c.latestLeader() !== victim && c.hasConsistentLeader(), 30_000, 'a leader other than the wiped member');
    const hw = c.maxHighWatermarkReached();
    c.start(victim);
    c.runUntil(() => c.allReachedHighWatermark(hw + 10), 30_000, 'the wiped member caught up');
    expect(c.finish()).toEqual([]);
  });
});
