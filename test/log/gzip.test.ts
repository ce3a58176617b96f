import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gunzip, gzip } from '../../src/log/gzip.js';
import * as browser from '../../src/log/gzip.browser.js';
import { loadNativeCrc32c } from '../../src/log/crc32cNative.browser.js';

/** Records-like bytes: runs of repeated text with noise, so deflate finds matches and literals both. */
const recordish = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom('orders', 'p1#', 'key-7', '\u0000\u0000\u0001').map((s) => Buffer.from(s))), { maxLength: 120 }).map((parts) => Buffer.concat(parts));

describe('the browser twin of the log engine gzip', () => {
  it('writes the bytes Node writes, and each reads the other', () => {
    fc.assert(
      fc.property(fc.oneof(recordish, fc.uint8Array({ maxLength: 4000 })), (data) => {
        const node = gzip(data);
        const twin = browser.gzip(data);
        expect(Buffer.compare(twin, node)).toBe(0);
        expect(Buffer.compare(browser.gunzip(node), Buffer.from(data))).toBe(0);
        expect(Buffer.compare(gunzip(twin), Buffer.from(data))).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('throws on a corrupt stream, as Node does', () => {
    const packed = gzip(Buffer.from('a record batch, compressed'.repeat(20)));
    packed[12] ^= 0xff;
    expect(() => gunzip(packed)).toThrow();
    expect(() => browser.gunzip(packed)).toThrow();
  });

  it('has no native CRC32C in the browser build, so the JavaScript tables serve', () => {
    expect(loadNativeCrc32c()).toBeUndefined();
  });
});
