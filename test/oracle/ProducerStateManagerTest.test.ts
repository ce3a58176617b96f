// Kafka's own tests as the oracle (issue 22): cases of
// storage/src/test/java/org/apache/kafka/storage/internals/log/ProducerStateManagerTest.java
// ported to kafkasim's ProducerStateManager (src/log/producerState.ts).
//
// Kafka's helpers, adapted: appendClientEntry (AppendOrigin.CLIENT) is `verify` then
// `update`; appendReplicationEntry (AppendOrigin.REPLICATION, no validation) is `update`
// alone, as a follower's append is; appendEndTxnMarker is `update` of a control batch. A
// ProducerStateEntry's firstSeq / lastSeq / firstDataOffset / lastDataOffset are those of
// the oldest and newest retained batch; Kafka's firstUnstableOffset, with the high watermark
// as it stands, is `lastStableOffset(hw)` below the high watermark.
import { describe, expect, it } from 'vitest';
import { ProducerStateManager, type ProducerEntry } from '../../src/log/producerState.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { NO_SEQUENCE, type BatchHeader, type ControlType } from '../../src/log/recordBatch.js';

const PRODUCER_ID = 1;
const EPOCH = 0;
const DIR = 'test-0';
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

class AppendRefused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function manager(disk = new MemoryDisk()): ProducerStateManager {
  disk.mkdir(DIR);
  return new ProducerStateManager(disk, DIR);
}

function header(producerId: number, epoch: number, seq: number, firstOffset: number, opts: { lastOffset?: number; transactional?: boolean; control?: boolean; timestamp?: number } = {}): BatchHeader {
  const lastOffset = opts.lastOffset ?? firstOffset;
  const timestamp = opts.timestamp ?? 0;
  return {
    baseOffset: firstOffset,
    batchLength: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: (opts.transactional === true || opts.control === true ? TRANSACTIONAL : 0) | (opts.control === true ? CONTROL : 0),
    lastOffsetDelta: lastOffset - firstOffset,
    baseTimestamp: timestamp,
    maxTimestamp: timestamp,
    producerId,
    producerEpoch: epoch,
    baseSequence: seq,
    recordCount: lastOffset - firstOffset + 1,
  };
}

/** Kafka's appendClientEntry: the leader validates the batch, then folds it in. */
function appendClientEntry(m: ProducerStateManager, producerId: number, epoch: number, seq: number, offset: number, transactional = false, timestamp = 0): void {
  const h = header(producerId, epoch, seq, offset, { transactional, timestamp });
  const verdict = m.verify(h);
  if (verdict.kind === 'error') throw new AppendRefused(verdict.code);
  if (verdict.kind === 'duplicate') throw new AppendRefused('DUPLICATE');
  m.update(h);
}

/** Kafka's appendReplicationEntry: a follower folds the leader's batch in without validation. */
function appendReplicationEntry(m: ProducerStateManager, epoch: number, seq: number, offset: number, timestamp = 0): void {
  m.update(header(PRODUCER_ID, epoch, seq, offset, { timestamp }));
}

/** Kafka's appendEndTxnMarker, as the coordinator writes it (the marker is validated first, as on a leader). */
function appendEndTxnMarker(m: ProducerStateManager, producerId: number, epoch: number, type: ControlType, offset: number, coordinatorEpoch = 0, hw = 0): void {
  const h = header(producerId, epoch, NO_SEQUENCE, offset, { control: true });
  const verdict = m.verify(h);
  if (verdict.kind === 'error') throw new AppendRefused(verdict.code);
  m.update(h, { type, coordinatorEpoch }, hw);
}

function refusal(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof AppendRefused) return err.code;
    throw err;
  }
}

function lastEntry(m: ProducerStateManager, producerId = PRODUCER_ID): ProducerEntry {
  const e = m.entry(producerId);
  if (e === undefined) throw new Error(`producer ${producerId} should have an entry`);
  return e;
}

const firstSeq = (e: ProducerEntry): number => e.batches[0]?.firstSeq ?? NO_SEQUENCE;
const lastSeq = (e: ProducerEntry): number => e.batches[e.batches.length - 1]?.lastSeq ?? NO_SEQUENCE;
const firstDataOffset = (e: ProducerEntry): number => e.batches[0]?.firstOffset ?? -1;
const lastDataOffset = (e: ProducerEntry): number => e.batches[e.batches.length - 1]?.lastOffset ?? -1;

/** Kafka's firstUndecidedOffset: the first offset of the earliest open transaction. */
function firstUndecidedOffset(m: ProducerStateManager): number | undefined {
  const open = m.allEntries().flatMap((e) => (e.currentTxnFirstOffset === undefined ? [] : [e.currentTxnFirstOffset]));
  return open.length === 0 ? undefined : Math.min(...open);
}

/** Kafka's firstUnstableOffset after onHighWatermarkUpdated(hw): undefined when nothing below the high watermark is unstable. */
function firstUnstableOffset(m: ProducerStateManager, hw: number): number | undefined {
  const lso = m.lastStableOffset(hw);
  return lso < hw ? lso : undefined;
}

describe('ProducerStateManagerTest: sequence and epoch validation', () => {
  // Kafka: ProducerStateManagerTest.testBasicIdMapping
  it('testBasicIdMapping', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1);
    // Kafka: the same sequence again is refused by ProducerAppendInfo (duplicates are found
    // before it, in UnifiedLog); kafkasim's verify recognises it as the duplicate it is.
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1))).toBe('DUPLICATE');
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, EPOCH, 5, 2))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    appendClientEntry(m, PRODUCER_ID, EPOCH + 1, 0, 3); // a new epoch restarts at 0
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 4))).toBe('INVALID_PRODUCER_EPOCH');
  });

  // Kafka: ProducerStateManagerTest.testAppendTxnMarkerWithNoProducerState
  it('testAppendTxnMarkerWithNoProducerState', () => {
    const m = manager();
    const producerEpoch = 2;
    appendEndTxnMarker(m, PRODUCER_ID, producerEpoch, 'COMMIT', 27);
    const first = lastEntry(m);
    expect(first.producerEpoch).toBe(producerEpoch);
    expect(first.producerId).toBe(PRODUCER_ID);
    expect(lastSeq(first)).toBe(NO_SEQUENCE);
    // Fencing still works with only the marker left.
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, 0, 0, 4))).toBe('INVALID_PRODUCER_EPOCH');
    // A non-zero sequence after only a marker is out of order, so the producer resets.
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, producerEpoch, 17, 4))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    appendClientEntry(m, PRODUCER_ID, producerEpoch, 0, 4);
    const second = lastEntry(m);
    expect(second.producerEpoch).toBe(producerEpoch);
    expect(lastSeq(second)).toBe(0);
  });

  // Kafka: ProducerStateManagerTest.testProducerSequenceWrapAround
  it('testProducerSequenceWrapAround', () => {
    const m = manager();
    appendReplicationEntry(m, 15, 0x7fffffff, 735);
    appendClientEntry(m, PRODUCER_ID, 15, 0, 735 + 500);
    const e = lastEntry(m);
    expect(e.producerEpoch).toBe(15);
    expect(firstSeq(e)).toBe(0x7fffffff);
    expect(lastSeq(e)).toBe(0);
  });

  // Kafka: ProducerStateManagerTest.testProducerSequenceWithWrapAroundBatchRecord
  it('testProducerSequenceWithWrapAroundBatchRecord', () => {
    const m = manager();
    // A replicated batch whose sequences wrap: Integer.MAX_VALUE - 10 .. 9 at offsets 2000..2020.
    expect(m.entry(PRODUCER_ID)).toBeUndefined();
    m.update(header(PRODUCER_ID, 15, 0x7fffffff - 10, 2000, { lastOffset: 2020 }));
    const e = lastEntry(m);
    expect(firstSeq(e)).toBe(0x7fffffff - 10);
    expect(lastSeq(e)).toBe(9);
    expect(firstDataOffset(e)).toBe(2000);
    expect(lastDataOffset(e)).toBe(2020);
  });

  // Kafka: ProducerStateManagerTest.testProducerSequenceInvalidWrapAround
  it('testProducerSequenceInvalidWrapAround', () => {
    const m = manager();
    appendReplicationEntry(m, 15, 0x7fffffff, 735);
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, 15, 1, 735 + 500))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  // Kafka: ProducerStateManagerTest.testNoValidationOnFirstEntryWhenLoadingLog
  it('testNoValidationOnFirstEntryWhenLoadingLog', () => {
    const m = manager();
    appendReplicationEntry(m, 5, 16, 735);
    const e = lastEntry(m);
    expect(e.producerEpoch).toBe(5);
    expect(firstSeq(e)).toBe(16);
    expect(lastSeq(e)).toBe(16);
    expect(lastDataOffset(e)).toBe(735);
    expect(firstDataOffset(e)).toBe(735);
  });

  // Kafka: ProducerStateManagerTest.testControlRecordBumpsProducerEpoch
  it('testControlRecordBumpsProducerEpoch', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0);
    appendEndTxnMarker(m, PRODUCER_ID, 1, 'ABORT', 1);
    const e = lastEntry(m);
    expect(e.producerEpoch).toBe(1);
    expect(e.currentTxnFirstOffset).toBeUndefined();
    expect(firstSeq(e)).toBe(NO_SEQUENCE);
    expect(lastSeq(e)).toBe(NO_SEQUENCE);
    appendClientEntry(m, PRODUCER_ID, 1, 0, 2);
    expect(firstSeq(lastEntry(m))).toBe(0);
  });

  // Kafka: ProducerStateManagerTest.testOutOfSequenceAfterControlRecordEpochBump
  it('testOutOfSequenceAfterControlRecordEpochBump', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0, true);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1, true);
    appendEndTxnMarker(m, PRODUCER_ID, 1, 'ABORT', 1);
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, 1, 2, 2, true))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, 2, 2, 2, true))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    appendClientEntry(m, PRODUCER_ID, 1, 0, 0, true);
    const e = lastEntry(m);
    expect(e.producerEpoch).toBe(1);
    expect(lastSeq(e)).toBe(0);
  });

  // Kafka: ProducerStateManagerTest.testAcceptAppendWithSequenceGapsOnReplica
  it('testAcceptAppendWithSequenceGapsOnReplica', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0);
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, EPOCH, 3, 1))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(lastSeq(lastEntry(m))).toBe(0);
    appendReplicationEntry(m, EPOCH, 3, 1);
    expect(lastSeq(lastEntry(m))).toBe(3);
  });

  // Kafka: ProducerStateManagerTest.testSequenceNotValidatedForGroupMetadataTopic
  it('testSequenceNotValidatedForGroupMetadataTopic', () => {
    // A coordinator's transactional writes carry no sequence: nothing is validated.
    const m = manager();
    for (const offset of [99, 100]) {
      const h = header(PRODUCER_ID, EPOCH, NO_SEQUENCE, offset, { transactional: true });
      expect(m.verify(h)).toEqual({ kind: 'append' });
      m.update(h);
    }
  });

  // Kafka: ProducerStateManagerTest.testNonTransactionalAppendWithOngoingTransaction
  // DIVERGENCE: Kafka's ProducerAppendInfo.appendDataBatch refuses a non-transactional batch
  // from a producer with an open transaction (InvalidTxnStateException); kafkasim's verify
  // does not look at the transactional flag and appends it.
  it.fails('testNonTransactionalAppendWithOngoingTransaction', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0, true);
    expect(refusal(() => appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1, false))).toBe('INVALID_TXN_STATE');
  });

  // Kafka: ProducerStateManagerTest.testOldEpochForControlRecord
  // DIVERGENCE: Kafka checks a marker's producer epoch (ProducerAppendInfo.checkProducerEpoch
  // from appendEndTxnMarker) and refuses an older one; kafkasim does not validate control batches.
  it.fails('testOldEpochForControlRecord', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, 5, 0, 99, true);
    expect(refusal(() => appendEndTxnMarker(m, PRODUCER_ID, 3, 'COMMIT', 100))).toBe('INVALID_PRODUCER_EPOCH');
  });

  // Kafka: ProducerStateManagerTest.testCoordinatorFencing
  // DIVERGENCE: Kafka refuses a marker from an older coordinator epoch
  // (TransactionCoordinatorFencedException in ProducerAppendInfo.appendEndTxnMarker);
  // kafkasim records the marker's coordinator epoch but never checks it.
  it.fails('testCoordinatorFencing', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, 5, 0, 99, true);
    appendEndTxnMarker(m, PRODUCER_ID, 5, 'COMMIT', 100, 1);
    expect(lastEntry(m).coordinatorEpoch).toBe(1);
    appendEndTxnMarker(m, PRODUCER_ID, 5, 'COMMIT', 101, 1);
    appendEndTxnMarker(m, PRODUCER_ID, 5, 'COMMIT', 102, 2);
    expect(refusal(() => appendEndTxnMarker(m, PRODUCER_ID, 5, 'COMMIT', 103, 1))).toBe('TRANSACTION_COORDINATOR_FENCED');
  });
});

describe('ProducerStateManagerTest: expiration', () => {
  const EXPIRATION_MS = 86_400_000; // producer.id.expiration.ms default

  // Kafka: ProducerStateManagerTest.testProducerStateAfterFencingAbortMarker
  it('testProducerStateAfterFencingAbortMarker', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0, true);
    appendEndTxnMarker(m, PRODUCER_ID, EPOCH + 1, 'ABORT', 1);
    const e = lastEntry(m);
    expect(e.currentTxnFirstOffset).toBeUndefined();
    expect(lastDataOffset(e)).toBe(-1);
    expect(firstDataOffset(e)).toBe(-1);
    m.removeExpired(0, EXPIRATION_MS); // kept: its epoch still fences
    expect(m.entry(PRODUCER_ID)).toBeDefined();
  });

  // Kafka: ProducerStateManagerTest.testProducersWithOngoingTransactionsDontExpire
  it('testProducersWithOngoingTransactionsDontExpire', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, 5, 0, 99, true);
    expect(firstUndecidedOffset(m)).toBe(99);
    m.removeExpired(EXPIRATION_MS + 1, EXPIRATION_MS);
    expect(m.entry(PRODUCER_ID)).toBeDefined();
    expect(firstUndecidedOffset(m)).toBe(99);
    m.removeExpired(EXPIRATION_MS + 1, EXPIRATION_MS);
    expect(m.entry(PRODUCER_ID)).toBeDefined();
  });

  // Kafka: ProducerStateManagerTest.testPidExpirationTimeout: after its state expired, Kafka 2.5+
  // accepts the producer's next sequence (no state: any sequence goes, KAFKA-8710 / KIP-360).
  it('testPidExpirationTimeout', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, 5, 0, 1);
    m.removeExpired(EXPIRATION_MS + 1, EXPIRATION_MS);
    appendClientEntry(m, PRODUCER_ID, 5, 1, 2);
    expect(m.size).toBe(1);
    expect(lastSeq(lastEntry(m))).toBe(1);
    expect(m.mapEndOffset).toBe(3);
  });
});

describe('ProducerStateManagerTest: transactions and the first unstable offset', () => {
  // Kafka: ProducerStateManagerTest.testFirstUnstableOffset
  it('testFirstUnstableOffset', () => {
    const m = manager();
    const other = 2;
    expect(firstUndecidedOffset(m)).toBeUndefined();
    appendClientEntry(m, PRODUCER_ID, 5, 0, 99, true);
    expect(firstUndecidedOffset(m)).toBe(99);
    expect(firstUnstableOffset(m, 100)).toBe(99);
    appendClientEntry(m, other, 5, 0, 105, true);
    expect(firstUndecidedOffset(m)).toBe(99);
    appendEndTxnMarker(m, PRODUCER_ID, 5, 'COMMIT', 109);
    expect(firstUndecidedOffset(m)).toBe(105);
    expect(firstUnstableOffset(m, 100)).toBe(99); // the COMMIT marker is not replicated yet
    expect(firstUnstableOffset(m, 110)).toBe(105);
    appendEndTxnMarker(m, other, 5, 'ABORT', 112, 0, 110);
    expect(firstUndecidedOffset(m)).toBeUndefined();
    expect(firstUnstableOffset(m, 110)).toBe(105);
    expect(firstUnstableOffset(m, 113)).toBeUndefined();
  });

  // Kafka: ProducerStateManagerTest.testLastStableOffsetCompletedTxn
  it('testLastStableOffsetCompletedTxn', () => {
    const m = manager();
    const start1 = 992342;
    const start2 = start1 + 25;
    const start3 = start1 + 57;
    appendClientEntry(m, 1, EPOCH, 0, start1, true);
    appendClientEntry(m, 2, EPOCH, 0, start2, true);
    appendClientEntry(m, 3, EPOCH, 0, start3, true);
    const last1 = start3 + 15;
    appendEndTxnMarker(m, 1, EPOCH, 'COMMIT', last1);
    expect(firstUnstableOffset(m, last1 + 1)).toBe(start2);
    const last3 = last1 + 20;
    appendEndTxnMarker(m, 3, EPOCH, 'COMMIT', last3);
    expect(firstUnstableOffset(m, last3 + 1)).toBe(start2);
    const last2 = last3 + 78;
    appendEndTxnMarker(m, 2, EPOCH, 'COMMIT', last2);
    expect(m.lastStableOffset(last2 + 1)).toBe(last2 + 1);
    expect(firstUnstableOffset(m, last2 + 1)).toBeUndefined();
  });

  // Kafka: ProducerStateManagerTest.testAppendEmptyControlBatch
  it('testAppendEmptyControlBatch', () => {
    // A control batch with no control record starts no transaction.
    const m = manager();
    m.update(header(23423, EPOCH, NO_SEQUENCE, 15, { control: true }));
    expect(lastEntry(m, 23423).currentTxnFirstOffset).toBeUndefined();
  });
});

describe('ProducerStateManagerTest: snapshots', () => {
  /**
   * Kafka's setup of the two recovery cases: a transaction of two batches (ended by an ABORT
   * marker if `finished`), a snapshot, and a new manager reloading it. The snapshot keeps only
   * the last batch.
   */
  function recoverTransaction(finished: boolean): ProducerStateManager {
    const disk = new MemoryDisk();
    const m = manager(disk);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0, true);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1, true);
    if (finished) appendEndTxnMarker(m, PRODUCER_ID, EPOCH, 'ABORT', 2);
    m.takeSnapshot();
    const recovered = manager(disk);
    recovered.loadSnapshot(3);
    const e = lastEntry(recovered);
    expect([firstDataOffset(e), firstSeq(e), lastDataOffset(e), lastSeq(e)]).toEqual([1, 1, 1, 1]);
    return recovered;
  }

  // Kafka: ProducerStateManagerTest.testRecoverFromSnapshotUnfinishedTransaction
  it('testRecoverFromSnapshotUnfinishedTransaction', () => {
    const recovered = recoverTransaction(false);
    expect(lastEntry(recovered).currentTxnFirstOffset).toBe(0);
    expect(refusal(() => appendClientEntry(recovered, PRODUCER_ID, EPOCH, 2, 2, true))).toBeUndefined();
  });

  // Kafka: ProducerStateManagerTest.testRecoverFromSnapshotFinishedTransaction
  it('testRecoverFromSnapshotFinishedTransaction', () => {
    expect(lastEntry(recoverTransaction(true)).currentTxnFirstOffset).toBeUndefined();
  });

  // Kafka: ProducerStateManagerTest.testAcceptAppendWithoutProducerStateOnReplica
  it('testAcceptAppendWithoutProducerStateOnReplica', () => {
    const disk = new MemoryDisk();
    const m = manager(disk);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1);
    m.takeSnapshot(); // at offset 2
    const recovered = manager(disk);
    expect(recovered.loadSnapshot(1)).toBeUndefined(); // truncated to 1: the snapshot at 2 goes
    expect(recovered.entry(PRODUCER_ID)).toBeUndefined();
    appendReplicationEntry(recovered, EPOCH, 2, 2);
    const e = lastEntry(recovered);
    expect(e.producerEpoch).toBe(EPOCH);
    expect(firstSeq(e)).toBe(2);
    expect(lastSeq(e)).toBe(2);
  });

  // Kafka: ProducerStateManagerTest.testLoadFromSnapshotRetainsNonExpiredProducers
  it('testLoadFromSnapshotRetainsNonExpiredProducers', () => {
    const disk = new MemoryDisk();
    const m = manager(disk);
    appendClientEntry(m, 1, EPOCH, 0, 0);
    appendClientEntry(m, 2, EPOCH, 0, 1);
    m.takeSnapshot();
    expect(m.size).toBe(2);
    expect(m.loadSnapshot(2)).toBe(2);
    expect(m.size).toBe(2);
    expect(lastSeq(lastEntry(m, 1))).toBe(0);
    expect(lastDataOffset(lastEntry(m, 1))).toBe(0);
    expect(lastSeq(lastEntry(m, 2))).toBe(0);
    expect(lastDataOffset(lastEntry(m, 2))).toBe(1);
  });

  // Kafka: ProducerStateManagerTest.testDeleteSnapshotsBefore
  it('testDeleteSnapshotsBefore', () => {
    const m = manager();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1);
    m.takeSnapshot();
    expect(m.snapshotOffsets()).toEqual([2]);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 2, 2);
    m.takeSnapshot();
    expect(m.snapshotOffsets()).toEqual([2, 3]);
    m.deleteSnapshotsBefore(3);
    expect(m.snapshotOffsets()).toEqual([3]);
    m.deleteSnapshotsBefore(4);
    expect(m.snapshotOffsets()).toEqual([]);
  });

  // Kafka: ProducerStateManagerTest.testLoadFromCorruptSnapshotFile (with testLoadFromEmptySnapshotFile
  // and testLoadFromTruncatedSnapshotFile: Kafka's testLoadFromCorruptSnapshot helper)
  it.each([
    ['testLoadFromCorruptSnapshotFile', (disk: MemoryDisk, path: string) => disk.write(path, 0, Buffer.alloc(37))],
    ['testLoadFromEmptySnapshotFile', (disk: MemoryDisk, path: string) => disk.truncate(path, 0)],
    ['testLoadFromTruncatedSnapshotFile', (disk: MemoryDisk, path: string) => disk.truncate(path, Math.floor(disk.size(path) / 2))],
  ])('%s', (_name, damage) => {
    // Snapshots at 1 and 2; the newer one is damaged: the older one is loaded, the damaged one deleted.
    const disk = new MemoryDisk();
    const m = manager(disk);
    appendClientEntry(m, PRODUCER_ID, EPOCH, 0, 0);
    m.takeSnapshot();
    appendClientEntry(m, PRODUCER_ID, EPOCH, 1, 1);
    m.takeSnapshot();
    damage(disk, `${DIR}/00000000000000000002.snapshot`);
    const reloaded = manager(disk);
    expect(reloaded.loadSnapshot(20)).toBe(1);
    expect(reloaded.snapshotOffsets()).toEqual([1]);
    expect(lastDataOffset(lastEntry(reloaded))).toBe(0);
  });
});
