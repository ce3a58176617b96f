import { describe, expect, it } from 'vitest';
import { explainViolation } from '../../src/scenarios/explain.js';
import { explainMessage } from '../../src/scenarios/explainMessage.js';
import { explainCleanRun } from '../../src/scenarios/explainClean.js';
import { parseScenario } from '../../src/scenarios/loader.js';
import type { ClusterFinalState } from '../../src/checkers/finalState.js';
import type { Violation } from '../../src/sim/checker.js';
import type { TraceRecord } from '../../src/sim/trace.js';
import { time } from '../../src/sim/time.js';

const at = (ms: number) => time(ms * 1000);
const P = 'orders-0';
const partition = (leader: number, isr: number[]): TraceRecord => ({
  kind: 'metadata.record',
  at: at(0),
  record: 'Partition',
  detail: JSON.stringify({ type: 'Partition', topic: 'orders', partition: 0, replicas: [1, 2, 3], isr, leader, leaderEpoch: 0, partitionEpoch: 0 }),
});
const change = (ms: number, leader: number, isr: number[], unclean = false): TraceRecord => ({
  kind: 'metadata.record',
  at: at(ms),
  record: 'PartitionChange',
  detail: JSON.stringify({ type: 'PartitionChange', topic: 'orders', partition: 0, leader, isr, ...(unclean ? { unclean } : {}) }),
});
const send = (ms: number, seq: number, type: 'invoke' | 'ok', offset?: number): TraceRecord => ({ kind: 'client.send', at: at(ms), process: 'p1', type, index: seq, seq, partition: P, offset, error: undefined });
const append = (ms: number, broker: number, role: 'leader' | 'follower', epoch: number, base: number, last: number): TraceRecord => ({ kind: 'replica.append', at: at(ms), broker, partition: P, role, leaderEpoch: epoch, baseOffset: base, lastOffset: last });

/** Broker 3, a follower, crashes before the records in question exist, and restarts after; broker 1 leads; its crash loses them. */
const lossStory: TraceRecord[] = [
  partition(1, [1, 2, 3]),
  { kind: 'node.crash', at: at(1), node: 'broker-3', incarnation: 1, mode: 'process' },
  send(2, 0, 'invoke'),
  append(3, 1, 'leader', 0, 0, 0),
  send(4, 0, 'ok', 0),
  { kind: 'node.crash', at: at(5), node: 'broker-1', incarnation: 1, mode: 'process' },
  { kind: 'metadata.record', at: at(14), record: 'FenceBroker', detail: JSON.stringify({ type: 'FenceBroker', brokerId: 1 }) },
  change(14, 2, [2], true),
  { kind: 'node.start', at: at(20), node: 'broker-3', incarnation: 2 },
  append(21, 2, 'leader', 1, 0, 0),
  { kind: 'node.start', at: at(22), node: 'broker-1', incarnation: 2 },
  { kind: 'replica.truncate', at: at(23), broker: 1, partition: P, to: 0, reason: 'diverging-epoch' },
];

describe('explain: every fault that touched the records, and why an election waited', () => {
  const v: Violation = { kind: 'lost-write', message: '1 acknowledged message is not in the committed log of orders-0 (p1#0)', details: { partition: P, ackedOffsets: [0], ids: ['p1#0'] } };
  const lines = explainViolation(lossStory, v).map((l) => l.text);

  it("tells a restart together with the crash it ends, when that crash came before the records in question", () => {
    expect(lines).toContain('broker-3 restarted (it had crashed at 0.001s, before the records in question)');
    // broker-1's crash was told as it happened, so its restart is told plainly.
    expect(lines).toContain('broker-1 restarted');
  });

  it("says that an election waited for the silent leader's broker session to expire", () => {
    const fenced = lines.findIndex((l) => l.startsWith('the controller fenced broker-1: it had heard no heartbeat from it for broker.session.timeout.ms'));
    const elected = lines.findIndex((l) => l.startsWith('the controller elected broker-2 leader of orders-0'));
    expect(fenced).toBeGreaterThan(0);
    expect(elected).toBe(fenced + 1);
  });
});

describe('explain --message: the life of one message', () => {
  const state = { partitions: [{ partition: P, committed: [{ offset: 0, id: 'p9#0', epoch: 1 }] }] } as unknown as ClusterFinalState;
  const lines = explainMessage(lossStory, 'p1#0', state).map((l) => l.text);

  it('tells its send, its append, its acknowledgement, the faults on the replica holding it, and where it ended', () => {
    expect(lines[0]).toBe('p1 sent p1#0 to orders-0');
    expect(lines).toContain('broker-1, leader of orders-0 in epoch 0, appended p1#0 at offset 0');
    expect(lines).toContain('p1 was told p1#0 was written at offset 0 of orders-0: acknowledged');
    expect(lines).toContain('the controller made broker-2 leader of orders-0 from outside the ISR (an unclean election); it holds no copy of p1#0');
    expect(lines.at(-1)).toBe('→ p1#0 ended not in the committed log of orders-0; no consumer read it');
  });

  it("does not take another record written at its offset by a new leader for a copy of it", () => {
    expect(lines).toContain('broker-2, leader of orders-0 in epoch 1, appended another record at offset 0, where p1#0 had been written');
    expect(lines.filter((l) => l.includes('appended p1#0'))).toHaveLength(1);
    expect(lines).toContain('broker-1 truncated orders-0 to offset 0 (diverging-epoch), dropping its copy of p1#0 at offset 0');
  });

  it('follows a message read by a consumer to the group commit past it, and has nothing for a message never sent', () => {
    const read: TraceRecord[] = [
      partition(1, [1, 2, 3]),
      send(1, 5, 'invoke'),
      append(2, 1, 'leader', 0, 7, 9),
      append(3, 2, 'follower', 0, 7, 9),
      { kind: 'replica.hw', at: at(4), broker: 1, partition: P, leaderEpoch: 0, highWatermark: 10 },
      send(5, 5, 'ok', 8),
      { kind: 'client.op', at: at(6), process: 'c1-1', type: 'ok', f: 'poll', index: 1, value: { generation: 1, member: 'c1-1', records: [[P, 8, 'p1#5']] } },
      { kind: 'client.op', at: at(7), process: 'c1-1', type: 'ok', f: 'process', index: 2, value: { generation: 1, id: 'p1#5', key: null, member: 'c1-1', offset: 8, partition: P } },
      { kind: 'group.commit', at: at(8), broker: 2, group: 'g1', member: 'c1-1', generation: 1, currentGeneration: 1, stale: false, partition: P, offset: 10 },
    ];
    const story = explainMessage(read, 'p1#5').map((l) => l.text);
    expect(story).toEqual([
      'p1 sent p1#5 to orders-0',
      'broker-1, leader of orders-0 in epoch 0, appended p1#5 at offset 8',
      "broker-2 replicated offset 8 (a follower's fetch): 2 of 3 replicas hold it",
      "broker-1's high watermark of orders-0 passed offset 8 (now 10): committed, and consumers may read it",
      'p1 was told p1#5 was written at offset 8 of orders-0: acknowledged',
      'consumer c1-1 polled p1#5 (orders-0 offset 8, generation 1)',
      'consumer c1-1 finished processing p1#5 (offset 8)',
      "group g1's committed offset of orders-0 moved past p1#5 (to 10, by c1-1 in generation 1, on broker-2)",
    ]);
    expect(explainMessage(read, 'p1#6')).toEqual([]);
  });
});

describe('explain: unseen', () => {
  it('tells the records never read as an auto.offset.reset=latest past them, after the committed offset expired', () => {
    const records: TraceRecord[] = [
      partition(1, [1, 2, 3]),
      { kind: 'client.op', at: at(1), process: 'c1-1', type: 'ok', f: 'assign', index: 1, value: { added: [P], generation: 1, member: 'c1-1', partitions: [P] } },
      { kind: 'group.commit', at: at(2), broker: 2, group: 'g1', member: 'c1-1.1', generation: 1, currentGeneration: 1, stale: false, partition: P, offset: 0 },
      { kind: 'group.expire', at: at(3), broker: 2, group: 'g1', state: 'Stable', partitions: [P], offsets: [0], committedAt: [2], basis: ['expire-timestamp'], rule: 'commit-timestamp' },
      send(4, 0, 'invoke'),
      append(5, 1, 'leader', 0, 0, 1),
      send(6, 0, 'ok', 0),
      send(6, 1, 'ok', 1),
      { kind: 'consumer.reset', at: at(9), member: 'c1-1', partition: P, reason: 'no-committed-offset', policy: 'latest', offset: 2 },
    ];
    const v: Violation = { kind: 'unseen', message: '2 acknowledged messages were never read from orders-0', details: { partition: P, ids: ['p1#0', 'p1#1'] } };
    const lines = explainViolation(records, v).map((l) => l.text);
    expect(lines).toContain('p1 began to be told its writes to orders-0 succeeded: the records in question, offsets 0–1 (2 of them), acknowledged until 0.006s');
    expect(lines.some((l) => l.startsWith("broker-2's offset cleanup deleted g1's committed offset of orders-0"))).toBe(true);
    expect(lines).toContain(
      'why: c1-1 found no committed offset (the committed offset had expired: offsets.retention.minutes) and auto.offset.reset=latest put it at the log end, 2, past the records in question; with auto.offset.reset=earliest (or a committed offset kept) it would have read them',
    );
    expect(lines.at(-1)).toBe('→ unseen: 2 acknowledged messages were never read from orders-0');
  });

  it("tells each group's own cause, group by group, not the first group's for all", () => {
    const assign = (ms: number, process: string): TraceRecord => ({ kind: 'client.op', at: at(ms), process, type: 'ok', f: 'assign', index: 1, value: { added: [P], generation: 1, member: process, partitions: [P] } });
    const commit = (ms: number, group: string, member: string): TraceRecord => ({ kind: 'group.commit', at: at(ms), broker: 2, group, member, generation: 1, currentGeneration: 1, stale: false, partition: P, offset: 5 });
    const records: TraceRecord[] = [
      partition(1, [1, 2, 3]),
      send(1, 0, 'invoke'),
      append(2, 1, 'leader', 0, 0, 1),
      send(3, 0, 'ok', 0),
      send(3, 1, 'ok', 1),
      assign(4, 'c1-1'),
      assign(4, 'c2-1'),
      // g1 starts with nothing committed and auto.offset.reset=latest; g2's position went out of range and reset to latest.
      { kind: 'consumer.reset', at: at(5), member: 'c1-1', partition: P, reason: 'no-committed-offset', policy: 'latest', offset: 2 },
      { kind: 'consumer.reset', at: at(6), member: 'c2-1', partition: P, reason: 'offset-out-of-range', policy: 'latest', offset: 3 },
      commit(7, 'g1', 'c1-2.1.1'),
      commit(8, 'g2', 'c2-2.1.2'),
    ];
    const v: Violation = { kind: 'unseen', message: '2 acknowledged messages were never read from orders-0', details: { partition: P, ids: ['p1#0', 'p1#1'] } };
    const lines = explainViolation(records, v).map((l) => l.text);
    expect(lines.filter((l) => l.startsWith('why'))).toEqual([
      'why, for g1: c1-1 found no committed offset and auto.offset.reset=latest put it at the log end, 2, past the records in question; with auto.offset.reset=earliest (or a committed offset kept) it would have read them',
      "why, for g2: c2-1's position of orders-0 was reset to 3 (offset-out-of-range, auto.offset.reset=latest), past the records in question",
    ]);
    expect(lines).toContain('[g2] the coordinator (broker-2) committed g2\'s offset of orders-0 at 5, from c2-2.1.2 in generation 1');
    expect(lines).toContain('[g1] c1-1 was assigned orders-0 in generation 1');
    expect(lines).not.toContain('[g1] c2-1 was assigned orders-0 in generation 1');
  });
});

describe('explain on a clean run', () => {
  const scenario = (producer: string) =>
    parseScenario(`
name: clean
duration: 10s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: ${producer}, workload: { rate: 10/s } }
  - { id: c1, type: consumer, group: g1, topics: [orders], processing: { mode: commit-after-process } }
`);

  it('says which faults struck, and why acks=all with min.insync.replicas=2 and idempotence kept every write once', () => {
    const lines = explainCleanRun(scenario('{ acks: all, enable.idempotence: true }'), [{ at: 4000, label: 'faults[0] crash broker-2 (leader(orders-0))' }]);
    expect(lines[0]).toBe('1 fault struck: faults[0] crash broker-2 (leader(orders-0)) at 4.000s');
    expect(lines[1]).toMatch(/^p1 \(acks=all, min\.insync\.replicas=2 for orders, unclean\.leader\.election\.enable=false\): a write was acknowledged only once 2 in-sync replicas held it/);
    expect(lines[2]).toMatch(/^p1 has enable\.idempotence=true: a retry carries its producer id and sequence/);
    expect(lines[3]).toMatch(/^c1 \(group g1\) processes with commit-after-process: .*never skipped/);
  });

  it('says that a configuration which does not promise durability was only lucky on this seed', () => {
    const lines = explainCleanRun(scenario('{ acks: "1", enable.idempotence: false }'), []);
    expect(lines[0]).toBe('no fault struck this run');
    expect(lines[1]).toMatch(/^p1 \(acks=1, .*\) does not promise to keep every acknowledged write: this seed's faults did not strike at the wrong moment/);
    expect(lines[2]).toMatch(/^p1 has enable\.idempotence=false/);
  });
});
