import { describe, expect, it } from 'vitest';
import { runCheckers } from '../../src/sim/checker.js';
import { History } from '../../src/sim/history.js';
import { time } from '../../src/sim/time.js';
import { txnCheckers } from '../../src/checkers/txnCheckers.js';
import type { ClusterFinalState, LoggedRecord, PartitionState, TxnBatch } from '../../src/checkers/finalState.js';

const rec = (offset: number, id: string): LoggedRecord => ({ offset, id, epoch: 0 });
const batch = (baseOffset: number, lastOffset: number, producerEpoch: number, outcome: TxnBatch['outcome'], control = false, timestampMs = 0): TxnBatch => ({ baseOffset, lastOffset, producerId: 7, producerEpoch, control, outcome, timestampMs });

function partition(name: string, committed: LoggedRecord[], extra: Partial<PartitionState> = {}): PartitionState {
  return { partition: name, committed, highWatermark: committed.length, logStartOffset: 0, replicas: [], ...extra };
}

/** A pipeline orders → receipts whose group polled orders-0 from 0 and committed up to `committedInput`. */
function pipeline(outputs: string[], committedInput: number, inputs = ['a', 'b', 'c']): { history: History; state: ClusterFinalState } {
  let now = 0;
  const h = new History(() => time(now++));
  h.complete(h.invoke('t1-1', 'poll', {}), 'ok', { generation: 1, member: 't1-1', records: inputs.map((id, i) => ['orders-0', i, id]) });
  const state: ClusterFinalState = {
    partitions: [partition('orders-0', inputs.map((id, i) => rec(i, id))), partition('receipts-0', outputs.map((id, i) => rec(i, id)))],
    groups: [{ group: 'g1', members: ['t1-1'], partitions: ['orders-0'], committed: new Map([['orders-0', committedInput]]) }],
    pipelines: [{ client: 't1', group: 'g1', from: 'orders', to: 'receipts', transactional: true, transactionTimeoutMs: 10_000 }],
    endMs: 100_000,
  };
  return { history: h, state };
}

const kinds = (history: History, state: ClusterFinalState): string[] => runCheckers(txnCheckers, history, state).violations.map((v) => v.kind);

describe('transaction checkers', () => {
  it('exactly-once: quiet when each committed input has one output, and none past the committed offset', () => {
    const { history, state } = pipeline(['a', 'b'], 2);
    expect(kinds(history, state)).toEqual([]);
  });

  it('exactly-once: a missing output, a doubled one, or one committed ahead of its offset', () => {
    for (const [outputs, committed] of [[['a'], 2], [['a', 'b', 'b'], 2], [['a', 'b', 'c'], 2]] as const) {
      const { history, state } = pipeline([...outputs], committed);
      expect(kinds(history, state)).toEqual(['exactly-once']);
    }
  });

  it('exactly-once: an input message its producer wrote twice is two input records, each owed its own output', () => {
    // An idempotent producer's epoch bump (KIP-360) wrote b twice into orders-0: two outputs are exactly once.
    expect(kinds(pipeline(['a', 'b', 'b'], 3, ['a', 'b', 'b']).history, pipeline(['a', 'b', 'b'], 3, ['a', 'b', 'b']).state)).toEqual([]);
    // One output for the two copies misses one; three double one.
    for (const outputs of [['a', 'b'], ['a', 'b', 'b', 'b']]) {
      const { history, state } = pipeline(outputs, 3, ['a', 'b', 'b']);
      expect(kinds(history, state)).toEqual(['exactly-once']);
    }
    // The second copy past the committed offset owes nothing yet: a second output is early.
    const ahead = pipeline(['a', 'b', 'b'], 2, ['a', 'b', 'b']);
    expect(runCheckers(txnCheckers, ahead.history, ahead.state).violations.map((v) => v.message)).toEqual([expect.stringContaining('1 output is committed for input whose offset is not (b@2)')]);
  });

  it('exactly-once: an input whose output retention deleted is not missing; one after a kept output still is (issue 21 soak)', () => {
    // Inputs a..d at orders-0 offsets 0..3, all committed; receipts-0 (the only output
    // partition, so every output goes there) holds outputs from offset 2 on.
    const deleted = pipeline(['c', 'd'], 4, ['a', 'b', 'c', 'd']);
    const receipts = (committed: LoggedRecord[], logStartOffset: number) => partition('receipts-0', committed, { logStartOffset });
    // Retention took receipts-0's first two records: the outputs of a and b.
    deleted.state = { ...deleted.state, partitions: [deleted.state.partitions[0], receipts([rec(2, 'c'), rec(3, 'd')], 2)] };
    expect(kinds(deleted.history, deleted.state)).toEqual([]);
    // Nothing deleted (the log starts at 0): a and b are missing.
    deleted.state = { ...deleted.state, partitions: [deleted.state.partitions[0], receipts([rec(0, 'c'), rec(1, 'd')], 0)] };
    expect(runCheckers(txnCheckers, deleted.history, deleted.state).violations.map((v) => v.details?.counts)).toEqual([{ missing: 2, duplicated: 0, early: 0 }]);
    // Deleted below, but b's output would sit after a's, which is kept: b is missing.
    deleted.state = { ...deleted.state, partitions: [deleted.state.partitions[0], receipts([rec(2, 'a'), rec(3, 'c'), rec(4, 'd')], 2)] };
    expect(runCheckers(txnCheckers, deleted.history, deleted.state).violations.map((v) => v.details?.missing)).toEqual([['b@1']]);
  });

  it('aborted-read: a read_committed poll of a record whose transaction aborted (and only read_committed ones count)', () => {
    let now = 0;
    const h = new History(() => time(now++));
    const poll = (member: string, isolation: object) => h.complete(h.invoke(member, 'poll', {}), 'ok', { generation: 1, ...isolation, member, records: [['receipts-0', 1, 'x']] });
    poll('ru-1', {});
    const state: ClusterFinalState = { partitions: [partition('receipts-0', [rec(0, 'y')], { txnBatches: [batch(0, 0, 0, 'committed'), batch(1, 1, 0, 'aborted'), batch(2, 2, 0, 'marker', true)] })] };
    expect(kinds(h, state)).toEqual([]);
    poll('rc-1', { isolation: 'read_committed' });
    expect(kinds(h, state)).toEqual(['aborted-read']);
  });

  it('zombie-write: a committed batch of an older epoch after a newer one', () => {
    const clean: ClusterFinalState = { partitions: [partition('r-0', [], { txnBatches: [batch(0, 0, 0, 'committed'), batch(1, 1, 1, 'marker', true), batch(2, 2, 1, 'committed')] })] };
    expect(kinds(new History(() => time(0)), clean)).toEqual([]);
    const aborted: ClusterFinalState = { partitions: [partition('r-0', [], { txnBatches: [batch(0, 0, 1, 'committed'), batch(1, 1, 0, 'aborted')] })] };
    expect(kinds(new History(() => time(0)), aborted)).toEqual([]);
    const zombie: ClusterFinalState = { partitions: [partition('r-0', [], { txnBatches: [batch(0, 0, 1, 'committed'), batch(1, 1, 0, 'committed')] })] };
    expect(kinds(new History(() => time(0)), zombie)).toEqual(['zombie-write']);
  });

  it('hanging-txn: an open transaction older than the timeout plus grace, with the LSO stuck', () => {
    const stuck = (timestampMs: number): ClusterFinalState => ({
      endMs: 200_000,
      partitions: [partition('r-0', [rec(0, 'a')], { highWatermark: 5, lastStableOffset: 1, txnBatches: [batch(1, 1, 0, 'open', false, timestampMs)] })],
    });
    expect(kinds(new History(() => time(0)), stuck(190_000))).toEqual([]);
    expect(kinds(new History(() => time(0)), stuck(10_000))).toEqual(['hanging-txn']);
  });
});
