// Kafka's own tests as the oracle (issue 22): cases of
// core/src/test/scala/unit/kafka/cluster/ReplicaTest.scala
// ported to kafkasim, whose Replica state (a follower's log end offset, when it was last
// caught up) lives in the leader's Partition (src/nodes/broker/partition.ts): Kafka's
// updateFetchState is a follower's fetch, resetReplicaState a becomeLeader, and isCaughtUp
// whether the periodic ISR check keeps the follower. kafkasim does not track a follower's log
// start offset or broker epoch, so those fields of Kafka's assertReplicaState are not compared.
import { describe, expect, it } from 'vitest';
import { Partition, type PartitionConfig } from '../../src/nodes/broker/partition.js';
import { ORACLE_CONTEXT } from './partitionContext.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { encodeBatch } from '../../src/log/recordBatch.js';
import { UNDEFINED_EPOCH } from '../../src/log/leaderEpochCache.js';

const REPLICA_LAG_TIME_MAX_MS = 30_000;
const CONFIG: PartitionConfig = { minInsyncReplicas: 1, replicaLagTimeMaxMs: REPLICA_LAG_TIME_MAX_MS, maxFetchBytes: 1 << 20, truncation: 'leader-epoch', holdHighWatermarkBelowMinIsr: true, caughtUpAtLogEnd: true };
const LEADER = 1;
const REPLICA = 2;

/** A leader with `n` records, its follower REPLICA in the ISR, led from time `nowMs`. */
function leader(n: number, nowMs = 0): Partition {
  const { log } = Log.open(new MemoryDisk(), 'foo-0', DEFAULT_LOG_CONFIG);
  const p = new Partition('foo', 0, LEADER, log, CONFIG, ORACLE_CONTEXT);
  append(p, n);
  p.becomeLeader({ leader: LEADER, leaderEpoch: 1, partitionEpoch: 0, replicas: [LEADER, REPLICA], isr: [LEADER, REPLICA] }, nowMs);
  return p;
}

function append(p: Partition, n: number): void {
  p.log.appendAsLeader(encodeBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 0 }))), 1);
}

/** Kafka's updateFetchState: the follower fetches from `followerFetchOffset` at `nowMs`. */
function updateFetchState(p: Partition, followerFetchOffset: number, nowMs: number): void {
  const r = p.fetchForFollower(REPLICA, followerFetchOffset, UNDEFINED_EPOCH, -1, nowMs);
  if (r.error !== undefined) throw new Error(r.error);
}

/** Kafka's isCaughtUp: the periodic ISR check keeps the follower. */
const isCaughtUp = (p: Partition, nowMs: number): boolean => (p.proposedIsr(nowMs) ?? p.isr).includes(REPLICA);

describe('ReplicaTest', () => {
  // Kafka: ReplicaTest.testUpdateFetchState
  it('testUpdateFetchState', () => {
    const p = leader(10);
    const fetchTimeMs1 = 1_000;
    updateFetchState(p, 5, fetchTimeMs1); // leader end 10
    expect(p.followerLogEndOffset(REPLICA)).toBe(5);
    expect(p.followerLastCaughtUpMs(REPLICA)).toBe(0);
    append(p, 5);
    const fetchTimeMs2 = 2_000;
    updateFetchState(p, 10, fetchTimeMs2); // leader end 15: caught up to where the leader was at the last fetch
    expect(p.followerLogEndOffset(REPLICA)).toBe(10);
    expect(p.followerLastCaughtUpMs(REPLICA)).toBe(fetchTimeMs1);
    const fetchTimeMs3 = 3_000;
    updateFetchState(p, 15, fetchTimeMs3);
    expect(p.followerLogEndOffset(REPLICA)).toBe(15);
    expect(p.followerLastCaughtUpMs(REPLICA)).toBe(fetchTimeMs3);
  });

  // Kafka: ReplicaTest.testResetReplicaStateWhenNewLeaderIsElectedAndReplicaIsInSync
  it('testResetReplicaStateWhenNewLeaderIsElectedAndReplicaIsInSync', () => {
    const p = leader(10);
    updateFetchState(p, 10, 500);
    const resetTimeMs1 = 1_000;
    append(p, 1);
    p.becomeLeader({ leader: LEADER, leaderEpoch: 2, partitionEpoch: 1, replicas: [LEADER, REPLICA], isr: [LEADER, REPLICA] }, resetTimeMs1);
    expect(p.followerLogEndOffset(REPLICA)).toBe(-1); // UnifiedLog.UnknownOffset
    expect(p.followerLastCaughtUpMs(REPLICA)).toBe(resetTimeMs1);
  });

  // Kafka: ReplicaTest.testIsCaughtUpWhenReplicaIsNotCaughtUpToLogEnd
  it('testIsCaughtUpWhenReplicaIsNotCaughtUpToLogEnd', () => {
    const p = leader(10);
    updateFetchState(p, 5, 0);
    append(p, 5);
    updateFetchState(p, 10, 0); // the leader's end was 10 at its previous fetch
    append(p, 1);
    expect(isCaughtUp(p, 0)).toBe(true);
    expect(isCaughtUp(p, REPLICA_LAG_TIME_MAX_MS + 1)).toBe(false);
  });

  // Kafka: ReplicaTest.testIsCaughtUpWhenReplicaIsCaughtUpToLogEnd
  // A follower whose log end equals the leader's is caught up however long ago it fetched
  // (Replica.isCaughtUp, KAFKA-7152; sim.isr.caught.up: log-end-or-lag-time, the default).
  it('testIsCaughtUpWhenReplicaIsCaughtUpToLogEnd', () => {
    const p = leader(10);
    updateFetchState(p, 10, 0);
    expect(isCaughtUp(p, 0)).toBe(true);
    expect(isCaughtUp(p, REPLICA_LAG_TIME_MAX_MS + 1)).toBe(true);
  });
});
