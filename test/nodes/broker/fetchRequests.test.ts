import { describe, expect, it } from 'vitest';
import { miniCluster } from '../../helpers/miniCluster.js';
import { encodeBatch } from '../../../src/log/recordBatch.js';
import { message, brokerNode, type FetchRequest, type KafkaMessage, type ProduceRequest } from '../../../src/nodes/protocol.js';
import type { RpcResult } from '../../../src/network/nodeHost.js';
import { fetcherIdOf } from '../../../src/nodes/broker/replicaFetcherManager.js';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { Duration, Time } from '../../../src/sim/time.js';

const s = (n: number): Time => (n * 1_000_000) as Time;

describe('Fetch requests carry several partitions', () => {
  it('a fetch with nothing readable in any partition waits until one has records, then answers for all of them', () => {
    const c = miniCluster({ brokers: 1, rf: 1, partitions: 3, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const answers: { at: number; r: RpcResult<KafkaMessage> }[] = [];
    const fetch = message<FetchRequest>('Fetch', {
      replicaId: -1,
      maxWaitMs: 5_000,
      partitions: [0, 1].map((partition) => ({ topic: 'orders', partition, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: -1 })),
    });
    const client = c.client();
    c.sim.scheduler.at(s(5), () => client.request(brokerNode(1), fetch, { timeout: 30_000_000 as Duration }, (r) => answers.push({ at: c.sim.now, r })));
    c.sim.run({ until: s(6) });
    expect(answers).toEqual([]); // held: partitions 0 and 1 have nothing to read
    const records = encodeBatch([{ key: null, value: Buffer.from('v'), timestamp: 0 }]);
    c.sim.scheduler.at(s(6), () => client.request(brokerNode(1), message<ProduceRequest>('Produce', { acks: '1', timeoutMs: 30_000, topic: 'orders', partitions: [{ partition: 1, records }] }), { timeout: 30_000_000 as Duration }, () => {}));
    c.sim.run({ until: s(7) });
    expect(answers).toHaveLength(1);
    const { at, r } = answers[0];
    expect(at).toBeLessThan(s(6.1)); // woken by the write, not by fetch.max.wait.ms
    if (!r.ok || r.response.type !== 'FetchResponse') throw new Error('expected a FetchResponse');
    const [p0, p1] = r.response.responses;
    expect([p0.partition, p1.partition]).toEqual([0, 1]);
    expect(p0.records.length).toBe(0);
    expect(p0.error).toBeUndefined();
    expect(p1.records.length).toBe(records.length);
    expect(p1.highWatermark).toBe(1);
  });

  it('a partition that cannot be read makes the fetch answer at once (a DelayedFetch does not hold an error)', () => {
    const c = miniCluster({ brokers: 1, rf: 1, partitions: 2, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const answers: RpcResult<KafkaMessage>[] = [];
    const fetch = message<FetchRequest>('Fetch', { replicaId: -1, maxWaitMs: 5_000, partitions: [0, 9].map((partition) => ({ topic: 'orders', partition, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: -1 })) });
    c.sim.scheduler.at(s(5), () => c.client().request(brokerNode(1), fetch, { timeout: 30_000_000 as Duration }, (r) => answers.push(r)));
    c.sim.run({ until: s(5.1) });
    expect(answers).toHaveLength(1);
    const r = answers[0];
    if (!r.ok || r.response.type !== 'FetchResponse') throw new Error('expected a FetchResponse');
    expect(r.response.responses.map((p) => p.error)).toEqual([undefined, 'NOT_LEADER_OR_FOLLOWER']);
  });

  it('a held fetch answers once, at fetch.max.wait.ms, when nothing arrives', () => {
    const c = miniCluster({ brokers: 1, rf: 1, partitions: 2, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const answered: number[] = [];
    const fetch = message<FetchRequest>('Fetch', { replicaId: -1, maxWaitMs: 500, partitions: [0, 1].map((partition) => ({ topic: 'orders', partition, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: -1 })) });
    c.sim.scheduler.at(s(5), () => c.client().request(brokerNode(1), fetch, { timeout: 30_000_000 as Duration }, () => answered.push(c.sim.now)));
    c.sim.run({ until: s(10) });
    expect(answered).toHaveLength(1);
    expect(answered[0]).toBeGreaterThanOrEqual(s(5.5));
    expect(answered[0]).toBeLessThan(s(5.6));
  });

  it('a held fetch answers once even when its wait ran out while the broker was paused and records came before that', () => {
    const c = miniCluster({ brokers: 1, rf: 1, partitions: 1, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const answered: number[] = [];
    const client = c.client();
    const fetch = message<FetchRequest>('Fetch', { replicaId: -1, maxWaitMs: 500, partitions: [{ topic: 'orders', partition: 0, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: -1 }] });
    c.sim.scheduler.at(s(5), () => client.request(brokerNode(1), fetch, { timeout: 30_000_000 as Duration }, () => answered.push(c.sim.now)));
    // Paused with the fetch held: a produce arrives and queues, then the fetch's wait runs out and
    // queues behind it. On resume the produce's records answer the fetch, and then its expired
    // wait comes up, already answered.
    c.sim.scheduler.at(s(5.1), () => c.net.host('broker-1').pause(2_000_000 as Duration));
    const records = encodeBatch([{ key: null, value: Buffer.from('v'), timestamp: 0 }]);
    c.sim.scheduler.at(s(5.2), () => client.request(brokerNode(1), message<ProduceRequest>('Produce', { acks: '1', timeoutMs: 30_000, topic: 'orders', partitions: [{ partition: 0, records }] }), { timeout: 30_000_000 as Duration }, () => {}));
    c.sim.run({ until: s(10) });
    expect(answered).toHaveLength(1);
    expect(answered[0]).toBeGreaterThan(s(7.1));
  });

  it('assigns partitions to fetchers as Kafka does: abs(31 * topic.hashCode() + partition) % num.replica.fetchers', () => {
    // "hello".hashCode() is 99162322 in Java; 31 times it overflows an int.
    expect([0, 1, 2, 3].map((p) => fetcherIdOf('hello', p, 4))).toEqual([2, 1, 0, 3]);
    expect([0, 1, 2, 3, 4, 5].map((p) => fetcherIdOf('orders', p, 3))).toEqual([2, 1, 0, 2, 1, 0]);
    expect(fetcherIdOf('orders', 5, 1)).toBe(0);
  });

  it('a follower fetches every partition it follows on a leader in one request, or splits them over num.replica.fetchers', () => {
    const fetchSizes = (fetchers: number): Set<number> => {
      const r = runScenario(
        parseScenario(`
name: fetchers
duration: 10s
drain: 1s
cluster: { brokers: 3, config: { min.insync.replicas: 2, num.replica.fetchers: ${fetchers} } }
topics: [{ name: orders, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 500/s, start: 5s, stop: 9s } }
`),
        { keepTrace: true },
      );
      const records = r.simulation.memory?.records ?? [];
      // A Fetch is 64 bytes of header and 16 a partition: its size says how many partitions it asks for.
      return new Set(records.filter((x) => x.kind === 'net.send' && x.type === 'Fetch' && x.from.startsWith('broker-') && x.at > 6_000_000).map((x) => (x.kind === 'net.send' ? (x.bytes - 64) / 16 : 0)));
    };
    // Six partitions over three leaders: each follower follows two on each leader (p and p+3),
    // which one fetcher asks for together and two fetchers (ids 1, 0, 1, 0, 1, 0) apart.
    expect([...fetchSizes(1)]).toEqual([2]);
    expect([...fetchSizes(2)]).toEqual([1]);
  });

  it('a follower whose fetch failed leaves the leader alone for replica.fetch.backoff.ms before fetching again', () => {
    // The leader dies at 5 s; the controller fences it only broker.session.timeout.ms (9 s)
    // after its last heartbeat (BrokerHeartbeatManager's lastContactNs), which came up to
    // broker.heartbeat.interval.ms (2 s) before the crash: so until the FenceBroker record,
    // 12.2 s here, its followers keep fetching from it, and every fetch fails at once (the dead
    // process refuses the connection). (Re-pinned for the 3-controller default: the old run's
    // last heartbeat fell just before the crash and the fence near 14 s; the window is now
    // read from the run, not assumed.)
    const gaps = (backoffMs: number): { fencedAt: number; gaps: number[] } => {
      const r = runScenario(
        parseScenario(`
name: fetch-backoff
duration: 13s
drain: 1s
cluster: { brokers: 3, config: { replica.fetch.backoff.ms: ${backoffMs} } }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 100/s, stop: 12s } }
faults:
  - { at: 5s, action: crash, target: leader(orders-0) }
`),
        { keepTrace: true },
      );
      const records = r.simulation.memory?.records ?? [];
      const dead = records.find((x) => x.kind === 'node.crash')?.node;
      const fencedAt = records.find((x) => x.kind === 'metadata.record' && x.record === 'FenceBroker')?.at ?? 0;
      const sends = records.flatMap((x) => (x.kind === 'net.send' && x.type === 'Fetch' && x.to === dead && x.at > 5_000_000 && x.at < fencedAt ? [{ from: x.from, at: x.at as number }] : []));
      const out: number[] = [];
      for (const follower of new Set(sends.map((x) => x.from))) {
        const at = sends.filter((x) => x.from === follower).map((x) => x.at);
        for (let i = 1; i < at.length; i++) out.push(Math.round((at[i] - at[i - 1]) / 1000));
      }
      return { fencedAt, gaps: out };
    };
    for (const backoffMs of [1_000, 3_000]) {
      const { fencedAt, gaps: g } = gaps(backoffMs);
      // Fenced 9 s after a heartbeat in the 2 s before the crash.
      expect(fencedAt).toBeGreaterThan(12_000_000);
      expect(fencedAt).toBeLessThanOrEqual(14_100_000);
      const downMs = Math.floor((fencedAt - 5_000_000) / 1000);
      expect(g.length).toBeGreaterThanOrEqual(2 * (Math.floor(downMs / backoffMs) - 1)); // both followers, all along
      for (const gap of g) {
        expect(gap).toBeGreaterThanOrEqual(backoffMs);
        expect(gap).toBeLessThan(backoffMs + 10); // the backoff, plus a refused connection's round trip
      }
    }
  });

  it('a consumer fetches every assigned partition a broker leads in one request, with one fetch per broker pending at a time', () => {
    const r = runScenario(
      parseScenario(`
name: consumer-fetches
duration: 12s
drain: 2s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 3 } }
topics: [{ name: orders, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 300/s, start: 5s, stop: 11s } }
  - { id: c1, type: consumer, group: g1, topics: [orders], instances: 1, config: { auto.offset.reset: earliest }, processing: { mode: commit-after-process } }
`),
      { keepTrace: true },
    );
    expect(r.violations).toEqual([]);
    const records = r.simulation.memory?.records ?? [];
    const sizes = new Set<number>();
    const pending = new Map<string, number>();
    for (const x of records) {
      if (x.kind === 'net.send' && x.type === 'Fetch' && x.from.startsWith('consumer-')) {
        sizes.add((x.bytes - 64) / 16);
        expect(pending.get(x.to) ?? 0).toBe(0);
        pending.set(x.to, 1);
      }
      if (x.kind === 'net.deliver' && x.type === 'FetchResponse' && x.to.startsWith('consumer-')) pending.set(x.from, 0);
    }
    // The lone member holds all six partitions, two on each leader: its fetches ask for both
    // (or for one, while the other's records wait in its buffer for the application).
    expect(sizes.has(2)).toBe(true);
    expect(Math.max(...sizes)).toBe(2);
  });
});
