// Kafka's own tests as the oracle (issue 22): cases of
// core/src/test/scala/unit/kafka/coordinator/transaction/TransactionCoordinatorTest.scala
// ported to kafkasim's TransactionCoordinator (src/nodes/coordinator/transactionCoordinator.ts)
// on a pretend broker without a network.
//
// Kafka's test mocks the TransactionStateManager and sets each TransactionMetadata directly;
// here the coordinator owns a real `__transaction_state` log (test/helpers/coordinatorLog.ts),
// and each case first drives the transactional id into the state Kafka's case sets up, with
// the requests a producer sends. Kafka's TV_0 is transaction.version 1 here (no epoch bump at
// EndTxn), TV_2 is version 2; requestEpoch(TV_2) is the epoch before the EndTxn's bump.
import { describe, expect, it } from 'vitest';
import { TransactionCoordinator } from '../../src/nodes/coordinator/transactionCoordinator.js';
import { encodeTransactionKey, encodeTransactionValue, partitionForTransactionalId } from '../../src/nodes/coordinator/transactionLog.js';
import { encodeBatch } from '../../src/log/recordBatch.js';
import { message, type KafkaMessage } from '../../src/nodes/protocol.js';
import { coordinatorLog } from '../helpers/coordinatorLog.js';

const CONFIG = { partitions: 4, maxTimeoutMs: 900_000, offsetsPartitions: 4 };
const ID = 'transactionalId';
const PARTITION = partitionForTransactionalId(ID, CONFIG.partitions);
const PRODUCER_ID = 10;
const PARTITIONS = ['topic1-0'];

type Request = Parameters<TransactionCoordinator['handle']>[0];

function world(version: 1 | 2) {
  const { trace, log, append, commitWrites } = coordinatorLog(`__transaction_state-${PARTITION}`);
  const markers: { commit: boolean; done: (failed: readonly string[]) => void }[] = [];
  let nextPid = PRODUCER_ID;
  const coordinator = new TransactionCoordinator(
    { trace, brokerId: 1, append, writeMarkers: (req, done) => void markers.push({ commit: req.commit, done }), nextProducerId: () => nextPid++, after: () => undefined },
    { ...CONFIG, version },
  );
  coordinator.load(PARTITION, log, 0, 0);
  /** Sends a request and lets every write it causes commit; the answers in order. */
  const send = (req: KafkaMessage): KafkaMessage[] => {
    const out: KafkaMessage[] = [];
    coordinator.handle(req as Request, 0, (r) => out.push(r));
    commitWrites();
    return out;
  };
  /** Sends a request without committing its writes. */
  const sendHeld = (req: KafkaMessage): KafkaMessage[] => {
    const out: KafkaMessage[] = [];
    coordinator.handle(req as Request, 0, (r) => out.push(r));
    return out;
  };
  /** The producer's current epoch after InitProducerId `times` times. */
  const init = (times = 1): number => {
    let epoch = -1;
    for (let i = 0; i < times; i++) {
      const [r] = send(message('InitProducerId', { transactionalId: ID, transactionTimeoutMs: 60_000 }));
      if (r.type !== 'InitProducerIdResponse' || r.error !== undefined) throw new Error(JSON.stringify(r));
      epoch = r.producerEpoch;
    }
    return epoch;
  };
  const add = (epoch: number, opts: { producerId?: number; verifyOnly?: boolean; partitions?: string[] } = {}) =>
    message('AddPartitionsToTxn', { transactionalId: ID, producerId: opts.producerId ?? PRODUCER_ID, producerEpoch: epoch, partitions: opts.partitions ?? PARTITIONS, ...(opts.verifyOnly === true ? { verifyOnly: true } : {}) });
  const end = (epoch: number, commit: boolean, producerId = PRODUCER_ID) => message('EndTxn', { transactionalId: ID, producerId, producerEpoch: epoch, commit });
  /** Ends an ongoing transaction (answered once Prepare* is written); `finish` delivers the markers and writes Complete*. */
  const endTxn = (epoch: number, commit: boolean, finish: boolean): void => {
    expect(send(end(epoch, commit))).toMatchObject([{ type: 'TxnResponse' }]);
    if (!finish) return;
    for (const m of markers.splice(0)) m.done([]);
    commitWrites();
  };
  const errorOf = (answers: KafkaMessage[]): string | undefined => {
    expect(answers).toHaveLength(1);
    const [r] = answers;
    return 'error' in r ? r.error : undefined;
  };
  return { coordinator, send, sendHeld, init, add, end, endTxn, errorOf, commitWrites, log };
}

/**
 * The epoch a retried EndTxn carries for the transaction the producer began at `epoch`
 * (Kafka's requestEpoch: under TV_2 one below the bumped epoch the coordinator now holds,
 * which is the epoch the transaction began with).
 */
const requestEpoch = (_version: 1 | 2, epoch: number): number => epoch;

describe('TransactionCoordinatorTest: InitProducerId', () => {
  // Kafka: TransactionCoordinatorTest.shouldInitPidWithEpochZeroForNewTransactionalId
  it('shouldInitPidWithEpochZeroForNewTransactionalId', () => {
    const w = world(1);
    expect(w.send(message('InitProducerId', { transactionalId: ID, transactionTimeoutMs: 60_000 }))).toMatchObject([{ type: 'InitProducerIdResponse', producerId: PRODUCER_ID, producerEpoch: 0 }]);
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithNotCoordinatorOnInitPidWhenNotCoordinator
  it('shouldRespondWithNotCoordinatorOnInitPidWhenNotCoordinator', () => {
    const w = world(1);
    w.coordinator.unload(PARTITION);
    expect(w.send(message('InitProducerId', { transactionalId: ID, transactionTimeoutMs: 60_000 }))).toMatchObject([{ error: 'NOT_COORDINATOR' }]);
  });

  // Kafka: TransactionCoordinatorTest.shouldIncrementEpochAndUpdateMetadataOnHandleInitPidWhenExistingEmptyTransaction
  it('shouldIncrementEpochAndUpdateMetadataOnHandleInitPidWhenExistingEmptyTransaction', () => {
    const w = world(1);
    expect(w.init(1)).toBe(0);
    expect(w.init(1)).toBe(1);
  });

  // Kafka: TransactionCoordinatorTest.shouldWaitForCommitToCompleteOnHandleInitPidAndExistingTransactionInPrepareCommitState
  // (and ...InPrepareAbortState)
  it.each([true, false])('shouldWaitForCommitToCompleteOnHandleInitPidAndExistingTransactionInPrepare(Commit: %s)State', (commit) => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, commit, false);
    expect(w.errorOf(w.send(message('InitProducerId', { transactionalId: ID, transactionTimeoutMs: 60_000 })))).toBe('CONCURRENT_TRANSACTIONS');
  });

  // Kafka: TransactionCoordinatorTest.shouldAbortTransactionOnHandleInitPidWhenExistingTransactionInOngoingState
  it('shouldAbortTransactionOnHandleInitPidWhenExistingTransactionInOngoingState', () => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    // The open transaction is aborted under a bumped epoch; the caller retries meanwhile.
    expect(w.errorOf(w.send(message('InitProducerId', { transactionalId: ID, transactionTimeoutMs: 60_000 })))).toBe('CONCURRENT_TRANSACTIONS');
    // The old producer is fenced.
    expect(w.errorOf(w.send(w.end(epoch, true)))).toBe('PRODUCER_FENCED');
  });
});

describe('TransactionCoordinatorTest: AddPartitionsToTxn', () => {
  // Kafka: TransactionCoordinatorTest.shouldRespondWithInvalidPidMappingOnAddPartitionsToTransactionWhenTransactionalIdNotPresent
  it('shouldRespondWithInvalidPidMappingOnAddPartitionsToTransactionWhenTransactionalIdNotPresent', () => {
    const w = world(1);
    expect(w.errorOf(w.send(w.add(0)))).toBe('INVALID_PRODUCER_ID_MAPPING');
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithNotCoordinatorOnAddPartitionsWhenNotCoordinator
  it('shouldRespondWithNotCoordinatorOnAddPartitionsWhenNotCoordinator', () => {
    const w = world(1);
    const epoch = w.init();
    w.coordinator.unload(PARTITION);
    expect(w.errorOf(w.send(w.add(epoch)))).toBe('NOT_COORDINATOR');
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithConcurrentTransactionsOnAddPartitionsWhenStateIsPrepareCommit
  // and shouldRespondWithConcurrentTransactionOnAddPartitionsWhenStateIsPrepareAbort
  it.each([true, false])('shouldRespondWithConcurrentTransactionsOnAddPartitionsWhenStateIsPrepare(Commit: %s)', (commit) => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, commit, false);
    expect(w.errorOf(w.send(w.add(epoch)))).toBe('CONCURRENT_TRANSACTIONS');
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithProducerFencedOnAddPartitionsWhenEpochsAreDifferent
  it('shouldRespondWithProducerFencedOnAddPartitionsWhenEpochsAreDifferent', () => {
    const w = world(1);
    w.init(3);
    expect(w.errorOf(w.send(w.add(0)))).toBe('PRODUCER_FENCED');
  });

  // Kafka: TransactionCoordinatorTest.shouldAppendNewMetadataToLogOnAddPartitionsWhenPartitionsAdded (Empty),
  // shouldRespondWithSuccessOnAddPartitionsWhenStateIsOngoing, ...WhenStateIsCompleteCommit, ...WhenStateIsCompleteAbort
  it.each(['Empty', 'Ongoing', 'CompleteCommit', 'CompleteAbort'] as const)('validateSuccessfulAddPartitions(%s)', (previous) => {
    const w = world(1);
    const epoch = w.init();
    if (previous !== 'Empty') w.send(w.add(epoch, { partitions: ['other-0'] }));
    if (previous === 'CompleteCommit' || previous === 'CompleteAbort') w.endTxn(epoch, previous === 'CompleteCommit', true);
    // The new partition is written to the log before the answer.
    const held = w.sendHeld(w.add(epoch));
    expect(held).toEqual([]);
    w.commitWrites();
    expect(held).toMatchObject([{ type: 'TxnResponse', error: undefined }]);
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithErrorsNoneOnAddPartitionWhenNoErrorsAndPartitionsTheSame
  it('shouldRespondWithErrorsNoneOnAddPartitionWhenNoErrorsAndPartitionsTheSame', () => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    // Answered at once: nothing to write.
    expect(w.sendHeld(w.add(epoch))).toMatchObject([{ type: 'TxnResponse', error: undefined }]);
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithErrorsNoneOnAddPartitionWhenOngoingVerifyOnlyAndPartitionsTheSame
  it('shouldRespondWithErrorsNoneOnAddPartitionWhenOngoingVerifyOnlyAndPartitionsTheSame', () => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    expect(w.errorOf(w.sendHeld(w.add(epoch, { verifyOnly: true })))).toBeUndefined();
  });

  // Kafka: TransactionCoordinatorTest.shouldRespondWithInvalidTxnStateWhenVerifyOnlyAndPartitionNotPresent
  it('shouldRespondWithInvalidTxnStateWhenVerifyOnlyAndPartitionNotPresent', () => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    expect(w.errorOf(w.sendHeld(w.add(epoch, { verifyOnly: true, partitions: ['topic2-0'] })))).toBe('INVALID_TXN_STATE');
  });
});

describe('TransactionCoordinatorTest: EndTxn', () => {
  const VERSIONS = [1, 2] as const;

  // Kafka: TransactionCoordinatorTest.shouldReplyWithInvalidPidMappingOnEndTxnWhenTxnIdDoesntExist
  it.each(VERSIONS)('shouldReplyWithInvalidPidMappingOnEndTxnWhenTxnIdDoesntExist (transaction.version %i)', (version) => {
    const w = world(version);
    expect(w.errorOf(w.send(w.end(0, true, 0)))).toBe('INVALID_PRODUCER_ID_MAPPING');
  });

  // Kafka: TransactionCoordinatorTest.shouldReplyWithInvalidPidMappingOnEndTxnWhenPidDosentMatchMapped
  it.each(VERSIONS)('shouldReplyWithInvalidPidMappingOnEndTxnWhenPidDosentMatchMapped (transaction.version %i)', (version) => {
    const w = world(version);
    const epoch = w.init();
    w.send(w.add(epoch));
    expect(w.errorOf(w.send(w.end(epoch, true, 0)))).toBe('INVALID_PRODUCER_ID_MAPPING');
  });

  // Kafka: TransactionCoordinatorTest.shouldReplyWithProducerFencedOnEndTxnWhenEpochIsNotSameAsTransaction
  it.each(VERSIONS)('shouldReplyWithProducerFencedOnEndTxnWhenEpochIsNotSameAsTransaction (transaction.version %i)', (version) => {
    const w = world(version);
    const epoch = w.init(2);
    w.send(w.add(epoch));
    expect(w.errorOf(w.send(w.end(0, true)))).toBe('PRODUCER_FENCED');
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnOkOnEndTxnWhenStatusIsCompleteCommitAndResultIsCommit
  // and shouldReturnOkOnEndTxnWhenStatusIsCompleteAbortAndResultIsAbort
  it.each(VERSIONS.flatMap((version) => [true, false].map((commit) => ({ version, commit }))))('shouldReturnOkOnEndTxnWhenStatusIsComplete..AndResultIsTheSame (transaction.version $version, commit $commit)', ({ version, commit }) => {
    const w = world(version);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, commit, true);
    expect(w.errorOf(w.send(w.end(requestEpoch(version, epoch), commit)))).toBeUndefined();
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsCompleteAbortAndResultIsNotAbort
  // and ...WhenStatusIsCompleteCommitAndResultIsNotCommit (TV_0)
  it.each([true, false])('shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsComplete..AndResultIsNot (transaction.version 1, committed %s)', (commit) => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, commit, true);
    expect(w.errorOf(w.send(w.end(epoch, !commit)))).toBe('INVALID_TXN_STATE');
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsCompleteAbortAndResultIsNotAbort
  // and ...WhenStatusIsCompleteCommitAndResultIsNotCommit (TV_2)
  // With transactions v2 an EndTxn at the epoch before the bump is a valid retry
  // (isValidEpoch's retryOnEpochBump), and the opposite outcome is INVALID_TXN_STATE.
  it.each([true, false])('shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsComplete..AndResultIsNot (transaction.version 2, committed %s)', (commit) => {
    const w = world(2);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, commit, true);
    expect(w.errorOf(w.send(w.end(epoch, !commit)))).toBe('INVALID_TXN_STATE');
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnConcurrentTransactionsOnEndTxnRequestWhenStatusIsPrepareCommit
  it.each(VERSIONS)('shouldReturnConcurrentTransactionsOnEndTxnRequestWhenStatusIsPrepareCommit (transaction.version %i)', (version) => {
    const w = world(version);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, true, false);
    expect(w.errorOf(w.send(w.end(requestEpoch(version, epoch), true)))).toBe('CONCURRENT_TRANSACTIONS');
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsPrepareAbort (TV_0)
  it('shouldReturnInvalidTxnRequestOnEndTxnRequestWhenStatusIsPrepareAbort (transaction.version 1)', () => {
    const w = world(1);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, false, false);
    expect(w.errorOf(w.send(w.end(epoch, true)))).toBe('INVALID_TXN_STATE');
  });

  /** Kafka's verifyEndTxnEpoch: a committed transaction (CompleteCommit) at `metadataEpoch`, an EndTxn at `request(metadataEpoch)`. */
  function verifyEndTxnEpoch(version: 1 | 2, metadataEpoch: number, request: (metadataEpoch: number) => number): void {
    const w = world(version);
    // Under version 2 the commit itself bumps the epoch once.
    const epoch = w.init(version === 2 ? metadataEpoch : metadataEpoch + 1);
    w.send(w.add(epoch));
    w.endTxn(epoch, true, true);
    expect(w.errorOf(w.send(w.end(request(metadataEpoch), true)))).toBe('PRODUCER_FENCED');
  }

  // Kafka: TransactionCoordinatorTest.shouldReturnInvalidEpochOnEndTxnWhenEpochIsLarger
  it.each(VERSIONS)('shouldReturnInvalidEpochOnEndTxnWhenEpochIsLarger (transaction.version %i)', (version) => {
    verifyEndTxnEpoch(version, 1, (e) => e + 1);
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnInvalidEpochOnEndTxnWhenEpochIsSmaller
  it.each(VERSIONS)('shouldReturnInvalidEpochOnEndTxnWhenEpochIsSmaller (transaction.version %i)', (version) => {
    // Kafka's requestEpoch: producerEpoch (1), one older under version 2.
    verifyEndTxnEpoch(version, 2, () => (version === 2 ? 0 : 1));
  });

  // Kafka: TransactionCoordinatorTest.shouldAppendPrepareCommitToLogOnEndTxnWhenStatusIsOngoingAndResultIsCommit
  // and shouldAppendPrepareAbortToLogOnEndTxnWhenStatusIsOngoingAndResultIsAbort
  it.each(VERSIONS.flatMap((version) => [true, false].map((commit) => ({ version, commit }))))('shouldAppendPrepare..ToLogOnEndTxnWhenStatusIsOngoing (transaction.version $version, commit $commit)', ({ version, commit }) => {
    const w = world(version);
    const epoch = w.init();
    w.send(w.add(epoch));
    const held = w.sendHeld(w.end(epoch, commit));
    expect(held).toEqual([]); // answered once Prepare* is written
    w.commitWrites();
    expect(held).toHaveLength(1);
    expect(w.errorOf(held)).toBeUndefined();
  });
});

describe('TransactionCoordinator: EndTxn with transaction version 2 (Kafka 4.x)', () => {
  // Kafka: TransactionCoordinator.scala's table for Empty, CompleteAbort and CompleteCommit under
  // transaction version 2 (PF = PRODUCER_FENCED, ITS = INVALID_TXN_STATE, NONE = no error and no
  // bump, EB = no error and an epoch bump; Retry = the stored epoch minus one, Current = it).
  type Expect = 'PF' | 'ITS' | 'NONE' | 'EB';
  const TABLE: readonly [string, boolean, 'retry' | 'current', Expect][] = [
    ['Empty', false, 'retry', 'PF'],
    ['Empty', false, 'current', 'EB'],
    ['Empty', true, 'retry', 'PF'],
    ['Empty', true, 'current', 'ITS'],
    ['CompleteAbort', false, 'retry', 'NONE'],
    ['CompleteAbort', false, 'current', 'EB'],
    ['CompleteAbort', true, 'retry', 'ITS'],
    ['CompleteAbort', true, 'current', 'ITS'],
    ['CompleteCommit', false, 'retry', 'ITS'],
    ['CompleteCommit', false, 'current', 'EB'],
    ['CompleteCommit', true, 'retry', 'NONE'],
    ['CompleteCommit', true, 'current', 'ITS'],
  ];
  it.each(TABLE)('%s, commit %s, %s epoch: %s', (state, commit, which, expected) => {
    const w = world(2);
    // Empty at a stored epoch of 1 (two InitProducerIds); or a transaction ended, which bumped it.
    let stored = w.init(2);
    if (state !== 'Empty') {
      w.send(w.add(stored));
      w.endTxn(stored, state === 'CompleteCommit', true);
      stored += 1;
    }
    const [r] = w.send(w.end(which === 'retry' ? stored - 1 : stored, commit));
    if (r.type !== 'TxnResponse') throw new Error(JSON.stringify(r));
    const error = 'error' in r ? r.error : undefined;
    if (expected === 'PF') expect(error).toBe('PRODUCER_FENCED');
    else if (expected === 'ITS') expect(error).toBe('INVALID_TXN_STATE');
    else {
      expect(error).toBeUndefined();
      expect('producerEpoch' in r ? r.producerEpoch : undefined).toBe(expected === 'EB' ? stored + 1 : stored);
    }
  });

  // KIP-890 part 2: the retry is recognised by the epochs written to __transaction_state, so a
  // coordinator that took over from the log recognises it too (kafkasim kept the previous epoch
  // in memory and answered PRODUCER_FENCED after a failover).
  it('recognises a retried EndTxn after a coordinator failover', () => {
    const w = world(2);
    const epoch = w.init();
    w.send(w.add(epoch));
    w.endTxn(epoch, true, true);
    const { trace, append, commitWrites } = coordinatorLog(`__transaction_state-${PARTITION}`);
    const successor = new TransactionCoordinator({ trace, brokerId: 2, append, writeMarkers: () => undefined, nextProducerId: () => 99, after: () => undefined }, { ...CONFIG, version: 2 });
    successor.load(PARTITION, w.log, 0, 1);
    const out: KafkaMessage[] = [];
    successor.handle(w.end(epoch, true) as Request, 0, (r) => out.push(r));
    commitWrites();
    expect(out).toMatchObject([{ type: 'TxnResponse', producerId: PRODUCER_ID, producerEpoch: epoch + 1 }]);
  });

  // Kafka: TransactionCoordinatorTest.shouldReturnOkOnEndTxnV2IfEndTxnV2RetryEpochOverflow and
  // TransactionMetadata.isProducerEpochExhausted: at epoch Short.MaxValue - 1 an EndTxn rotates
  // the producer id (epoch 0), and a retry under the old id is still answered.
  it('rotates the producer id at an exhausted epoch, and answers a retry under the old id', () => {
    const { trace, log, append, commitWrites } = coordinatorLog(`__transaction_state-${PARTITION}`);
    const value = { producerId: PRODUCER_ID, producerEpoch: 32_766, transactionTimeoutMs: 60_000, state: 'Ongoing' as const, partitions: PARTITIONS, lastUpdateTimestampMs: 0, startTimestampMs: 0 };
    log.appendAsLeader(encodeBatch([{ key: encodeTransactionKey(ID), value: encodeTransactionValue(value), timestamp: 0 }]), 0);
    const markers: ((failed: readonly string[]) => void)[] = [];
    const c = new TransactionCoordinator({ trace, brokerId: 1, append, writeMarkers: (_req, done) => void markers.push(done), nextProducerId: () => 77, after: () => undefined }, { ...CONFIG, version: 2 });
    c.load(PARTITION, log, 0, 0);
    const send = (req: KafkaMessage): KafkaMessage[] => {
      const out: KafkaMessage[] = [];
      c.handle(req as Request, 0, (r) => out.push(r));
      commitWrites();
      return out;
    };
    const end = message('EndTxn', { transactionalId: ID, producerId: PRODUCER_ID, producerEpoch: 32_766, commit: true });
    expect(send(end)).toMatchObject([{ type: 'TxnResponse', producerId: 77, producerEpoch: 0 }]);
    expect(send(end)).toMatchObject([{ type: 'TxnResponse', error: 'CONCURRENT_TRANSACTIONS' }]); // still completing
    for (const done of markers.splice(0)) done([]);
    commitWrites();
    expect(send(end)).toMatchObject([{ type: 'TxnResponse', producerId: 77, producerEpoch: 0 }]);
  });
});
