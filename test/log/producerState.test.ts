import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Log, DEFAULT_LOG_CONFIG, LogError, type LogConfig } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { applyRetention } from '../../src/log/retention.js';
import { encodeBatch, encodeControlBatch } from '../../src/log/recordBatch.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1_500, indexIntervalBytes: 200 };

function idem(pid: number, epoch: number, seq: number, n = 1, transactional = false): Buffer {
  return encodeBatch(
    Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`p${pid}e${epoch}s${seq + i}`), timestamp: 1_000 + seq + i })),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: transactional },
  );
}

function marker(pid: number, epoch: number, type: 'COMMIT' | 'ABORT'): Buffer {
  return encodeControlBatch({ type, coordinatorEpoch: 0 }, { producerId: pid, producerEpoch: epoch, timestamp: 5_000 });
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof LogError ? err.code : String(err);
  }
}

describe('producer state: retention (KIP-360)', () => {
  const RETAINED: LogConfig = { ...CONFIG, retentionMs: 1_000, segmentBytes: 1_000_000 };

  /** Producer 7 writes three batches, producer 8 one after them; then retention deletes the log. */
  function retained(config: LogConfig): Log {
    const { log } = Log.open(new MemoryDisk(), 't-0', config);
    for (let s = 0; s < 3; s++) log.appendAsLeader(idem(7, 0, s), 1);
    log.appendAsLeader(idem(8, 0, 0), 1);
    log.updateHighWatermark(log.logEndOffset);
    expect(applyRetention(log, 1_000_000).logStartOffset).toBe(4);
    return log;
  }

  it('keeps a producer whose batches retention deleted: its late retry is still recognised', () => {
    const log = retained(RETAINED);
    expect(log.producers.size).toBe(2);
    expect(log.appendAsLeader(idem(7, 0, 2), 1)).toMatchObject({ duplicate: true, firstOffset: 2 });
    expect(log.appendAsLeader(idem(7, 0, 3), 1).firstOffset).toBe(4);
  });

  it('before KIP-360 (1.0-2.3), forgets it with its last batch: the retry is UNKNOWN_PRODUCER_ID, and from sequence 0 it is written again', () => {
    const log = retained({ ...RETAINED, evictProducersBelowLogStart: true, unknownProducerSequence: 'unknown-producer-id' });
    expect(log.producers.size).toBe(0);
    expect(code(() => log.appendAsLeader(idem(7, 0, 2), 1))).toBe('UNKNOWN_PRODUCER_ID');
    expect(log.appendAsLeader(idem(7, 0, 0), 1)).toMatchObject({ firstOffset: 4 });
  });

  it('before KIP-360, keeps a producer that still has a batch at or above the log start offset', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }), fc.nat(), (writers, cut) => {
        const { log } = Log.open(new MemoryDisk(), 't-0', { ...CONFIG, segmentBytes: 300, retentionMs: -1, evictProducersBelowLogStart: true });
        const seqs = new Map<number, number>();
        const lastOffset = new Map<number, number>();
        for (const pid of writers) {
          const seq = seqs.get(pid) ?? 0;
          lastOffset.set(pid, log.appendAsLeader(idem(pid, 0, seq), 1).firstOffset);
          seqs.set(pid, seq + 1);
        }
        log.updateHighWatermark(log.logEndOffset);
        const segments = log.allSegments().length;
        log.deleteOldestSegments(cut % segments);
        const start = log.logStartOffset;
        const kept = [...lastOffset].filter(([, last]) => last >= start).map(([pid]) => pid);
        expect(log.producers.allEntries().map((e) => e.producerId).sort()).toEqual(kept.sort());
      }),
    );
  });
});

describe('producer state: idempotence', () => {
  it('answers a retried batch with its original offsets instead of appending it', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    const first = log.appendAsLeader(idem(7, 0, 0, 3), 1);
    log.appendAsLeader(idem(8, 0, 0), 1);
    const retry = log.appendAsLeader(idem(7, 0, 0, 3), 1);
    expect(retry).toMatchObject({ duplicate: true, firstOffset: first.firstOffset, lastOffset: first.lastOffset });
    expect(log.logEndOffset).toBe(4);
  });

  // ProducerAppendInfo.checkSequence, by release: a producer the partition has no state for,
  // whose first batch does not start at sequence 0.
  it.each([
    ['out-of-order', 'OUT_OF_ORDER_SEQUENCE_NUMBER'], // 0.11
    ['unknown-producer-id', 'UNKNOWN_PRODUCER_ID'], // 1.0-2.4, KAFKA-5793
  ] as const)('an unknown producer not at sequence 0, rule %s: %s, and nothing written', (rule, error) => {
    const { log } = Log.open(new MemoryDisk(), 't-0', { ...CONFIG, unknownProducerSequence: rule });
    expect(code(() => log.appendAsLeader(idem(1, 0, 5), 1))).toBe(error);
    expect(log.logEndOffset).toBe(0);
    expect(log.appendAsLeader(idem(1, 0, 0), 1).firstOffset).toBe(0);
  });

  it('since 2.5 (KAFKA-8710) accepts an unknown producer at any sequence, and then holds it to the next', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    expect(log.appendAsLeader(idem(1, 0, 5), 1).firstOffset).toBe(0);
    expect(log.appendAsLeader(idem(1, 0, 5), 1)).toMatchObject({ duplicate: true, firstOffset: 0 });
    expect(code(() => log.appendAsLeader(idem(1, 0, 7), 1))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(log.appendAsLeader(idem(1, 0, 6), 1).firstOffset).toBe(1);
  });

  it('remembers the last five batches, and no more', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    for (let s = 0; s < 7; s++) log.appendAsLeader(idem(1, 0, s), 1);
    expect(log.appendAsLeader(idem(1, 0, 2), 1).duplicate).toBe(true);
    expect(code(() => log.appendAsLeader(idem(1, 0, 1), 1))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  it('refuses gaps and old epochs, and restarts sequences at a new epoch', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    log.appendAsLeader(idem(1, 0, 0, 2), 1);
    expect(code(() => log.appendAsLeader(idem(1, 0, 3), 1))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    log.appendAsLeader(idem(1, 0, 2), 1);
    expect(code(() => log.appendAsLeader(idem(1, 1, 3), 1))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    log.appendAsLeader(idem(1, 1, 0), 1);
    expect(code(() => log.appendAsLeader(idem(1, 0, 3), 1))).toBe('INVALID_PRODUCER_EPOCH');
  });

  it("refuses a coordinator's batch of an older epoch though it carries no sequence (a late TxnOffsetCommit after its transaction's ABORT)", () => {
    // The group coordinator writes a TxnOffsetCommit into __consumer_offsets under the
    // producer's id and epoch, without sequences. Kafka checks the epoch of every batch that
    // does not come by replication (ProducerAppendInfo.maybeValidateDataBatch: checkProducerEpoch
    // always, checkSequence only for AppendOrigin.CLIENT). Found by the swarm: eos-zombie-processor
    // case 37, where a TxnOffsetCommit of an aborted transaction landed after the ABORT marker, stayed
    // pending, and the producer's next COMMIT applied it.
    const offsets = (epoch: number): Buffer => encodeBatch([{ key: null, value: Buffer.from(`offsets@${epoch}`), timestamp: 1_000 }], { producerId: 4, producerEpoch: epoch, isTransactional: true });
    const { log } = Log.open(new MemoryDisk(), '__consumer_offsets-2', CONFIG);
    log.appendAsLeader(offsets(2), 1);
    log.appendAsLeader(marker(4, 3, 'ABORT'), 1); // the coordinator aborted on timeout and bumped the epoch
    expect(code(() => log.appendAsLeader(offsets(2), 1))).toBe('INVALID_PRODUCER_EPOCH');
    // The current epoch, and a later one, still go in; so do batches of producers the log does not know.
    expect(log.appendAsLeader(offsets(3), 1).firstOffset).toBe(2);
    expect(log.appendAsLeader(offsets(4), 1).firstOffset).toBe(3);
    expect(code(() => log.appendAsLeader(offsets(3), 1))).toBe('INVALID_PRODUCER_EPOCH');
    expect(log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from('x'), timestamp: 1_000 }], { producerId: 5, producerEpoch: 0, isTransactional: true }), 1).firstOffset).toBe(4);
  });

  it('keeps producer state across a power loss and restart, through its snapshots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 60 }), (batches) => {
        const disk = new MemoryDisk();
        const { log } = Log.open(disk, 't-0', CONFIG);
        for (let s = 0; s < batches; s++) log.appendAsLeader(idem(3, 0, s), 1);
        log.flush();
        disk.onPowerLoss();
        const { log: after } = Log.open(disk, 't-0', CONFIG, { recoveryPoint: log.recoveryPoint });
        // The last batch is still recognised as a duplicate, and the next one is expected.
        expect(after.appendAsLeader(idem(3, 0, batches - 1), 1).duplicate).toBe(true);
        expect(after.appendAsLeader(idem(3, 0, batches), 1).duplicate).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it('snapshots producer state at each roll, named by offset', () => {
    const disk = new MemoryDisk();
    const { log } = Log.open(disk, 't-0', CONFIG);
    for (let s = 0; s < 3; s++) log.appendAsLeader(idem(3, 0, s), 1);
    log.roll();
    expect(disk.list('t-0').filter((f) => f.endsWith('.snapshot'))).toEqual(['00000000000000000003.snapshot']);
  });

  it('forgets what a truncation removed', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    for (let s = 0; s < 30; s++) log.appendAsLeader(idem(4, 0, s), 1);
    log.truncateTo(10);
    // Sequence 10 is now the next one expected, not a duplicate.
    expect(log.appendAsLeader(idem(4, 0, 10), 1)).toMatchObject({ duplicate: false, firstOffset: 10 });
  });
});

describe('producer state: transactions', () => {
  it('holds the last stable offset at the first open transaction until its marker is replicated', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    log.appendAsLeader(idem(1, 0, 0), 1); // 0: plain idempotent
    log.appendAsLeader(idem(2, 0, 0, 2, true), 1); // 1-2: txn of producer 2
    log.appendAsLeader(idem(1, 0, 1), 1); // 3
    log.updateHighWatermark(log.logEndOffset);
    expect(log.lastStableOffset).toBe(1);
    log.appendAsLeader(marker(2, 0, 'COMMIT'), 1); // 4
    expect(log.lastStableOffset).toBe(1); // marker not yet below the HW
    log.updateHighWatermark(log.logEndOffset);
    expect(log.lastStableOffset).toBe(5);
  });

  it("forgets an ended transaction once the high watermark passes its marker, on a follower too, whose last stable offset nobody asks (ProducerStateManager.onHighWatermarkUpdated)", () => {
    const { log: leader } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    const { log: follower } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    for (let txn = 0; txn < 20; txn++) {
      for (const records of [idem(2, 0, txn, 1, true), marker(2, 0, 'COMMIT')]) {
        const before = leader.logEndOffset;
        leader.appendAsLeader(records, 1);
        follower.appendAsFollower(leader.read(before, 1_000_000, leader.logEndOffset, true).records);
      }
      follower.updateHighWatermark(follower.logEndOffset);
    }
    expect(follower.producers.unreplicatedTransactions).toBe(0);
    // The leader's, unreplicated, are all still there until its high watermark moves.
    expect(leader.producers.unreplicatedTransactions).toBe(20);
    leader.updateHighWatermark(leader.logEndOffset - 1); // the last marker is not below it yet
    expect(leader.producers.unreplicatedTransactions).toBe(1);
  });

  it('indexes aborted transactions for read_committed, and rebuilds the index on recovery', () => {
    const disk = new MemoryDisk();
    const { log } = Log.open(disk, 't-0', CONFIG);
    log.appendAsLeader(idem(9, 0, 0, 2, true), 1); // 0-1
    log.appendAsLeader(idem(5, 0, 0), 1); // 2
    log.appendAsLeader(marker(9, 0, 'ABORT'), 1); // 3
    log.appendAsLeader(idem(9, 0, 2, 1, true), 1); // 4
    log.appendAsLeader(marker(9, 0, 'COMMIT'), 1); // 5
    const aborted = log.abortedTransactions(0, 6);
    expect(aborted.map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset }))).toEqual([{ producerId: 9, firstOffset: 0, lastOffset: 3 }]);
    expect(log.abortedTransactions(4, 6)).toEqual([]);
    expect(disk.list('t-0')).toContain('00000000000000000000.txnindex');
    expect(disk.size('t-0/00000000000000000000.txnindex')).toBe(34);
    disk.flipBits('t-0/00000000000000000000.txnindex', 3, [5, 90, 200]); // recovery rebuilds it from the log
    const { log: again } = Log.open(disk, 't-0', CONFIG);
    expect(again.abortedTransactions(0, 6).map((t) => [t.producerId, t.firstOffset, t.lastOffset])).toEqual([[9, 0, 3]]);
  });

  it('keeps the index of a cleanly closed log, and rebuilds it on a later recovery though the snapshot at the log end lies past the marker', () => {
    const disk = new MemoryDisk();
    const { log } = Log.open(disk, 't-0', CONFIG);
    log.appendAsLeader(idem(9, 0, 0, 2, true), 1); // 0-1
    log.appendAsLeader(marker(9, 0, 'ABORT'), 1); // 2
    log.appendAsLeader(idem(5, 0, 0), 1); // 3
    log.close(); // a snapshot at 4, inside the active segment
    expect(disk.list('t-0')).toContain('00000000000000000004.snapshot');
    const reopened = (clean: boolean) => Log.open(disk, 't-0', CONFIG, { recoveryPoint: 4, hadCleanShutdown: clean });
    // After a clean shutdown nothing is recovered: the index comes from its file.
    const clean = reopened(true);
    expect(clean.recovery.segmentsRecovered).toBe(0);
    expect(clean.log.logEndOffset).toBe(4);
    expect(clean.log.abortedTransactions(0, 4).map((t) => [t.producerId, t.firstOffset, t.lastOffset])).toEqual([[9, 0, 2]]);
    // After a crash the active segment is recovered and its index rebuilt from the log.
    const crashed = reopened(false);
    expect(crashed.recovery.segmentsRecovered).toBe(1);
    expect(crashed.log.abortedTransactions(0, 4).map((t) => [t.producerId, t.firstOffset, t.lastOffset])).toEqual([[9, 0, 2]]);
    // The log's own producer state still starts from the newest snapshot.
    expect(crashed.log.producers.entry(5)?.batches).toHaveLength(1);
  });
});
