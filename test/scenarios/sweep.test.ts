import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { agreesWithExpect, formatSeeds, mergeSummaries, parseSeeds, parseShard, parseSummary, shardSeeds, summarize, SweepInputError, type SeedResult } from '../../src/scenarios/sweep.js';

const resultArb = (seed: number): fc.Arbitrary<SeedResult> =>
  fc.record({
    seed: fc.constant(seed),
    kinds: fc.subarray(['duplicate', 'lost-write', 'reorder']),
    fingerprint: fc.constant(`fp${seed}`),
    expectMet: fc.boolean(),
  });
const resultsArb = fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 60 }).chain((seeds) => fc.tuple(...seeds.map(resultArb)));

describe('sweep seeds and shards', () => {
  it('parses seed ranges and lists, each seed once, and names what is wrong', () => {
    expect(parseSeeds('1..5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds('7, 3..4,3')).toEqual([7, 3, 4]);
    expect(() => parseSeeds('5..1')).toThrow(/runs backwards/);
    expect(() => parseSeeds('1..x')).toThrow(SweepInputError);
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('0/3')).toThrow(/1 <= i <= n/);
    expect(() => parseShard('4/3')).toThrow(SweepInputError);
  });

  it('splits seeds into n disjoint shards whose union is every seed, for any n', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -50, max: 5000 }), { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), (seeds, n) => {
        const shards = Array.from({ length: n }, (_, i) => shardSeeds(seeds, { index: i + 1, count: n }));
        const all = shards.flat();
        expect(all.length).toBe(seeds.length);
        expect(new Set(all)).toEqual(new Set(seeds));
      }),
    );
  });

  it('formats seeds as ranges that parse back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 100 }), (seeds) => {
        const text = formatSeeds(seeds);
        expect(text === '' ? [] : parseSeeds(text)).toEqual([...seeds].sort((a, b) => a - b));
      }),
    );
  });
});

describe('sweep summaries', () => {
  it('do not depend on the order results arrive in', () => {
    fc.assert(
      fc.property(resultsArb, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (results, keys) => {
        const shuffled = [...results].map((r) => [keys.next().value as number, r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
        expect(summarize('s', shuffled, 2, 1)).toEqual(summarize('s', results, 2, 1));
      }),
    );
  });

  it('merge the summaries of any sharding into the summary of the whole sweep', () => {
    fc.assert(
      fc.property(resultsArb, fc.integer({ min: 1, max: 6 }), fc.constantFrom<'none' | readonly string[] | undefined>(undefined, 'none', ['lost-write']), (results, n, expected) => {
        const seeds = results.map((r) => r.seed);
        const parts = Array.from({ length: n }, (_, i) => {
          const mine = new Set(shardSeeds(seeds, { index: i + 1, count: n }));
          return summarize('s', results.filter((r) => mine.has(r.seed)), 1, 10, expected);
        });
        const merged = mergeSummaries(parts);
        const whole = summarize('s', results, n, 10 * n, expected);
        expect(merged).toEqual(whole);
        expect(agreesWithExpect(merged)).toBe(agreesWithExpect(whole));
      }),
    );
  });

  it('refuse to merge overlapping shards, other scenarios, or files that are not sweep output', () => {
    const a = summarize('s', [{ seed: 1, kinds: [], fingerprint: 'x', expectMet: true }], 1, 1);
    expect(() => mergeSummaries([a, a])).toThrow(/seed 1 appears in two results/);
    expect(() => mergeSummaries([a, { ...a, scenario: 't', ran: '2' }])).toThrow(/two scenarios/);
    expect(() => parseSummary('hello', 'a.json')).toThrow(/a.json: the last line is not JSON/);
    expect(() => parseSummary('{"scenario":"s"}', 'b.json')).toThrow(/b.json: field "seeds" is missing/);
  });
});

describe('sweep summaries of faults that did nothing', () => {
  const results: SeedResult[] = [
    { seed: 3, kinds: [], fingerprint: 'c', expectMet: true, skippedFaults: 2 },
    { seed: 1, kinds: [], fingerprint: 'a', expectMet: true },
    { seed: 12, kinds: ['lost-write'], fingerprint: 'd', expectMet: false, skippedFaults: 1 },
    { seed: 2, kinds: [], fingerprint: 'b', expectMet: true, skippedFaults: 0 },
  ];

  it('count them per seed, only for seeds with some, and merge shards into the whole', () => {
    const whole = summarize('s', results, 1, 1);
    expect(whole.skippedFaults).toEqual({ '3': 2, '12': 1 });
    const merged = mergeSummaries([summarize('s', results.slice(0, 2), 1, 1), summarize('s', results.slice(2), 1, 1)]);
    expect(merged.skippedFaults).toEqual(whole.skippedFaults);
  });

  it('read a summary written before they were counted as one with none', () => {
    const { skippedFaults: _, ...old } = summarize('s', results.slice(1, 2), 1, 1);
    expect(parseSummary(JSON.stringify(old), 'old.json').skippedFaults).toEqual({});
    expect(mergeSummaries([parseSummary(JSON.stringify(old), 'old.json'), summarize('s', results.slice(0, 1), 1, 1)]).skippedFaults).toEqual({ '3': 2 });
  });
});
