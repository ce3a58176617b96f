/**
 * `node dist-bench/bench/soakBuffers.js [--rate=R] [--from=S] [--to=S]`: a diagnostic for the
 * soak at high rates (reports/bench.md, "Soak, session 21"). V8 starts a full collection each
 * time memory outside its heap (ArrayBuffers: Buffers, typed arrays) has grown by its soft
 * limit, so what the run allocates there sets how often the full collections run. This wraps
 * `Buffer.alloc`, `allocUnsafe`, `allocUnsafeSlow`, `from`, `concat` and `new Uint8Array(n)`,
 * runs the soak scenario from 0 to `to` simulated seconds, and prints the bytes requested
 * between `from` and `to` by caller (three frames). Bench-only code: the wrappers change
 * no simulated behaviour (they only count).
 */
import { Buffer } from 'node:buffer';
import { parseScenario } from '../src/scenarios/loader.js';
import { startRun } from '../src/scenarios/runner.js';
import { time } from '../src/sim/time.js';
import { soakScenario } from './soakScenario.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const rate = Number(args.get('rate') ?? 5000);
const fromS = Number(args.get('from') ?? 30);
const toS = Number(args.get('to') ?? 90);

const byCaller = new Map<string, { calls: number; bytes: number }>();
Error.stackTraceLimit = 6;

/** Adds `bytes` to the count of the caller three frames above the wrapper. */
function count(kind: string, bytes: number): void {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, count);
  const frames = (holder.stack ?? '').split('\n').slice(2, 5).map((l) => l.trim().replace(/^at /, '').replace(/\(?file:\/\/\/.*?\/(src|bench)\//, '$1/').replace(/:\d+\)?$/, ''));
  const key = `${kind}  ${frames.join(' < ')}`;
  const e = byCaller.get(key) ?? { calls: 0, bytes: 0 };
  e.calls++;
  e.bytes += bytes;
  byCaller.set(key, e);
}

type Alloc = (size: number, ...rest: unknown[]) => Buffer;
const buffer = Buffer as unknown as Record<'alloc' | 'allocUnsafe' | 'allocUnsafeSlow', Alloc> & { from: (...a: unknown[]) => Buffer; concat: (...a: unknown[]) => Buffer };
for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
  const original = buffer[name];
  // allocUnsafe under half of Buffer.poolSize comes from Node's shared 8 KB pool.
  buffer[name] = (size, ...rest) => {
    count(name === 'allocUnsafe' && size < Buffer.poolSize >>> 1 ? 'allocUnsafe (pooled)' : name, size);
    return original.call(Buffer, size, ...rest);
  };
}
const originalFrom = buffer.from;
buffer.from = (...a) => {
  const b = originalFrom.apply(Buffer, a);
  if (!(a[0] instanceof ArrayBuffer)) count(typeof a[0] === 'string' ? 'from (string)' : 'from (copy)', b.length);
  return b;
};
const originalConcat = buffer.concat;
buffer.concat = (...a) => {
  const b = originalConcat.apply(Buffer, a);
  count('concat', b.length);
  return b;
};
globalThis.Uint8Array = new Proxy(Uint8Array, {
  construct(target, a: unknown[], newTarget: new (...x: unknown[]) => object) {
    const made = Reflect.construct(target, a, newTarget) as Uint8Array;
    if (typeof a[0] === 'number') count('new Uint8Array(n)', made.byteLength);
    return made;
  },
});

const run = startRun(parseScenario(soakScenario({ minutes: Math.ceil(toS / 60) + 1, rate })));
run.runTo(time(fromS * 1_000_000));
byCaller.clear();
run.runTo(time(toS * 1_000_000));
const rows = [...byCaller].sort((a, b) => b[1].bytes - a[1].bytes);
const total = rows.reduce((n, [, e]) => n + e.bytes, 0);
console.log(`simulated ${fromS}-${toS} s at ${rate} msg/s: ${(total / 2 ** 20).toFixed(0)} MB requested in ${rows.reduce((n, [, e]) => n + e.calls, 0)} calls`);
for (const [key, e] of rows.slice(0, 25)) console.log(`${(e.bytes / 2 ** 20).toFixed(1).padStart(8)} MB ${String(e.calls).padStart(9)}  ${key}`);
