/**
 * `node --expose-gc --trace-gc dist-bench/bench/soakProfile.js [--rate R] [--minutes N] [--out DIR]`:
 * a diagnostic driver for the soak's window ratio (reports/bench.md, "Soak ratio, session 17").
 * It steps the soak scenario window by window (10 simulated minutes) through the runner, and
 * per window records CPU seconds, events fired, events scheduled by callback name (the event
 * mix), the heap after the window, and a CPU profile (DIR/window-N.cpuprofile, from the
 * inspector's Profiler started and stopped around the window). A marker line
 * `@@window N` is written to stdout after each window, so that --trace-gc's lines between two
 * markers are that window's collections. Bench-only code: it reads time, the simulation does not.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { parseScenario } from '../src/scenarios/loader.js';
import { startRun } from '../src/scenarios/runner.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { soakScenario } from './soakScenario.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const rate = Number(args.get('rate') ?? 1000);
const minutes = Number(args.get('minutes') ?? 60);
const out = args.get('out') ?? '/tmp/soakprofile';
const profile = args.get('profile') !== 'no';
/** With --mix=yes, a sink counts the trace's records by kind per window (it copies every record: not for timing). */
const withMix = args.get('mix') === 'yes';
const kinds = new Map<string, number>();
const sink = { write: (r: { kind: string }) => void kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1) };
fs.mkdirSync(out, { recursive: true });

// The event mix: count what is scheduled, by the callback's name (behaviour unchanged).
const mix = new Map<string, number>();
const proto = Scheduler.prototype as unknown as { atWith: (...a: unknown[]) => unknown };
const original = proto.atWith;
proto.atWith = function (this: unknown, ...a: unknown[]) {
  const fn = a[1] as { name?: string };
  const name = fn.name === undefined || fn.name === '' ? '(anonymous)' : fn.name;
  mix.set(name, (mix.get(name) ?? 0) + 1);
  return original.apply(this, a);
};

const session = new inspector.Session();
session.connect();
function post(method: string, params?: object): unknown {
  let result: unknown;
  let error: unknown;
  session.post(method, params, (err, res) => {
    error = err;
    result = res;
  });
  if (error !== null && error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return result;
}
if (profile) post('Profiler.enable');

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** With --nemesis=no, the same scenario without faults: what changes between windows is then only the run's age. */
const text = soakScenario({ minutes, rate, seed: 1 });
const scenarioText = args.get('nemesis') === 'no' ? text.replace(/^nemesis: .*$/m, '') : text;
if (scenarioText === text && args.get('nemesis') === 'no') throw new Error('soakProfile: no nemesis line to remove');
const run = startRun(parseScenario(scenarioText), withMix ? { sinks: [sink] } : {});
const faults: string[] = [];
run.sim.trace.observe('fault.apply', (r) => void faults.push(`${Math.round(r.at / 1e6)}s ${r.action} ${r.targets.join(',')}`));
const windowUs = 600_000_000;
const rows: object[] = [];
let lastEvents = 0;
for (let w = 1; w * windowUs <= minutes * 60_000_000; w++) {
  mix.clear();
  kinds.clear();
  faults.length = 0;
  if (profile) post('Profiler.start');
  const c0 = cpu();
  run.runTo((w * windowUs) as never);
  const cpuS = cpu() - c0;
  if (profile) {
    const res = post('Profiler.stop') as { profile: unknown } | undefined;
    if (res !== undefined) fs.writeFileSync(path.join(out, `window-${w}.cpuprofile`), JSON.stringify(res.profile));
  }
  const events = run.sim.scheduler.eventsFired - lastEvents;
  lastEvents = run.sim.scheduler.eventsFired;
  const heap = process.memoryUsage();
  const top = [...mix.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  const row = { window: w, cpuS: Math.round(cpuS * 10) / 10, events, eventsPerCpuS: Math.round(events / cpuS), heapMB: Math.round(heap.heapUsed / 2 ** 20), externalMB: Math.round(heap.arrayBuffers / 2 ** 20), pending: run.sim.scheduler.pending, mix: Object.fromEntries(top), kinds: Object.fromEntries([...kinds.entries()].sort((a, b) => b[1] - a[1])), faults: [...faults] };
  rows.push(row);
  process.stdout.write(`@@window ${w} ${JSON.stringify(row)}\n`);
}
fs.writeFileSync(path.join(out, 'windows.json'), JSON.stringify(rows, null, 1));
