/**
 * A follower's truncation survives a power loss once anything is fsynced after it. Kafka
 * truncates a diverged follower's log without fsync (UnifiedLog.truncateTo, LogSegment
 * .truncateTo, FileRecords.truncateTo) and then fsyncs the leader epoch checkpoint, whose
 * next epoch starts where the cut was (LeaderEpochFileCache.assign). On a journaling file
 * system that fsync commits the truncation with it. Had the cut records come back after a
 * power loss, the checkpoint would name the new epoch for offsets whose batches carry the
 * old one: the follower's next fetch would claim the new epoch, its leader would find no
 * divergence, and the old records would stay under the new ones (the soak hour's
 * spec:LogMatching on __transaction_state-4, then spec:LeaderCompleteness when that broker led).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, Log, type LogConfig } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { encodeBatch } from '../../src/log/recordBatch.js';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 100_000 };

function batch(value: string): Buffer {
  return encodeBatch([{ key: null, value: Buffer.from(value), timestamp: 1_000 }]);
}

/** The epochs of the batches of `log`, in order. */
function batchEpochs(log: Log): number[] {
  const epochs: number[] = [];
  log.forEachBatchSummary(log.logStartOffset, log.logEndOffset, (_base, _last, epoch) => epochs.push(epoch));
  return epochs;
}

describe("a follower's truncation and a power loss", () => {
  it('leaves no epoch in the checkpoint that the batches at its start offset do not carry', () => {
    // The new leader of epoch 2: five records of epoch 1, then its own.
    const { log: leader } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    for (let i = 0; i < 5; i++) leader.appendAsLeader(batch(`a${i}`), 1);
    // The old leader of epoch 1 has the same five and two more nobody fetched, flushed by its clean shutdown.
    const disk = new MemoryDisk();
    const { log: old } = Log.open(disk, 't-0', CONFIG);
    old.appendAsFollower(leader.read(0, 100_000).records);
    old.appendAsLeader(batch('stale-5'), 1);
    old.appendAsLeader(batch('stale-6'), 1);
    old.close();
    for (let i = 5; i < 8; i++) leader.appendAsLeader(batch(`b${i}`), 2);
    // Restarted, it follows epoch 2: cut to where epoch 1 ends on the leader, then fetch from there.
    const { log: follower } = Log.open(disk, 't-0', CONFIG, { recoveryPoint: 7, hadCleanShutdown: true });
    follower.truncateTo(leader.endOffsetForEpoch(1).endOffset);
    follower.appendAsFollower(leader.read(5, 100_000).records);
    expect(follower.epochs.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
    ]);
    disk.onPowerLoss();
    // Nothing of epoch 2 was flushed; the cut was, with the checkpoint.
    const { log: after } = Log.open(disk, 't-0', CONFIG, { recoveryPoint: 5 });
    expect(after.logEndOffset).toBe(5);
    expect(batchEpochs(after)).toEqual([1, 1, 1, 1, 1]);
    expect(after.epochs.latestEpoch).toBe(1);
  });

  it('leaves replicas that agree: a leader whose tail nobody fetched shuts down, restarts, truncates, and loses power', () => {
    // Broker 1 leads orders-0 (seed 1). Cut off from the other brokers, it still takes the
    // producer's writes; its controlled shutdown moves the leadership, and its clean close
    // flushes the tail nobody fetched. Restarted, it truncates the tail and follows the new
    // leader; then it loses power, with nothing flushed since.
    const scenario = parseScenario(`
name: truncation-durability
seed: 1
duration: 20s
drain: 5s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 100/s, keys: 10, start: 1s, stop: 18s } }
faults:
  - { at: 5s, action: partition, groups: [[broker-1], [broker-2, broker-3]] }
  - { at: 5.5s, action: shutdown, target: broker-1 }
  - { at: 8s, action: heal }
  - { at: 9s, action: restart, target: broker-1 }
  - { at: 13s, action: crash, mode: power, target: broker-1 }
  - { at: 14s, action: restart, target: broker-1 }
checks: [lost-write]
`);
    const result = runScenario(scenario, { keepTrace: true });
    const records = result.simulation.memory?.records ?? [];
    const truncations = records.filter((r) => r.kind === 'replica.truncate' && r.broker === 1 && r.partition === 'orders-0');
    expect(truncations.length, 'broker 1 truncated the tail nobody fetched').toBeGreaterThan(0);
    const spec = result.violations.filter((v) => v.kind.startsWith('spec:')).map((v) => `${v.kind}: ${v.message}`);
    expect(spec).toEqual([]);
  });
});
