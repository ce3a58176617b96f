import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Fingerprint, fingerprintOf } from '../../src/sim/fingerprint.js';

describe('Fingerprint', () => {
  it('does not depend on the order keys were written in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(fingerprintOf(reversed)).toBe(fingerprintOf(o));
      }),
    );
  });

  it('tells apart values that differ', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(fingerprintOf(a)).not.toBe(fingerprintOf(b));
      }),
      { numRuns: 500 },
    );
    // Types and boundaries that a naive encoding would conflate.
    const tricky = [0, -0, '0', [0], { 0: 0 }, null, false, '', [], {}, 'ab', ['a', 'b'], 1.5, 2 ** 40, new Uint8Array([1, 2])];
    expect(new Set(tricky.map(fingerprintOf)).size).toBe(tricky.length);
  });

  it('is 16 hex digits and streams', () => {
    const fp = new Fingerprint();
    const before = fp.digest();
    fp.string('x');
    expect(fp.digest()).toMatch(/^[0-9a-f]{16}$/);
    expect(fp.digest()).not.toBe(before);
  });

  it('tells apart sequences of repeated strings, which it mixes as interned ids after their first sight', () => {
    const words = fc.constantFrom('a', 'b', 'broker-1', 'ProduceResponse', 'NOT_LEADER_OR_FOLLOWER', 'x'.repeat(64), 'y'.repeat(65));
    fc.assert(
      fc.property(fc.array(words, { maxLength: 12 }), fc.array(words, { maxLength: 12 }), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(fingerprintOf(a)).not.toBe(fingerprintOf(b));
      }),
      { numRuns: 1000 },
    );
    // The ids alone (new, new, 0) would not tell these apart: a first sight mixes the content.
    expect(fingerprintOf(['a', 'b', 'a'])).not.toBe(fingerprintOf(['b', 'a', 'b']));
    // Interning is per stream: a string seen by one fingerprint is new to the next.
    const first = new Fingerprint();
    first.string('orders-0');
    const second = new Fingerprint();
    second.string('orders-0');
    expect(second.digest()).toBe(first.digest());
  });
});
