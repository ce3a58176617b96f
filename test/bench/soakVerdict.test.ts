import { describe, expect, it } from 'vitest';
import { median, missed, type SoakResult } from '../../bench/soak.js';

/** A soak run's result with only what the verdict reads set. */
function run(cpuRatio: number, over: Partial<SoakResult> = {}): SoakResult {
  return {
    rate: 1_000,
    minutes: 60,
    seed: 1,
    windows: [],
    wallS: 1,
    acked: 1,
    produced: 1,
    firstEventsPerSec: 1,
    lastEventsPerSec: 1,
    ratio: 2,
    cpuRatio,
    cpuPerWindowRatio: 2,
    peakRssBytes: 0,
    baselineBytes: 0,
    retainedBytes: 0,
    diskBytes: 0,
    bytesPerAckedMsg: 50,
    growthBytesPerAckedMsg: 0,
    violations: [],
    fingerprint: '',
    ...over,
  };
}

describe("the soak's verdict (npm run soak)", () => {
  it('takes the median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([0.7])).toBe(0.7);
  });

  it('judges the slowdown on the median per-CPU ratio of the runs, not the wall ratio nor CPU per window', () => {
    expect(missed([run(0.95, { ratio: 0.5, cpuPerWindowRatio: 0.5 })])).toEqual([]);
    expect(missed([run(0.8, { ratio: 1.5 })])).toEqual(['events per CPU second ratio 0.8 < 0.9']);
    // One slow run among three does not decide it; two do.
    expect(missed([run(0.8), run(0.95), run(0.92)])).toEqual([]);
    expect(missed([run(0.8), run(0.85), run(0.95)])).toEqual(["median of 3 runs' events per CPU second ratio 0.85 < 0.9"]);
  });

  it('misses on any run over the memory target or with a violation', () => {
    expect(missed([run(1), run(1, { bytesPerAckedMsg: 120.4 })])).toEqual(['120 bytes per acknowledged message >= 100']);
    expect(missed([run(1, { violations: ['lost-write: x'] }), run(1)])).toEqual(['1 violations']);
  });
});
