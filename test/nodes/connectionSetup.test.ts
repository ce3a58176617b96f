import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import type { TraceRecord } from '../../src/sim/trace.js';

/**
 * A partition cuts p1 off from t-0's leader (and only from it) from 5 s to 75 s. The leader
 * keeps its leadership, so p1's metadata names it all along. p1's open connection holds what
 * it sent (TCP retransmits it) until request.timeout.ms closes it at about 35 s; every
 * connection p1 opens after that has its SYNs go unanswered.
 */
const cutFromLeader = `
name: connection-setup
duration: 80s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: t, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: all }, workload: { rate: 100/s, start: 3s, stop: 10s } }
faults:
  - { at: 5s, action: partition, name: cut, groups: [[producer-p1], ["leader(t-0)"]] }
  - { at: 75s, action: heal, name: cut }
`;

type Rec = TraceRecord & { readonly at: number };

/** The trace of `yaml` run at `seed`, and the broker its partition cut off. */
function records(seed: number, yaml = cutFromLeader): { recs: readonly Rec[]; leader: string } {
  const r = runScenario(parseScenario(yaml), { seed, keepTrace: true });
  const recs = (r.simulation.memory?.records ?? []) as readonly Rec[];
  const cut = recs.find((x) => x.kind === 'net.partition');
  const leader = cut?.kind === 'net.partition' ? (cut.cutOff.find((n) => n.startsWith('broker-')) ?? '') : '';
  return { recs, leader };
}

describe('a client sends nothing on a connection still being set up (NetworkClient.ready, KIP-601)', () => {
  it.each([1, 2])('p1 cut off from its leader: no Produce goes out while it connects, each attempt ends at socket.connection.setup.timeout.ms (doubling, with 20 percent jitter), and the first SYN after the heal connects (seed %i)', (seed) => {
    const { recs, leader } = records(seed);
    expect(leader).toMatch(/^broker-/);
    const mine = (x: Rec): boolean => (x.kind === 'net.connect' || x.kind === 'net.disconnect' || x.kind === 'net.established') && x.client === 'producer-p1' && x.server === leader;
    const conns = recs.filter(mine);
    const timedOut = conns.find((x) => x.kind === 'net.disconnect' && x.reason === 'request-timeout');
    expect(timedOut).toBeDefined();
    const after = (timedOut as Rec).at;
    // Kafka's Sender drains only ready nodes: no Produce to the leader from the request timeout to the heal.
    const produces = recs.filter((x) => x.kind === 'net.send' && x.type === 'Produce' && x.from === 'producer-p1' && x.to === leader && x.at > after && x.at < 75_000_000);
    expect(produces).toEqual([]);
    // Each connect that is not established is closed at its setup timeout: 10 s, then 20 s, ±20%.
    const attempts: number[] = [];
    let opened: number | undefined;
    for (const x of conns) {
      if (x.at <= after) continue;
      if (x.kind === 'net.connect') opened = x.at;
      else if (x.kind === 'net.disconnect' && x.reason === 'setup-timeout' && opened !== undefined) attempts.push((x.at - opened) / 1000);
    }
    expect(attempts.length).toBe(2);
    expect(attempts[0]).toBeGreaterThanOrEqual(8_000);
    expect(attempts[0]).toBeLessThanOrEqual(12_000);
    expect(attempts[1]).toBeGreaterThanOrEqual(16_000);
    expect(attempts[1]).toBeLessThanOrEqual(24_000);
    // After the heal, a SYN gets through (Linux resends it after 1, 2, 4, 8 … s) and Produce goes again.
    const established = conns.find((x) => x.kind === 'net.established' && x.at >= 75_000_000);
    expect(established).toBeDefined();
    expect(recs.some((x) => x.kind === 'net.send' && x.type === 'Produce' && x.from === 'producer-p1' && x.to === leader && x.at >= (established as Rec).at)).toBe(true);
  });

  it('a consumer cut off from its partition leader (also its coordinator) sends it nothing while it connects; what waited fails at the setup timeout or goes once connected', () => {
    const { recs, leader } = records(1, `
name: connection-setup-consumer
duration: 80s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 1 } }
topics: [{ name: t, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: t, workload: { rate: 100/s, start: 3s, stop: 70s } }
  - { id: c1, type: consumer, group: g1, topics: [t], config: { auto.offset.reset: earliest }, processing: { mode: commit-after-process, time: 1ms } }
faults:
  - { at: 10s, action: partition, name: cut, groups: [[consumer-c1-1], ["leader(t-0)"]] }
  - { at: 75s, action: heal, name: cut }
`);
    const closed = recs.find((x) => x.kind === 'net.disconnect' && x.client === 'consumer-c1-1' && x.server === leader && x.reason === 'request-timeout');
    expect(closed).toBeDefined();
    const after = (closed as Rec).at;
    // ConsumerNetworkClient.trySend sends only to a ready node: nothing to the leader from then to the heal.
    expect(recs.filter((x) => x.kind === 'net.send' && x.from === 'consumer-c1-1' && x.to === leader && x.at > after && x.at < 75_000_000)).toEqual([]);
    expect(recs.filter((x) => x.kind === 'net.disconnect' && x.client === 'consumer-c1-1' && x.server === leader && x.reason === 'setup-timeout').length).toBeGreaterThanOrEqual(2);
    // After the heal it fetches from the leader again.
    expect(recs.some((x) => x.kind === 'net.send' && x.from === 'consumer-c1-1' && x.to === leader && x.type === 'Fetch' && x.at >= 75_000_000)).toBe(true);
  });

  it("a processor's producer sets up its own connections: nothing goes to its cut-off output leader while it connects (its KafkaProducer has a NetworkClient of its own)", () => {
    const { recs, leader } = records(1, `
name: connection-setup-processor
duration: 80s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 1, transaction.state.log.num.partitions: 1 } }
topics: [{ name: in, partitions: 1, replication.factor: 3 }, { name: out, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: in, workload: { rate: 100/s, start: 3s, stop: 70s } }
  - { id: t1, type: processor, from: in, to: out, group: g1, config: { auto.offset.reset: earliest }, processing: { mode: transactional, transactionRecords: 50 } }
faults:
  - { at: 10s, action: partition, name: cut, groups: [[consumer-t1-1], ["leader(out-0)"]] }
  - { at: 75s, action: heal, name: cut }
`);
    expect(leader).toMatch(/^broker-/);
    const produces = recs.filter((x) => x.kind === 'net.send' && x.type === 'Produce' && x.from === 'consumer-t1-1' && x.to === leader);
    expect(produces.some((x) => x.at < 10_000_000)).toBe(true);
    // Before, its requests on channel 1 opened a connection at once and sent Produce into the cut (at 40 s and 70 s here).
    expect(produces.filter((x) => x.at > 10_000_000 && x.at < 75_000_000)).toEqual([]);
    expect(recs.filter((x) => x.kind === 'net.disconnect' && x.client === 'consumer-t1-1' && x.server === leader && x.reason === 'setup-timeout').length).toBeGreaterThanOrEqual(2);
    expect(produces.some((x) => x.at >= 75_000_000)).toBe(true);
  });
});
