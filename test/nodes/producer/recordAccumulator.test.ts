import { describe, expect, it } from 'vitest';
import { RecordAccumulator } from '../../../src/nodes/producer/recordAccumulator.js';
import type { ProducerConfig } from '../../../src/nodes/producer/producer.js';
import { PRODUCER_SETTINGS } from '../../../src/nodes/config/clientSettings.js';
import { defaultsOf } from '../../../src/nodes/config/setting.js';
import type { SendRef } from '../../../src/sim/sendLog.js';
import type { TimerHandle } from '../../../src/sim/scheduler.js';
import type { Time } from '../../../src/sim/time.js';

/** An accumulator over partitions 0 (led by broker 1) and 1 (led by broker 2), on a clock the test moves. */
function accumulator() {
  let now = 0;
  const config: ProducerConfig = { ...defaultsOf(PRODUCER_SETTINGS), 'enable.idempotence': false, 'delivery.timeout.ms': 120_000, 'linger.ms': 5, 'batch.size': 16_384 };
  const acc = new RecordAccumulator({
    ctx: { now: () => now as Time, after: () => 0 as TimerHandle, cancel: () => undefined },
    config,
    leaderOf: (partition) => partition + 1,
    holdsBack: () => false,
    onNewBatch: () => undefined,
    wakeup: () => undefined,
    expire: () => undefined,
    afterExpiry: () => undefined,
  });
  let ref = 0;
  const append = (partition: number, bytes = 100): void => acc.append(partition, ref++ as SendRef, { key: null, value: Buffer.alloc(bytes), timestamp: Math.floor(now / 1000) });
  /** One drain round, its batches closed as the Sender closes them when it sends them; the brokers drained, in order. */
  const drain = (canTake: (broker: number) => boolean): number[] | undefined => {
    const requests = acc.drain(canTake);
    if (requests === undefined) return undefined;
    for (const batches of requests.values()) for (const b of batches) acc.closeBatch(b);
    return [...requests.keys()];
  };
  return { acc, append, drain, advance: (micros: number) => (now += micros) };
}

describe('RecordAccumulator.drain', () => {
  // drain keeps its lists of ready and unready brokers between rounds and reads them up to
  // a count: a broker found ready in one round must not count as ready in the next.
  it('drains only the brokers ready in this round, not those of the round before', () => {
    const { acc, append, drain, advance } = accumulator();
    append(0);
    append(1);
    advance(6_000); // both batches lingered 5 ms: both brokers ready
    expect(drain(() => true)?.sort()).toEqual([1, 2]);
    // Partition 1's new batch has not lingered; partition 0's first batch is full, so only broker 1 is ready
    // (broker 2, ready last round, is second in the list kept from it).
    append(1);
    for (let i = 0; i < 2; i++) append(0, 10_000);
    expect(drain(() => true)).toEqual([1]);
    expect(acc.size).toBe(2);
    // Both have lingered now; a broker that cannot take a request in this round is not drained, whatever the last round found.
    advance(6_000);
    expect(drain((broker) => broker === 2)).toEqual([2]);
    expect(drain(() => false)).toBeUndefined();
    expect(drain(() => true)).toEqual([1]);
    expect(acc.size).toBe(0);
  });
});
