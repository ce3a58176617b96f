// Kafka's own tests as the oracle (issue 22): cases of
// core/src/test/scala/unit/kafka/server/AbstractFetcherThreadTest.scala
// ported to kafkasim's replica fetch loop without the network: a follower Partition's
// nextFetch, the leader Partition's fetchForFollower, and the follower's applyFetch (what
// ReplicaFetcherThread.doWork and processPartitionData carry between them), with the
// truncation on a diverging epoch (KIP-320's truncate-on-fetch, Kafka's default).
import { describe, expect, it } from 'vitest';
import { Partition, type PartitionConfig } from '../../src/nodes/broker/partition.js';
import { ORACLE_CONTEXT } from './partitionContext.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { encodeBatch, readBatchHeader, decodeRecords } from '../../src/log/recordBatch.js';

const CONFIG: PartitionConfig = { minInsyncReplicas: 1, replicaLagTimeMaxMs: 30_000, maxFetchBytes: 1 << 20, truncation: 'leader-epoch', holdHighWatermarkBelowMinIsr: true, caughtUpAtLogEnd: true };
const LEADER = 1;
const FOLLOWER = 2;

/** Kafka's mkBatch: one batch of `values` at `baseOffset`, written in `leaderEpoch`. */
function mkBatch(baseOffset: number, leaderEpoch: number, ...values: string[]): Buffer {
  return encodeBatch(values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 0 })), { baseOffset, partitionLeaderEpoch: leaderEpoch });
}

/** A replica whose log holds `batches` (as replicated: offsets and epochs kept). */
function replica(brokerId: number, batches: Buffer[]): Partition {
  const { log } = Log.open(new MemoryDisk(), 'topic-0', DEFAULT_LOG_CONFIG);
  for (const b of batches) log.appendAsFollower(b);
  return new Partition('topic', 0, brokerId, log, CONFIG, ORACLE_CONTEXT);
}

/** Kafka's PartitionState.log as compared by its tests: each batch's base offset, epoch and values. */
function batches(p: Partition): string[] {
  const out: string[] = [];
  p.log.forEachBatch(p.log.logStartOffset, p.log.logEndOffset, (bytes, pos, header) => {
    const values = decodeRecords(bytes, pos, readBatchHeader(bytes, pos)).map((r) => r.value?.toString() ?? '');
    out.push(`${header.baseOffset}@${header.partitionLeaderEpoch}:${values.join(',')}`);
  });
  return out;
}

/** One doWork: a Fetch round trip from the follower to the leader. */
function doWork(leader: Partition, follower: Partition): void {
  const req = follower.nextFetch();
  const res = leader.fetchForFollower(follower.brokerId, req.fetchOffset, req.lastFetchedEpoch, req.currentLeaderEpoch, 0);
  if (res.error !== undefined) throw new Error(res.error);
  follower.applyFetch(res);
}

/** Kafka's waitUntilTrue around doWork: fetch until the logs agree. */
function reconcile(leader: Partition, follower: Partition): void {
  for (let i = 0; i < 10 && batches(follower).join('|') !== batches(leader).join('|'); i++) doWork(leader, follower);
  expect(batches(follower)).toEqual(batches(leader));
}

function leadership(leaderEpoch: number, isr: number[]) {
  return { leader: LEADER, leaderEpoch, partitionEpoch: 0, replicas: [LEADER, FOLLOWER], isr };
}

describe('AbstractFetcherThreadTest', () => {
  // Kafka: AbstractFetcherThreadTest.testSimpleFetch
  it('testSimpleFetch', () => {
    const leader = replica(LEADER, [mkBatch(0, 0, 'a', 'b')]);
    leader.becomeLeader(leadership(0, [LEADER]), 0); // its high watermark: 2
    expect(leader.highWatermark).toBe(2);
    const follower = replica(FOLLOWER, []);
    follower.becomeFollower(leadership(0, [LEADER]));
    doWork(leader, follower);
    expect(follower.log.logEndOffset).toBe(2);
    expect(follower.highWatermark).toBe(2);
  });

  // Kafka: AbstractFetcherThreadTest.testTruncation
  it('testTruncation', () => {
    const follower = replica(FOLLOWER, [mkBatch(0, 0, 'a'), mkBatch(1, 2, 'b'), mkBatch(2, 4, 'c')]);
    const leader = replica(LEADER, [mkBatch(0, 1, 'a'), mkBatch(1, 3, 'b'), mkBatch(2, 5, 'c')]);
    leader.becomeLeader(leadership(5, [LEADER, FOLLOWER]), 0);
    follower.becomeFollower(leadership(5, [LEADER, FOLLOWER]));
    reconcile(leader, follower);
    expect(follower.log.logStartOffset).toBe(leader.log.logStartOffset);
    expect(follower.log.logEndOffset).toBe(leader.log.logEndOffset);
    doWork(leader, follower); // the follower learns the high watermark its caught-up fetch moved
    expect(follower.highWatermark).toBe(leader.highWatermark);
  });

  // Kafka: AbstractFetcherThreadTest.testDivergingEpochs
  it('testDivergingEpochs', () => {
    const follower = replica(FOLLOWER, [mkBatch(0, 0, 'a'), mkBatch(1, 2, 'b'), mkBatch(2, 4, 'c')]);
    follower.becomeFollower(leadership(5, [LEADER, FOLLOWER]));
    expect(follower.log.logEndOffset).toBe(3);
    expect(follower.nextFetch().lastFetchedEpoch).toBe(4);
    const leader = replica(LEADER, [mkBatch(0, 0, 'a'), mkBatch(1, 2, 'b'), mkBatch(2, 5, 'd')]);
    leader.becomeLeader(leadership(5, [LEADER, FOLLOWER]), 0);
    doWork(leader, follower);
    expect(follower.nextFetch().lastFetchedEpoch).toBe(2);
    reconcile(leader, follower);
    expect(follower.nextFetch().lastFetchedEpoch).toBe(5);
  });
});
