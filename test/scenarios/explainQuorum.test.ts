/**
 * `explain` tells the controller quorum's story: elections, step-downs, resignations, and
 * how long no controller was active; in a partition's story, the active controller's crash
 * and the gap with none, which is why an election waited.
 */
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { explainViolation, formatTimeline } from '../../src/scenarios/explain.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import { QuorumNarrator } from '../../src/scenarios/explainQuorum.js';
import { timeline } from '../../src/scenarios/timeline.js';

function story(scenario: Scenario, kind: string): string[] {
  const r = runScenario(scenario, { keepTrace: true });
  const v = r.violations.find((x) => x.kind === kind);
  if (v === undefined) throw new Error(`no ${kind} in ${scenario.name}: ${r.violations.map((x) => x.kind).join(', ')}`);
  return formatTimeline(explainViolation(r.simulation.memory?.records ?? [], v));
}

const lesson = (name: string): Scenario => {
  const e = libraryEntries().find((x) => x.name === name);
  if (e === undefined) throw new Error(`no lesson ${name}`);
  return e.scenario;
};

/** The index of the first line matching `re`, failing when none does. */
function lineOf(lines: readonly string[], re: RegExp): number {
  const i = lines.findIndex((l) => re.test(l));
  expect(i, `${re} in\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe('explain narrates the controller quorum', () => {
  it('controller-rejoin-no-prevote: the cut-off voter stands again and again, the healthy leader steps down, and 1.259 s pass with no active controller', () => {
    const lines = story(lesson('controller-rejoin-no-prevote'), 'disruptive-election');
    const order = [
      /controller-3 is the active controller \(epoch 1\)/,
      /network partition away: controller-2 cut off from the rest/,
      /controller-2 stood for election in epoch 2: it had heard nothing from the leader/,
      /✗ disruptive-election here/,
      /network partition away healed/,
      /controller-3, leader of epoch 1, saw epoch 8 and stepped down/,
      /controller-1 won the election: the quorum's leader in epoch 9/,
      /controller-2 had stood again and again: 8 elections, epochs 2 to 9, none won/,
      /controller-1 is the active controller \(epoch 9\), after 1\.259s with none since controller-3 stopped being active at 17\.741s: meanwhile no partition leader or ISR could change/,
    ].map((re) => lineOf(lines, re));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatch(/^→ disruptive-election: /);
  });

  it('controller-stale-no-check-quorum: two controllers believe they are active, the successor fences the broker, the old one steps down only after the heal', () => {
    const lines = story(lesson('controller-stale-no-check-quorum'), 'stale-controller');
    const order = [
      /network partition minority: controller-3, broker-1 cut off from the rest/,
      /controller-2 is the active controller \(epoch 2\); controller-3 still believes it is active in an older epoch/,
      /an active controller fenced broker-1/,
      /✗ stale-controller here/,
      /network partition minority healed/,
      /controller-3, leader of epoch 1, saw epoch 2 and stepped down/,
    ].map((re) => lineOf(lines, re));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('controller-no-majority: two controllers crash, the survivor resigns, the broker dies with nobody to fence it until the majority is back', () => {
    const lines = story(lesson('controller-no-majority'), 'frozen-leadership');
    const order = [
      /controller-3 is the active controller \(epoch 1\)/,
      /fault: crash controller-1/,
      /fault: crash controller-2/,
      /controller-3 resigned in epoch 1: .*check-quorum/,
      /fault: crash broker-1/,
      /✗ frozen-leadership here: orders-0 kept its dead leader broker-1 for 15\.0 s/,
      /fault: restart controller-1, controller-2/,
      /controller-3 is the active controller \(epoch 2\), after .* with none since/,
      /an active controller fenced broker-1/,
    ].map((re) => lineOf(lines, re));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatch(/^→ frozen-leadership: /);
  });

  it('controller-stale-check-quorum: the cut-off leader resigns (check-quorum) and stops acting long before a broker could be fenced', () => {
    const r = runScenario(lesson('controller-stale-check-quorum'), { keepTrace: true });
    expect(r.violations).toEqual([]);
    const t = timeline();
    const narrator = new QuorumNarrator(t.say, 'full');
    for (const rec of r.simulation.memory?.records ?? []) narrator.see(rec);
    const lines = t.lines.map((l) => l.text);
    lineOf(lines, /controller-3 resigned in epoch 1: .*check-quorum, KAFKA-15489/);
    // Resigned, it stops acting as the active controller when its next write fails
    // (NotLeaderException: QuorumController renounces; its listener hears no leader change
    // in its own epoch, ListenerContext.shouldFireLeaderChange), before its successor could
    // fence broker-1: broker.session.timeout.ms (9 s) after the successor became active.
    const resigned = t.lines.find((l) => /controller-3 resigned in epoch 1/.test(l.text));
    const successor = t.lines.find((l) => /controller-2 is the active controller \(epoch 2\)/.test(l.text));
    const stopped = t.lines.find((l) => /controller-3 is no longer the active controller/.test(l.text));
    expect(stopped?.at).toBeGreaterThan(resigned?.at ?? Infinity);
    expect(stopped?.at).toBeLessThan((successor?.at ?? 0) + 9_000_000);
  });

  it("in a partition's story: the active controller's crash and the time with none, why the election waited", () => {
    const s = parseScenario(`
name: controller-down-then-leader-down
seed: 3
duration: 30s
cluster:
  brokers: 3
  controllers: 1
  config: { min.insync.replicas: 1, unclean.leader.election.enable: false }
  network: { latency: { dist: uniform, min: 1ms, max: 20ms } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: "1", enable.idempotence: false, linger.ms: 5 }, workload: { rate: 5000/s, keys: 100, valueBytes: 100, start: 0s, stop: 25s } }
faults:
  - { at: 10s, action: crash, target: leader(orders-0) }
  - { at: 10500ms, action: crash, target: controller }
  - { at: 16s, action: restart, target: controller }
checks: [lost-write]
`);
    const lines = story(s, 'lost-write');
    const crash = lineOf(lines, /controller-1, the active controller, crashed/);
    const back = lineOf(lines, /controller-1 is the active controller \(epoch \d+\), after [\d.]+s with none since controller-1 crashed at 10\.500s: meanwhile no partition leader or ISR could change/);
    const elected = lineOf(lines, /the controller elected broker-\d leader of orders-0/);
    expect(crash).toBeLessThan(back);
    expect(back).toBeLessThan(elected);
  });
});
