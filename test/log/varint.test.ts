import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VarintError, readVarint, varintSize, writeVarint } from '../../src/log/varint.js';

describe('varints', () => {
  it("round-trips any integer below 2^52 in magnitude (zig-zag doubles it) in exactly varintSize bytes", () => {
    // Also the edges of the 32-bit fast path (|n| around 2^30) and of each varint length.
    const edges = fc.constantFrom(-(2 ** 30) - 1, -(2 ** 30), 2 ** 30 - 1, 2 ** 30, -64, -65, 63, 64, 8191, 8192, -8193, 2 ** 31, -(2 ** 31) - 1);
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.integer({ min: -(2 ** 52 - 1), max: 2 ** 52 - 1 }), edges), (n) => {
        const buf = new Uint8Array(16);
        const end = writeVarint(buf, 0, n);
        expect(end).toBe(varintSize(n));
        const cursor = { pos: 0 };
        expect(readVarint(buf, cursor, end)).toBe(n);
        expect(cursor.pos).toBe(end);
      }),
    );
  });

  it('encodes as Kafka does (zig-zag, low bits first)', () => {
    const bytes = (n: number) => {
      const b = new Uint8Array(16);
      return Array.from(b.subarray(0, writeVarint(b, 0, n)));
    };
    expect(bytes(0)).toEqual([0]);
    expect(bytes(-1)).toEqual([1]);
    expect(bytes(1)).toEqual([2]);
    expect(bytes(63)).toEqual([126]);
    expect(bytes(64)).toEqual([0x80, 0x01]);
    expect(bytes(-65)).toEqual([0x81, 0x01]);
  });

  it('refuses truncated and overlong input', () => {
    expect(() => readVarint(Uint8Array.from([0x80, 0x80]), { pos: 0 }, 2)).toThrow(VarintError);
    expect(() => readVarint(new Uint8Array(12).fill(0xff), { pos: 0 }, 12)).toThrow(VarintError);
  });
});
