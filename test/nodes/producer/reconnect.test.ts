import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/** A leader crashes and is fenced only after broker.session.timeout.ms (9 s): how often does the producer knock on its door meanwhile? */
function refusedConnections(reconnectBackoffMs: number): number {
  const r = runScenario(
    parseScenario(`
name: reconnect
duration: 15s
drain: 2s
cluster: { brokers: 3, config: { min.insync.replicas: 1 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: "1", enable.idempotence: false, reconnect.backoff.ms: ${reconnectBackoffMs} }, workload: { rate: 500/s, keys: 10, stop: 14s } }
faults:
  - { at: 5s, action: crash, target: leader(orders-0) }
`),
    { keepTrace: true },
  );
  const records = r.simulation.memory?.records ?? [];
  return records.filter((x) => x.kind === 'net.disconnect' && x.client === 'producer-p1' && x.reason === 'connection-refused').length;
}

describe('the producer and a dead broker', () => {
  it('backs off reconnecting (reconnect.backoff.ms, doubling to reconnect.backoff.max.ms) instead of retrying it at once', () => {
    const withBackoff = refusedConnections(50);
    const without = refusedConnections(0);
    // 9 s of exponential backoff from 50 ms, capped at 1 s: about fifteen attempts, one request each.
    expect(withBackoff).toBeGreaterThan(3);
    expect(withBackoff).toBeLessThan(20);
    expect(without).toBeGreaterThan(10 * withBackoff);
  });
});
