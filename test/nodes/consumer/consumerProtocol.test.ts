import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../src/nodes/consumer/consumerProtocol.js';

const topic = fc.stringMatching(/^[a-z][a-z0-9._-]{0,12}$/);
const partitions = fc.array(fc.record({ topic, partition: fc.nat(999) }), { maxLength: 30 });
/** Partitions as Kafka writes them: grouped by topic, in first-appearance order. */
const grouped = (list: readonly { topic: string; partition: number }[]) => {
  const topics = [...new Set(list.map((tp) => tp.topic))];
  return topics.flatMap((t) => list.filter((tp) => tp.topic === t));
};

describe('consumer protocol', () => {
  it('round-trips subscriptions (v2: owned partitions and generation)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(topic, { maxLength: 5 }), partitions, fc.integer({ min: -1, max: 1_000_000 }), (topics, owned, generationId) => {
        const s = decodeSubscription(encodeSubscription({ topics, ownedPartitions: owned, generationId }));
        expect(s).toEqual({ topics, ownedPartitions: grouped(owned), generationId });
      }),
    );
  });

  it('round-trips assignments, and reads an empty one as nothing', () => {
    fc.assert(
      fc.property(partitions, (list) => {
        expect(decodeAssignment(encodeAssignment(list))).toEqual(grouped(list));
      }),
    );
    expect(decodeAssignment(new Uint8Array(0))).toEqual([]);
  });

  it('writes the bytes Kafka writes: version, topics with int16 lengths, null user data', () => {
    const bytes = Buffer.from(encodeAssignment([{ topic: 'ab', partition: 7 }]));
    expect(bytes.toString('hex')).toBe(['0001', '00000001', '0002', '6162', '00000001', '00000007', 'ffffffff'].join(''));
  });
});
