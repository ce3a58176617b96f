import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChangeColumn, Int32Column, NameColumn, NumberColumn, Uint8Column } from '../../src/sim/columns.js';

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

describe('columns without cells', () => {
  // Rows written mostly in order: runs of a constant step, broken now and then, with rewrites and skips.
  const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(-1), fc.maxSafeNat(), fc.constantFrom(-0, Number.NaN, 0.5));
  const plan = fc.array(fc.oneof(fc.record({ run: fc.integer({ min: 1, max: 2_500 }), from: fc.integer({ min: -5, max: 5 }), step: fc.integer({ min: -3, max: 3 }) }), fc.record({ row: fc.integer({ min: -3, max: 3 }), v: value })), { maxLength: 12 });

  it('NumberColumn gives back exactly the last number written to each row, whether a chunk is a run, broken or rewritten', () => {
    fc.assert(
      fc.property(plan, (steps) => {
        const col = new NumberColumn();
        const ref = new Map<number, number>();
        let next = 0;
        const write = (i: number, v: number): void => {
          col.set(i, v);
          ref.set(i, v);
        };
        for (const s of steps) {
          if ('run' in s) for (let k = 0; k < s.run; k++) write(next++, s.from + k * s.step);
          else write(Math.max(0, next + s.row), s.v);
        }
        for (const [i, v] of ref) expect(Object.is(col.get(i), v)).toBe(true);
      }),
    );
  });

  it('a run of sequence numbers or steady instants takes no cells; a row off the step gives the chunk cells from then on', () => {
    const seqs = new NumberColumn();
    const times = new NumberColumn();
    for (let i = 0; i < 10_000; i++) {
      seqs.set(i, 1_000 + i);
      times.set(i, 5_000_000 + i * 1_000);
    }
    expect(seqs.cellBytes).toBe(0);
    expect(times.cellBytes).toBe(0);
    seqs.set(10_000, 7);
    expect(seqs.cellBytes).toBe(2 * 1024);
    expect(seqs.get(9_999)).toBe(10_999);
    expect(seqs.get(10_000)).toBe(7);
  });

  it('NameColumn, Uint8Column and Int32Column keep a chunk of one value as that value alone, and every value once a second comes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(40_000), fc.constantFrom(-1, 0, 3, 255, 70_000, -0, 2 ** 33)), { maxLength: 200 }), (ws) => {
        for (const make of [() => new NameColumn(), () => new Uint8Column(), () => new Int32Column()]) {
          const col = make();
          const probe = make();
          const ref = new Map<number, number>();
          for (const [i, v] of ws) {
            col.set(i, v);
            ref.set(i, v);
          }
          // What the same writes give in a chunk that has cells from the start (a first write of a value no chunk holds as it is).
          probe.set(0, 0.5);
          for (const [i, v] of ws) probe.set(i === 0 ? 1 : i, v);
          for (const [i] of ref) if (i !== 0 && i !== 1) expect(Object.is(col.get(i), probe.get(i))).toBe(true);
        }
      }),
    );
  });

  it('a chunk of one name takes no cells', () => {
    const col = new NameColumn();
    for (let i = 0; i < 40_000; i++) col.set(i, 3);
    expect(col.cellBytes).toBe(0);
    col.set(40_000, 4);
    expect(col.cellBytes).toBe(2 * 16_384);
    expect(col.get(39_999)).toBe(3);
  });
});

describe('ChangeColumn', () => {
  const op = fc.oneof(
    fc.record({ push: fc.integer({ min: 0, max: 3 }), times: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ truncateBack: fc.nat(30) }),
    fc.record({ removeAt: fc.nat(), count: fc.nat(30) }),
  );

  it('reads every row as an array of the same pushes, truncations and removals from the middle does', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const col = new ChangeColumn();
        let ref: number[] = [];
        for (const o of ops) {
          if ('push' in o) for (let k = 0; k < o.times; k++) col.push(ref.push(o.push) - 1, o.push);
          else if ('truncateBack' in o) {
            ref = ref.slice(0, Math.max(0, ref.length - o.truncateBack));
            col.truncate(ref.length);
          } else {
            const from = o.removeAt % (ref.length + 1);
            const count = Math.min(o.count, ref.length - from);
            col.remove(from, count, ref.length);
            ref.splice(from, count);
          }
          ref.forEach((v, row) => expect(col.at(row)).toBe(v));
        }
      }),
    );
  });
});
