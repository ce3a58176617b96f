/**
 * One sweep worker thread: it loads the scenario once, then runs each seed the main thread
 * sends it with fingerprint-only tracing and answers with what the run found.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../scenarios/loader.js';
import { runScenario } from '../scenarios/runner.js';
import { compareStrings } from '../sim/order.js';
import { SIMULATOR_ERROR, type SeedResult } from '../scenarios/sweep.js';

export interface SweepWorkerData {
  readonly path: string;
  readonly onlineChecks: boolean;
}

const { path, onlineChecks } = workerData as SweepWorkerData;
const scenario = loadScenario(path);
const port = parentPort;
if (port === null) throw new Error('sweepWorker runs as a worker thread');

port.on('message', (seed: number) => {
  let result: SeedResult;
  try {
    const r = runScenario(scenario, { seed, onlineChecks });
    result = { seed, kinds: [...new Set(r.violations.map((v) => v.kind))].sort(compareStrings), fingerprint: r.fingerprint, expectMet: r.expectMet };
  } catch (err) {
    // A seed that crashes the simulator is a finding too (a bug in kafkasim): it is
    // counted under its own kind, and the sweep goes on.
    result = { seed, kinds: [SIMULATOR_ERROR], fingerprint: '', expectMet: false, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(result);
});
