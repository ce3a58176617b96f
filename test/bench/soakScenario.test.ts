import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { SOAK_CHECKS, retentionMs, soakScenario } from '../../bench/soakScenario.js';

describe('the soak benchmark scenario (npm run soak)', () => {
  it('is valid, draws every fault kind but media faults, and runs a few simulated seconds with no violation', () => {
    const scenario = parseScenario(soakScenario({ minutes: 0.25, rate: 300 }));
    expect(scenario.nemesis?.kinds).toEqual(['crash', 'shutdown', 'partition', 'pause', 'clock']);
    expect(scenario.nemesis?.crashModes).toEqual(['process', 'power']);
    expect(scenario.checks).toEqual([...SOAK_CHECKS]);
    const reports: number[] = [];
    const r = runScenario(scenario, { progress: { everyMs: 5_000, report: (sim) => reports.push(sim.now / 1000) } });
    // Reported every 5 simulated seconds of the 15-second run, then at its end.
    expect(reports).toEqual([5_000, 10_000, 15_000]);
    expect(r.stats.acked).toBeGreaterThan(2_500);
    // The processor and the reader each process every acknowledged message.
    expect(r.stats.consumers?.processed).toBeGreaterThan(5_000);
    expect(r.violations).toEqual([]);
    expect(r.expectMet).toBe(true);
  });

  it('runs in steps as it runs whole: the same fingerprint', () => {
    const scenario = parseScenario(soakScenario({ minutes: 0.1, rate: 100, seed: 3 }));
    const whole = runScenario(scenario);
    const stepped = runScenario(scenario, { progress: { everyMs: 1_000, report: () => undefined } });
    expect(stepped.fingerprint).toBe(whole.fingerprint);
    expect(stepped.stats).toEqual(whole.stats);
  });

  it('keeps records longer the faster it produces: a minute per 1,000 msg/s, at least a minute', () => {
    expect([300, 1_000, 2_500, 5_000].map(retentionMs)).toEqual([60_000, 60_000, 180_000, 300_000]);
    const topics = parseScenario(soakScenario({ minutes: 1, rate: 5_000 })).topics;
    expect(topics.map((t) => t.config['retention.ms'])).toEqual([300_000, 300_000]);
  });
});
