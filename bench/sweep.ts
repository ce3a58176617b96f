/**
 * Sweep benchmark: seeds per second of `kafkasim sweep` on the acks=all nemesis scenario
 * with one worker process and with two, and the speed-up; then, in the same run, the speed-up
 * two processes of a reference allocation-heavy workload (and of pure integer loops) get on
 * this machine, and the sweep's speed-up as a share of the allocation-heavy one (target 0.9).
 */
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/scenarios/loader.js';
import { runSweep } from '../src/cli/commands/sweep.js';
import { parseBenchArgs, printTable, round } from './harness.js';
import { referenceSpeedup } from './referenceWorkload.js';

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  // Enough seeds that each worker's start (a process, and its JIT warming up over its first
  // few seeds) is a small part of the time, as in the sweeps of hundreds of seeds it is for.
  const count = Number(args.options.get('seeds') ?? 96);
  const path = fileURLToPath(new URL('../../src/scenarios/library/acks-all-nemesis.yaml', import.meta.url));
  const scenario = loadScenario(path);
  const seeds = Array.from({ length: count }, (_, i) => i + 1);
  const one = await runSweep(path, scenario, seeds, { workers: 1 });
  const two = await runSweep(path, scenario, seeds, { workers: 2 });
  const speedup = two.summary.seedsPerSec / one.summary.seedsPerSec;
  const alloc = await referenceSpeedup('alloc', Number(args.options.get('units') ?? 1500));
  const int = await referenceSpeedup('int', 3000);
  const share = speedup / alloc.speedup;
  console.log(`sweep: acks-all-nemesis, ${count} seeds (same violations with 1 and 2 workers: ${JSON.stringify(one.summary.violations) === JSON.stringify(two.summary.violations)})`);
  printTable([
    ['workers', 'seeds/s'],
    [1, one.summary.seedsPerSec],
    [2, two.summary.seedsPerSec],
    ['speed-up', round(speedup, 2)],
    ['reference speed-up, allocation-heavy', `${round(alloc.speedup, 2)} (${round(alloc.one, 2)} s alone, ${round(alloc.two, 2)} s split)`],
    ['reference speed-up, integer loops', `${round(int.speedup, 2)} (${round(int.one, 2)} s alone, ${round(int.two, 2)} s split)`],
    ['sweep share of the allocation-heavy ceiling', round(share, 2)],
  ]);
  if (args.json) {
    console.log(JSON.stringify({ bench: 'sweep', seedsPerSec1: one.summary.seedsPerSec, seedsPerSec2: two.summary.seedsPerSec, speedup: round(speedup, 3), referenceAllocSpeedup: round(alloc.speedup, 3), referenceIntSpeedup: round(int.speedup, 3), shareOfReference: round(share, 3) }));
  }
}
