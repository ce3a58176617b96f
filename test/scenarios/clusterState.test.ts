import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenario, parseScenario } from '../../src/scenarios/loader.js';
import { libraryPath } from '../../src/scenarios/library.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { explainViolation } from '../../src/scenarios/explain.js';
import { watchRun, type ClusterState } from '../../src/scenarios/clusterState.js';
import { seconds, time } from '../../src/sim/time.js';

const DEEP = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';

function lesson(name: string): ReturnType<typeof loadScenario> {
  return loadScenario(libraryPath(name) as string);
}

/** The explain timeline of the run's first violation, with each line's instant in microseconds. */
function explained(name: string): { at: number; text: string }[] {
  const r = runScenario(lesson(name), { keepTrace: true });
  return explainViolation(r.simulation.memory?.records ?? [], r.violations[0]);
}

describe('clusterState', () => {
  const failover = lesson('acks1-leader-failover');
  const story = explained('acks1-leader-failover');
  // The records in question are in orders-2 since replica placement no longer follows the active
  // controller (one stream forked by topic, with 3 controllers by default); it was orders-0.
  const topicPartition = 'orders-2';

  it("shows at the leader's crash what explain says the followers had, and the crashed broker down", () => {
    const line = story.find((l) => new RegExp(`crashed .* while leader of ${topicPartition}`).test(l.text));
    const m = /^broker-(\d) crashed .*its log ended at \d+, the followers had broker-(\d) up to (\d+), broker-(\d) up to (\d+)/.exec(line?.text ?? '');
    expect(m).not.toBeNull();
    const [, crashed, f1, end1, f2, end2] = (m as RegExpExecArray).map(Number);
    const s = watchRun(failover).stateAt(time(line?.at ?? 0));
    const p = s.partitions.find((x) => x.name === topicPartition);
    expect(s.brokers.find((b) => b.id === crashed)?.state).toBe('down');
    // Explain tells a follower's log end as of its last append; the state reads the ones that are up.
    const followers = [[f1, end1], [f2, end2]].map(([b, end]) => ({ replica: p?.replicas.find((r) => r.broker === b), end }));
    const up = followers.filter((f) => f.replica?.state === 'up');
    expect(up.length).toBeGreaterThan(0);
    for (const f of up) expect(f.replica?.logEnd).toBe(f.end);
    for (const f of followers.filter((x) => x.replica?.state !== 'up')) expect(f.replica).toEqual({ broker: f.replica?.broker, state: 'down' });
    // The crashed leader's replica cannot be read while it is down.
    expect(p?.replicas.find((r) => r.broker === crashed)).toEqual({ broker: crashed, state: 'down' });
  });

  it('shows after the election the new leader, its epoch, the shrunken ISR and its log end as explain tells them', () => {
    // The last election: the first one (epoch 1, at 10.56 s) elects broker-1, which crashed at
    // 10 s but whose session the controller has not yet timed out, so its replica is down then.
    const line = story.findLast((l) => new RegExp(`the controller elected broker-\\d leader of ${topicPartition}`).test(l.text));
    const m = new RegExp(`elected broker-(\\d) leader of ${topicPartition} \\(epoch (\\d+)\\) from the ISR \\[([\\d,]+)\\]; its log ended at (\\d+)`).exec(line?.text ?? '');
    expect(m).not.toBeNull();
    const [, leader, epoch, isr, logEnd] = m as RegExpExecArray;
    const s = watchRun(failover).stateAt(time(line?.at ?? 0));
    const p = s.partitions.find((x) => x.name === topicPartition);
    expect(p).toMatchObject({ leader: Number(leader), leaderEpoch: Number(epoch), isr: isr.split(',').map(Number), source: 'controller' });
    expect(p?.isr.length).toBeLessThan(p?.replicas.length ?? 0);
    const replica = p?.replicas.find((r) => r.broker === Number(leader));
    expect(replica?.logEnd).toBe(Number(logEnd));
    expect(replica?.highWatermark).toBeLessThanOrEqual(Number(logEnd));
    expect(s.recent.at(-1)?.text).toMatch(/elected leader of orders-\d/);
  });

  it('is the same state for the same seed, and stopping to look does not change the run', () => {
    const a = watchRun(failover);
    const at = [seconds(5), seconds(12), seconds(14) + 50_000];
    const one = at.map((t) => JSON.stringify(a.stateAt(time(t))));
    const b = watchRun(failover);
    const two = JSON.stringify(b.stateAt(time(at[2])));
    expect(two).toBe(one[2]);
    a.run.runTo(a.run.end);
    b.run.runTo(b.run.end);
    expect(a.run.sim.fingerprint).toBe(b.run.sim.fingerprint);
    expect(a.run.sim.fingerprint).toBe(runScenario(failover).fingerprint);
  });

  it.runIf(DEEP)('stopping in the run, the drain and the quiesce of a run with transactions does not change it either', () => {
    const scenario = lesson('eos-kip890-on');
    const w = watchRun(scenario);
    const phases = [seconds(5), scenario.duration, scenario.duration + seconds(1), scenario.duration + scenario.drain, scenario.duration + scenario.drain + seconds(1)].map((t) => w.stateAt(time(t)).phase);
    expect(phases).toEqual(['run', 'run', 'drain', 'drain', 'quiesce']);
    w.run.runTo(w.run.end);
    expect(w.run.sim.fingerprint).toBe(runScenario(scenario).fingerprint);
  });

  it('marks as cut off only the node a partition isolates, and says whom each node cannot reach', () => {
    // unclean-election isolates follower(orders-0), broker-2, from 8 s to 14 s. (It was broker-3
    // with one controller and placement drawn by the active controller; now placement is one
    // stream forked by topic and the three default controllers are cut off from it too: 12 links.)
    const s = watchRun(lesson('unclean-election')).stateAt(time(seconds(10)));
    const nodes = [...s.controllers, ...s.brokers, ...s.producers];
    expect(nodes.filter((n) => n.cutOff).map((n) => n.node)).toEqual(['broker-2']);
    expect(s.brokers.find((b) => b.id === 2)?.cutOffFrom).toEqual(['controller-1', 'controller-2', 'controller-3', 'broker-1', 'broker-3', 'producer-p1']);
    expect(s.brokers.find((b) => b.id === 1)?.cutOffFrom).toEqual(['broker-2']);
    expect(s.recent.at(-1)?.text).toMatch(/ISR of orders-0 now \[1\]|network partition cut-follower cut 12 links/);
  });

  it('refuses a moment before the present or after the end', () => {
    const w = watchRun(lesson('unclean-election'));
    w.stateAt(time(seconds(2)));
    expect(() => w.stateAt(time(seconds(1)))).toThrow(/between/);
    expect(() => w.stateAt(time(w.run.end + 1))).toThrow(/run's end/);
  });

  it('property: at any moment every replica has log start <= high watermark <= log end, and every leader is in its ISR', () => {
    const scenario = lesson('unclean-election');
    const end = watchRun(scenario).run.end;
    const check = (s: ClusterState): void => {
      for (const p of s.partitions) {
        for (const r of p.replicas) {
          if (r.logEnd === undefined) continue;
          expect(r.logStart).toBeLessThanOrEqual(r.highWatermark as number);
          expect(r.highWatermark).toBeLessThanOrEqual(r.logEnd);
        }
        if (p.leader !== null) expect(p.isr).toContain(p.leader);
      }
    };
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: end }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 3 }), (moments, seed) => {
        const w = watchRun(scenario, { seed });
        for (const t of [...moments].sort((a, b) => a - b)) check(w.stateAt(time(t)));
      }),
      { numRuns: DEEP ? 60 : 4 },
    );
  });
});

describe('clusterState: a partition with no leader', () => {
  // The time comes from the metadata records the run wrote, not from the active controller's
  // memory, so it survives the controller's restart.
  const scenario = parseScenario(`
name: leaderless-since
duration: 30s
drain: 1s
cluster: { brokers: 2, config: { unclean.leader.election.enable: false } }
topics: [{ name: orders, partitions: 1, replication.factor: 1 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 10/s, stop: 25s } }
faults:
  - { at: 5s, action: crash, target: leader(orders-0) }
  - { at: 20s, action: crash, target: controller }
  - { at: 21s, action: restart, target: controller }
`);

  it('says since when, before and after a controller restart', () => {
    const watched = watchRun(scenario);
    const before = watched.stateAt(time(seconds(19))).partitions[0];
    expect(before.leader).toBeNull();
    expect(before.noLeaderSinceMs).toBeGreaterThan(5_000);
    expect(before.noLeaderSinceMs).toBeLessThan(19_000);
    const after = watched.stateAt(time(seconds(25))).partitions[0];
    expect(after.leader).toBeNull();
    expect(after.noLeaderSinceMs).toBe(before.noLeaderSinceMs);
  });
});
