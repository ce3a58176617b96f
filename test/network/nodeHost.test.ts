import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetWorld, msg } from '../helpers/netWorld.js';
import { LocalClock } from '../../src/network/localClock.js';
import { NodeHost } from '../../src/network/nodeHost.js';
import type { Duration, Time } from '../../src/sim/time.js';

const ms = (n: number): Duration => (n * 1000) as Duration;
const at = (n: number): Time => (n * 1000) as Time;

/** A node with volatile state that a crash must erase. */
class Counter {
  count = 0;
  timersFired = 0;
  received: number[] = [];
}

describe('NodeHost: crash and restart', () => {
  it('drops in-flight messages and cancels every timer of the crashed incarnation', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 100 }),
        (seed, timerDelays, crashAtMs) => {
          const w = new NetWorld(seed, { defaultLink: { latency: { dist: 'uniform', min: ms(1), max: ms(20) } } });
          const fired: { inc: number; at: number }[] = [];
          const received: { inc: number; at: number }[] = [];
          const target = w.add('target', (ctx) => {
            return {
              onStart() {
                for (const d of timerDelays) ctx.after(ms(d), () => fired.push({ inc: ctx.incarnation, at: w.sim.now }));
              },
              onMessage() {
                received.push({ inc: ctx.incarnation, at: w.sim.now });
              },
            };
          });
          const sender = w.add('sender');
          for (let i = 0; i < 50; i++) w.sim.scheduler.at(at(i * 2), () => sender.ctx().send('target', msg('M', i)));
          w.sim.scheduler.at(at(crashAtMs), () => target.host.crash('process'));
          w.sim.run({ until: at(500) });
          // Nothing reached or fired in the dead incarnation after the crash instant.
          expect(fired.filter((f) => f.at > at(crashAtMs))).toEqual([]);
          expect(received.filter((r) => r.at > at(crashAtMs))).toEqual([]);
          expect(target.host.state).toBe('down');
          expect(w.sim.scheduler.pending).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('restarts from the durable state alone: no volatile field survives', () => {
    const w = new NetWorld();
    const incarnations: Counter[] = [];
    const node = w.add('node', (ctx) => {
      const state = new Counter();
      incarnations.push(state);
      return {
        onStart() {
          ctx.after(ms(1), () => state.timersFired++);
        },
        onMessage(_from, m) {
          state.count++;
          state.received.push(m.n as number);
        },
      };
    });
    const sender = w.add('sender');
    for (let i = 0; i < 5; i++) w.sim.scheduler.at(at(i), () => sender.ctx().send('node', msg('M', i)));
    w.sim.run();
    expect(incarnations[0].count).toBe(5);
    node.host.crash('process');
    node.host.restart();
    expect(incarnations).toHaveLength(2);
    // The new incarnation is a fresh object, equal to one that was never used.
    expect(incarnations[1]).toEqual(new Counter());
    expect(node.host.incarnation).toBe(2);
    expect(node.host.durable.starts).toBe(2); // the durable state did survive
    w.sim.run();
    expect(incarnations[1].timersFired).toBe(1);
    expect(incarnations[0].timersFired).toBe(1);
  });

  it('tells disks which kind of crash happened', () => {
    const w = new NetWorld();
    const heard: string[] = [];
    const device = { onProcessCrash: () => heard.push('process'), onPowerLoss: () => heard.push('power') };
    const host = new NodeHost({ id: 'disked', durable: {}, devices: [device], factory: () => ({}) });
    w.net.addHost(host);
    host.start();
    host.crash('process');
    host.restart();
    host.crash('power');
    expect(heard).toEqual(['process', 'power']);
    expect(host.crash('power')).toBe(false); // already down
  });
});

describe('NodeHost: pause', () => {
  it('queues deliveries and timers while paused and runs them, in order, on resume', () => {
    const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: ms(1) } } });
    const events: string[] = [];
    const node = w.add('node', (ctx) => ({
      onStart() {
        ctx.after(ms(20), () => events.push(`timer@${w.sim.now / 1000}`));
      },
      onMessage(_from, m) {
        events.push(`msg${m.n}@${w.sim.now / 1000}`);
      },
    }));
    const sender = w.add('sender');
    w.sim.scheduler.at(at(10), () => node.host.pause(ms(40)));
    w.sim.scheduler.at(at(14), () => sender.ctx().send('node', msg('M', 1)));
    w.sim.scheduler.at(at(30), () => sender.ctx().send('node', msg('M', 2)));
    w.sim.scheduler.at(at(60), () => sender.ctx().send('node', msg('M', 3)));
    w.sim.run();
    expect(events).toEqual(['msg1@50', 'timer@50', 'msg2@50', 'msg3@61']);
    expect(node.host.paused).toBe(false);
  });

  it('makes a zombie: a paused node resumes with its old state and acts on it', () => {
    const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: ms(1) } } });
    const got: string[] = [];
    w.add('broker', () => ({ onMessage: (from, m) => got.push(`${from}:${m.note}@${w.sim.now / 1000}`) }));
    const zombie = w.add('zombie', (ctx) => ({
      onStart() {
        ctx.after(ms(100), () => ctx.send('broker', { type: 'Commit', bytes: 10, note: 'stale' }));
      },
    }));
    w.sim.scheduler.at(at(50), () => zombie.host.pause(ms(1_000)));
    w.sim.run();
    expect(got).toEqual(['zombie:stale@1051']);
  });

  it('loses queued work if the paused node crashes', () => {
    const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: ms(1) } } });
    const got: number[] = [];
    const node = w.add('node', () => ({ onMessage: (_f, m) => got.push(m.n as number) }));
    const sender = w.add('sender');
    node.host.pause(ms(100));
    w.sim.scheduler.at(at(1), () => sender.ctx().send('node', msg('M', 1)));
    w.sim.scheduler.at(at(50), () => node.host.crash('process'));
    w.sim.run();
    expect(got).toEqual([]);
    expect(node.host.state).toBe('down');
  });
});

describe('NodeHost: shutdown', () => {
  /** A node whose shutdown takes `stopAfter` ms of its own work, counting timer ticks meanwhile. */
  function stopper(w: NetWorld, stopAfter: number) {
    const ticks: number[] = [];
    const node = w.add('node', (ctx) => {
      const tick = (): void => {
        ticks.push(w.sim.now);
        ctx.after(ms(10), tick);
      };
      return {
        onStart: () => ctx.after(ms(10), tick),
        onShutdown: (exit) => void ctx.after(ms(stopAfter), exit),
      };
    });
    return { node, ticks };
  }

  it('runs the process\'s own shutdown and goes down only when it exits, cancelling its timers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 300 }), (stopAfter, askAt) => {
        const w = new NetWorld();
        const { node, ticks } = stopper(w, stopAfter);
        w.sim.scheduler.at(at(askAt), () => expect(node.host.shutdown()).toBe(true));
        w.sim.run({ until: at(1_000) });
        const stopped = w.records('node.stop');
        expect(w.records('node.shutdown').map((r) => r.at)).toEqual([at(askAt)]);
        expect(stopped.map((r) => r.at)).toEqual([at(askAt + stopAfter)]);
        // It kept working until it exited, and not after.
        expect(ticks.every((t) => t <= at(askAt + stopAfter))).toBe(true);
        for (let t = Math.floor(askAt / 10) * 10 + 10; t < askAt + stopAfter; t += 10) expect(ticks).toContain(at(t));
        expect(node.host.state).toBe('down');
        expect(w.records('node.crash')).toEqual([]);
        expect(w.sim.scheduler.pending).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('stops a process without a shutdown handler at once, and refuses a second request or one to a down node', () => {
    const w = new NetWorld();
    const node = w.add('node');
    w.sim.run();
    expect(node.host.shutdown()).toBe(true);
    expect(node.host.shutdown()).toBe(false);
    expect(node.host.stopping).toBe(true);
    w.sim.run();
    expect(node.host.state).toBe('down');
    expect(node.host.stopping).toBe(false);
    expect(node.host.shutdown()).toBe(false);
  });

  it('a restart asked for while stopping starts the node as soon as it exits', () => {
    const w = new NetWorld();
    const { node } = stopper(w, 50);
    w.sim.scheduler.at(at(100), () => node.host.shutdown());
    w.sim.scheduler.at(at(120), () => expect(node.host.restart()).toBe(true));
    w.sim.run({ until: at(300) });
    expect(w.records('node.stop').map((r) => r.at)).toEqual([at(150)]);
    expect(w.records('node.start').map((r) => [r.at, r.incarnation])).toEqual([
      [0, 1],
      [at(150), 2],
    ]);
    expect(node.host.state).toBe('up');
  });

  it('a paused process hears the signal when it resumes; a crash while stopping ends it without a clean exit', () => {
    const w = new NetWorld();
    const { node } = stopper(w, 50);
    w.sim.scheduler.at(at(100), () => node.host.pause(ms(200)));
    w.sim.scheduler.at(at(150), () => node.host.shutdown());
    w.sim.run({ until: at(1_000) });
    expect(w.records('node.stop').map((r) => r.at)).toEqual([at(350)]);

    const w2 = new NetWorld();
    const two = stopper(w2, 50);
    w2.sim.scheduler.at(at(100), () => two.node.host.shutdown());
    w2.sim.scheduler.at(at(110), () => two.node.host.restart());
    w2.sim.scheduler.at(at(120), () => two.node.host.crash('process'));
    w2.sim.run({ until: at(1_000) });
    expect(w2.records('node.stop')).toEqual([]);
    // The crash also drops the restart that waited for the exit.
    expect(two.node.host.state).toBe('down');
    expect(two.node.host.incarnation).toBe(1);
  });
});

describe('LocalClock', () => {
  it('applies skew, drift and jumps to the reading and drift to timers', () => {
    const w = new NetWorld();
    const clock = new LocalClock(ms(5_000), 1_000); // 5s ahead, 0.1% fast
    const readings: number[] = [];
    const node = w.add(
      'node',
      (ctx) => ({
        onStart() {
          readings.push(ctx.now());
          ctx.after(ms(1_001), () => readings.push(ctx.now()));
        },
      }),
      [],
      clock,
    );
    w.sim.run();
    // 1001ms of local time pass in 1000ms of real time at +1000ppm.
    expect(w.sim.now).toBe(ms(1_000));
    expect(readings).toEqual([ms(5_000), ms(5_000) + ms(1_001)]);
    clock.jump(-ms(10_000) as Duration);
    expect(node.host.clock.read(w.sim.now)).toBe(ms(5_000) + ms(1_001) - ms(10_000));
    clock.setDrift(w.sim.now, 0);
    expect(clock.read((w.sim.now + ms(10)) as Time)).toBe(ms(5_000) + ms(1_001) - ms(10_000) + ms(10));
  });
});

