import { describe, expect, it } from 'vitest';
import { simulate } from '../../../src/scenarios/simulate.js';
import type { Op } from '../../../src/sim/history.js';
import { seconds } from '../../../src/sim/time.js';
import { loadScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/** A small group run whose application also calls the consumer API at given times. */
function groupRun(actions: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return simulate({
    name: 'consumer-api',
    duration: '30s',
    drain: '10s',
    cluster: { brokers: 3, config: { 'min.insync.replicas': 2, 'offsets.topic.num.partitions': 5 } },
    topics: [{ name: 'orders', partitions: 2, 'replication.factor': 3 }],
    clients: [
      { id: 'p1', type: 'producer', topic: 'orders', workload: { rate: '100/s', stop: '25s' } },
      { id: 'c1', type: 'consumer', group: 'g1', topics: ['orders'], config: { 'auto.offset.reset': 'earliest' }, processing: { mode: 'commit-after-process', time: '1ms' }, actions, ...extra },
    ],
  });
}

const polled = (ops: readonly Op[], partition: string, from: number, to: number): number[] =>
  ops
    .filter((o) => o.f === 'poll' && o.type === 'ok' && o.time >= from && o.time < to)
    .flatMap((o) => (o.value as { records: [string, number, string][] }).records.filter((r) => r[0] === partition).map((r) => r[1]));

describe('Consumer API (the application calls it at given times)', () => {
  it('seek rewinds a partition: its records are read again, and the checkers know it was asked for', () => {
    const r = groupRun([{ at: '20s', do: 'seek', partition: 'orders-0', offset: 0 }]);
    const again = polled(r.simulation.history.ops, 'orders-0', 20_000_000, 40_000_000);
    expect(again[0]).toBe(0);
    const kinds = r.violations.map((v) => v.kind);
    expect(kinds).toContain('reprocessed');
    // The rewind was the application's own: not an anomaly of the log or the coordinator.
    expect(kinds).not.toContain('nonmonotonic-poll');
    expect(kinds).not.toContain('offset-regression');
    expect(r.simulation.history.ops.some((o) => o.f === 'seek' && o.type === 'ok' && (o.value as { reason: string }).reason === 'seek')).toBe(true);
  });

  it('pause stops a partition being returned until resume, and seekToEnd skips what is there', () => {
    const r = groupRun([
      { at: '12s', do: 'pause', partition: 'orders-1' },
      { at: '18s', do: 'resume', partition: 'orders-1' },
      { at: '22s', do: 'seekToEnd', partition: 'orders-0' },
    ]);
    const ops = r.simulation.history.ops;
    // Nothing of orders-1 while paused (a poll in flight at 12 s may still finish just after).
    expect(polled(ops, 'orders-1', 12_100_000, 18_000_000)).toEqual([]);
    expect(polled(ops, 'orders-0', 12_100_000, 18_000_000).length).toBeGreaterThan(0);
    expect(polled(ops, 'orders-1', 18_000_000, 25_000_000).length).toBeGreaterThan(0);
    const seek = ops.find((o) => o.f === 'seek' && o.type === 'ok' && (o.value as { reason: string }).reason === 'seekToEnd');
    expect(seek).toBeDefined();
    expect((seek?.value as { to: number; from: number }).to).toBeGreaterThanOrEqual((seek?.value as { from: number }).from);
  });

  it('names what is wrong with an action', () => {
    expect(() => groupRun([{ at: '1s', do: 'seek', partition: 'orders-0' }])).toThrow(/seek takes an offset/);
    expect(() => groupRun([{ at: '1s', do: 'pause', partition: 'payments-0' }])).toThrow(/payments-0 is not a partition of the topics c1 subscribes to/);
    expect(() => groupRun([{ at: '1s', do: 'pause', member: 2 }])).toThrow(/member 2 does not exist/);
  });
});

describe('Consumer: log truncation (KIP-320)', () => {
  it('with auto.offset.reset=none, a truncated log is reported (LogTruncationException) rather than read again', () => {
    const lesson = loadScenario(new URL('../../../src/scenarios/library/consumer-unclean-election.yaml', import.meta.url).pathname);
    const clients = lesson.clients.map((c) =>
      c.type === 'consumer' ? { ...c, config: { ...c.config, 'auto.offset.reset': 'none' as const }, actions: [{ at: seconds(8), do: 'seekToBeginning' as const }] } : c,
    );
    const r = runScenario({ ...lesson, clients }, { keepTrace: true });
    const errors = (r.simulation.memory?.records ?? []).filter((x) => x.kind === 'consumer.error').map((x) => (x as { error: string }).error);
    expect(errors).toContain('LogTruncationException');
    expect(r.violations.map((v) => v.kind)).not.toContain('inconsistent-offsets');
  });

  // Before KIP-320's consumer side (KAFKA-7440, KAFKA-7747: Kafka 2.3) the consumer's fetch
  // named no epochs: the lesson's truncation goes unseen and nothing seeks back.
  it('before 2.3 (sim.consumer.truncation.detection false) the consumer does not detect the truncation; since, it seeks back', () => {
    const lesson = loadScenario(new URL('../../../src/scenarios/library/consumer-unclean-election.yaml', import.meta.url).pathname);
    const seeks = (detect: boolean) => {
      const clients = lesson.clients.map((c) => (c.type === 'consumer' ? { ...c, config: { ...c.config, 'sim.consumer.truncation.detection': detect } } : c));
      const r = runScenario({ ...lesson, clients });
      return r.simulation.history.ops.filter((o) => o.f === 'seek' && o.type === 'ok' && (o.value as { reason: string }).reason === 'log-truncation').length;
    };
    expect(seeks(true)).toBeGreaterThan(0);
    expect(seeks(false)).toBe(0);
  });
});
