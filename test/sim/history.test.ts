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
