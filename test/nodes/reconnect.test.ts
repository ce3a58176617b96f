import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

/** Connections that nodes whose id starts with `clientPrefix` saw refused in a run of `yaml`. */
function refusedConnections(yaml: string, clientPrefix: string): number {
  const r = runScenario(parseScenario(yaml), { keepTrace: true });
  const records = r.simulation.memory?.records ?? [];
  return records.filter((x) => x.kind === 'net.disconnect' && x.client.startsWith(clientPrefix) && x.reason === 'connection-refused').length;
}

/**
 * A leader crashes and is fenced only after broker.session.timeout.ms (9 s): how often does the
 * producer knock on its door meanwhile? The controller counts the 9 s from the broker's last
 * heartbeat (broker.heartbeat.interval.ms, 2 s, apart; BrokerHeartbeatManager), so the crash
 * comes at 5.2 s, just after broker-1's heartbeat at 5.18 s, and the fence at 14.2 s. (Re-pinned
 * for the fast start-up: at 5 s the last heartbeat was 3.18 s old and the door stayed open only
 * 7.2 s, too short for the ratio below, which was calibrated to the 9 s.)
 * retry.backoff.max.ms equal to retry.backoff.ms keeps the
 * batch retries at a constant 100 ms (as before KIP-580, 3.7), so the count shows the reconnect
 * backoff alone: since 3.7 the retry backoff's own doubling also spaces the attempts out.
 */
const producerRun = (reconnectBackoffMs: number): string => `
name: reconnect
duration: 15s
drain: 2s
cluster: { brokers: 3, config: { min.insync.replicas: 1 } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: "1", enable.idempotence: false, retry.backoff.max.ms: 100, reconnect.backoff.ms: ${reconnectBackoffMs} }, workload: { rate: 500/s, keys: 10, stop: 14s } }
faults:
  - { at: 5200ms, action: crash, target: leader(orders-0) }
`;

/** The group's coordinator crashes and stays down 10 s: how often do the members knock on its door? */
const consumerRun = (reconnectBackoffMs: number): string => `
name: reconnect-consumer
duration: 30s
drain: 2s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 10 } }
topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 300/s, stop: 25s } }
  - { id: c1, type: consumer, group: g1, topics: [orders], instances: 3, config: { auto.offset.reset: earliest, reconnect.backoff.ms: ${reconnectBackoffMs} }, processing: { mode: commit-after-process, time: 1ms } }
faults:
  - { at: 10s, action: crash, target: coordinator(g1) }
  - { at: 20s, action: restart, target: all-brokers }
`;

describe('clients and a dead broker', () => {
  it('the producer backs off reconnecting (reconnect.backoff.ms, doubling to reconnect.backoff.max.ms) instead of retrying it at once', () => {
    const withBackoff = refusedConnections(producerRun(50), 'producer-p1');
    const without = refusedConnections(producerRun(0), 'producer-p1');
    // 9 s of exponential backoff from 50 ms, capped at 1 s: about fifteen attempts, one request each.
    expect(withBackoff).toBeGreaterThan(3);
    expect(withBackoff).toBeLessThan(20);
    expect(without).toBeGreaterThan(10 * withBackoff);
  });

  it('consumers back off on every request path (fetches, the group protocol, commits)', () => {
    const withBackoff = refusedConnections(consumerRun(50), 'consumer-c1');
    const without = refusedConnections(consumerRun(0), 'consumer-c1');
    // Three members, one connection each to the dead broker (fetches, the group protocol and
    // commits share it): 10 s of backoff from 50 ms, capped at 1 s, is about fifteen attempts each.
    expect(withBackoff).toBeGreaterThan(3);
    expect(withBackoff).toBeLessThan(3 * 20);
    // Without it, each path tries again as soon as its last attempt failed (a fetch per broker
    // and the group protocol's retries: several times the backed-off count).
    expect(without).toBeGreaterThan(4 * withBackoff);
  });
  it('a member opens one connection at a time to a dead broker; its other requests wait for that attempt (NetworkClient.initiateConnect)', () => {
    const r = runScenario(parseScenario(consumerRun(50)), { keepTrace: true });
    const attempts = (r.simulation.memory?.records ?? []).flatMap((x) => (x.kind === 'net.disconnect' && x.client.startsWith('consumer-c1') && x.reason === 'connection-refused' ? [`${x.client} ${x.server} ${x.at}`] : []));
    expect(attempts.length).toBeGreaterThan(3);
    // Several requests held by one backoff used to open a connection each at its end: two or
    // three refusals of one member to one broker at one instant.
    expect(new Set(attempts).size).toBe(attempts.length);
  });
});
