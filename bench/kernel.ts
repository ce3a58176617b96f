/**
 * Kernel benchmark: the classic hold model. N events are pending; each, when it fires,
 * reschedules itself after a uniform random delay. Three contenders run the same workload
 * with the same delay stream:
 *  - kernel:  src/sim/scheduler.ts, with FIFO tie-breaking, cancellable handles and run options;
 *  - ceiling: a bare typed-array min-heap popping closures, with none of those features;
 *  - peer:    @sinonjs/fake-timers driving the same closures through its virtual clock.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { Scheduler } from '../src/sim/scheduler.js';
import type { Duration, Time } from '../src/sim/time.js';
import { bestOf, fmtRate, parseBenchArgs, printTable, round, xorshift } from './harness.js';

const MAX_DELAY = 1000;

function kernelHold(pending: number, events: number): number {
  const s = new Scheduler(pending * 2);
  const next = xorshift(12345);
  const fns: (() => void)[] = [];
  for (let i = 0; i < pending; i++) {
    const fn = (): void => {
      s.after((1 + (next() % MAX_DELAY)) as Duration, fn);
    };
    fns.push(fn);
  }
  for (const fn of fns) s.at((1 + (next() % MAX_DELAY)) as Time, fn);
  return bestOf(3, () => {
    s.run({ maxEvents: events });
  });
}

/** The ceiling: a min-heap of (time, closure) in a Float64Array and an array, nothing else. */
class BareHeap {
  times = new Float64Array(1024);
  fns: (() => void)[] = [];
  size = 0;
  now = 0;

  push(t: number, fn: () => void): void {
    if (this.size === this.times.length) {
      const bigger = new Float64Array(this.size * 2);
      bigger.set(this.times);
      this.times = bigger;
    }
    let i = this.size++;
    const times = this.times;
    const fns = this.fns;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p] <= t) break;
      times[i] = times[p];
      fns[i] = fns[p];
      i = p;
    }
    times[i] = t;
    fns[i] = fn;
  }

  pop(): () => void {
    const times = this.times;
    const fns = this.fns;
    const top = fns[0];
    this.now = times[0];
    const last = --this.size;
    const t = times[last];
    const f = fns[last];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && times[c + 1] < times[c]) c++;
      if (t <= times[c]) break;
      times[i] = times[c];
      fns[i] = fns[c];
      i = c;
    }
    times[i] = t;
    fns[i] = f;
    return top;
  }
}

function ceilingHold(pending: number, events: number): number {
  const h = new BareHeap();
  const next = xorshift(12345);
  for (let i = 0; i < pending; i++) {
    const fn = (): void => {
      h.push(h.now + 1 + (next() % MAX_DELAY), fn);
    };
    h.push(1 + (next() % MAX_DELAY), fn);
  }
  return bestOf(3, () => {
    for (let e = 0; e < events; e++) h.pop()();
  });
}

function peerHold(pending: number, events: number): number {
  const clock = FakeTimers.createClock(0, Number.MAX_SAFE_INTEGER);
  const next = xorshift(12345);
  for (let i = 0; i < pending; i++) {
    const fn = (): void => {
      clock.setTimeout(fn, 1 + (next() % MAX_DELAY));
    };
    clock.setTimeout(fn, 1 + (next() % MAX_DELAY));
  }
  return bestOf(3, () => {
    for (let e = 0; e < events; e++) clock.next();
  });
}

export interface KernelFigures {
  readonly pending: number;
  readonly eventsPerSec: number;
  readonly ceilingPerSec: number;
  readonly peerPerSec: number;
}

export function measureKernel(pending: number, events: number, peerEvents: number): KernelFigures {
  // Warm up every contender so the JIT has compiled all three before any is timed.
  kernelHold(pending, 20_000);
  ceilingHold(pending, 20_000);
  peerHold(pending, 2_000);
  return {
    pending,
    eventsPerSec: events / kernelHold(pending, events),
    ceilingPerSec: events / ceilingHold(pending, events),
    peerPerSec: peerEvents / peerHold(pending, peerEvents),
  };
}

/** The bare event rate other benchmarks compare against (1,000 pending). */
export function kernelCeilingRate(events = 2_000_000): number {
  ceilingHold(1000, 20_000);
  return events / ceilingHold(1000, events);
}

export function main(argv: readonly string[]): void {
  const args = parseBenchArgs(argv);
  const events = Number(args.options.get('events') ?? 10_000_000);
  const sizes = [10, 1_000, 100_000];
  const figures = sizes.map((n) => measureKernel(n, events, n >= 100_000 ? 200_000 : 1_000_000));
  const rows: (string | number)[][] = [['pending', 'kernel', 'ceiling', 'ratio', 'fake-timers', 'vsPeer']];
  for (const f of figures) {
    rows.push([
      f.pending,
      fmtRate(f.eventsPerSec),
      fmtRate(f.ceilingPerSec),
      round(f.eventsPerSec / f.ceilingPerSec, 2),
      fmtRate(f.peerPerSec),
      round(f.eventsPerSec / f.peerPerSec, 1),
    ]);
  }
  console.log(`kernel: hold model, ${events.toLocaleString('en')} events per contender (best of 3)`);
  printTable(rows);
  const mid = figures[1];
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'kernel',
        eventsPerSec: Math.round(mid.eventsPerSec),
        ceilingPerSec: Math.round(mid.ceilingPerSec),
        ratio: round(mid.eventsPerSec / mid.ceilingPerSec),
        peerPerSec: Math.round(mid.peerPerSec),
        vsPeer: round(mid.eventsPerSec / mid.peerPerSec, 2),
      }),
    );
  }
}
