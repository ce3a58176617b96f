import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../src/scenarios/loader.js';
import { runScenario, type RunResult } from '../../src/scenarios/runner.js';
import type { TraceRecord } from '../../src/sim/trace.js';
import { DEEP as deep } from '../helpers/deep.js';

/**
 * Transactions and exactly-once (KIP-98, KIP-447, KIP-890): that consume-transform-produce
 * is exactly once under faults, what breaks it, and that the checkers see it. The default
 * suite runs a slice of each test's seeds (3 nemesis seeds); `npm run test:deep` runs them all
 * (200 nemesis seeds).
 */
const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
const seeds = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const run = (name: string, seed?: number, keepTrace = false): RunResult => runScenario(loadScenario(`${library}${name}.yaml`), { seed, keepTrace });
const kinds = (r: RunResult): string[] => r.violations.map((v) => v.kind);

describe('acceptance: a transactional processor under a nemesis', () => {
  // The deep run adds seeds 4-200.
  const n = deep ? 200 : 3;
  it(`has no exactly-once, aborted-read or zombie-write violation in ${n} seeds`, { timeout: 1_800_000 }, () => {
    const scenario = loadScenario(`${library}eos-nemesis.yaml`);
    const failures: string[] = [];
    let committed = 0;
    for (const seed of seeds(n)) {
      const r = runScenario(scenario, { seed });
      for (const v of r.violations) failures.push(`seed ${seed}: ${v.kind}: ${v.message}`);
      committed += r.simulation.history.ops.filter((o) => o.f === 'txn' && o.type === 'ok').length;
    }
    expect(failures).toEqual([]);
    // The pipeline did work: transactions committed across the seeds.
    expect(committed).toBeGreaterThan(n * 10);
  });
});

describe('acceptance: the pipeline under rolling restarts', () => {
  // Seed 14 once lost a transaction's abort: a broker shut down cleanly reopened its log with
  // a producer-state snapshot past the ABORT marker and rebuilt the active segment's
  // transaction index from that snapshot on, so read_committed saw the aborted outputs.
  const regressions = [14];
  // The deep run adds seeds 3-60; the default keeps two and the regression seed.
  const n = deep ? 60 : 2;
  it(`graceful shutdowns among the faults, preferred leader elections every 3 s: no violation in ${n} seeds (and the regression seeds)`, { timeout: 1_800_000 }, () => {
    const base = loadScenario(`${library}eos-nemesis.yaml`);
    const scenario = {
      ...base,
      cluster: { ...base.cluster, config: { ...base.cluster.config, 'leader.imbalance.check.interval.seconds': 3 } },
      nemesis: base.nemesis === undefined ? undefined : { ...base.nemesis, kinds: ['shutdown', 'crash', 'partition', 'pause'] as typeof base.nemesis.kinds },
    };
    const failures: string[] = [];
    for (const seed of [...new Set([...seeds(n), ...regressions])]) for (const v of runScenario(scenario, { seed }).violations) failures.push(`seed ${seed}: ${v.kind}: ${v.message}`);
    expect(failures).toEqual([]);
  });
});

describe('acceptance: the same pipeline without transactions', () => {
  // Each of seeds 1-3 shows the duplicate; the default runs seed 1 of each pipeline, the deep run 1-3.
  const n = deep ? 3 : 1;
  it('commit-after-process writes some outputs twice when processors crash', { timeout: 600_000 }, () => {
    const runs = seeds(n).map((seed) => run('eos-processor-crash-no-txn', seed));
    expect(runs.some((r) => kinds(r).includes('exactly-once'))).toBe(true);
    // … while the transactional pipeline, under the same faults, does not.
    for (const seed of seeds(n)) expect(kinds(run('eos-processor-crash', seed))).toEqual([]);
  });
});

describe('acceptance: a zombie processor', () => {
  it('paused past transaction.timeout.ms and replaced, is fenced when it resumes; none of its writes is committed', () => {
    const r = run('eos-zombie-processor', undefined, true);
    expect(r.violations).toEqual([]);
    const records = r.simulation.memory?.records ?? [];
    // The coordinator aborted its transaction and bumped the epoch while it slept …
    expect(records.some((x) => x.kind === 'txn.abort' && x.transactionalId === 't1-1' && x.reason === 'timeout')).toBe(true);
    // … and on waking it was told it is fenced.
    const fenced = records.filter((x): x is TraceRecord<'txn.fenced'> => x.kind === 'txn.fenced' && x.transactionalId === 't1-1');
    expect(fenced.length).toBeGreaterThan(0);
    expect(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']).toContain(fenced[0].error);
  });
});

describe('acceptance: read_committed and read_uncommitted on the same run', () => {
  it('read_uncommitted hands out aborted outputs; read_committed never does', () => {
    const r = run('eos-read-committed');
    expect(kinds(r)).not.toContain('aborted-read');
    // The output offsets that belong to aborted transactions, from the final logs.
    const aborted = new Set<string>();
    for (const p of r.state.partitions) {
      for (const b of p.txnBatches ?? []) if (b.outcome === 'aborted') for (let o = b.baseOffset; o <= b.lastOffset; o++) aborted.add(`${p.partition}@${o}`);
    }
    expect(aborted.size).toBeGreaterThan(0); // the crashes did abort transactions
    const polled = (member: string): string[] =>
      r.simulation.history.ops.filter((o) => o.f === 'poll' && o.type === 'ok' && o.process === member).flatMap((o) => (o.value as { records: [string, number, string][] }).records.map((x) => `${x[0]}@${x[1]}`));
    expect(polled('ru-1').filter((k) => aborted.has(k)).length).toBeGreaterThan(0);
    expect(polled('rc-1').filter((k) => aborted.has(k))).toEqual([]);
    expect(polled('rc-1').length).toBeGreaterThan(0);
  });
});

describe('acceptance: KIP-890 partition verification', () => {
  // Of seeds 1-5, 2 and 5 show the late write with verification off: the default runs seeds 1-2
  // of each setting, the deep run 1-5.
  const n = deep ? 5 : 2;
  it(`with transaction.partition.verification.enable=false a late write from an aborted transaction gets committed (in ${n} seeds); with it on, never`, { timeout: 600_000 }, () => {
    const off = seeds(n).map((seed) => run('eos-kip890-off', seed));
    expect(off.filter((r) => kinds(r).some((k) => k === 'exactly-once' || k === 'hanging-txn')).length).toBeGreaterThan(0);
    for (const seed of seeds(n)) expect(kinds(run('eos-kip890-on', seed))).toEqual([]);
  });
});

describe('acceptance: KAFKA-17754, a late EndTxn', () => {
  // The second seed was 7 before the lesson was retimed for the 3-controller default (slow path
  // armed from 11.5 s); of seeds 1-50 only 3 and 18 now catch the EndTxn in flight.
  it('with transaction.version=1 a delayed EndTxn commits the next transaction (the lesson and seed 18); with version 2, never', { timeout: 600_000 }, () => {
    for (const seed of [3, 18]) expect(new Set(kinds(run('eos-late-endtxn', seed)))).toEqual(new Set(['exactly-once']));
    // Version 2 on the two seeds that catch the EndTxn in flight; the deep run adds seeds 1, 2, 4, 7 and 11.
    for (const seed of deep ? [...seeds(4), 7, 11, 18] : [3, 18]) expect(kinds(run('eos-late-endtxn-tv2', seed))).toEqual([]);
  });
});

describe('acceptance: transaction coordinator failover mid-commit', () => {
  it('the new coordinator finishes the prepared commit with every marker, and nothing is lost', () => {
    const r = run('eos-coordinator-failover', undefined, true);
    expect(r.violations).toEqual([]);
    const records = r.simulation.memory?.records ?? [];
    const crash = records.find((x): x is TraceRecord<'fault.apply'> => x.kind === 'fault.apply' && x.action === 'crash') as TraceRecord<'fault.apply'>;
    const states = records.filter((x): x is TraceRecord<'txn.state'> => x.kind === 'txn.state' && x.transactionalId === 't1-1');
    const prepared = states.filter((s) => s.at <= crash.at && s.state === 'PrepareCommit').at(-1) as TraceRecord<'txn.state'>;
    expect(`broker-${prepared.broker}`).toBe(crash.targets[0]);
    // After the crash another broker loads it prepared, and completes it.
    const after = states.filter((s) => s.at > crash.at && `broker-${s.broker}` !== crash.targets[0]);
    expect(after[0]).toMatchObject({ state: 'PrepareCommit', producerEpoch: prepared.producerEpoch });
    expect(after[1]).toMatchObject({ state: 'CompleteCommit' });
  });
});
