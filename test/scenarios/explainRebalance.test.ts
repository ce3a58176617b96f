import { describe, expect, it } from 'vitest';
import { rebalanceWaits } from '../../src/scenarios/explainRebalance.js';
import { explainViolation } from '../../src/scenarios/explain.js';
import type { TraceRecord } from '../../src/sim/trace.js';
import { time } from '../../src/sim/time.js';

const at = (s: number) => time(s * 1_000_000);
const all = () => true;
const generation = (s: number, n: number, state = 'CompletingRebalance', broker = 2, members = 2): TraceRecord => ({ kind: 'group.generation', at: at(s), broker, group: 'g1', generation: n, state, members: Array.from({ length: members }, (_, i) => `c1-${broker}.1.${i + 1}`) });
const node = (s: number, kind: 'node.crash' | 'node.start', name: string): TraceRecord =>
  kind === 'node.crash' ? { kind, at: at(s), node: name, incarnation: 1, mode: 'process' } : { kind, at: at(s), node: name, incarnation: 2 };
const op = (s: number, process: string, f: string, value: object): TraceRecord => ({ kind: 'client.op', at: at(s), process, type: 'ok', f, index: 0, value });

describe('why a rebalance waited', () => {
  it("tells a dead member's session.timeout.ms, and an empty group's group.initial.rebalance.delay.ms, and nothing for a quick one", () => {
    const records: TraceRecord[] = [
      node(0, 'node.start', 'consumer-c1-1'),
      node(0, 'node.start', 'consumer-c1-2'),
      generation(3, 1),
      op(3.1, 'c1-1', 'assign', { generation: 1, partitions: ['orders-0'] }),
      node(12, 'node.crash', 'consumer-c1-1'),
      op(22, 'c1-2', 'revoke', { generation: 1, partitions: ['orders-1'] }),
      generation(22.1, 2, 'CompletingRebalance', 2, 1),
      op(30, 'c1-2', 'revoke', { generation: 2, partitions: ['orders-0', 'orders-1'] }),
      generation(30.2, 3, 'CompletingRebalance', 2, 1),
    ];
    const waits = rebalanceWaits(records, 'g1', all);
    expect(waits.get(1)).toBe(
      "that rebalance took 3.0s from 0.000s: c1-1 started and sent JoinGroup; c1-2 started and sent JoinGroup; the group was empty, and the coordinator holds an empty group's first rebalance open group.initial.rebalance.delay.ms for more members, longer while they keep coming (KIP-134)",
    );
    expect(waits.get(2)).toBe('that rebalance took 10.1s from 12.000s: c1-1 crashed at 12.000s without a LeaveGroup, so the coordinator kept it in the group until session.timeout.ms passed without its heartbeat');
    expect(waits.has(3)).toBe(false);
  });

  it('tells a coordinator that went down, the controller that was not there to move it, and the broker that loaded the group', () => {
    const records: TraceRecord[] = [
      { kind: 'controller.active', at: at(0), node: 'controller-1', epoch: 1, active: true },
      generation(3, 1),
      node(10, 'node.crash', 'broker-2'),
      node(10.5, 'node.crash', 'controller-1'),
      node(11, 'node.crash', 'consumer-c1-1'),
      { kind: 'controller.active', at: at(25), node: 'controller-1', epoch: 2, active: true },
      generation(31, 1, 'Stable', 3),
      op(31.5, 'c1-2', 'revoke', { generation: 1, partitions: ['orders-1'] }),
      generation(32, 2, 'CompletingRebalance', 3, 1),
    ];
    const wait = rebalanceWaits(records, 'g1', all).get(2);
    expect(wait).toMatch(/^that rebalance took 21\.0s from 11\.000s: c1-1 crashed at 11\.000s without a LeaveGroup/);
    expect(wait).toContain('its coordinator broker-2 went down at 10.000s: the group had no coordinator, until broker-3 led its __consumer_offsets partition and loaded the group at 31.000s');
    expect(wait).toContain('no controller was active from 10.500s to 25.000s, so nobody could elect a new leader for its __consumer_offsets partition');
  });

  it("says nothing of a member's pause that its session outlived (it polled again before anyone rejoined)", () => {
    const records: TraceRecord[] = [
      generation(3, 1),
      { kind: 'node.pause', at: at(10), node: 'consumer-c1-1', until: at(12) },
      op(12.1, 'c1-1', 'poll', { generation: 1, records: [] }),
      node(40, 'node.start', 'consumer-c1-3'),
      generation(40.5, 2),
    ];
    expect(rebalanceWaits(records, 'g1', all).size).toBe(0);
  });

  it("puts the wait under the generation line of a group violation's story", () => {
    const records: TraceRecord[] = [
      op(3.1, 'c1-1', 'assign', { generation: 1, partitions: ['orders-0'], added: ['orders-0'] }),
      generation(3, 1),
      node(12, 'node.crash', 'consumer-c1-1'),
      generation(22, 2, 'CompletingRebalance', 2, 1),
      op(22.1, 'c1-2', 'assign', { generation: 2, partitions: ['orders-0'], added: ['orders-0'] }),
    ];
    const lines = explainViolation(records, { kind: 'reprocessed', message: 'x', details: { group: 'g1', partition: 'orders-0', offsets: [0] } }).map((l) => l.text);
    const i = lines.indexOf('the coordinator (broker-2) moved g1 to generation 2 (CompletingRebalance, 1 member)');
    expect(i).toBeGreaterThan(0);
    expect(lines[i + 1]).toMatch(/^that rebalance took 10\.0s from 12\.000s: c1-1 crashed at 12\.000s without a LeaveGroup, so the coordinator kept it in the group until session\.timeout\.ms passed/);
  });
});
