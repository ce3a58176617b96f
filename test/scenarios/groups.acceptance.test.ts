import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../src/scenarios/loader.js';
import { runScenario, type RunResult } from '../../src/scenarios/runner.js';
import type { Op } from '../../src/sim/history.js';
import type { TraceRecord } from '../../src/sim/trace.js';

/**
 * Consumer groups: where at-most-once and at-least-once come from, what generations
 * fence, and what coordinator failover, static membership and cooperative rebalancing
 * keep. The default suite runs a few seeds of each; `npm run test:deep` runs more.
 */
const deep = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';
const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
const seeds = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const kinds = (r: RunResult): string[] => r.violations.map((v) => v.kind);
const run = (name: string, seed?: number, keepTrace = false): RunResult => runScenario(loadScenario(`${library}${name}.yaml`), { seed, keepTrace });
const records = (r: RunResult): readonly TraceRecord[] => r.simulation.memory?.records ?? [];
const okOps = (r: RunResult, f: string): Op[] => r.simulation.history.ops.filter((o) => o.f === f && o.type === 'ok');

describe('acceptance: processing modes under member crashes', () => {
  // Each of seeds 1-3 shows its mode's effect; the default suite runs seeds 1-2, the deep run 1-10.
  const n = deep ? 10 : 2;

  it(`commit-after-process reprocesses and never skips (${n} seeds)`, { timeout: 600_000 }, () => {
    const runs = seeds(n).map((seed) => run('consumer-commit-after-crash', seed));
    expect(runs.filter((r) => kinds(r).includes('reprocessed')).length).toBeGreaterThan(0);
    for (const r of runs) expect(kinds(r)).not.toContain('skipped');
  });

  it(`commit-before-process skips and never reprocesses (${n} seeds)`, { timeout: 600_000 }, () => {
    const runs = seeds(n).map((seed) => run('consumer-commit-before-crash', seed));
    expect(runs.filter((r) => kinds(r).includes('skipped')).length).toBeGreaterThan(0);
    for (const r of runs) expect(kinds(r)).not.toContain('reprocessed');
  });

  it('auto-commit does one or the other in a small sweep', { timeout: 600_000 }, () => {
    const runs = seeds(n).map((seed) => run('consumer-auto-commit-crash', seed));
    expect(runs.some((r) => kinds(r).includes('reprocessed') || kinds(r).includes('skipped'))).toBe(true);
  });
});

describe('acceptance: a zombie member', () => {
  it('is fenced by its generation: its late commit is refused and no stale commit lands', () => {
    const r = run('consumer-zombie-member');
    expect(kinds(r)).not.toContain('stale-commit');
    // The paused member did try to commit after it woke up, and the coordinator said no.
    const refused = r.simulation.history.ops.filter((o) => o.process === 'c1-1' && o.f === 'commit' && o.type === 'fail' && (o.error === 'ILLEGAL_GENERATION' || o.error === 'UNKNOWN_MEMBER_ID'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].time).toBeGreaterThanOrEqual(27_000_000);
  });

  it('with sim.group.fencing off, its stale commit lands', () => {
    const r = run('consumer-zombie-member-unfenced');
    expect(kinds(r)).toContain('stale-commit');
  });
});

describe('acceptance: coordinator failover', () => {
  it('keeps every acknowledged commit: no offset goes back, and the new coordinator loaded them', () => {
    const r = run('consumer-coordinator-failover', undefined, true);
    expect(r.violations).toEqual([]);
    const loads = records(r).filter((x): x is TraceRecord<'group.load'> => x.kind === 'group.load');
    const crash = records(r).find((x) => x.kind === 'fault.apply' && x.action === 'crash');
    expect(crash).toBeDefined();
    const crashed = (crash as TraceRecord<'fault.apply'>).targets[0];
    // Another broker took over the group's partition and found the group in it.
    expect(loads.some((l) => l.at >= (crash as TraceRecord).at && l.groups > 0 && `broker-${l.broker}` !== crashed)).toBe(true);
    // The final committed offsets are at least the last acknowledged commits.
    const lastAcked = new Map<string, number>();
    for (const op of okOps(r, 'commit')) for (const [p, o] of Object.entries((op.value as { offsets: Record<string, number> }).offsets)) lastAcked.set(p, Math.max(lastAcked.get(p) ?? 0, o));
    const lag = r.stats.lag ?? {};
    expect(Object.keys(lag).sort()).toEqual(['orders-0', 'orders-1', 'orders-2']);
    for (const p of lastAcked.keys()) expect(lag[p]).toBe(0);
  });
});

describe('acceptance: static membership (KIP-345)', () => {
  it('a member restarting within session.timeout.ms causes no rebalance', () => {
    const r = run('consumer-static-restart', undefined, true);
    expect(r.violations).toEqual([]);
    const restart = records(r).find((x) => x.kind === 'fault.apply' && x.action === 'restart');
    expect(restart).toBeDefined();
    const generations = records(r).filter((x): x is TraceRecord<'group.generation'> => x.kind === 'group.generation' && x.group === 'g1' && x.at < 40_000_000);
    // Generation 1 was formed before the crash, and no generation followed during the run.
    expect(generations.filter((g) => g.at < (restart as TraceRecord).at).map((g) => g.generation)).toContain(1);
    expect(generations.filter((g) => g.at >= (restart as TraceRecord).at && g.generation > 1)).toEqual([]);
    // The restarted member got its partition back in the same generation.
    const assigns = okOps(r, 'assign').filter((o) => o.process === 'c1-2');
    expect(assigns.length).toBe(2);
    expect(assigns.map((a) => (a.value as { generation: number }).generation)).toEqual([1, 1]);
  });
});

describe('acceptance: cooperative rebalancing (KIP-429)', () => {
  it('never revokes a partition that its member keeps', () => {
    const r = run('consumer-cooperative');
    expect(r.violations).toEqual([]);
    const ops = r.simulation.history.ops.filter((o) => o.type === 'ok' && (o.f === 'assign' || o.f === 'revoke'));
    let revokes = 0;
    for (const op of ops) {
      const value = op.value as { partitions: string[] };
      if (op.f === 'revoke') {
        revokes++;
        // What is revoked is given up for good in this rebalance: the next assignment does not have it.
        const next = ops.find((o) => o.index > op.index && o.process === op.process && o.f === 'assign');
        if (next !== undefined) for (const p of value.partitions) expect((next.value as { partitions: string[] }).partitions).not.toContain(p);
      }
    }
    expect(revokes).toBeGreaterThan(0);
  });
});

describe('acceptance: retention', () => {
  it('a slow consumer with short retention loses records to retention', () => {
    const r = run('consumer-retention-loss');
    expect(kinds(r)).toContain('retention-loss');
    expect(r.stats.lag?.['orders-0']).toBeDefined();
  });
});

describe('acceptance: committed offsets expire (offsets.retention.minutes, KIP-211)', () => {
  it('before KIP-211 a live group loses the offsets of a quiet partition, and the next rebalance skips records', () => {
    const r = run('consumer-offset-expiry', undefined, true);
    expect(kinds(r)).toContain('skipped');
    const expired = records(r).filter((x): x is TraceRecord<'group.expire'> => x.kind === 'group.expire');
    // The group was consuming (Stable, not Empty) when its offsets went.
    expect(expired.some((x) => x.group === 'g1' && x.state === 'Stable' && x.basis.includes('expire-timestamp'))).toBe(true);
    const resets = records(r).filter((x): x is TraceRecord<'consumer.reset'> => x.kind === 'consumer.reset' && x.reason === 'no-committed-offset' && x.offset > 0);
    expect(resets.length).toBeGreaterThan(0);
  });

  it('since KIP-211 the same run keeps the offsets of the topics the group subscribes to, and nothing is skipped', () => {
    const r = run('consumer-offset-expiry-kip211', undefined, true);
    expect(r.violations).toEqual([]);
    expect(records(r).filter((x) => x.kind === 'group.expire')).toEqual([]);
    expect(r.stats.consumers?.processed).toBe(r.stats.acked);
  });
});

describe('acceptance: what consumers see of broker-side loss', () => {
  it('after an unclean election a consumer detects the truncation (KIP-320), seeks back, and reads offsets again with other messages', () => {
    const r = run('consumer-unclean-election');
    expect(kinds(r)).toEqual(expect.arrayContaining(['lost-write', 'inconsistent-offsets']));
    const seeks = okOps(r, 'seek').map((o) => o.value as { reason: string; from: number; to: number });
    expect(seeks.some((s) => s.reason === 'log-truncation' && s.to < s.from)).toBe(true);
    // The seek is why reading the same offsets again is not also a nonmonotonic poll.
    expect(kinds(r)).not.toContain('nonmonotonic-poll');
  });

  it('a batch that outlasts max.poll.interval.ms gets its member thrown out, and is processed again', () => {
    const r = run('consumer-slow-processing', undefined, true);
    expect(kinds(r)).toContain('reprocessed');
    expect(records(r).some((x) => x.kind === 'consumer.leave' && x.reason === 'consumer poll timeout has expired')).toBe(true);
  });
});

describe('acceptance: a commit-after-process group under a nemesis', () => {
  // The default suite runs seeds 1-3; the deep run adds seeds 4-200.
  const n = deep ? 200 : 3;
  it(`never skips, takes a stale commit, moves an offset back or reads out of order (${n} seeds)`, { timeout: 1_800_000 }, () => {
    const scenario = loadScenario(`${library}consumer-nemesis.yaml`);
    const failures: string[] = [];
    for (const seed of seeds(n)) {
      const r = runScenario(scenario, { seed });
      for (const v of r.violations) failures.push(`seed ${seed}: ${v.kind}: ${v.message}`);
      expect(r.stats.consumers?.processed).toBeGreaterThan(0);
    }
    expect(failures).toEqual([]);
  });
});
