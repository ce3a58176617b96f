/**
 * A former leader that restarts comes back resigned in its old epoch (QuorumState.initialize).
 * Since KAFKA-17333 (Kafka 3.9) KafkaRaftClient.pollListeners fires no leader change in the
 * resigned state, so QuorumController does not claim: ActiveControllerCount stays at one
 * while it learns the new leader. Before 3.9 it told its listener it led the old epoch, and
 * the controller claimed until it heard of the newer leader; `explain` names it as the stale one.
 */
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { QuorumNarrator } from '../../src/scenarios/explainQuorum.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import type { KafkaRelease } from '../../src/nodes/config/releases.js';
import { JMX } from '../../src/nodes/jmx.js';
import type { TraceRecord } from '../../src/sim/trace.js';

function failoverAt(version: KafkaRelease): Scenario {
  const e = libraryEntries().find((x) => x.name === 'controller-failover');
  if (e === undefined) throw new Error('no lesson controller-failover');
  return { ...e.scenario, cluster: { ...e.scenario.cluster, version } };
}

/** Claims (controller.active) in an epoch older than one claimed before. */
function staleClaims(records: readonly TraceRecord[]): number {
  let newest = -1;
  let stale = 0;
  for (const r of records) {
    if (r.kind !== 'controller.active' || !r.active) continue;
    if (r.epoch < newest) stale++;
    newest = Math.max(newest, r.epoch);
  }
  return stale;
}

function run(version: KafkaRelease): { readonly peak: number | undefined; readonly stale: number; readonly story: string[] } {
  const r = runScenario(failoverAt(version), { keepTrace: true });
  const restart = r.stats.metrics.aroundFaults.find((w) => w.fault.startsWith('restart controller'));
  if (restart === undefined) throw new Error('no restart of a controller in controller-failover');
  const story: string[] = [];
  const narrator = new QuorumNarrator((_at, text) => story.push(text), 'full');
  const records = r.simulation.memory?.records ?? [];
  for (const rec of records) narrator.see(rec);
  // The window lists a gauge only when it moved.
  return { peak: restart.gauges[`${JMX.activeControllerCount} Value`]?.peak, stale: staleClaims(records), story };
}

describe('a former leader restarting resigned (KAFKA-17333)', () => {
  it('Kafka 4.1: it does not claim to be the active controller; one controller is active throughout', () => {
    const { peak, stale, story } = run('4.1');
    expect(peak).toBeUndefined();
    expect(stale).toBe(0);
    expect(story.filter((l) => /believes it is (the )?active/.test(l))).toEqual([]);
  });

  it('Kafka 3.8: it claims its old epoch until it hears of the new leader, and explain names it as the stale one', () => {
    const { peak, stale, story } = run('3.8');
    expect(peak).toBe(2);
    expect(stale).toBe(1);
    const claims = story.filter((l) => /believes it is the active controller in epoch 1, an older epoch than controller-\d's 2: controller-\d is the active one/.test(l));
    expect(claims, story.join('\n')).toHaveLength(1);
    expect(story.some((l) => /still believes it is active in an older epoch/.test(l))).toBe(false);
  });
});
