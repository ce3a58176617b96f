import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { History, type Op } from '../../src/sim/history.js';
import type { SendRef } from '../../src/sim/sendLog.js';
import { time } from '../../src/sim/time.js';
import { countSends, sendsOf } from '../../src/checkers/sends.js';
import { MemorySink, Trace } from '../../src/sim/trace.js';

/** One step of a random client history: a send starts or ends, or another operation happens. */
type Step = { kind: 'send'; partition: boolean } | { kind: 'end'; pick: number; outcome: 'ok' | 'fail' | 'info' } | { kind: 'other' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), partition: fc.boolean() }),
  fc.record({ kind: fc.constant('end' as const), pick: fc.nat(), outcome: fc.constantFrom('ok' as const, 'fail' as const, 'info' as const) }),
  fc.record({ kind: fc.constant('other' as const) }),
);

/** Plays `steps` into a History, and alongside into plain objects: what `ops` must equal. */
function play(steps: readonly Step[]): { history: History; expected: Op[]; trace: MemorySink } {
  let now = 0;
  const sink = new MemorySink();
  const clock = () => time(now);
  const history = new History(clock, new Trace(clock, [sink]));
  const expected: Op[] = [];
  const open: { ref: SendRef; invoke: Op; seq: number }[] = [];
  let seq = 0;
  for (const s of steps) {
    now += 7;
    if (s.kind === 'send') {
      const partition = s.partition ? `t-${seq % 3}` : undefined;
      const ref = history.invokeSend('p1', seq, partition);
      const value = partition === undefined ? { id: `p1#${seq}`, producer: 'p1', seq } : { id: `p1#${seq}`, partition, producer: 'p1', seq };
      const invoke: Op = { index: expected.length, process: 'p1', type: 'invoke', f: 'send', value, time: time(now) };
      expected.push(invoke);
      open.push({ ref, invoke, seq: seq++ });
    } else if (s.kind === 'end' && open.length > 0) {
      const [{ ref, invoke, seq: n }] = open.splice(s.pick % open.length, 1);
      const partition = `t-${n % 3}`;
      const offset = s.outcome === 'ok' ? n * 2 : undefined;
      const error = s.outcome === 'ok' ? undefined : 'REQUEST_TIMED_OUT';
      history.completeSend(ref, s.outcome, partition, offset, error);
      const base = { index: expected.length, process: 'p1', type: s.outcome, f: 'send', value: offset === undefined ? { partition } : { offset, partition }, time: time(now), invokeIndex: invoke.index };
      expected.push(error === undefined ? base : { ...base, error });
    } else {
      const op = history.invoke('c1', 'poll', {});
      expected.push({ index: expected.length, process: 'c1', type: 'invoke', f: 'poll', value: {}, time: time(now) });
      expect(op.index).toBe(expected.length - 1);
    }
  }
  return { history, expected, trace: sink };
}

describe('History', () => {
  it('presents sends kept in columns as the same operations, in order, as objects would have been', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { history, expected, trace } = play(steps);
        expect(history.ops).toEqual(expected);
        expect(history.length).toBe(expected.length);
        expect(history.others).toEqual(expected.filter((o) => o.f !== 'send'));
        // The trace mirrors every line, in history order.
        expect(trace.records.map((r) => (r.kind === 'client.op' || r.kind === 'client.send' ? r.index : -1))).toEqual(expected.map((o) => o.index));
        // Pairing and counting read the columns consistently with the objects.
        const pairs = sendsOf(history);
        expect(pairs.map((p) => p.invoke)).toEqual(expected.filter((o) => o.f === 'send' && o.type === 'invoke'));
        for (const p of pairs) expect(p.completion?.invokeIndex ?? p.invoke.index).toBe(p.invoke.index);
        const ends = expected.filter((o) => o.f === 'send' && o.type !== 'invoke');
        expect(countSends(history)).toEqual({ produced: pairs.length, ok: ends.filter((o) => o.type === 'ok').length, fail: ends.filter((o) => o.type === 'fail').length, info: ends.filter((o) => o.type === 'info').length });
      }),
    );
  });

  it('refuses a send recorded as a generic operation, and a send completed twice', () => {
    const h = new History(() => time(0));
    expect(() => h.invoke('p1', 'send', {})).toThrow(/invokeSend/);
    const ref = h.invokeSend('p1', 0, 't-0');
    h.completeSend(ref, 'ok', 't-0', 0);
    expect(() => h.completeSend(ref, 'ok', 't-0', 0)).toThrow(/p1#0 completed twice/);
  });
});

/** One step of a consumer's history: a poll, a record processed (at once or later), a delayed one finishing, or a send between. */
type ConsumerStep =
  | { kind: 'poll'; member: number; records: number; isolation: boolean; idKind: number }
  | { kind: 'process'; member: number; immediate: boolean; stray: boolean }
  | { kind: 'finish'; pick: number }
  | { kind: 'send' };

const consumerStep: fc.Arbitrary<ConsumerStep> = fc.oneof(
  fc.record({ kind: fc.constant('poll' as const), member: fc.integer({ min: 1, max: 2 }), records: fc.integer({ min: 0, max: 4 }), isolation: fc.boolean(), idKind: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('process' as const), member: fc.integer({ min: 1, max: 2 }), immediate: fc.boolean(), stray: fc.boolean() }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('send' as const) }),
);

/** Plays consumer steps into a History and alongside into plain objects, as the consumer records them. */
function playConsumers(steps: readonly ConsumerStep[]): { history: History; expected: Op[]; polls: number; trace: MemorySink } {
  let now = 0;
  const sink = new MemorySink();
  const clock = () => time(now);
  const history = new History(clock, new Trace(clock, [sink]));
  const expected: Op[] = [];
  const lastPoll = new Map<string, { generation: number; records: [string, number, string | null][]; next: number }>();
  const open: { op: Op; value: object }[] = [];
  let offset = 0;
  let seq = 0;
  const push = (op: Op) => expected.push(op);
  for (const s of steps) {
    now += 7;
    if (s.kind === 'poll') {
      const member = `c-${s.member}`;
      const records: [string, number, string | null][] = Array.from({ length: s.records }, (_, k) => {
        const o = offset++;
        const id = [`p1#${o}`, null, `t-0@${o}`, `p1#0${o}`][(s.idKind + k) % 4];
        return [`t-${o % 2}`, o, id];
      });
      const generation = s.member + 1;
      const value = s.isolation ? { generation, isolation: 'read_committed', member, records } : { generation, member, records };
      const inv = history.invoke(member, 'poll', {});
      history.complete(inv, 'ok', value);
      push({ index: expected.length, process: member, type: 'invoke', f: 'poll', value: {}, time: time(now) });
      push({ index: expected.length, process: member, type: 'ok', f: 'poll', value, time: time(now), invokeIndex: expected.length - 1 });
      lastPoll.set(member, { generation, records, next: 0 });
    } else if (s.kind === 'process') {
      const member = `c-${s.member}`;
      const poll = lastPoll.get(member);
      const r = poll?.records[poll.next];
      // A stray value names no record of the member's last poll: it is kept as objects.
      const [partition, o, id] = s.stray || r === undefined ? ['t-9', 1e6 + offset++, 'p9#1'] : r;
      if (!s.stray && poll !== undefined && r !== undefined) poll.next++;
      const value = o % 3 === 0 ? { generation: poll?.generation ?? 0, id, key: `k${o % 5}`, member, offset: o, partition, tombstone: true } : { generation: poll?.generation ?? 0, id, key: o % 4 === 0 ? null : o % 4 === 1 ? id : `k${o % 5}`, member, offset: o, partition };
      const inv = history.invoke(member, 'process', value);
      const invoke: Op = { index: expected.length, process: member, type: 'invoke', f: 'process', value, time: time(now) };
      push(invoke);
      if (s.immediate) {
        history.complete(inv, 'ok', value);
        push({ index: expected.length, process: member, type: 'ok', f: 'process', value, time: time(now), invokeIndex: invoke.index });
      } else open.push({ op: inv, value });
    } else if (s.kind === 'finish' && open.length > 0) {
      const [{ op, value }] = open.splice(s.pick % open.length, 1);
      history.complete(op, 'ok', value);
      push({ index: expected.length, process: op.process, type: 'ok', f: 'process', value, time: time(now), invokeIndex: op.index });
    } else if (s.kind === 'send') {
      const ref = history.invokeSend('p1', seq, 't-0');
      push({ index: expected.length, process: 'p1', type: 'invoke', f: 'send', value: { id: `p1#${seq}`, partition: 't-0', producer: 'p1', seq }, time: time(now) });
      history.completeSend(ref, 'ok', 't-0', seq);
      push({ index: expected.length, process: 'p1', type: 'ok', f: 'send', value: { offset: seq, partition: 't-0' }, time: time(now), invokeIndex: expected.length - 1 });
      seq++;
    }
  }
  return { history, expected, polls: steps.filter((s) => s.kind === 'poll').length, trace: sink };
}

describe('History of consumers', () => {
  it('presents polls and processed records kept in columns as the same operations, in order, as objects would have been', () => {
    fc.assert(
      fc.property(fc.array(consumerStep, { maxLength: 80 }), (steps) => {
        const { history, expected, polls, trace } = playConsumers(steps);
        expect(history.ops).toEqual(expected);
        expect([...history.otherOps]).toEqual(expected.filter((o) => o.f !== 'send'));
        expect(history.others).toEqual(expected.filter((o) => o.f !== 'send'));
        // Every poll completed at once, so every one is a row of columns, not two objects.
        expect(history.consumed.pollCount).toBe(polls);
        // A record processed at once, named by its member's last poll, is a row too; strays and delayed ones are not.
        expect(history.consumed.processCount).toBe(steps.filter((s) => s.kind === 'process' && s.immediate && !s.stray).length - unmatched(steps));
        expect(trace.records.map((r) => (r.kind === 'client.op' || r.kind === 'client.send' ? r.index : -1))).toEqual(expected.map((o) => o.index));
      }),
    );
  });
});

/** Immediate, non-stray process steps that found no record left in their member's last poll (these play a stray value). */
function unmatched(steps: readonly ConsumerStep[]): number {
  const left = new Map<number, number>();
  let n = 0;
  for (const s of steps) {
    if (s.kind === 'poll') left.set(s.member, s.records);
    else if (s.kind === 'process' && !s.stray) {
      const l = left.get(s.member) ?? 0;
      if (l === 0) {
        if (s.immediate) n++;
      } else left.set(s.member, l - 1);
    }
  }
  return n;
}
