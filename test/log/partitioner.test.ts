import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RoundRobinPartitioner, StickyPartitioner, murmur2, partitionForKey, toPositive } from '../../src/log/partitioner.js';
import { Rng } from '../../src/sim/rng.js';
import { kjsMurmur2 } from '../helpers/kafkajs.js';

describe('the default partitioner', () => {
  it("agrees with kafkajs's Java-compatible murmur2 on 10,000 random keys and partition counts", () => {
    const rng = Rng.fromSeed('partitioner');
    for (let i = 0; i < 10_000; i++) {
      const key = Buffer.from(Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255)));
      const partitions = rng.int(1, 1_000);
      expect(partitionForKey(key, partitions)).toBe(toPositive(kjsMurmur2(key)) % partitions);
    }
  });

  it("matches values from Kafka's own tests", () => {
    // UtilsTest.testMurmur2 in Apache Kafka.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it('sticks to one partition for keyless records until a batch completes, then moves', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 50 }), (seed, n) => {
        const p = new StickyPartitioner(Rng.fromSeed(seed));
        const first = p.partition('t', n);
        expect(p.partition('t', n)).toBe(first);
        const next = p.onNewBatch('t', first, n);
        expect(next).not.toBe(first);
        expect(next >= 0 && next < n).toBe(true);
        expect(p.partition('t', n)).toBe(next);
      }),
    );
  });

  it('round-robins per topic', () => {
    const p = new RoundRobinPartitioner();
    expect([0, 1, 2, 3].map(() => p.partition('a', 3))).toEqual([0, 1, 2, 0]);
    expect(p.partition('b', 3)).toBe(0);
  });
});
