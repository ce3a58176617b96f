import { describe, expect, it } from 'vitest';
import { TransactionCoordinator } from '../../../src/nodes/coordinator/transactionCoordinator.js';
import { partitionForTransactionalId } from '../../../src/nodes/coordinator/transactionLog.js';
import { Trace, type TraceRecord } from '../../../src/sim/trace.js';
import { coordinatorLog } from '../../helpers/coordinatorLog.js';
import { time } from '../../../src/sim/time.js';
import { message, type KafkaMessage } from '../../../src/nodes/protocol.js';

/** Transaction version 1 (Kafka 3.x) unless a test asks for 2. */
const CONFIG = { partitions: 4, maxTimeoutMs: 900_000, offsetsPartitions: 4, version: 1 as 1 | 2 };
const ID = 'tx-1';
const PARTITION = partitionForTransactionalId(ID, CONFIG.partitions);

/**
 * A transaction coordinator on a pretend broker: its `__transaction_state` partition is a real
 * log whose writes commit when the test says; markers are recorded and answered when it says.
 */
function world(version: 1 | 2 = 1) {
  const { sink, trace, log, append, commitWrites } = coordinatorLog(`__transaction_state-${PARTITION}`);
  const markers: { commit: boolean; partitions: readonly string[]; producerEpoch: number; done: (failed: readonly string[]) => void }[] = [];
  const timers: (() => void)[] = [];
  let pid = 100;
  const coordinator = new TransactionCoordinator(
    {
      trace,
      brokerId: 1,
      append,
      writeMarkers: (req, done) => markers.push({ ...req, done }),
      nextProducerId: () => pid++,
      after: (_ms, fn) => void timers.push(fn),
    },
    { ...CONFIG, version },
  );
  coordinator.load(PARTITION, log, 0, 0);
  const ask = (req: KafkaMessage, now = 0): KafkaMessage[] => {
    const out: KafkaMessage[] = [];
    coordinator.handle(req as Parameters<TransactionCoordinator['handle']>[0], now, (r) => out.push(r));
    return out;
  };
  const states = (): string[] => sink.records.filter((r): r is TraceRecord<'txn.state'> => r.kind === 'txn.state').map((r) => `${r.state}@${r.producerEpoch}`);
  return { coordinator, log, ask, commitWrites, markers, timers, states, records: sink.records };
}

const init = (timeout = 60_000) => message('InitProducerId', { transactionalId: ID, transactionTimeoutMs: timeout });
const add = (epoch: number, partitions: string[], verifyOnly?: boolean) => message('AddPartitionsToTxn', { transactionalId: ID, producerId: 100, producerEpoch: epoch, partitions, verifyOnly });
const end = (epoch: number, commit: boolean) => message('EndTxn', { transactionalId: ID, producerId: 100, producerEpoch: epoch, commit });

/** InitProducerId answered once the Empty state is written. */
function initialized(w: ReturnType<typeof world>): number {
  const held = w.ask(init());
  expect(held).toEqual([]);
  const out: KafkaMessage[] = [];
  w.coordinator.handle(init() as Parameters<TransactionCoordinator['handle']>[0], 0, (r) => out.push(r)); // a concurrent retry
  w.commitWrites();
  expect(out[0]).toMatchObject({ error: 'CONCURRENT_TRANSACTIONS' });
  return 0;
}

describe('TransactionCoordinator', () => {
  it('runs a transaction: Ongoing, PrepareCommit (answered), markers to every partition, CompleteCommit', () => {
    const w = world();
    initialized(w);
    expect(w.ask(add(0, ['orders-0', 'orders-1']))).toEqual([]);
    w.commitWrites();
    // Already in: answered at once, nothing written.
    expect(w.ask(add(0, ['orders-1']))).toMatchObject([{ type: 'TxnResponse', error: undefined }]);
    const answered = w.ask(end(0, true));
    expect(answered).toEqual([]); // PrepareCommit must be written first
    w.commitWrites();
    expect(w.markers).toHaveLength(1);
    expect(w.markers[0]).toMatchObject({ commit: true, partitions: ['orders-0', 'orders-1'], producerEpoch: 0 });
    expect(w.states()).toEqual(['Empty@0', 'Ongoing@0', 'PrepareCommit@0']);
    w.markers[0].done([]);
    w.commitWrites();
    expect(w.states().at(-1)).toBe('CompleteCommit@0');
    // A retried EndTxn for the same outcome is answered; the opposite one is refused.
    expect(w.ask(end(0, true))).toMatchObject([{ error: undefined }]);
    expect(w.ask(end(0, false))).toMatchObject([{ error: 'INVALID_TXN_STATE' }]);
  });

  it('transaction version 2 (KIP-890 part 2): EndTxn bumps the epoch, a retry is answered, a late one cannot end the next transaction', () => {
    const w = world(2);
    initialized(w);
    w.ask(add(0, ['orders-0']));
    w.commitWrites();
    const answered = w.ask(end(0, true));
    w.commitWrites();
    expect(answered).toMatchObject([{ type: 'TxnResponse', producerId: 100, producerEpoch: 1 }]);
    expect(w.markers[0]).toMatchObject({ commit: true, producerEpoch: 1 });
    expect(w.states()).toEqual(['Empty@0', 'Ongoing@0', 'PrepareCommit@1']);
    expect(w.ask(end(0, true))).toMatchObject([{ error: 'CONCURRENT_TRANSACTIONS' }]); // still completing
    w.markers[0].done([]);
    w.commitWrites();
    expect(w.ask(end(0, true))).toMatchObject([{ producerEpoch: 1 }]); // a retry of what is done
    // The next transaction, under the new epoch; the old EndTxn arrives late and is fenced.
    w.ask(add(1, ['orders-0']));
    w.commitWrites();
    expect(w.ask(end(0, true))).toMatchObject([{ error: 'PRODUCER_FENCED' }]);
    expect(w.states().at(-1)).toBe('Ongoing@1');
  });

  it('transaction version 1: the same late EndTxn ends the next transaction (KAFKA-17754)', () => {
    const w = world(1);
    initialized(w);
    w.ask(add(0, ['orders-0']));
    w.commitWrites();
    w.ask(end(0, true));
    w.commitWrites();
    w.markers[0].done([]);
    w.commitWrites();
    w.ask(add(0, ['orders-0']));
    w.commitWrites();
    w.ask(end(0, true)); // the late copy of the first commit
    w.commitWrites();
    expect(w.states().at(-1)).toBe('PrepareCommit@0');
  });

  it('retries the markers of partitions that failed until all are in', () => {
    const w = world();
    initialized(w);
    w.ask(add(0, ['orders-0', 'orders-1']));
    w.commitWrites();
    w.ask(end(0, false));
    w.commitWrites();
    w.markers[0].done(['orders-1']);
    expect(w.timers).toHaveLength(1);
    w.timers[0]();
    expect(w.markers[1]).toMatchObject({ commit: false, partitions: ['orders-1'] });
    w.markers[1].done([]);
    w.commitWrites();
    expect(w.states().at(-1)).toBe('CompleteAbort@0');
  });

  it('fences older epochs: a new InitProducerId bumps the epoch, and aborts an open transaction first', () => {
    const w = world();
    initialized(w);
    w.ask(add(0, ['orders-0']));
    w.commitWrites();
    // A new incarnation: the open transaction is aborted under epoch 1; retry later.
    expect(w.ask(init())).toMatchObject([{ error: 'CONCURRENT_TRANSACTIONS' }]);
    w.commitWrites();
    expect(w.markers[0]).toMatchObject({ commit: false, producerEpoch: 1 });
    w.markers[0].done([]);
    w.commitWrites();
    const out = w.ask(init());
    expect(out).toEqual([]); // answered once its Empty state with the next epoch is written
    w.commitWrites();
    expect(out[0]).toMatchObject({ producerId: 100, producerEpoch: 2 });
    // The old incarnation is fenced.
    expect(w.ask(add(0, ['orders-0']))).toMatchObject([{ error: 'PRODUCER_FENCED' }]);
    expect(w.ask(end(1, true))).toMatchObject([{ error: 'PRODUCER_FENCED' }]);
  });

  it('answers KIP-890 verification: only partitions of the ongoing transaction pass', () => {
    const w = world();
    initialized(w);
    expect(w.ask(add(0, ['orders-0'], true))).toMatchObject([{ error: 'INVALID_TXN_STATE' }]);
    w.ask(add(0, ['orders-0']));
    w.commitWrites();
    expect(w.ask(add(0, ['orders-0'], true))).toMatchObject([{ error: undefined }]);
    expect(w.ask(add(0, ['orders-1'], true))).toMatchObject([{ error: 'INVALID_TXN_STATE' }]);
  });

  it('aborts a transaction that outlives transaction.timeout.ms, bumping the epoch', () => {
    const w = world();
    w.ask(init(5_000));
    w.commitWrites();
    w.ask(add(0, ['orders-0']), 1_000);
    w.commitWrites();
    w.coordinator.tick(5_000);
    expect(w.markers).toHaveLength(0);
    w.coordinator.tick(6_001);
    w.commitWrites();
    expect(w.markers[0]).toMatchObject({ commit: false, producerEpoch: 1 });
    expect(w.records.some((r) => r.kind === 'txn.abort' && r.reason === 'timeout')).toBe(true);
  });

  it('a new coordinator loads the transaction and finishes a prepared commit', () => {
    const w = world();
    initialized(w);
    w.ask(add(0, ['orders-0']));
    w.commitWrites();
    w.ask(end(0, true));
    w.commitWrites();
    // The coordinator dies before the markers are in; another loads the same log.
    const markers: { commit: boolean; partitions: readonly string[] }[] = [];
    const next = new TransactionCoordinator(
      { trace: new Trace(() => time(0)), brokerId: 2, append: (_p, _r, done) => done(undefined), writeMarkers: (req, done) => { markers.push(req); done([]); }, nextProducerId: () => 999, after: () => undefined },
      CONFIG,
    );
    next.load(PARTITION, w.log, 1, 10_000);
    expect(markers).toEqual([expect.objectContaining({ commit: true, partitions: ['orders-0'] })]);
    const answers: KafkaMessage[] = [];
    next.handle(end(0, true) as Parameters<TransactionCoordinator['handle']>[0], 10_000, (r) => answers.push(r));
    expect(answers[0]).toMatchObject({ error: undefined }); // CompleteCommit: the retry is answered
  });
});
