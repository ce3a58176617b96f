import { describe, expect, it } from 'vitest';
import { AvailabilityRecorder, type FaultAvailability } from '../../src/scenarios/availability.js';
import { availabilityLines } from '../../src/cli/commands/run.js';
import { SendLog } from '../../src/sim/sendLog.js';
import { Trace } from '../../src/sim/trace.js';
import { time, type Time } from '../../src/sim/time.js';
import { cli } from '../helpers/cli.js';

/** A trace whose clock the test moves, with a recorder attached, labelling faults as the runner does. */
function harness() {
  let now = time(0);
  const trace = new Trace(() => now);
  const recorder = new AvailabilityRecorder(now);
  recorder.attach(trace);
  recorder.labelFaults((index, nodes) => `faults[${index}] ${nodes.join(', ')}`);
  const at = (s: number) => {
    now = time(s * 1_000_000);
  };
  const partition = (p: number, leader: number) =>
    trace.emit('metadata.record', { record: 'Partition', detail: JSON.stringify({ type: 'Partition', topic: 'orders', partition: p, replicas: [1, 2, 3], isr: [1, 2, 3], leader, leaderEpoch: 0, partitionEpoch: 0 }) });
  const leader = (p: number, l: number) => trace.emit('metadata.record', { record: 'PartitionChange', detail: JSON.stringify({ type: 'PartitionChange', topic: 'orders', partition: p, leader: l, isr: l < 0 ? [] : [l] }) });
  return { trace, recorder, at, partition, leader, end: (): Time => now };
}

describe('availability per fault', () => {
  it("charges a crashed leader's partition to the crash, from the crash until a leader is back, with both reasons", () => {
    const h = harness();
    h.partition(0, 2);
    h.partition(1, 1);
    h.at(14);
    // A crash's own records come before its fault.apply, as the injector emits them.
    h.trace.emit('node.crash', { node: 'broker-2', incarnation: 1, mode: 'process' });
    h.trace.emit('fault.apply', { index: 2, action: 'crash', targets: ['broker-2'] });
    h.at(21.1);
    h.leader(0, -1);
    h.at(30);
    h.trace.emit('node.start', { node: 'broker-2', incarnation: 2 });
    h.trace.emit('fault.apply', { index: 3, action: 'restart', targets: ['broker-2'] });
    h.at(32);
    h.leader(0, 2);
    h.at(40);
    const sends = new SendLog();
    const failed = sends.invoke('p1', 0, 'orders-0', 0, time(15_000_000));
    sends.complete(failed, 'fail', 'orders-0', undefined, 'NOT_LEADER_OR_FOLLOWER', 1, time(16_000_000));
    const report = h.recorder.finish(h.end(), sends);
    expect(report).toEqual([
      { fault: 'faults[2] broker-2', at: 14_000, partitions: [{ partition: 'orders-0', ms: 18_000, why: 'leader broker-2 crashed, then no leader', open: false }], failedSends: 1, indeterminateSends: 0, groups: [] },
    ]);
  });

  it('ends a paused leader\'s outage when its pause ends, and says when one lasts to the end of the run', () => {
    const h = harness();
    h.partition(0, 1);
    h.partition(1, 3);
    h.at(5);
    h.trace.emit('node.pause', { node: 'broker-1', until: 8_000_000 });
    h.trace.emit('fault.apply', { index: 0, action: 'pause', targets: ['broker-1'] });
    h.at(10);
    h.trace.emit('node.crash', { node: 'broker-3', incarnation: 1, mode: 'power' });
    h.trace.emit('fault.apply', { index: 1, action: 'crash', targets: ['broker-3'] });
    h.at(12);
    const report = h.recorder.finish(h.end(), new SendLog());
    expect(report.map((w) => [w.fault, w.partitions])).toEqual([
      ['faults[0] broker-1', [{ partition: 'orders-0', ms: 3_000, why: 'leader broker-1 paused', open: false }]],
      ['faults[1] broker-3', [{ partition: 'orders-1', ms: 2_000, why: 'leader broker-3 lost power', open: true }]],
    ]);
  });

  it('reports in run --json how long a partition kept offline by its lost leader could not take writes', () => {
    const r = cli('run', 'unclean-election-off', '--json');
    const out = JSON.parse(r.stdout) as { availability: { fault: string; partitions: { partition: string; ms: number; why: string }[] }[] };
    const crash = out.availability.find((w) => w.fault.startsWith('faults[2] crash broker-'));
    // The leader crashes at 14 s; the controller fences it after broker.session.timeout.ms and finds no
    // eligible replica (unclean election off): offline until the leader returns at 30 s.
    expect(crash?.partitions).toEqual([{ partition: 'orders-0', ms: expect.any(Number), why: expect.stringMatching(/^leader broker-\d crashed, then no leader$/), open: false }]);
    expect(crash?.partitions[0].ms).toBeGreaterThan(16_000);
    expect(crash?.partitions[0].ms).toBeLessThan(20_000);
  });
});

describe('consumer groups stalled per fault', () => {
  /** The harness with one group g1 of two members reading orders-0 and orders-1, its coordinator on __consumer_offsets-0. */
  function groupHarness() {
    const h = harness();
    h.recorder.watchGroups(h.trace, { members: [{ process: 'c1-1', node: 'consumer-c1-1', group: 'g1' }, { process: 'c1-2', node: 'consumer-c1-2', group: 'g1' }], offsetsPartitions: 1 });
    h.trace.emit('metadata.record', { record: 'Partition', detail: JSON.stringify({ type: 'Partition', topic: '__consumer_offsets', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 3, leaderEpoch: 0, partitionEpoch: 0 }) });
    h.partition(0, 1);
    h.partition(1, 2);
    const op = (process: string, f: string, value: object) => h.trace.emit('client.op', { process, type: 'ok', f, index: 0, value });
    const acked = (partition: string, offset: number) => {
      h.trace.emit('client.send', { process: 'p1', type: 'ok', index: 0, seq: offset, partition, offset, error: undefined });
      h.trace.emit('replica.hw', { broker: 1, partition, leaderEpoch: 0, highWatermark: offset + 1 });
    };
    const processed = (process: string, partition: string, offset: number) => op(process, 'process', { partition, offset, member: process });
    h.trace.emit('group.generation', { broker: 3, group: 'g1', generation: 1, state: 'CompletingRebalance', members: ['a', 'b'] });
    op('c1-1', 'assign', { generation: 1, partitions: ['orders-0'], added: ['orders-0'] });
    op('c1-2', 'assign', { generation: 1, partitions: ['orders-1'], added: ['orders-1'] });
    h.trace.emit('consumer.reset', { member: 'c1-1', partition: 'orders-0', reason: 'no-committed-offset', policy: 'earliest', offset: 0 });
    h.trace.emit('consumer.reset', { member: 'c1-2', partition: 'orders-1', reason: 'no-committed-offset', policy: 'earliest', offset: 0 });
    return { ...h, op, acked, processed };
  }

  it("charges a crashed member's partition to the crash, until another member processes it after the rebalance", () => {
    const h = groupHarness();
    for (let i = 0; i < 5; i++) {
      h.at(1 + i * 0.1);
      h.acked('orders-0', i);
      h.acked('orders-1', i);
      h.processed('c1-1', 'orders-0', i);
      h.processed('c1-2', 'orders-1', i);
    }
    h.at(2);
    h.acked('orders-0', 5);
    h.trace.emit('node.crash', { node: 'consumer-c1-1', incarnation: 1, mode: 'process' });
    h.trace.emit('fault.apply', { index: 0, action: 'crash', targets: ['consumer-c1-1'] });
    h.at(12);
    // session.timeout.ms later the coordinator rebalances; c1-2 takes orders-0 over.
    h.op('c1-2', 'revoke', { generation: 1, partitions: ['orders-1'] });
    h.trace.emit('group.generation', { broker: 3, group: 'g1', generation: 2, state: 'CompletingRebalance', members: ['b'] });
    h.op('c1-2', 'assign', { generation: 2, partitions: ['orders-0', 'orders-1'], added: ['orders-0', 'orders-1'] });
    h.at(12.5);
    h.processed('c1-2', 'orders-0', 5);
    h.at(20);
    const [w] = h.recorder.finish(h.end(), new SendLog());
    expect(w.fault).toBe('faults[0] consumer-c1-1');
    expect(w.groups).toEqual([
      {
        group: 'g1',
        ms: 10_500,
        partitions: ['orders-0'],
        of: 2,
        why: 'c1-1, owning orders-0, crashed',
        open: false,
        state: 't=12.500s group g1: coordinator broker-3, Stable, generation 2, 1 member; 2 of 2 partitions owned; lag 0',
      },
    ]);
  });

  /** At 9 s: the run's first fault stalled g1 on orders-0 alone, closed, for `why`. */
  function expectOneStallOfOrders0(h: ReturnType<typeof groupHarness>, why: string): void {
    h.at(9);
    const [w] = h.recorder.finish(h.end(), new SendLog());
    expect(w.groups).toEqual([expect.objectContaining({ group: 'g1', partitions: ['orders-0'], open: false, why })]);
  }

  it('says a member waited in commitSync, polling nothing, when its commit took the stall (consumer-nemesis at seed 1: broker-3 cut off, in the ISR of __consumer_offsets)', () => {
    const h = groupHarness();
    const commit = (type: 'invoke' | 'ok') => h.trace.emit('client.op', { process: 'c1-1', type, f: 'commit', index: 0, value: { generation: 1, member: 'c1-1', offsets: { 'orders-0': 1 } } });
    h.at(1);
    h.acked('orders-0', 0);
    h.processed('c1-1', 'orders-0', 0);
    // A quick commit before: no reason of its own.
    commit('invoke');
    h.at(1.01);
    commit('ok');
    h.acked('orders-0', 1);
    h.processed('c1-1', 'orders-0', 1);
    commit('invoke');
    h.at(1.2);
    h.acked('orders-0', 2);
    h.trace.emit('fault.apply', { index: 0, action: 'partition', targets: ['broker-3'] });
    h.at(7.4);
    commit('ok');
    h.processed('c1-1', 'orders-0', 2);
    expectOneStallOfOrders0(h, 'c1-1, owning orders-0, waited 6.390s in commitSync, polling nothing (commitSync blocks the poll loop until the coordinator answers, once __consumer_offsets-0 has replicated the commit)');
  });

  it("says a processor sat in one transaction for the stall, though records waited from before it began (eos-nemesis at seed 1)", () => {
    const h = groupHarness();
    const txn = (type: 'invoke' | 'ok') => h.trace.emit('client.op', { process: 'c1-1', type, f: 'txn', index: 0, value: { generation: 1, member: 'c1-1', records: 50 } });
    h.at(1);
    h.acked('orders-0', 0);
    h.at(1.1);
    txn('invoke');
    h.trace.emit('fault.apply', { index: 0, action: 'partition', targets: ['broker-3'] });
    h.at(7.5);
    txn('ok');
    // The next transaction begins before the first record is counted processed.
    txn('invoke');
    h.processed('c1-1', 'orders-0', 0);
    expectOneStallOfOrders0(h, 'c1-1, owning orders-0, spent 6.400s in one transaction, polling nothing (its records, sendOffsetsToTransaction and commitTransaction block the poll loop; the commit ends once __transaction_state has replicated it)');
  });

  it('says a group had no coordinator, and that a stall lasted to the end; a group kept up with is not stalled', () => {
    const h = groupHarness();
    h.at(1);
    h.acked('orders-1', 0);
    h.processed('c1-2', 'orders-1', 0);
    h.trace.emit('node.crash', { node: 'broker-3', incarnation: 1, mode: 'process' });
    h.trace.emit('fault.apply', { index: 0, action: 'crash', targets: ['broker-3'] });
    h.at(1.5);
    h.acked('orders-0', 0);
    h.at(1.6);
    h.acked('orders-1', 1);
    h.at(2.4);
    // Within STALL_MS of the records waiting: not a stall.
    h.processed('c1-2', 'orders-1', 1);
    h.at(9);
    const [w] = h.recorder.finish(h.end(), new SendLog());
    expect(w.groups).toEqual([expect.objectContaining({ group: 'g1', ms: 7_500, partitions: ['orders-0'], open: true, why: 'no coordinator (__consumer_offsets-0: leader broker-3 crashed)' })]);
    expect(w.groups[0].state).toMatch(/^t=9\.000s group g1: coordinator none, Stable, generation 1, 2 members; 2 of 2 partitions owned; lag 1$/);
  });

  it("tells a read_committed group held at an open transaction's last stable offset, and no open stall for a group that read all it could", () => {
    const h = harness();
    h.recorder.watchGroups(h.trace, { members: [{ process: 'rc-1', node: 'consumer-rc-1', group: 'readers' }], offsetsPartitions: 1, readCommitted: ['readers'] });
    h.trace.emit('metadata.record', { record: 'Partition', detail: JSON.stringify({ type: 'Partition', topic: '__consumer_offsets', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 2, leaderEpoch: 0, partitionEpoch: 0 }) });
    h.partition(0, 1);
    h.trace.emit('client.op', { process: 'rc-1', type: 'ok', f: 'assign', index: 0, value: { generation: 1, partitions: ['orders-0'] } });
    h.trace.emit('consumer.reset', { member: 'rc-1', partition: 'orders-0', reason: 'no-committed-offset', policy: 'earliest', offset: 0 });
    h.at(1);
    h.trace.emit('txn.state', { broker: 2, transactionalId: 't1-1', producerId: 7, producerEpoch: 0, state: 'Ongoing', partitions: ['orders-0'] });
    h.trace.emit('client.send', { process: 't1-1', type: 'ok', index: 0, seq: 0, partition: 'orders-0', offset: 0, error: undefined });
    h.trace.emit('replica.hw', { broker: 1, partition: 'orders-0', leaderEpoch: 0, highWatermark: 1 });
    h.at(6);
    h.trace.emit('txn.state', { broker: 2, transactionalId: 't1-1', producerId: 7, producerEpoch: 0, state: 'CompleteCommit', partitions: [] });
    h.trace.emit('client.op', { process: 'rc-1', type: 'ok', f: 'process', index: 0, value: { partition: 'orders-0', offset: 0 } });
    h.at(7);
    // An aborted record the group can never read: open at the end, unless the group caught up.
    h.trace.emit('client.send', { process: 't1-1', type: 'ok', index: 0, seq: 1, partition: 'orders-0', offset: 1, error: undefined });
    h.trace.emit('replica.hw', { broker: 1, partition: 'orders-0', leaderEpoch: 0, highWatermark: 3 });
    h.at(20);
    const [w] = h.recorder.finish(h.end(), new SendLog(), h.end(), () => true);
    expect(w.groups).toEqual([
      expect.objectContaining({ ms: 5_000, open: false, why: "an open transaction of t1-1 held orders-0's last stable offset (read_committed reads only below it; it ends by commit, abort or transaction.timeout.ms)" }),
    ]);
  });

  it('shows in run --json the group a crashed member stalled, and why, and the summary says it', () => {
    const r = cli('run', 'consumer-auto-commit-crash', '--json');
    const out = JSON.parse(r.stdout) as { availability: FaultAvailability[] };
    const crash = out.availability.find((w) => w.fault.startsWith('faults[0] crash consumer-c1-1'));
    // c1-1 crashes at 12 s; the coordinator notices after session.timeout.ms and hands its partition on.
    expect(crash?.groups).toEqual([expect.objectContaining({ group: 'g1', partitions: ['orders-2'], why: 'c1-1, owning orders-2, crashed' })]);
    expect(crash?.groups[0].ms).toBeGreaterThan(5_000);
    const human = availabilityLines(out.availability).join('\n');
    expect(human).toMatch(/group g1 stalled on 1 of 3 partitions \(orders-2\), up to \d+\.\ds: c1-1, owning orders-2, crashed\n\s+when it resumed: t=\S+ group g1: coordinator broker-\d, Stable/);
  });
});
