import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { TraceRecord } from '../../../src/sim/trace.js';

/** A producer at 2,000 msg/s that gets SIGTERM (or is killed) at 5 s while a leader is slow to answer. */
function run(action: 'shutdown' | 'crash', linger: number) {
  const text = `
name: producer-shutdown
duration: 15s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: t, partitions: 3, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: all, linger.ms: ${linger} }, workload: { rate: 2000/s, start: 1s, stop: 14s } }
faults:
  - { at: 5s, action: ${action}, target: client(p1) }
`;
  return runScenario(parseScenario(text), { keepTrace: true });
}

describe('producer shutdown (SIGTERM: the application stops sending and calls KafkaProducer.close())', () => {
  it('close() waits until every record sent has its outcome, sending lingering batches at once; a kill leaves them unknown', () => {
    for (const linger of [5, 200]) {
      const stopped = run('shutdown', linger);
      const [stop] = (stopped.simulation.memory?.records ?? []).filter((r): r is TraceRecord<'node.stop'> => r.kind === 'node.stop');
      expect(stop).toBeDefined();
      // Nothing sent after the signal, everything sent before it acknowledged, and the exit after the last answer.
      const sends = stopped.simulation.history.ops.filter((op) => op.f === 'send');
      expect(sends.filter((op) => op.type === 'invoke' && op.time > 5_000_000)).toEqual([]);
      expect(stopped.stats.indeterminate).toBe(0);
      expect(stopped.stats.acked).toBe(stopped.stats.produced);
      expect(Math.max(...sends.map((op) => op.time))).toBeLessThanOrEqual(stop.at);
      // A closed accumulator does not wait out linger.ms.
      expect(stop.at - 5_000_000).toBeLessThan(100_000);
      const killed = run('crash', linger);
      expect(killed.stats.produced - killed.stats.acked - killed.stats.failed).toBeGreaterThan(0);
    }
  });
});
