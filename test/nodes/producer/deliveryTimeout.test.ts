import { describe, expect, it } from 'vitest';
import type { Op } from '../../../src/sim/history.js';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario, type RunResult } from '../../../src/scenarios/runner.js';

/**
 * The only replica of t-0 dies at 5 s and is back only when the drain starts, at 30 s; p1 sends
 * 100 records a second from 1 s to 25 s with `config` added to its own.
 */
const leaderCrash = (name: string, config: string): string => `
name: ${name}
duration: 30s
cluster: { brokers: 2 }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: all, linger.ms: 5, request.timeout.ms: 3000, delivery.timeout.ms: 10000${config} }, workload: { rate: 100/s, start: 1s, stop: 25s } }
faults:
  - { at: 5s, action: crash, target: "leader(t-0)" }
`;

/**
 * The only broker freezes from 4 s to 24 s with requests in flight; an idempotent p1 sends from
 * 3 s to 5 s. (The workload starts at 3 s: with 3 controllers the topic's metadata reaches the
 * producer only after about 2.2 s, and a send waiting for a topic's metadata blocks in
 * KafkaProducer.waitOnMetadata, up to max.block.ms, before its delivery timeout starts.)
 */
const frozenBroker = (name: string, config: string): string => `
name: ${name}
duration: 40s
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: all, enable.idempotence: true, linger.ms: 5, request.timeout.ms: 8000, delivery.timeout.ms: 10000${config} }, workload: { rate: 100/s, start: 3s, stop: 5s } }
faults:
  - { at: 4s, action: pause, target: broker-1, for: 20s }
`;

/** A run's send completions, and how long each waited after its send() (µs). */
function sendCompletions(text: string): { r: RunResult; completed: Op[]; waited: (ops: readonly Op[]) => number[] } {
  const r = runScenario(parseScenario(text));
  const ops = r.simulation.history.ops.filter((op) => op.f === 'send');
  const invoked = new Map(ops.filter((op) => op.type === 'invoke').map((op) => [op.index, op.time]));
  const completed = ops.filter((op) => op.type !== 'invoke');
  return { r, completed, waited: (some) => some.map((op) => op.time - (invoked.get(op.invokeIndex ?? -1) ?? 0)) };
}

const timedOut = (ops: readonly Op[]): Op[] => ops.filter((op) => op.error === 'TimeoutException');

describe('delivery.timeout.ms in the accumulator (RecordAccumulator.expiredBatches)', () => {
  it('fails the records that waited that long with no leader to go to, as TimeoutException, known unwritten', () => {
    const { r, completed, waited } = sendCompletions(leaderCrash('delivery-timeout', ''));
    const expired = timedOut(completed).filter((op) => op.type === 'fail');
    // Sends made after the crash and at least 10 s before the restart expire 10 s after their
    // batch began: its first record waited that long, the later ones less.
    expect(expired.length).toBeGreaterThan(1_000);
    const w = waited(expired);
    expect(Math.max(...w)).toBeGreaterThanOrEqual(9_990_000);
    // A batch waiting out retry.backoff.ms (100 ms) at its deadline expires as the backoff ends.
    expect(Math.max(...w)).toBeLessThanOrEqual(10_100_000);
    expect(Math.min(...w)).toBeGreaterThan(0);
    // None was acknowledged later, and nothing is lost or left unknown because of it.
    expect(r.violations.filter((v) => v.kind === 'lost-write')).toEqual([]);
  });

  // Kafka 2.0: RecordAccumulatorTest.testExpiredBatches (a batch expires request.timeout.ms
  // after it lingered, ProducerBatch.maybeExpire); KIP-91 (2.1) replaced that with delivery.timeout.ms.
  it('before KIP-91 (sim.batch.expiry request-timeout) the same batches expire request.timeout.ms after they lingered', () => {
    const { r, completed, waited } = sendCompletions(leaderCrash('request-timeout-expiry', ', retries: 0, sim.batch.expiry: request-timeout'));
    const expired = timedOut(completed).filter((op) => op.type === 'fail');
    expect(expired.length).toBeGreaterThan(1_000);
    // With Kafka 2.0's retries (0) a failed attempt fails its batch at once; the batches that
    // wait for a leader expire 3 s plus linger.ms after they began, never 10 s.
    const w = waited(expired);
    expect(Math.max(...w)).toBeGreaterThanOrEqual(3_000_000);
    expect(Math.max(...w)).toBeLessThanOrEqual(3_010_000);
    expect(Math.min(...w)).toBeGreaterThan(0);
    expect(r.violations.filter((v) => v.kind === 'lost-write')).toEqual([]);
  });

  it('fails a batch still in flight at its deadline then, its fate unknown, without waiting for the answer (Sender.getExpiredInflightBatches, KIP-91)', () => {
    // Requests time out after 8 s, are sent again into the frozen broker and are still in
    // flight 10 s after their batch began.
    const { r, completed, waited } = sendCompletions(frozenBroker('delivery-timeout-in-flight', ''));
    // delivery.timeout.ms bounds the time to report success or failure after send() returns:
    // no answer after the broker resumes at 24 s counts for a record invoked before 14 s.
    expect(Math.max(...waited(completed))).toBeLessThanOrEqual(10_000_000);
    const expired = timedOut(completed);
    // Those in flight at their deadline (max.in.flight.requests.per.connection of them) may be
    // in the frozen broker's log: their outcome is unknown. The rest waited in the accumulator.
    expect(expired.filter((op) => op.type === 'info').length).toBeGreaterThanOrEqual(5);
    expect(expired.length).toBeGreaterThanOrEqual(90);
    expect(r.violations.filter((v) => v.kind === 'lost-write' || v.kind === 'duplicate')).toEqual([]);
  });

  it('before KIP-91 (sim.batch.expiry request-timeout) a batch in flight has no delivery deadline: it waits for its answer', () => {
    // With no delivery.timeout.ms (Kafka 2.0) the batches in flight are retried after each
    // request.timeout.ms and answered once the broker resumes at 24 s.
    const { r, completed, waited } = sendCompletions(frozenBroker('request-timeout-in-flight', ', retries: 5, sim.batch.expiry: request-timeout'));
    expect(Math.max(...waited(completed.filter((op) => op.type === 'ok')))).toBeGreaterThan(10_000_000);
    expect(r.violations.filter((v) => v.kind === 'lost-write' || v.kind === 'duplicate')).toEqual([]);
  });
});
