import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cJs, crc32cImplementation, crc32cRange } from '../../src/log/crc32c.js';

// Test vectors from RFC 3720 (iSCSI), appendix B.4, and the common check value.
const vectors: [string, Uint8Array, number][] = [
  ['"123456789"', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ['empty', new Uint8Array(0), 0],
];

describe('CRC32C', () => {
  it.each(vectors)('matches the vector for %s (both implementations)', (_name, data, expected) => {
    expect(crc32cJs(data)).toBe(expected);
    expect(crc32c(data)).toBe(expected);
  });

  it('uses the native implementation here', () => {
    expect(crc32cImplementation).toBe('native');
  });

  it('agrees between native and JavaScript on any input, including continuation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), (data, cut) => {
        expect(crc32cJs(data)).toBe(crc32c(data));
        const at = Math.min(cut, data.length);
        expect(crc32cJs(data.subarray(at), crc32cJs(data.subarray(0, at)))).toBe(crc32c(data));
      }),
    );
  });

  it('over a range gives the CRC of that range, short (JavaScript, no view) or long (native)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(600), fc.nat(600), (data, a, b) => {
        const start = Math.min(a, b, data.length);
        const end = Math.min(Math.max(a, b), data.length);
        expect(crc32cRange(data, start, end)).toBe(crc32c(data.slice(start, end)));
      }),
    );
    const vector = Buffer.from('xx123456789yy');
    expect(crc32cRange(vector, 2, 11)).toBe(0xe3069283);
  });
});
