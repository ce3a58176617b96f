import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Scheduler, type TimerHandle } from '../../src/sim/scheduler.js';
import { compareNumbers } from '../../src/sim/order.js';
import type { Duration, Time } from '../../src/sim/time.js';

/**
 * A random timer program, as data: each root timer has a delay, and when a timer fires it
 * may schedule children (nested scheduling) and cancel other timers by label.
 */
interface TimerSpec {
  readonly delay: number;
  readonly children: readonly TimerSpec[];
  readonly cancels: readonly number[];
}

const timerSpec: fc.Arbitrary<TimerSpec> = fc.letrec<{ spec: TimerSpec }>((tie) => ({
  spec: fc.record({
    delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 })),
    children: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'timers' },
      fc.constant([]),
      fc.array(tie('spec'), { maxLength: 3, depthIdentifier: 'timers' }),
    ),
    cancels: fc.array(fc.nat(200), { maxLength: 2 }),
  }),
})).spec;

interface Fired {
  readonly label: number;
  readonly time: number;
  readonly seq: number;
}

function runProgram(roots: readonly TimerSpec[], rootCancels: readonly number[]) {
  const s = new Scheduler(16); // small, so growth paths run
  const handles: TimerHandle[] = [];
  const scheduledAt: number[] = [];
  const seqOf: number[] = [];
  const cancelled = new Set<number>();
  const firedSet = new Set<number>();
  const fired: Fired[] = [];
  let seq = 0;

  const schedule = (spec: TimerSpec): void => {
    const label = handles.length;
    const mySeq = seq++;
    scheduledAt.push(s.now + spec.delay);
    seqOf.push(mySeq);
    handles.push(
      s.after(spec.delay as Duration, () => {
        firedSet.add(label);
        fired.push({ label, time: s.now, seq: mySeq });
        for (const child of spec.children) schedule(child);
        for (const c of spec.cancels) cancelOne(c);
      }),
    );
  };
  const cancelOne = (c: number): void => {
    if (handles.length === 0) return;
    const label = c % handles.length;
    const wasPending = !firedSet.has(label) && !cancelled.has(label);
    expect(s.cancel(handles[label])).toBe(wasPending);
    if (wasPending) cancelled.add(label);
  };

  for (const root of roots) schedule(root);
  for (const c of rootCancels) cancelOne(c);
  s.run();
  return { fired, cancelled, scheduledAt, handles, scheduler: s };
}

describe('Scheduler', () => {
  it('fires in time order, FIFO among equal times, and never fires a cancelled event', () => {
    fc.assert(
      fc.property(fc.array(timerSpec, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(50), { maxLength: 4 }), (roots, cancels) => {
        const { fired, cancelled, scheduledAt, handles, scheduler } = runProgram(roots, cancels);
        for (let i = 1; i < fired.length; i++) {
          const a = fired[i - 1];
          const b = fired[i];
          expect(b.time).toBeGreaterThanOrEqual(a.time);
          if (a.time === b.time) expect(b.seq).toBeGreaterThan(a.seq);
        }
        for (const f of fired) {
          expect(cancelled.has(f.label)).toBe(false);
          expect(f.time).toBe(scheduledAt[f.label]);
        }
        // Every event was either fired exactly once or cancelled.
        const firedLabels = fired.map((f) => f.label).sort(compareNumbers);
        expect(new Set(firedLabels).size).toBe(firedLabels.length);
        expect(firedLabels.length + cancelled.size).toBe(handles.length);
        expect(scheduler.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('matches a sorted reference model for flat programs with random cancellation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 100 }), cancel: fc.boolean(), withArg: fc.boolean() }), { maxLength: 200 }),
        (events) => {
          const s = new Scheduler(16);
          const order: number[] = [];
          const record = (i: number): void => {
            order.push(i);
          };
          // atWith events (a function and its argument) order and cancel like plain ones.
          const handles = events.map((e, i) => (e.withArg ? s.atWith(e.at as Time, record, i) : s.at(e.at as Time, () => record(i))));
          events.forEach((e, i) => {
            if (e.cancel) s.cancel(handles[i]);
          });
          s.run();
          const expected = events
            .map((e, i) => ({ ...e, i }))
            .filter((e) => !e.cancel)
            .sort((a, b) => a.at - b.at || a.i - b.i)
            .map((e) => e.i);
          expect(order).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sweeps cancelled entries out of the heap without losing or reordering live ones', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(1_000), cancel: fc.boolean() }), { minLength: 600, maxLength: 2_000 }), (events) => {
        const s = new Scheduler(16);
        const order: number[] = [];
        const handles = events.map((e, i) => s.at(e.at as Time, () => order.push(i)));
        let live = events.length;
        events.forEach((e, i) => {
          if (e.cancel || i % 5 !== 0) {
            expect(s.cancel(handles[i])).toBe(true);
            live--;
          }
          expect(s.pending).toBe(live);
        });
        s.run();
        const expected = events
          .map((e, i) => ({ ...e, i }))
          .filter((e) => !(e.cancel || e.i % 5 !== 0))
          .sort((a, b) => a.at - b.at || a.i - b.i)
          .map((e) => e.i);
        expect(order).toEqual(expected);
        expect(s.pending).toBe(0);
      }),
      { numRuns: 30 },
    );
  });

  it('cancels by tag, keeping the heap order of the rest', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(100), tag: fc.integer({ min: 0, max: 3 }) }), { maxLength: 100 }), fc.integer({ min: 1, max: 3 }), (events, tag) => {
        const s = new Scheduler(16);
        const order: number[] = [];
        events.forEach((e, i) => s.at(e.at as Time, () => order.push(i), e.tag));
        const removed = s.cancelTagged(tag);
        expect(removed).toBe(events.filter((e) => e.tag === tag).length);
        s.run();
        const expected = events
          .map((e, i) => ({ ...e, i }))
          .filter((e) => e.tag !== tag)
          .sort((a, b) => a.at - b.at || a.i - b.i)
          .map((e) => e.i);
        expect(order).toEqual(expected);
      }),
    );
  });

  it('stops at until, maxEvents and stopWhen, and leaves the clock at until', () => {
    const s = new Scheduler();
    let count = 0;
    const tick = (): void => {
      count++;
      s.after(10 as Duration, tick);
    };
    s.at(0 as Time, tick);
    expect(s.run({ until: 95 as Time })).toEqual({ reason: 'until', events: 10 });
    expect(s.now).toBe(95);
    expect(s.run({ maxEvents: 3 })).toEqual({ reason: 'maxEvents', events: 3 });
    expect(s.run({ stopWhen: () => count >= 20 })).toEqual({ reason: 'stopped', events: 7 });
    expect(s.now).toBe(190);
    expect(s.eventsFired).toBe(20);
  });

  it('runs to idle, advancing to until when given', () => {
    const s = new Scheduler();
    s.at(5 as Time, () => {});
    expect(s.run({ until: 1_000 as Time })).toEqual({ reason: 'idle', events: 1 });
    expect(s.now).toBe(1_000);
    expect(s.step()).toBe(false);
  });

  it('refuses to schedule in the past', () => {
    const s = new Scheduler();
    s.at(10 as Time, () => expect(() => s.at(9 as Time, () => {})).toThrow(RangeError));
    s.run();
    expect(() => s.after(-1 as Duration, () => {})).toThrow(RangeError);
  });

  it('treats a handle whose slot was reused as stale', () => {
    const s = new Scheduler();
    let fired = 0;
    const first = s.at(1 as Time, () => {});
    s.run();
    const second = s.at(2 as Time, () => fired++); // reuses the first event's slot
    expect(s.cancel(first)).toBe(false);
    s.run();
    expect(fired).toBe(1);
    expect(s.cancel(second)).toBe(false);
  });
});

describe('what a cancelled event lets go of', () => {
  it("a cancelled event's argument is not held until its time comes (a crashed node's timers an hour out held its whole state)", async () => {
    const s = new Scheduler(16);
    const later = (): void => undefined;
    s.afterWith(1 as Duration, later, undefined); // keeps the heap's top live, so the cancelled entry stays in the heap
    const ref = ((): WeakRef<object> => {
      const state = { logs: new Array<number>(1000).fill(7) };
      const handle = s.afterWith(3_600_000_000 as Duration, (st: { logs: number[] }) => void st.logs.push(1), state);
      expect(s.cancel(handle)).toBe(true);
      return new WeakRef(state);
    })();
    expect(s.pending).toBe(1);
    const { isCollected } = await import('../helpers/collectable.js');
    expect(await isCollected(ref)).toBe(true);
  });
});
