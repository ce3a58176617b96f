import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetWorld, msg } from '../helpers/netWorld.js';
import { FaultInjector, matchesTrigger, type TimedFault } from '../../src/network/faults.js';
import { BasicTargetResolver, TargetSyntaxError, formatTarget, parseTarget, type FaultTarget, type TargetResolver } from '../../src/network/faultTarget.js';
import { generateNemesis, type NemesisConfig } from '../../src/network/nemesis.js';
import { Rng } from '../../src/sim/rng.js';
import type { Duration, Time } from '../../src/sim/time.js';

const ms = (n: number): Duration => (n * 1000) as Duration;
const at = (n: number): Time => (n * 1000) as Time;

describe('fault targets', () => {
  it('parses every symbolic form and prints it back', () => {
    const forms = ['broker-2', 'leader(orders-0)', 'follower(orders-12)', 'controller', 'coordinator(group g1)', 'coordinator(transaction tx-1)', 'client(p1)', 'member(c1, 2)', 'random-broker', 'all-brokers'];
    for (const f of forms) expect(formatTarget(parseTarget(f))).toBe(f);
    expect(parseTarget('member(c1,2)')).toEqual({ kind: 'member', client: 'c1', index: 2 });
    // A bare id names a group's coordinator, the common case.
    expect(parseTarget('coordinator(g1)')).toEqual({ kind: 'coordinator', of: 'group', id: 'g1' });
  });

  it('rejects malformed targets with a message naming them', () => {
    for (const bad of ['leader(orders)', 'coordinator(g 1)', 'coordinator()', 'member(c1)', 'broker 2', '', 'nope(x)']) {
      expect(() => parseTarget(bad)).toThrow(TargetSyntaxError);
    }
    expect(() => parseTarget('leader(orders)')).toThrow(/"leader\(orders\)"/);
  });
});

function world() {
  const w = new NetWorld(7, { defaultLink: { latency: { dist: 'fixed', value: ms(1) } } });
  for (const id of ['broker-1', 'broker-2', 'broker-3']) w.add(id, () => ({}), ['broker']);
  w.add('controller-1', () => ({}), ['controller']);
  return w;
}

/** The cluster layer's part of resolution, faked: broker-1 leads everything. */
const kafkaRoles: TargetResolver = {
  resolve(t: FaultTarget) {
    if (t.kind === 'leader') return t.partition === 'offline-0' ? [] : ['broker-1'];
    if (t.kind === 'controller') return ['controller-1'];
    return [];
  },
};

function inject(w: NetWorld, faults: TimedFault[]) {
  const injector = new FaultInjector(w.net, w.sim.scheduler, w.sim.trace, w.sim.rng.fork('faults'), new BasicTargetResolver(w.net, kafkaRoles));
  injector.schedule(faults);
  return injector;
}

describe('FaultInjector', () => {
  it('resolves targets when the fault fires and applies crash, restart, pause and clock', () => {
    const w = world();
    const injector = inject(w, [
      { at: at(10), fault: { action: 'crash', target: 'leader(orders-0)' } },
      { at: at(20), fault: { action: 'restart', target: 'broker-1' } },
      { at: at(30), fault: { action: 'pause', target: 'controller', for: ms(100) } },
      { at: at(40), fault: { action: 'clock', target: 'broker-3', jump: ms(5_000) } },
    ]);
    w.sim.run({ until: at(35) });
    expect(w.net.host('broker-1').incarnation).toBe(2);
    expect(w.net.host('controller-1').paused).toBe(true);
    w.sim.run();
    expect(w.net.host('broker-3').clock.read(w.sim.now)).toBe(w.sim.now + ms(5_000));
    expect(injector.stats).toEqual({ fired: 4, skipped: 0 });
    expect(w.records('node.crash').map((r) => r.node)).toEqual(['broker-1']);
  });

  it('fires a triggered fault right after the first matching trace record from its time on, once', () => {
    const w = world();
    const injector = inject(w, [
      { at: at(5), fault: { action: 'crash', target: 'broker-1' } },
      { at: at(10), fault: { action: 'restart', target: 'broker-1' } },
      { at: at(20), fault: { action: 'crash', target: 'broker-1' } },
      // Armed at 8 ms: the crash at 5 ms is too early, the one at 20 ms fires it; it fires once.
      { at: at(8), when: { event: 'node.crash', where: { node: 'broker-1' } }, fault: { action: 'crash', target: 'broker-2' } },
      // Never matches: it stays armed until the run cancels it.
      { at: at(0), when: { event: 'node.crash', where: { node: 'broker-9' } }, fault: { action: 'crash', target: 'broker-3' } },
    ]);
    w.sim.run({ until: at(30) });
    const crashes = w.records('node.crash').map((r) => [r.node, r.at]);
    expect(crashes).toEqual([
      ['broker-1', at(5)],
      ['broker-1', at(20)],
      ['broker-2', at(20)],
    ]);
    expect(injector.stats).toEqual({ fired: 4, skipped: 0 });
    expect(injector.cancelPending()).toBe(1);
  });

  it('matches a trigger field by field, a list field when it holds the value', () => {
    const record = { state: 'PrepareCommit', transactionalId: 't1-1', partitions: ['receipts-0', 'receipts-1'], producerEpoch: 3 };
    expect(matchesTrigger(record, {})).toBe(true);
    expect(matchesTrigger(record, { state: 'PrepareCommit', producerEpoch: 3 })).toBe(true);
    expect(matchesTrigger(record, { partitions: 'receipts-1' })).toBe(true);
    expect(matchesTrigger(record, { partitions: 'receipts-2' })).toBe(false);
    expect(matchesTrigger(record, { state: 'PrepareAbort' })).toBe(false);
    expect(matchesTrigger(record, { producerEpoch: '3' })).toBe(false);
    expect(matchesTrigger(record, { missing: true })).toBe(false);
  });

  it('records a fault whose target resolves to nothing, or which does not apply, as skipped', () => {
    const w = world();
    const injector = inject(w, [
      { at: at(1), fault: { action: 'crash', target: 'leader(offline-0)' } },
      { at: at(2), fault: { action: 'restart', target: 'broker-2' } }, // it is up
      { at: at(3), fault: { action: 'heal', name: 'never-applied' } },
      { at: at(4), fault: { action: 'crash', target: 'coordinator(group g1)' } },
      { at: at(5), fault: { action: 'disk', target: 'broker-1', fault: 'bitflip' } }, // no disk hook
    ]);
    w.sim.run();
    expect(injector.stats).toEqual({ fired: 0, skipped: 5 });
    expect(w.records('fault.skip').map((r) => r.reason)).toEqual([
      'target leader(offline-0) resolved to no node',
      'restart does not apply to broker-2 now',
      'no active fault named never-applied',
      'target coordinator(group g1) resolved to no node',
      'disk does not apply to broker-1 now',
    ]);
  });

  it("tells a skipped fault's position in the schedule and the nodes it did not apply to", () => {
    const w = world();
    inject(w, [
      { at: at(1), fault: { action: 'crash', target: 'broker-3' } },
      { at: at(2), fault: { action: 'crash', target: 'leader(offline-0)' } },
      { at: at(3), fault: { action: 'restart', target: 'broker-2' } }, // it is up
      { at: at(4), fault: { action: 'crash', target: 'broker-3' } }, // already down
    ]);
    w.sim.run();
    expect(w.records('fault.skip').map((r) => [r.index, r.action, r.nodes])).toEqual([
      [1, 'crash', []],
      [2, 'restart', ['broker-2']],
      [3, 'crash', ['broker-3']],
    ]);
  });

  it('partitions by groups with symbolic members, and heals by name', () => {
    const w = world();
    w.add('listener');
    inject(w, [
      { at: at(1), fault: { action: 'partition', name: 'split', groups: [['leader(orders-0)'], ['broker-2', 'broker-3', 'listener']] } },
      { at: at(50), fault: { action: 'heal', name: 'split' } },
    ]);
    w.sim.run({ until: at(2) });
    expect(w.net.partitions.isBlocked('broker-1', 'broker-2')).toBe(true);
    expect(w.net.partitions.isBlocked('broker-3', 'broker-1')).toBe(true);
    expect(w.net.partitions.isBlocked('broker-2', 'broker-3')).toBe(false);
    expect(w.net.partitions.isBlocked('controller-1', 'broker-1')).toBe(false); // in no group
    w.sim.run();
    expect(w.net.activeFaults()).toEqual([]);
  });

  it('degrades links with latency and loss until healed', () => {
    const w = world();
    const arrivals: number[] = [];
    w.add('sink', () => ({ onMessage: () => arrivals.push(w.sim.now) }));
    const src = w.add('src');
    inject(w, [
      { at: at(0), fault: { action: 'degrade', name: 'slow', between: ['src', 'sink'], latency: { dist: 'fixed', value: ms(40) } } },
      { at: at(100), fault: { action: 'heal', name: 'slow' } },
    ]);
    w.sim.scheduler.at(at(10), () => src.ctx().send('sink', msg('M')));
    w.sim.scheduler.at(at(200), () => src.ctx().send('sink', msg('M')));
    w.sim.run();
    expect(arrivals).toEqual([at(51), at(201)]);
  });

  it('degrades one direction only with oneWay', () => {
    const w = world();
    const arrivals: string[] = [];
    const a = w.add('a', () => ({ onMessage: () => arrivals.push(`a@${w.sim.now}`) }));
    const b = w.add('b', () => ({ onMessage: () => arrivals.push(`b@${w.sim.now}`) }));
    inject(w, [{ at: at(0), fault: { action: 'degrade', name: 'slow', oneWay: { from: 'a', to: 'b' }, latency: { dist: 'fixed', value: ms(40) } } }]);
    w.sim.scheduler.at(at(10), () => a.ctx().send('b', msg('M')));
    w.sim.scheduler.at(at(10), () => b.ctx().send('a', msg('M')));
    w.sim.run();
    expect(arrivals).toEqual([`a@${at(11)}`, `b@${at(51)}`]);
  });
});

describe('Nemesis', () => {
  const base = (over: Partial<NemesisConfig> = {}): NemesisConfig => ({
    kinds: ['crash', 'partition', 'pause', 'clock'],
    interval: [ms(500), ms(2_000)],
    maxDown: 1,
    targets: ['broker-1', 'broker-2', 'broker-3'],
    crashModes: ['process', 'power'],
    start: at(0),
    stop: at(60_000),
    ...over,
  });

  it('gives the same schedule for the same seed and another for another', () => {
    const a = generateNemesis(Rng.fromSeed(1).fork('nemesis'), base());
    expect(generateNemesis(Rng.fromSeed(1).fork('nemesis'), base())).toEqual(a);
    expect(generateNemesis(Rng.fromSeed(2).fork('nemesis'), base())).not.toEqual(a);
    expect(a.length).toBeGreaterThan(10);
  });

  it('never takes out more than maxDown targets at once, and ends every fault by stop', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 3, max: 6 }), (seed, maxDown, brokers) => {
        const targets = Array.from({ length: brokers }, (_, i) => `broker-${i + 1}`);
        const schedule = generateNemesis(Rng.fromSeed(seed), base({ maxDown, targets, kinds: ['crash', 'shutdown', 'partition', 'pause'] }));
        // Walk the schedule and count the targets it has out at each instant: crashed or shut
        // down until restarted, paused for their pause, cut off (isolated, or the first, minority group)
        // until their partition heals.
        const out = new Map<string, { until: number; by: string }>();
        let worst = 0;
        for (const { at: t, fault } of schedule) {
          for (const [id, o] of [...out]) if (o.until < t) out.delete(id);
          if (fault.action === 'crash' || fault.action === 'shutdown') out.set(fault.target, { until: Infinity, by: fault.action });
          if (fault.action === 'restart') out.delete(fault.target);
          if (fault.action === 'pause') out.set(fault.target, { until: t + fault.for, by: 'pause' });
          if (fault.action === 'partition') for (const id of fault.isolate !== undefined ? [fault.isolate] : (fault.groups?.[0] ?? [])) out.set(id, { until: Infinity, by: fault.name ?? '' });
          if (fault.action === 'heal') for (const [id, o] of [...out]) if (o.by === fault.name) out.delete(id);
          worst = Math.max(worst, out.size);
        }
        expect(worst).toBeLessThanOrEqual(maxDown);
        // Replayed in a real network, every fault applies and all is well at the end.
        const w = new NetWorld(seed);
        for (const id of targets) w.add(id, () => ({}), ['broker']);
        const injector = new FaultInjector(w.net, w.sim.scheduler, w.sim.trace, w.sim.rng, new BasicTargetResolver(w.net));
        injector.schedule(schedule);
        w.sim.run();
        expect(injector.stats.skipped).toBe(0);
        for (const id of targets) expect(w.net.host(id).state).toBe('up');
        expect(w.net.activeFaults()).toEqual([]);
        expect(schedule.every((f) => f.at < at(60_000))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
