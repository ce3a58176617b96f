import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseScenario } from '../../src/scenarios/loader.js';
import { runScenario, type RunResult } from '../../src/scenarios/runner.js';
import { sendsOf } from '../../src/checkers/sends.js';
import { cli } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));

const small = `
name: small
duration: 12s
drain: 10s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 2, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 200/s, keys: 10, start: 1s, stop: 10s } }
faults:
  - { at: 8s, action: crash, target: leader(orders-0), mode: power }
  - { at: 9s, action: restart, target: leader(orders-1) }
`;

/** A run made once for the file, on first use: the lesson's seed and options. */
function once(make: () => RunResult): () => RunResult {
  let r: RunResult | undefined;
  return () => (r ??= make());
}
// Two tests read each: the lesson as `kafkasim run` runs it, and unclean-election with its trace kept (the trace changes nothing else).
const acks1 = once(() => runScenario(loadScenario(`${library}acks1-leader-failover.yaml`)));
const unclean = once(() => runScenario(loadScenario(`${library}unclean-election.yaml`), { keepTrace: true }));

describe('running scenarios', () => {
  it('finds lost writes with acks=1 and a leader crash (the library lesson)', () => {
    const r = acks1();
    expect(r.violations.map((v) => v.kind)).toContain('lost-write');
    expect(r.expectMet).toBe(true);
    expect(r.stats.acked).toBeGreaterThan(0);
  });

  it('reports a spec invariant at the replication event that broke it', () => {
    const r = unclean();
    const v = r.violations.find((x) => x.kind === 'spec:LeaderCompleteness');
    expect(v).toBeDefined();
    const records = r.simulation.memory?.records ?? [];
    const election = records.find((t) => t.kind === 'replica.role' && t.role === 'leader' && t.at === v?.at && t.broker === v?.details.broker);
    expect(election).toBeDefined();
  });

  it('finds none in the acks=all twin', () => {
    // The twin runs its lesson's checks (twins.test.ts); split-brain and hw-regression are judged here too.
    const twin = loadScenario(`${library}acks-all-leader-failover.yaml`);
    const r = runScenario(twin, { checks: twin.checks === undefined ? undefined : [...twin.checks, 'split-brain', 'hw-regression'] });
    expect(r.violations).toEqual([]);
    // A partition stalls for 20 s (a paused follower stays in the ISR until
    // replica.lag.time.max.ms); its backlog must go out in full batches, as Kafka's
    // accumulator builds them, and finish within the drain: no send is left pending.
    expect(sendsOf(r.simulation.history).filter((s) => s.outcome === 'pending')).toEqual([]);
    expect(r.expectMet).toBe(true);
    expect(r.stats.acked).toBeGreaterThan(r.stats.produced / 2);
  });

  it('finds duplicates when a timed-out produce is retried without idempotence, and none with it', () => {
    const off = runScenario(loadScenario(`${library}retries-duplicate.yaml`));
    expect(off.violations.map((v) => v.kind)).toContain('duplicate');
    const on = runScenario(loadScenario(`${library}retries-idempotent.yaml`));
    expect(on.violations).toEqual([]);
  });

  it('gives the same fingerprint and outcome for the same seed, and another for another', () => {
    const scenario = parseScenario(small);
    const a = runScenario(scenario);
    const b = runScenario(scenario);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.stats).toEqual(a.stats);
    expect(runScenario(scenario, { seed: 2 }).fingerprint).not.toBe(a.fingerprint);
  });
});

describe('clock faults as a scenario writes them', () => {
  it('jump the target clock by the signed duration given, and drift it, with coordinators writing sane timestamps', () => {
    const r = runScenario(
      parseScenario(`
name: clocks
duration: 12s
drain: 5s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 2, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 100/s, start: 1s, stop: 11s } }
  - { id: c, type: consumer, group: g1, topics: [orders], instances: 2, config: { auto.offset.reset: earliest } }
faults:
  - { at: 4s, action: clock, target: broker-1, jump: -3s }
  - { at: 5s, action: clock, target: broker-2, jump: 2500ms, driftPpm: 1000 }
  - { at: 6s, action: clock, target: all-brokers, driftPpm: -2000 }
`),
      { keepTrace: true },
    );
    const changes = (r.simulation.memory?.records ?? []).filter((x) => x.kind === 'clock.change');
    expect(changes.map((x) => (x.kind === 'clock.change' ? [x.node, x.jump, Math.round(x.driftPpm)] : []))).toEqual([
      ['broker-1', -3_000_000, 0],
      ['broker-2', 2_500_000, 1000],
      ['broker-1', 0, -2000],
      ['broker-2', 0, -2000],
      ['broker-3', 0, -2000],
    ]);
    expect(r.stats.acked).toBe(r.stats.produced);
    expect(r.violations).toEqual([]);
  });
});

describe('the nemesis as a scenario writes it', () => {
  it('draws the disk faults and the clock jumps the scenario allows', () => {
    const text = (extra: string) => `
name: nemesis-options
duration: 12s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 100/s, stop: 10s } }
nemesis: { kinds: [disk, clock], interval: 1s..2s, targets: [brokers]${extra} }
`;
    const drawn = (extra: string) => runScenario(parseScenario(text(extra))).schedule.map((t) => t.fault);
    const byDefault = drawn('');
    expect(byDefault.filter((f) => f.action === 'disk').every((f) => f.action === 'disk' && f.fault === 'bitflip')).toBe(true);
    expect(byDefault.filter((f) => f.action === 'clock').every((f) => f.action === 'clock' && Math.abs(f.jump ?? 0) <= 5_000_000)).toBe(true);
    const chosen = drawn(', diskFaults: [truncate], maxClockJump: 50ms');
    const disks = chosen.filter((f) => f.action === 'disk');
    const clocks = chosen.filter((f) => f.action === 'clock');
    expect(disks.length).toBeGreaterThan(0);
    expect(clocks.length).toBeGreaterThan(0);
    for (const f of disks) expect(f).toMatchObject({ fault: 'truncate' });
    for (const f of clocks) expect(Math.abs(f.action === 'clock' ? (f.jump ?? 0) : 0)).toBeLessThanOrEqual(50_000);
  });
});

describe('kafkasim run', () => {
  it('prints one JSON object with --json and exits 0 when the expectation is met', () => {
    const r = cli('run', `${library}acks-all-leader-failover.yaml`, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(out).toMatchObject({ scenario: 'acks-all-leader-failover', seed: 3, violations: [], expectMet: true });
    expect(out.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.keys(out.stats)).toEqual(expect.arrayContaining(['simulatedMs', 'wallMs', 'events', 'produced', 'acked', 'failed', 'indeterminate']));
  });

  it('writes every trace record to a JSONL file with --trace, and the fingerprint does not change', () => {
    const file = `${mkdtempSync(join(tmpdir(), 'kafkasim-trace-'))}/trace.jsonl`;
    const tiny = `${fileURLToPath(new URL('../fixtures/', import.meta.url))}tiny-scenario.yaml`;
    const withTrace = cli('run', tiny, '--json', '--trace', file);
    const without = cli('run', tiny, '--json');
    expect(withTrace.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; at: number });
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.some((l) => l.kind === 'net.send')).toBe(true);
    expect(lines.some((l) => l.kind === 'node.crash')).toBe(true);
    expect(JSON.parse(withTrace.stdout).fingerprint).toBe(JSON.parse(without.stdout).fingerprint);
  });

  it('checks the TLA+ invariants online unless --no-online-checks, which leaves the run itself unchanged', () => {
    // With the online checks: the run in-process (the checks are on by default); without: the CLI.
    const on = unclean();
    const off = cli('run', 'unclean-election', '--json', '--no-online-checks');
    // The scenario expects a lost write and spec:LeaderCompleteness; with the online checks
    // off, the spec kinds cannot be judged and only the lost write is.
    expect(off.code).toBe(0);
    const offOut = JSON.parse(off.stdout.trim().split('\n').pop() as string);
    const kinds = (o: { violations: readonly { kind: string }[] }) => o.violations.map((v) => v.kind);
    expect(kinds(on)).toContain('spec:LeaderCompleteness');
    expect(kinds(offOut)).toContain('lost-write');
    expect(kinds(offOut).filter((k) => k.startsWith('spec:'))).toEqual([]);
    expect(offOut.fingerprint).toBe(on.fingerprint);
  });

  it('exits 2 for a check that does not exist', () => {
    const r = cli('run', 'acks-all-leader-failover', '--checks', 'lost-writes');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown check lost-writes');
  });

  it('refuses a fault trigger on a kind of trace record that does not exist, or a field its records lack, and exits 2', () => {
    const triggered = (when: string) => `${small}  - { at: 1s, when: ${when}, action: crash, target: broker-1 }\n`;
    expect(() => runScenario(parseScenario(triggered('{ event: txn.prepare }')))).toThrow(/faults\[2\]\.when\.event: no trace records of kind "txn.prepare"; kinds: .*txn\.state/);
    expect(() => runScenario(parseScenario(triggered('{ event: txn.state, where: { status: PrepareCommit } }')))).toThrow(/faults\[2\]\.when\.where\.status: txn.state records have no field "status"; fields: .*state/);
    const dir = mkdtempSync(join(tmpdir(), 'kafkasim-trigger-'));
    const path = join(dir, 'bad-trigger.yaml');
    writeFileSync(path, triggered('{ event: nope }'));
    const r = cli('run', path);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('faults[2].when.event');
    expect(r.stderr).not.toContain('    at ');
  });

  it('fires a triggered fault the same whether or not the trace keeps records (the fingerprint-only mode of sweeps)', () => {
    const scenario = loadScenario(`${library}eos-late-endtxn.yaml`);
    const kept = runScenario(scenario, { keepTrace: true });
    const bare = runScenario(scenario);
    expect(bare.fingerprint).toBe(kept.fingerprint);
    const applied = (kept.simulation.memory?.records ?? []).filter((r) => r.kind === 'fault.apply');
    expect(applied.map((r) => (r.kind === 'fault.apply' ? r.action : ''))).toEqual(['degrade', 'heal']);
  });

  it('exits 2 naming the bad field of a scenario', () => {
    const r = cli('run', `${fileURLToPath(new URL('../fixtures/', import.meta.url))}bad-scenario.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cluster.brokers');
    expect(r.stderr).not.toContain('    at '); // no stack trace
  });
});

describe('faults that did nothing', () => {
  it('are carried by the result as they fired: the scenario\'s own, and the nemesis\'s marked as such', () => {
    const scenario = loadScenario(`${library}acks1-leader-failover.yaml`);
    const r = acks1();
    expect(r.skippedFaults.some((f) => f.nemesis)).toBe(true);
    for (const f of r.skippedFaults) {
      const scheduled = r.schedule[f.index];
      expect(f.action).toBe(scheduled.fault.action);
      expect(f.at * 1000).toBeGreaterThanOrEqual(scheduled.at);
      expect(f.nemesis).toBe(f.index >= scenario.faults.length);
      expect(f.reason).not.toBe('');
    }
  });

  it('a restart of a running broker is reported with the broker named', () => {
    const r = runScenario(parseScenario(small.replace('action: restart, target: leader(orders-1)', 'action: restart, target: broker-3').replace('target: leader(orders-0), mode: power', 'target: broker-2, mode: power'), 'small'));
    expect(r.skippedFaults).toEqual([{ index: 1, at: 9000, action: 'restart', target: 'broker-3', reason: 'broker-3 was running', nemesis: false }]);
  });
});
