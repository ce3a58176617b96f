import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { runTimerProgram, type TimerProgramResult } from '../../src/sim/timerProgram.js';

function inWorker(seed: number, options = {}): Promise<TimerProgramResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../fixtures/timerProgramWorker.mjs', import.meta.url), { workerData: { seed, options } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('determinism of the kernel', () => {
  it('gives the same fingerprint for the same seed, and another for another seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = runTimerProgram(seed, { maxEvents: 2_000 });
        const b = runTimerProgram(seed, { maxEvents: 2_000 });
        expect(b).toEqual(a);
        expect(a.events).toBe(2_000);
        expect(runTimerProgram(seed + 1, { maxEvents: 2_000 }).fingerprint).not.toBe(a.fingerprint);
      }),
      { numRuns: 20 },
    );
  });

  it('gives the same fingerprint in a worker thread as in this one', async () => {
    for (const seed of [1, 42, 2026]) {
      const here = runTimerProgram(seed);
      const there = await inWorker(seed);
      expect(there).toEqual(here);
    }
  });
});
