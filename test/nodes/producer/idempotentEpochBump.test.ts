import { describe, expect, it } from 'vitest';
import { TransactionManager } from '../../../src/nodes/producer/transactionManager.js';
import type { ProducerBatch } from '../../../src/nodes/producer/producerBatch.js';
import type { ProducerConfig } from '../../../src/nodes/producer/producer.js';
import { PRODUCER_SETTINGS } from '../../../src/nodes/config/clientSettings.js';
import { defaultsOf } from '../../../src/nodes/config/setting.js';
import { message, type InitProducerIdResponse } from '../../../src/nodes/protocol.js';
import { History } from '../../../src/sim/history.js';
import { MemorySink, Trace } from '../../../src/sim/trace.js';
import { time } from '../../../src/sim/time.js';
import type { TimerHandle } from '../../../src/sim/scheduler.js';

/**
 * The idempotent producer's epoch bump since KIP-360 (KAFKA-8710), ported from Kafka's
 * TransactionManagerTest and SenderTest (clients/src/test/java/org/apache/kafka/clients/
 * producer/internals/): the epoch goes up locally at the next Sender loop, only the partitions
 * that asked start their sequences over, and the others keep their epoch until their batches
 * in flight complete. Kafka's tests drive a TransactionManager with batches it sequences
 * (writeIdempotentBatchWithValue); these do the same with kafkasim's.
 */
const PRODUCER_ID = 15;
const EPOCH = 5;

function manager(overrides: Partial<ProducerConfig> = {}) {
  const sink = new MemorySink();
  const trace = new Trace(() => time(0), [sink]);
  const config: ProducerConfig = { ...defaultsOf(PRODUCER_SETTINGS), 'enable.idempotence': true, 'delivery.timeout.ms': 120_000, ...overrides };
  let initRequests = 0;
  const tm = new TransactionManager({
    ctx: {
      id: 'producer-p1',
      trace,
      after: () => 0 as TimerHandle,
      request: (_to, _m, _o, done) => {
        initRequests++;
        done({ ok: true, response: message<InitProducerIdResponse>('InitProducerIdResponse', { producerId: PRODUCER_ID + initRequests - 1, producerEpoch: EPOCH }) });
      },
    },
    config,
    partitionName: (p) => `orders-${p}`,
    brokerOrRetry: () => 1,
    noteConnection: () => undefined,
    wakeup: () => undefined,
  });
  tm.initProducerId();
  const history = new History(() => time(0));
  let seq = 0;
  /** A batch of `records` records for `partition`, as the accumulator makes it. */
  const batch = (partition: number, records = 1): ProducerBatch => ({
    partition,
    refs: Array.from({ length: records }, () => history.invokeSend('p1', seq++)),
    builder: undefined,
    closed: undefined,
    estimatedBytes: 0,
    createdMs: 0,
    createdAt: 0,
    baseSequence: undefined,
    sequenceProducerId: -1,
    sequenceEpoch: -1,
    attempts: 0,
    uncertain: false,
    sealed: false,
  });
  /** TransactionManagerTest.writeIdempotentBatchWithValue: a batch drained and sequenced. */
  const write = (partition: number, records = 1): ProducerBatch => {
    const b = batch(partition, records);
    expect(tm.holdsBack(b)).toBe(false);
    tm.sequence(b);
    b.attempts++;
    return b;
  };
  const bumps = () => sink.records.flatMap((r) => (r.kind === 'producer.epoch' ? [r] : []));
  return { tm, batch, write, bumps, initRequests: () => initRequests };
}

describe('the idempotent producer bumps its epoch locally (KIP-360, TransactionManager.bumpIdempotentProducerEpoch)', () => {
  it('TransactionManagerTest.testBumpEpochAndResetSequenceNumbersAfterUnknownProducerId: the failed batch and those after it start at 0 in the next epoch', () => {
    const { tm, write, bumps, initRequests } = manager();
    const [b1, b2, b3, b4, b5] = [write(0), write(0), write(0), write(0), write(0)];
    expect(tm.partitionState(0).nextSequence).toBe(5);
    tm.onAcked(b1, 500);
    expect(tm.canRetry(b2, 'UNKNOWN_PRODUCER_ID', 500)).toBe(true);
    tm.beforeDrain(); // the next Sender loop
    expect(tm.producerIdAndEpoch()).toEqual({ producerId: PRODUCER_ID, epoch: EPOCH + 1 });
    expect(initRequests()).toBe(1); // no InitProducerId: the bump is local
    expect([b2, b3, b4, b5].map((b) => [b.sequenceEpoch, b.baseSequence])).toEqual([
      [EPOCH + 1, 0],
      [EPOCH + 1, 1],
      [EPOCH + 1, 2],
      [EPOCH + 1, 3],
    ]);
    expect(b2.sequenceReset).toBe(true);
    expect(bumps().map((r) => r.partitions)).toEqual([['orders-0:UNKNOWN_PRODUCER_ID']]);
  });

  it('TransactionManagerTest.testHealthyPartitionRetriesDuringEpochBump: other partitions keep their epoch until their batches in flight complete', () => {
    const { tm, batch, write } = manager();
    const tp0b1 = write(0);
    const tp0b2 = write(0);
    write(0);
    const tp1b1 = write(1);
    const tp1b2 = write(1);
    expect([tm.partitionState(0).nextSequence, tm.partitionState(1).nextSequence]).toEqual([3, 2]);
    tm.onAcked(tp0b1, 500);
    tm.onAcked(tp1b1, 500);
    expect(tm.canRetry(tp0b2, 'UNKNOWN_PRODUCER_ID', 500)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    // tp0's batches were rewritten; tp1's were not.
    expect(tm.partitionState(0).firstInFlightSequence).toBe(0);
    expect([tp0b2.baseSequence, tp0b2.sequenceReset, tp0b2.sequenceEpoch]).toEqual([0, true, EPOCH + 1]);
    expect(tm.partitionState(1).firstInFlightSequence).toBe(1);
    expect([tp1b2.baseSequence, tp1b2.sequenceReset ?? false, tp1b2.sequenceEpoch]).toEqual([1, false, EPOCH]);
    // A new tp1 batch is not drained while tp1 has batches in flight of the old epoch ...
    const tp1b3 = batch(1);
    expect(tm.holdsBack(tp1b3)).toBe(true);
    // ... but tp1's retry of the old epoch goes, and keeps its epoch and sequence.
    expect(tm.canRetry(tp1b2, 'NOT_LEADER_OR_FOLLOWER', 600)).toBe(true);
    expect(tm.holdsBack(tp1b2)).toBe(false);
    expect(tm.sequence(tp1b2)).toEqual({ producerId: PRODUCER_ID, producerEpoch: EPOCH, baseSequence: 1 });
    tm.onAcked(tp1b2, 501);
    // Once it completed, tp1's next batch starts at 0 in the new epoch.
    expect(tm.holdsBack(tp1b3)).toBe(false);
    expect(tm.sequence(tp1b3)).toEqual({ producerId: PRODUCER_ID, producerEpoch: EPOCH + 1, baseSequence: 0 });
    expect(tm.partitionState(1)).toMatchObject({ producerEpoch: EPOCH + 1, nextSequence: 1 });
    tm.onAcked(tp1b3, 502);
    expect(tm.partitionState(1)).toMatchObject({ nextSequence: 1, lastAckedSequence: 0, firstInFlightSequence: undefined });
  });

  it('SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatch: OUT_OF_ORDER_SEQUENCE_NUMBER for the batch after the last acknowledged one bumps the epoch', () => {
    const { tm, write } = manager();
    const first = write(0, 2);
    expect(tm.partitionState(0)).toMatchObject({ nextSequence: 2, lastAckedSequence: -1 });
    tm.onAcked(first, 0);
    const second = write(0);
    expect(tm.partitionState(0)).toMatchObject({ nextSequence: 3, lastAckedSequence: 1 });
    expect(tm.canRetry(second, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    expect(tm.partitionState(0)).toMatchObject({ nextSequence: 1, firstInFlightSequence: 0 });
  });

  it('SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatchWhenThereIsNoBatchInFlight: a partition with nothing in flight takes the new epoch with its next batch', () => {
    const { tm, write } = manager();
    tm.onAcked(write(0), 0);
    tm.onAcked(write(1), 0);
    const tp0b2 = write(0);
    expect(tm.partitionState(0)).toMatchObject({ producerEpoch: EPOCH, nextSequence: 2, lastAckedSequence: 0 });
    expect(tm.canRetry(tp0b2, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    expect(tm.partitionState(0)).toMatchObject({ producerEpoch: EPOCH + 1, nextSequence: 1, lastAckedSequence: -1 });
    expect(tm.partitionState(1)).toMatchObject({ producerEpoch: EPOCH, nextSequence: 1, lastAckedSequence: 0 });
    tm.onAcked(tp0b2, 1);
    expect(tm.partitionState(0)).toMatchObject({ producerEpoch: EPOCH + 1, nextSequence: 1, lastAckedSequence: 0 });
    const tp1b2 = write(1);
    expect([tp1b2.sequenceEpoch, tp1b2.baseSequence]).toEqual([EPOCH + 1, 0]);
    expect(tm.partitionState(1)).toMatchObject({ producerEpoch: EPOCH + 1, nextSequence: 1, lastAckedSequence: -1 });
  });

  // The same case before KAFKA-12152 (Kafka 2.5 to 2.7.0, sim.idle.partition.sequences kept):
  // the idle partition takes the new epoch with its old sequence; the broker refuses it as out
  // of order (a new epoch must start at 0), the producer bumps again, and it goes at 0.
  it('before KAFKA-12152 a partition with nothing in flight keeps its sequence in the new epoch, and is refused into a second bump', () => {
    const { tm, write, bumps } = manager({ 'sim.idle.partition.sequences': 'kept' });
    tm.onAcked(write(0), 0);
    tm.onAcked(write(1), 0);
    const tp0b2 = write(0);
    expect(tm.canRetry(tp0b2, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1)).toBe(true);
    tm.beforeDrain();
    tm.onAcked(tp0b2, 1);
    const tp1b2 = write(1);
    expect([tp1b2.sequenceEpoch, tp1b2.baseSequence]).toEqual([EPOCH + 1, 1]);
    expect(tm.canRetry(tp1b2, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1)).toBe(true);
    tm.beforeDrain();
    expect(bumps().map((b) => b.producerEpoch)).toEqual([EPOCH + 1, EPOCH + 2]);
    expect([tp1b2.sequenceEpoch, tp1b2.baseSequence]).toEqual([EPOCH + 2, 0]);
  });

  it('SenderTest.testExpiryOfFirstBatchShouldNotCauseUnresolvedSequencesIfFutureBatchesSucceed: an expired batch whose successor was written resolves without a bump', () => {
    const { tm, batch, write, bumps } = manager();
    const b1 = write(0);
    const b2 = write(0);
    b1.uncertain = true; // REQUEST_TIMED_OUT, then it waited in the accumulator past delivery.timeout.ms
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    tm.markSequenceUnresolved(b1);
    expect(tm.partitionState(0).unresolved).toBe(true);
    const b3 = batch(0);
    expect(tm.holdsBack(b3)).toBe(true); // no new batch while the sequence is unresolved
    tm.onAcked(b2, 1);
    expect(tm.holdsBack(b3)).toBe(true);
    expect(tm.partitionState(0).nextSequence).toBe(2);
    tm.beforeDrain(); // clears the unresolved state: sequence 1 was acknowledged, so 0 was written
    expect(tm.partitionState(0).unresolved).toBe(false);
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect(tm.holdsBack(b3)).toBe(false);
    expect(bumps()).toEqual([]);
  });

  it('SenderTest.testExpiryOfFirstBatchShouldCauseEpochBumpIfFutureBatchesFail: the batch after an unresolved one refused out of order bumps the epoch', () => {
    const { tm, write } = manager();
    const b1 = write(0);
    const b2 = write(0);
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    tm.markSequenceUnresolved(b1);
    expect(tm.canRetry(b2, 'OUT_OF_ORDER_SEQUENCE_NUMBER', 1)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    expect(tm.partitionState(0)).toMatchObject({ nextSequence: 1, unresolved: false, firstInFlightSequence: 0 });
  });

  it('TransactionManagerTest.testBumpEpochAfterTimeoutWithoutPendingInflightRequests: an unresolved sequence with nothing in flight bumps the epoch', () => {
    const { tm, write, bumps } = manager();
    tm.beforeDrain(); // nothing to resolve: no bump
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    const b1 = write(0);
    tm.onAcked(b1, 500);
    expect(tm.partitionState(0).lastAckedSequence).toBe(0);
    tm.markSequenceUnresolved(b1); // with nothing in flight, a no-op
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect(tm.partitionState(0).unresolved).toBe(false);
    const b2 = write(0);
    tm.markSequenceUnresolved(b2);
    tm.handleFailedBatch(b2, 'TimeoutException', false);
    expect(tm.partitionState(0).unresolved).toBe(true);
    tm.beforeDrain();
    expect(tm.partitionState(0).unresolved).toBe(false);
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    expect(bumps().map((r) => r.partitions)).toEqual([['orders-0:unresolved']]);
  });

  it('TransactionManagerTest.testNoProducerIdResetAfterLastInFlightBatchSucceeds: the last batch acknowledged resolves the sequence', () => {
    const { tm, write } = manager();
    const [b1, b2, b3] = [write(0), write(0), write(0)];
    tm.markSequenceUnresolved(b1);
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect(tm.partitionState(0).unresolved).toBe(true);
    tm.handleFailedBatch(b2, 'TimeoutException', false);
    tm.beforeDrain();
    expect(tm.partitionState(0).unresolved).toBe(true);
    tm.onAcked(b3, 500);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect(tm.partitionState(0)).toMatchObject({ unresolved: false, nextSequence: 3 });
  });

  it('TransactionManagerTest.testEpochBumpAfterLastInflightBatchFails: when the last batch in flight fails too, the unresolved sequence bumps the epoch', () => {
    const { tm, write } = manager();
    const [b1, b2, b3] = [write(0), write(0), write(0)];
    expect(tm.partitionState(0).nextSequence).toBe(3);
    tm.markSequenceUnresolved(b1);
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    tm.onAcked(b2, 500);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect(tm.partitionState(0).unresolved).toBe(true);
    tm.handleFailedBatch(b3, 'TimeoutException', false);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    expect(tm.partitionState(0)).toMatchObject({ unresolved: false, nextSequence: 0 });
  });

  it('TransactionManager.handleFailedBatch: a batch that fails with retries left (the delivery timeout) asks for a bump of its partition', () => {
    const { tm, write, bumps } = manager();
    const [b1, b2] = [write(0), write(0)];
    tm.handleFailedBatch(b1, 'REQUEST_TIMED_OUT', true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH + 1);
    expect([b2.baseSequence, b2.sequenceEpoch]).toEqual([0, EPOCH + 1]);
    expect(bumps().map((r) => r.partitions)).toEqual([['orders-0:REQUEST_TIMED_OUT']]);
  });

  it('SenderTest.testUnknownProducerErrorShouldBeRetriedWhenLogStartOffsetIsUnknown: without the log start offset, UNKNOWN_PRODUCER_ID is retried without a bump', () => {
    const { tm, write } = manager();
    tm.onAcked(write(0), 0);
    const b2 = write(0);
    expect(tm.canRetry(b2, 'UNKNOWN_PRODUCER_ID', -1)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect(b2.baseSequence).toBe(1);
  });

  it('SenderTest.testCorrectHandlingOfOutOfOrderResponses (canRetry): OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next is retried without a bump', () => {
    const { tm, write } = manager();
    write(0);
    const b2 = write(0);
    expect(tm.canRetry(b2, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    // Retried, it goes only as the partition's first sequence in flight.
    expect(tm.holdsBack(b2)).toBe(true);
  });

  it('TransactionManager.bumpIdempotentProducerEpoch: at the largest epoch the producer takes a new id with InitProducerId instead', () => {
    const { tm, write, initRequests } = manager();
    for (let i = EPOCH; i < 32767; i++) {
      const b = write(0);
      tm.canRetry(b, 'UNKNOWN_PRODUCER_ID', 0);
      tm.beforeDrain();
      tm.onAcked(b, i);
    }
    expect(tm.producerIdAndEpoch()).toEqual({ producerId: PRODUCER_ID, epoch: 32767 });
    const b = write(0);
    tm.canRetry(b, 'UNKNOWN_PRODUCER_ID', 0);
    tm.beforeDrain();
    expect(initRequests()).toBe(2);
    expect(tm.producerIdAndEpoch()).toEqual({ producerId: PRODUCER_ID + 1, epoch: EPOCH });
  });

  it('before KIP-360 (a 2.4 client, sim.unknown.producer.id: reset-sequence), no epoch bump: UNKNOWN_PRODUCER_ID past retention restarts the sequence in the same epoch', () => {
    const { tm, write, bumps } = manager({ 'sim.unknown.producer.id': 'reset-sequence' });
    tm.onAcked(write(0), 10);
    const b2 = write(0);
    expect(tm.canRetry(b2, 'UNKNOWN_PRODUCER_ID', 20)).toBe(true);
    tm.beforeDrain();
    expect(tm.producerIdAndEpoch().epoch).toBe(EPOCH);
    expect([b2.baseSequence, b2.sequenceEpoch, b2.sequenceReset]).toEqual([0, EPOCH, true]);
    expect(bumps()).toEqual([]);
  });
});

/**
 * A Kafka 2.4 client's handling of sequences (before KIP-360), ported from 2.4.1's SenderTest
 * (clients/src/test/java/org/apache/kafka/clients/producer/internals/SenderTest.java): a batch
 * that fails for good closes up the sequences after it, and an expired batch that was retried
 * leaves its partition unresolved until what is in flight settles, then resets the producer
 * id unless its successors were written (TransactionManager.resetProducerIdIfNeeded).
 */
describe('before KIP-360 (a 2.4 client): adjusted and unresolved sequences', () => {
  const before360 = { 'sim.unknown.producer.id': 'reset-sequence' } as const;

  it('testIdempotenceWithMultipleInflightsWhereFirstFailsFatallyAndSequenceOfFutureBatchesIsAdjusted', () => {
    const { tm, write } = manager(before360);
    const [b1, b2] = [write(0), write(0)];
    expect(tm.partitionState(0).nextSequence).toBe(2);
    // Kafka's test answers MESSAGE_TOO_LARGE; kafkasim's brokers never do: INVALID_RECORD is as fatal.
    expect(tm.canRetry(b1, 'INVALID_RECORD', -1)).toBe(false);
    tm.handleFailedBatch(b1, 'INVALID_RECORD', true);
    expect(tm.partitionState(0).nextSequence).toBe(1);
    expect([b2.baseSequence, b2.sequenceReset]).toEqual([0, true]);
    // Its first attempt, sent as sequence 1, is refused out of order; the retry, as 0, is written.
    expect(tm.canRetry(b2, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1)).toBe(true);
    tm.onAcked(b2, 0);
    expect(tm.partitionState(0).lastAckedSequence).toBe(0);
    expect(tm.producerIdAndEpoch()).toEqual({ producerId: PRODUCER_ID, epoch: EPOCH });
  });

  it('testExpiryOfAllSentBatchesShouldCauseUnresolvedSequences: new batches wait, then the producer takes a new id', () => {
    const { tm, batch, write, initRequests } = manager(before360);
    const b1 = write(0);
    expect(tm.canRetry(b1, 'NOT_LEADER_OR_FOLLOWER', -1)).toBe(true);
    b1.attempts++;
    // Expired after its retry (Sender.sendProducerData: expiredBatch.inRetry()).
    b1.uncertain = true;
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    tm.markSequenceUnresolved(b1);
    expect(tm.partitionState(0).unresolved).toBe(true);
    expect(tm.holdsBack(batch(0))).toBe(true);
    tm.beforeDrain();
    expect(initRequests()).toBe(2);
    expect(tm.producerIdAndEpoch()).toEqual({ producerId: PRODUCER_ID + 1, epoch: EPOCH });
    expect(tm.partitionState(0).unresolved).toBe(false);
    expect(tm.holdsBack(batch(0))).toBe(false);
  });

  it('testExpiryOfFirstBatchShouldNotCauseUnresolvedSequencesIfFutureBatchesSucceed', () => {
    const { tm, write, initRequests } = manager(before360);
    const [b1, b2] = [write(0), write(0)];
    b1.attempts++;
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    tm.markSequenceUnresolved(b1);
    // Still in flight: nothing is resolved yet.
    tm.beforeDrain();
    expect(tm.partitionState(0).unresolved).toBe(true);
    tm.onAcked(b2, 1);
    tm.beforeDrain();
    expect(tm.partitionState(0).unresolved).toBe(false);
    expect(initRequests()).toBe(1);
    expect(tm.producerIdAndEpoch()).toEqual({ producerId: PRODUCER_ID, epoch: EPOCH });
  });

  it('a batch given up with its fate unknown but never retried marks nothing (2.4 marks only expired batches in retry)', () => {
    const { tm, batch, write } = manager(before360);
    const b1 = write(0);
    b1.uncertain = true;
    tm.handleFailedBatch(b1, 'TimeoutException', false);
    expect(tm.partitionState(0).unresolved).toBe(false);
    expect(tm.holdsBack(batch(0))).toBe(false);
  });
});
