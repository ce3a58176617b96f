import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LogIds } from '../../src/checkers/logIds.js';
import type { LoggedRecord } from '../../src/checkers/finalState.js';

/** Ids as workloads write them, and odd ones: no '#', leading zeros, huge numbers, none at all. */
const id: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('p1', 'p2', 'a#b', ''), fc.nat(40)).map(([p, n]) => `${p}#${n}`) },
  { weight: 1, arbitrary: fc.constantFrom('p1#007', 'p1#', 'plain', 'p1#1x', 'p1#12345678901234567890', 'ü#3', undefined) },
);

const records: fc.Arbitrary<LoggedRecord[]> = fc
  .array(fc.record({ gap: fc.nat(2), id, epoch: fc.nat(5), txn: fc.constantFrom(undefined, undefined, 'control' as const, 'aborted' as const, 'open' as const) }), { maxLength: 80 })
  .map((rs) => {
    let offset = 0;
    return rs.map((r) => {
      offset += r.gap + 1;
      return r.txn === undefined ? { offset, id: r.id, epoch: r.epoch } : { offset, id: r.id, epoch: r.epoch, txn: r.txn };
    });
  });

/** The plain way: a map from id to its offsets, in record order. */
function offsetsById(rs: readonly LoggedRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rs) if (r.id !== undefined) out.set(r.id, [...(out.get(r.id) ?? []), r.offset]);
  return out;
}

/** The same log, decoded from id bytes as the runner does. */
function fromBytes(rs: readonly LoggedRecord[]): LogIds {
  const ids = new LogIds();
  for (const r of rs) {
    const bytes = Buffer.from(`..${r.id ?? ''}..`);
    ids.addBytes(r.offset, r.epoch, r.txn, bytes, 2, r.id === undefined ? -1 : bytes.length - 4);
  }
  return ids;
}

describe('LogIds', () => {
  it('answers as a plain map of ids would: first offsets, duplicates, what an offset holds, the records', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const plain = offsetsById(rs);
        for (const ids of [LogIds.fromRecords(rs), fromBytes(rs)]) {
          expect(ids.records).toEqual(rs);
          for (const [key, offsets] of plain) expect(ids.firstOffsetOf(key)).toBe(offsets[0]);
          expect(ids.firstOffsetOf('p9#0')).toBeUndefined();
          // Duplicates in the order their second copy appears.
          const second = (offsets: number[]) => offsets[1];
          const expected = [...plain].filter(([, o]) => o.length > 1).sort((a, b) => second(a[1]) - second(b[1]));
          expect(ids.duplicates()).toEqual(expected);
          for (const r of rs) {
            const m = r.id === undefined ? null : /^(.*)#(0|[1-9]\d{0,14})$/.exec(r.id);
            if (m !== null) expect(ids.holds(r.offset, m[1], Number(m[2]))).toBe(true);
            expect(ids.holds(r.offset, 'p1', 41)).toBe(false);
          }
          const kept = ids.select((offset, txn) => offset % 2 === 0 && txn === undefined);
          expect(kept.records).toEqual(rs.filter((r) => r.offset % 2 === 0 && r.txn === undefined));
        }
      }),
    );
  });

  it('keeps sparse sequence numbers in a map, not an array as long as the largest', () => {
    const ids = LogIds.fromRecords([
      { offset: 0, id: 'p#999999999999', epoch: 0 },
      { offset: 1, id: 'p#5', epoch: 0 },
      { offset: 2, id: 'p#999999999999', epoch: 0 },
    ]);
    expect(ids.firstOffsetOf('p#999999999999')).toBe(0);
    expect(ids.duplicates()).toEqual([['p#999999999999', [0, 2]]]);
  });
});
