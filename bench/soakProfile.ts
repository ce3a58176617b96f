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
import v8 from 'node:v8';
import { parseScenario } from '../src/scenarios/loader.js';
import { startRun } from '../src/scenarios/runner.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { soakScenario } from './soakScenario.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const rate = Number(args.get('rate') ?? 1000);
const minutes = Number(args.get('minutes') ?? 60);
const out = args.get('out') ?? '/tmp/soakprofile';
const profile = args.get('profile') !== 'no';
/** With --snapshots=1,3, a heap snapshot (DIR/window-N.heapsnapshot) after those windows: what the run's heap holds as it ages. */
/**
 * With --promoted=N, V8's sampling heap profiler runs through window N keeping only objects that
 * outlived the young generation (includeObjectsCollectedByMinorGC false, ...ByMajorGC true):
 * DIR/window-N.promoted.heapprofile shows by allocation site what is promoted to the old
 * generation, whose growth sets how often the full collections run.
 */
const promotedWindow = Number(args.get('promoted') ?? 0);
const snapshots = new Set((args.get('snapshots') ?? '').split(',').filter((x) => x !== '').map(Number));
/** With --mix=yes, a sink counts the trace's records by kind per window (it copies every record: not for timing). */
const withMix = args.get('mix') === 'yes';
const kinds = new Map<string, number>();
const sink = { write: (r: { kind: string }) => void kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1) };
fs.mkdirSync(out, { recursive: true });

// The event mix: count what is scheduled, by the callback's name (behaviour unchanged).
const mix = new Map<string, number>();
/** With --eventmix=no, the scheduler is left unpatched: the counting wrapper costs about a third of the run's speed. */
const withEventMix = args.get('eventmix') !== 'no';
const proto = Scheduler.prototype as unknown as { atWith: (...a: unknown[]) => unknown };
const original = proto.atWith;
if (withEventMix) {
  proto.atWith = function (this: unknown, ...a: unknown[]) {
    const fn = a[1] as { name?: string };
    const name = fn.name === undefined || fn.name === '' ? '(anonymous)' : fn.name;
    mix.set(name, (mix.get(name) ?? 0) + 1);
    return original.apply(this, a);
  };
}

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
if (promotedWindow > 0) post('HeapProfiler.enable');

const round1 = (x: number): number => Math.round(x * 10) / 10;
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
  if (w === promotedWindow) post('HeapProfiler.startSampling', { samplingInterval: 65536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
  const r0 = process.resourceUsage();
  const c0 = cpu();
  run.runTo((w * windowUs) as never);
  const cpuS = cpu() - c0;
  if (profile) {
    const res = post('Profiler.stop') as { profile: unknown } | undefined;
    if (res !== undefined) fs.writeFileSync(path.join(out, `window-${w}.cpuprofile`), JSON.stringify(res.profile));
  }
  if (w === promotedWindow) {
    const res = post('HeapProfiler.stopSampling') as { profile: unknown } | undefined;
    if (res !== undefined) fs.writeFileSync(path.join(out, `window-${w}.promoted.heapprofile`), JSON.stringify(res.profile));
  }
  const events = run.sim.scheduler.eventsFired - lastEvents;
  lastEvents = run.sim.scheduler.eventsFired;
  const heap = process.memoryUsage();
  const r1 = process.resourceUsage();
  const hs = v8.getHeapStatistics();
  /** Where the CPU went (user and kernel), and the kernel's page faults and switches: a growing footprint shows as faults and system time. */
  const os = { userS: round1((r1.userCPUTime - r0.userCPUTime) / 1e6), systemS: round1((r1.systemCPUTime - r0.systemCPUTime) / 1e6), minorFaults: r1.minorPageFault - r0.minorPageFault, involuntarySwitches: r1.involuntaryContextSwitches - r0.involuntaryContextSwitches, rssMB: Math.round(heap.rss / 2 ** 20), heapTotalMB: Math.round(hs.total_heap_size / 2 ** 20), heapLimitMB: Math.round(hs.heap_size_limit / 2 ** 20) };
  const top = [...mix.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  const row = { window: w, cpuS: Math.round(cpuS * 10) / 10, events, eventsPerCpuS: Math.round(events / cpuS), heapMB: Math.round(heap.heapUsed / 2 ** 20), externalMB: Math.round(heap.arrayBuffers / 2 ** 20), ...os, pending: run.sim.scheduler.pending, mix: Object.fromEntries(top), kinds: Object.fromEntries([...kinds.entries()].sort((a, b) => b[1] - a[1])), faults: [...faults] };
  rows.push(row);
  if (snapshots.has(w)) v8.writeHeapSnapshot(path.join(out, `window-${w}.heapsnapshot`));
  process.stdout.write(`@@window ${w} ${JSON.stringify(row)}\n`);
}
fs.writeFileSync(path.join(out, 'windows.json'), JSON.stringify(rows, null, 1));
