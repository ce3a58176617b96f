import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { TraceRecord, TraceRecordMap } from '../../../src/sim/trace.js';

/** A group of three members under a producer; member 1 gets SIGTERM (or is killed) at 12 s and comes back at 16 s. */
function run(options: { action: 'shutdown' | 'crash'; mode: string; config?: string; seed?: number }) {
  const text = `
name: consumer-shutdown
seed: ${options.seed ?? 1}
duration: 30s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 10 } }
topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 300/s, stop: 25s } }
  - id: c1
    type: consumer
    group: g1
    topics: [orders]
    instances: 3
    config: { auto.offset.reset: earliest, session.timeout.ms: 10000, max.poll.records: 50${options.config === undefined ? '' : `, ${options.config}`} }
    processing: { mode: ${options.mode}, time: 1ms..4ms }
faults:
  - { at: 12s, action: ${options.action}, target: "member(c1, 1)" }
  - { at: 16s, action: restart, target: "member(c1, 1)" }
`;
  return runScenario(parseScenario(text), { keepTrace: true });
}

type Run = ReturnType<typeof run>;
const records = <K extends keyof TraceRecordMap>(r: Run, kind: K) => (r.simulation.memory?.records ?? []).filter((x) => x.kind === kind) as TraceRecord<K>[];
/** The first generation the coordinator formed after `from`. */
const nextGeneration = (r: Run, from: number) => records(r, 'group.generation').find((g) => g.at > from);

describe('consumer shutdown (SIGTERM: wakeup, then KafkaConsumer.close())', () => {
  it('with enable.auto.commit, a member that is shut down commits what it processed on close: nothing is processed twice, where a crash reprocesses', () => {
    for (const seed of [1, 2]) {
      const crashed = run({ action: 'crash', mode: 'auto-commit', seed });
      expect(crashed.violations.map((v) => v.kind)).toContain('reprocessed');
      const stopped = run({ action: 'shutdown', mode: 'auto-commit', seed });
      expect(stopped.violations).toEqual([]);
      // Its last act: a commit after the signal, then the exit.
      const [stop] = records(stopped, 'node.stop');
      const commits = stopped.simulation.history.ops.filter((op) => op.process === 'c1-1' && op.f === 'commit' && op.type === 'ok' && op.time > 12_000_000 && op.time <= stop.at);
      expect(commits.length).toBeGreaterThan(0);
    }
  });

  it('a dynamic member leaves the group on close, so the group rebalances without waiting for session.timeout.ms', () => {
    const stopped = run({ action: 'shutdown', mode: 'commit-after-process' });
    const leave = records(stopped, 'consumer.leave').find((l) => l.member === 'c1-1');
    expect(leave?.reason).toBe('the consumer is being closed');
    // The others learn of the rebalance at their next heartbeat (3 s apart), well before the 10 s session timeout.
    expect((nextGeneration(stopped, 12_000_000)?.at ?? Infinity) - 12_000_000).toBeLessThan(5_000_000);
    const crashed = run({ action: 'crash', mode: 'commit-after-process' });
    expect((nextGeneration(crashed, 12_000_000)?.at ?? Infinity) - 12_000_000).toBeGreaterThan(9_000_000);
  });

  it('a static member (group.instance.id) sends no LeaveGroup: back within the session timeout, it takes its place with no rebalance (KIP-345)', () => {
    const r = run({ action: 'shutdown', mode: 'commit-after-process', config: 'group.instance.id: c1' });
    expect(records(r, 'node.stop')).toHaveLength(1);
    expect(nextGeneration(r, 12_000_000)).toBeUndefined();
    expect(r.violations).toEqual([]);
  });
});
