import { describe, expect, it } from 'vitest';
import { AvailabilityRecorder } from '../../src/scenarios/availability.js';
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
      { fault: 'faults[2] broker-2', at: 14_000, partitions: [{ partition: 'orders-0', ms: 18_000, why: 'leader broker-2 crashed, then no leader', open: false }], failedSends: 1, indeterminateSends: 0 },
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
