import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NameColumn, NumberColumn } from '../../src/sim/columns.js';

describe('columns', () => {
  // Values of every width a column meets: small steps, -1 (none), 32-bit jumps, 52-bit hashes, fractions, -0, NaN.
  const value = fc.oneof(
    fc.integer({ min: -40_000, max: 40_000 }),
    fc.constant(-1),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.maxSafeNat(),
    fc.double(),
    fc.constantFrom(-0, Number.NaN, 2 ** 53 - 1, -(2 ** 53 - 1)),
  );
  // Rows written in any order, some twice (a send's completion rewrites its row), spanning chunks.
  const writes = fc.array(fc.tuple(fc.nat(5_000), value), { maxLength: 600 });

  it('NumberColumn gives back exactly the last number written to each row, whatever widths a chunk had to take', () => {
    fc.assert(
      fc.property(writes, (ws) => {
        const col = new NumberColumn();
        const ref = new Map<number, number>();
        for (const [i, v] of ws) {
          col.set(i, v);
          ref.set(i, v);
        }
        for (const [i, v] of ref) expect(Object.is(col.get(i), v)).toBe(true);
      }),
    );
  });

  it("NumberColumn reads back a row written -1 first and a position later (as a send's completion is), beside its chunk's other positions", () => {
    const col = new NumberColumn();
    col.set(0, -1);
    for (let i = 1; i < 1024; i++) col.set(i, 5_000_000 + i * 7);
    col.set(0, 5_000_000);
    expect(col.get(0)).toBe(5_000_000);
    expect(col.get(1023)).toBe(5_000_000 + 1023 * 7);
  });

  it('NameColumn gives back every interned number, -1 included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(40_000), fc.integer({ min: -1, max: 100_000 })), { maxLength: 300 }), (ws) => {
        const col = new NameColumn();
        const ref = new Map<number, number>();
        for (const [i, v] of ws) {
          col.set(i, v);
          ref.set(i, v);
        }
        for (const [i, v] of ref) expect(col.get(i)).toBe(v);
      }),
    );
  });
});
