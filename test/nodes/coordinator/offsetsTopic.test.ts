import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataValue,
  encodeKey,
  encodeOffsetCommitValue,
  javaStringHashCode,
  kafkaAbs,
  OffsetsTopicFormatError,
  partitionForGroup,
} from '../../../src/nodes/coordinator/offsetsTopic.js';

describe('__consumer_offsets: which partition coordinates a group', () => {
  it("hashes as Java's String.hashCode and takes Kafka's Utils.abs", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // The classic: this string's hashCode is Integer.MIN_VALUE, whose Math.abs is itself.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(partitionForGroup('polygenelubricants')).toBe(0);
    expect(partitionForGroup('hello')).toBe(99162322 % 50);
  });

  it('always lands in [0, partitions)', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 200 }), (g, n) => {
      const p = partitionForGroup(g, n);
      expect(Number.isInteger(p) && p >= 0 && p < n).toBe(true);
    }));
  });
});

describe('__consumer_offsets record formats', () => {
  it('writes an offset commit key as version 1, group, topic, partition', () => {
    expect(encodeKey({ type: 'offset', group: 'g', topic: 't', partition: 1 }).toString('hex')).toBe('0001' + '0001' + '67' + '0001' + '74' + '00000001');
    expect(encodeKey({ type: 'group', group: 'g' }).toString('hex')).toBe('0002' + '0001' + '67');
  });

  it('round-trips keys and values', () => {
    const str = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(str, str, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (group, topic, partition, isGroup) => {
        const key = isGroup ? ({ type: 'group', group } as const) : ({ type: 'offset', group, topic, partition } as const);
        expect(decodeKey(encodeKey(key))).toEqual(key);
      }),
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: -1, max: 2 ** 31 - 1 }), str, fc.maxSafeNat(), (offset, leaderEpoch, metadata, commitTimestamp) => {
        const v = { offset, leaderEpoch, metadata, commitTimestamp };
        expect(decodeOffsetCommitValue(encodeOffsetCommitValue(v))).toEqual(v);
      }),
    );
    const member = fc.record({
      memberId: str,
      groupInstanceId: fc.option(str, { nil: null }),
      clientId: str,
      clientHost: str,
      rebalanceTimeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      sessionTimeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      subscription: fc.uint8Array({ maxLength: 30 }),
      assignment: fc.uint8Array({ maxLength: 30 }),
    });
    fc.assert(
      fc.property(
        fc.record({ protocolType: str, generation: fc.integer({ min: -1, max: 2 ** 31 - 1 }), protocol: fc.option(str, { nil: null }), leader: fc.option(str, { nil: null }), currentStateTimestamp: fc.maxSafeNat(), members: fc.array(member, { maxLength: 4 }) }),
        (v) => {
          expect(decodeGroupMetadataValue(encodeGroupMetadataValue(v))).toEqual(v);
        },
      ),
    );
  });

  it('names a truncated record or an unknown version', () => {
    const key = encodeKey({ type: 'offset', group: 'group', topic: 'orders', partition: 3 });
    expect(() => decodeKey(key.subarray(0, key.length - 2))).toThrow(OffsetsTopicFormatError);
    expect(() => decodeKey(Buffer.from('0009', 'hex'))).toThrow(/unknown key version 9/);
  });
});
