/**
 * The sweep benchmark's yardstick: what this machine gives two processes of plain
 * JavaScript, against which the sweep's own two-worker speed-up is judged. `alloc` is
 * allocation-heavy (short-lived objects, arrays, maps with string keys and buffers, as a
 * simulation makes them); `int` is pure integer arithmetic. Run as a script, it does `units`
 * units of one of them and exits; `referenceSpeedup` times `total` units in one process and
 * split over two, started the way the sweep starts its workers.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export type ReferenceKind = 'alloc' | 'int';

/** One unit of the allocation-heavy workload; returns a checksum so nothing is optimised away. */
function allocUnit(seed: number): number {
  const byKey = new Map<string, { key: string; offset: number; bytes: Buffer; tags: number[] }>();
  let sum = 0;
  for (let i = 0; i < 2_000; i++) {
    const key = `p${(seed + i) % 97}-${i % 13}`;
    const record = { key, offset: i, bytes: Buffer.alloc(32 + (i % 64), i), tags: [i, seed, i ^ seed] };
    byKey.set(key, record);
    const copy = { ...record, offset: record.offset + 1 };
    sum += copy.offset + copy.bytes.length + copy.tags.length;
  }
  for (const r of byKey.values()) sum += r.bytes[0];
  return sum;
}

/** One unit of the integer workload. */
function intUnit(seed: number): number {
  let x = seed | 1;
  for (let i = 0; i < 400_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

export function runUnits(kind: ReferenceKind, units: number): number {
  let sum = 0;
  for (let u = 0; u < units; u++) sum = (sum + (kind === 'alloc' ? allocUnit(u) : intUnit(u))) | 0;
  return sum;
}

function runChild(kind: ReferenceKind, units: number, execArgv: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, fileURLToPath(import.meta.url), kind, String(units)], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`reference workload exited with ${String(code)}`))));
  });
}

/**
 * `total` units in one process, then split over two (with --single-threaded-gc, as the
 * sweep runs its paired workers): the ratio of the two throughputs.
 */
export async function referenceSpeedup(kind: ReferenceKind, total: number): Promise<{ one: number; two: number; speedup: number }> {
  let t = performance.now();
  await runChild(kind, total, []);
  const one = (performance.now() - t) / 1000;
  t = performance.now();
  await Promise.all([runChild(kind, total / 2, ['--single-threaded-gc']), runChild(kind, total / 2, ['--single-threaded-gc'])]);
  const two = (performance.now() - t) / 1000;
  return { one, two, speedup: one / two };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kind = process.argv[2] === 'int' ? 'int' : 'alloc';
  runUnits(kind, Number(process.argv[3] ?? 100));
}
