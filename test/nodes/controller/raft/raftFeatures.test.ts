/**
 * The release-dependent switches: pre-vote (KIP-996) keeps a voter that comes back from a
 * partition from bumping the epoch and unseating a healthy leader, and check-quorum
 * (KAFKA-15489) makes a leader cut off from the majority resign instead of believing it
 * still leads. Both failures must be reproducible with the switch off.
 */
import { describe, expect, it } from 'vitest';
import { RaftCluster } from './raftCluster.js';

const DEEP = process.env.KAFKASIM_DEEP !== undefined;
const SEEDS = Array.from({ length: DEEP ? 20 : 2 }, (_, i) => i + 1);

function settled(seed: number, preVote: boolean, checkQuorum: boolean): RaftCluster {
  const c = new RaftCluster({ seed, voters: 3, features: { preVote, checkQuorum, quietResigned: true } });
  c.startAll();
  c.appendEvery(10);
  c.runUntil(() => c.hasConsistentLeader() && c.allReachedHighWatermark(10), 30_000, 'a settled quorum');
  return c;
}

/** A settled quorum whose first follower was then cut off for ten seconds (the partition still on). */
function followerAwayTenSeconds(seed: number, preVote: boolean): { c: RaftCluster; leader: number | undefined; epoch: number; follower: number; cut: string } {
  const c = settled(seed, preVote, true);
  const leader = c.latestLeader();
  const epoch = c.client(leader ?? 0)?.quorum.epoch ?? -1;
  const follower = c.voterIds.find((id) => id !== leader);
  if (follower === undefined) throw new Error('no follower');
  const cut = c.isolate(follower);
  c.runFor(10_000);
  return { c, leader, epoch, follower, cut };
}

describe('disruptive rejoin (KIP-996 pre-vote)', () => {
  it.each(SEEDS)('without pre-vote, a voter back from a partition bumps the epoch and unseats the leader (seed %i)', (seed) => {
    const { c, leader, epoch, follower, cut } = followerAwayTenSeconds(seed, false);
    // Alone, it keeps starting elections, each in a new epoch.
    expect(c.client(follower)?.quorum.epoch).toBeGreaterThan(epoch + 1);
    expect(c.latestLeader()).toBe(leader);
    c.heal(cut);
    c.runUntil(() => c.hasConsistentLeader(), 30_000, 'a leader after the heal');
    expect(c.client(c.latestLeader() ?? 0)?.quorum.epoch).toBeGreaterThan(epoch);
    expect(c.finish()).toEqual([]);
  });

  it.each(SEEDS)('with pre-vote, it rejoins without changing the epoch or the leader (seed %i)', (seed) => {
    const { c, leader, epoch, follower, cut } = followerAwayTenSeconds(seed, true);
    // It asked for pre-votes, which nobody could grant, so its epoch stayed.
    expect(c.client(follower)?.quorum.epoch).toBe(epoch);
    c.heal(cut);
    const hw = c.maxHighWatermarkReached();
    c.runUntil(() => c.allReachedHighWatermark(hw + 10), 30_000, 'the rejoined voter caught up');
    expect(c.latestLeader()).toBe(leader);
    for (const id of c.voterIds) expect(c.storedElection(id)?.epoch).toBe(epoch);
    expect(c.finish()).toEqual([]);
  });
});

describe('check-quorum (KAFKA-15489)', () => {
  for (const checkQuorum of [true, false]) {
    it.each(SEEDS)(`a leader cut off from the majority ${checkQuorum ? 'resigns' : 'still believes it leads'} (seed %i)`, (seed) => {
      const c = settled(seed, true, checkQuorum);
      const leader = c.latestLeader() ?? 0;
      const epoch = c.client(leader)?.quorum.epoch ?? -1;
      c.isolate(leader);
      // controller.quorum.fetch.timeout.ms × 1.5 is 3 s; the rest elect a new leader meanwhile.
      c.runFor(4_000);
      const old = c.client(leader)?.quorum.state;
      if (checkQuorum) expect(old?.kind).not.toBe('leader');
      else expect(old).toMatchObject({ kind: 'leader', epoch });
      const others = c.voterIds.filter((id) => id !== leader);
      c.runUntil(() => others.some((id) => c.client(id)?.quorum.state.kind === 'leader'), 30_000, 'a new leader among the rest');
      expect(c.finish()).toEqual([]);
    });
  }
});
