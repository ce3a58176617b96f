/**
 * One sweep worker process: it loads the scenario once, then runs each seed the sweep
 * sends it with fingerprint-only tracing and answers with what the run found.
 */
import { loadScenario } from '../scenarios/loader.js';
import { runScenario } from '../scenarios/runner.js';
import { compareStrings } from '../sim/order.js';
import { SIMULATOR_ERROR, type SeedResult } from '../scenarios/sweep.js';

export interface SweepWorkerData {
  readonly path: string;
  readonly onlineChecks: boolean;
}

const { path, onlineChecks } = JSON.parse(process.argv[2] ?? '{}') as SweepWorkerData;
const scenario = loadScenario(path);
const send = process.send?.bind(process);
if (send === undefined) throw new Error('sweepWorker runs as a child process of a sweep');

process.on('message', (message) => {
  const seed = message as number;
  let result: SeedResult;
  try {
    const r = runScenario(scenario, { seed, onlineChecks });
    const skippedFaults = r.skippedFaults.length;
    result = { seed, kinds: [...new Set(r.violations.map((v) => v.kind))].sort(compareStrings), fingerprint: r.fingerprint, expectMet: r.expectMet, ...(skippedFaults === 0 ? {} : { skippedFaults }) };
  } catch (err) {
    // A seed that crashes the simulator is a finding too (a bug in kafkasim): it is
    // counted under its own kind, and the sweep goes on.
    result = { seed, kinds: [SIMULATOR_ERROR], fingerprint: '', expectMet: false, error: err instanceof Error ? err.message : String(err) };
  }
  send(result);
});
