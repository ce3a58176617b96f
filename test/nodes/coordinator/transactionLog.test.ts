import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TRANSACTION_STATES, decodeTransactionKey, decodeTransactionValue, encodeTransactionKey, encodeTransactionValue, partitionForTransactionalId } from '../../../src/nodes/coordinator/transactionLog.js';
import { partitionForGroup } from '../../../src/nodes/coordinator/offsetsTopic.js';

const topic = fc.stringMatching(/^[a-z][a-z0-9_.]{0,10}$/);

describe('__transaction_state records', () => {
  it('round-trip keys and values (partitions grouped by topic, as Kafka writes them)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.record({
          producerId: fc.integer({ min: -1, max: 2 ** 40 }),
          producerEpoch: fc.integer({ min: -1, max: 32767 }),
          transactionTimeoutMs: fc.integer({ min: 1, max: 900_000 }),
          state: fc.constantFrom(...TRANSACTION_STATES),
          partitions: fc.uniqueArray(fc.tuple(topic, fc.nat(99)).map(([t, p]) => `${t}-${p}`), { maxLength: 10 }),
          lastUpdateTimestampMs: fc.nat(),
          startTimestampMs: fc.integer({ min: -1, max: 2 ** 40 }),
        }),
        (id, value) => {
          expect(decodeTransactionKey(encodeTransactionKey(id))).toBe(id);
          const decoded = decodeTransactionValue(encodeTransactionValue(value));
          const topics = [...new Set(value.partitions.map((p) => p.slice(0, p.lastIndexOf('-'))))];
          const grouped = topics.flatMap((t) => value.partitions.filter((p) => p.slice(0, p.lastIndexOf('-')) === t));
          expect(decoded).toEqual({ ...value, partitions: grouped });
        },
      ),
    );
  });

  it('writes the status as Kafka numbers it: Empty 0 … CompleteAbort 5', () => {
    const bytes = encodeTransactionValue({ producerId: 7, producerEpoch: 2, transactionTimeoutMs: 60_000, state: 'PrepareCommit', partitions: [], lastUpdateTimestampMs: 0, startTimestampMs: 0 });
    // version int16, producer id int64, epoch int16, timeout int32, then the status byte.
    expect(bytes.readInt8(2 + 8 + 2 + 4)).toBe(2);
    expect(TRANSACTION_STATES.indexOf('CompleteAbort')).toBe(5);
  });

  it('places a transactional id the way groups are placed (abs(hashCode) % partitions)', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 100 }), (id, n) => partitionForTransactionalId(id, n) === partitionForGroup(id, n)));
  });
});
