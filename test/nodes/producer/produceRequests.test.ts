import { describe, expect, it } from 'vitest';
import { miniCluster } from '../../helpers/miniCluster.js';
import { encodeBatch } from '../../../src/log/recordBatch.js';
import { message, brokerNode, produceOutcome, type KafkaMessage, type ProduceRequest } from '../../../src/nodes/protocol.js';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { RpcResult } from '../../../src/network/nodeHost.js';
import type { Duration, Time } from '../../../src/sim/time.js';

const s = (n: number): Time => (n * 1_000_000) as Time;

describe('Produce requests carry several partitions (Kafka: one request per broker)', () => {
  it('the broker appends each partition of a request and answers once, partition by partition', () => {
    const c = miniCluster({ brokers: 1, rf: 1, partitions: 3, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const batch = (v: string): Buffer => encodeBatch([{ key: null, value: Buffer.from(v), timestamp: 0 }]);
    const answers: RpcResult<KafkaMessage>[] = [];
    const send = (partitions: number[]): void =>
      c.client().request(brokerNode(1), message<ProduceRequest>('Produce', { acks: 'all', timeoutMs: 30_000, topic: 'orders', partitions: partitions.map((p) => ({ partition: p, records: batch(`p${p}`) })) }), { timeout: 30_000_000 as Duration }, (r) => answers.push(r));
    c.sim.scheduler.at(s(5), () => send([2, 0, 7]));
    c.sim.scheduler.at(s(6), () => send([0]));
    c.sim.run({ until: s(8) });
    expect(answers).toHaveLength(2);
    const [first, second] = answers;
    expect(first.ok && first.response.type === 'ProduceResponse' && first.response.responses.map((r) => r.partition)).toEqual([2, 0, 7]);
    expect(produceOutcome(first, 2)).toMatchObject({ baseOffset: 0 });
    expect(produceOutcome(first, 0)).toMatchObject({ baseOffset: 0 });
    expect(produceOutcome(first, 7).error).toBe('NOT_LEADER_OR_FOLLOWER'); // no such partition: the others are written all the same
    expect(produceOutcome(second, 0)).toMatchObject({ baseOffset: 1 });
    expect(produceOutcome(second, 0).error).toBeUndefined();
    const logs = c.broker(1).allPartitions().map((p) => [p.name, p.log.logEndOffset]);
    expect(Object.fromEntries(logs)).toMatchObject({ 'orders-0': 2, 'orders-1': 0, 'orders-2': 1 });
  });

  it('the producer sends each broker one request for the batches of all the partitions it leads, and counts requests in flight, not batches', () => {
    const run = runScenario(
      parseScenario(`
name: grouped
duration: 6s
drain: 2s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all, max.in.flight.requests.per.connection: 1 }, workload: { rate: 3000/s, keys: 600, start: 1s, stop: 5s } }
`),
      { keepTrace: true },
    );
    expect(run.violations).toEqual([]);
    const records = run.simulation.memory?.records ?? [];
    const requests = records.filter((r) => r.kind === 'net.send' && r.type === 'Produce');
    const batches = records.filter((r) => r.kind === 'replica.append' && r.role === 'leader');
    // Six partitions over three leaders: about two batches a request (none is lost or retried here).
    expect(batches.length / requests.length).toBeGreaterThan(1.6);
    expect(batches.length / requests.length).toBeLessThanOrEqual(2);
    // max.in.flight.requests.per.connection=1: a request to a broker goes only once the last one was answered.
    const open = new Map<string, number>();
    for (const r of records) {
      if (r.kind === 'net.send' && r.type === 'Produce') {
        expect(open.get(r.to) ?? 0).toBe(0);
        open.set(r.to, 1);
      }
      if (r.kind === 'net.deliver' && r.type === 'ProduceResponse') open.set(r.from, 0);
    }
  });
});

describe("a processor's producer sends the batches it has ready to one leader in one request", () => {
  it('its transactional writes go fewer requests than batches when partitions share a leader, and exactly-once holds', () => {
    const r = runScenario(
      parseScenario(`
name: txn-produce-requests
duration: 12s
drain: 5s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 3, transaction.state.log.num.partitions: 3 } }
topics:
  - { name: orders, partitions: 6, replication.factor: 3 }
  - { name: receipts, partitions: 6, replication.factor: 3 }
clients:
  - { id: p1, type: producer, topic: orders, workload: { rate: 300/s, start: 5s, stop: 10s } }
  - { id: t1, type: processor, from: orders, to: receipts, group: g1, config: { auto.offset.reset: earliest }, processing: { mode: transactional, transactionRecords: 30 } }
`),
      { keepTrace: true },
    );
    expect(r.violations).toEqual([]);
    const records = r.simulation.memory?.records ?? [];
    const produces = records.filter((x) => x.kind === 'net.send' && x.type === 'Produce' && x.from === 'consumer-t1-1').length;
    // Data batches the leaders of receipts appended (markers are appended too, and traced as such).
    const appends = records.filter((x) => x.kind === 'replica.append' && x.role === 'leader' && x.partition.startsWith('receipts-')).length;
    const markers = records.filter((x) => x.kind === 'txn.marker' && x.partition.startsWith('receipts-')).length;
    expect(appends - markers).toBeGreaterThan(20);
    // Six partitions on three leaders: two batches a request where both are ready together.
    expect(produces).toBeLessThan(appends - markers);
  });
});
