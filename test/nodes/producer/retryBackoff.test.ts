import { describe, expect, it } from 'vitest';
import { exponentialBackoffMs } from '../../../src/nodes/reconnectBackoff.js';
import { JMX } from '../../../src/nodes/jmx.js';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import { Rng } from '../../../src/sim/rng.js';

describe('ExponentialBackoff (KIP-580)', () => {
  // Kafka: ExponentialBackoffTest.testExponentialBackoff
  it('testExponentialBackoff', () => {
    const rng = Rng.fromSeed('exponential-backoff');
    for (let i = 0; i <= 100; i++) {
      for (let attempts = 0; attempts <= 10; attempts++) {
        const backoff = exponentialBackoffMs(rng, 100, 2000, attempts);
        if (attempts <= 4) expect(Math.abs(backoff - 100 * 2 ** attempts)).toBeLessThanOrEqual(100 * 2 ** attempts * 0.2);
        else expect(backoff).toBeLessThanOrEqual(2000 * 1.2);
      }
    }
  });

  // Kafka: ExponentialBackoffTest.testExponentialBackoffWithoutJitter does without jitter; a
  // maximum at or below the initial interval is a constant backoff (CommonClientConfigs.RETRY_BACKOFF_MAX_MS_DOC).
  it('is constant when the maximum is not above the initial interval', () => {
    const rng = Rng.fromSeed('constant-backoff');
    for (let attempts = 0; attempts <= 5; attempts++) expect(exponentialBackoffMs(rng, 100, 100, attempts)).toBe(100);
  });
});

// Kafka: RecordAccumulatorTest.testExponentialRetryBackoff (3.7, KAFKA-9800) against
// testRetryBackoff (before): a batch refused again and again is retried after retry.backoff.ms
// doubling up to retry.backoff.max.ms, where before it was retried every retry.backoff.ms.
describe('the retry backoff of a failing batch by release (sim.retry.backoff)', () => {
  const retries = (mode: 'exponential' | 'constant'): number => {
    const r = runScenario(
      parseScenario(`
name: retry-backoff
duration: 16s
drain: 1s
cluster: { brokers: 3, config: { min.insync.replicas: 3 } }
topics: [{ name: t, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: all, linger.ms: 0, delivery.timeout.ms: 10000, request.timeout.ms: 2000, sim.retry.backoff: ${mode} }, workload: { rate: 1/s, start: 4s, stop: 4500ms } }
faults:
  - { at: 3s, action: crash, target: broker-3 }
`),
    );
    // NOT_ENOUGH_REPLICAS until delivery.timeout.ms: the record fails (its first attempt's outcome unknown).
    expect(r.stats.failed + r.stats.indeterminate).toBe(1);
    return r.stats.metrics.final[JMX.producer('p1')]['producer-p1']['record-retry-total'];
  };

  it('retries every retry.backoff.ms before 3.7, and backs off to retry.backoff.max.ms since', () => {
    const constant = retries('constant');
    const exponential = retries('exponential');
    // 10 s of NOT_ENOUGH_REPLICAS, each attempt about half a second with its metadata refresh:
    // retried after 100 ms every time, against 100, 200, 400, 800 ms and then a second.
    expect(constant).toBeGreaterThanOrEqual(12);
    expect(exponential).toBeLessThanOrEqual(8);
    expect(exponential).toBeGreaterThan(2);
    expect(constant).toBeGreaterThanOrEqual(2 * exponential);
  });
});
