import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';

/**
 * Twins are true twins: a lesson and its fixed twin (docs/lessons.md's table, as the demo and
 * `kafkasim list` present them) share seed, load, latency, topics, clients and fault
 * schedule, and differ only in the settings the lesson is about: Kafka and simulator settings
 * (any `config`), a consumer's processing mode, or the release (`cluster.version`, which brings
 * its defaults). And the twin shows none of the lesson's violation kinds, on any seed the
 * lesson record holds (test/fixtures/lesson-fingerprints.json, which lessonFingerprints.test.ts
 * keeps true to real runs).
 */

const root = new URL('../../', import.meta.url);
const entries = new Map(libraryEntries().map((e) => [e.name, e]));
const record = JSON.parse(readFileSync(fileURLToPath(new URL('test/fixtures/lesson-fingerprints.json', root)), 'utf8')) as Record<string, { kinds: string[] }>;

/** The table's rows with a twin: [lesson, twin]. */
function pairs(): [string, string][] {
  const doc = readFileSync(fileURLToPath(new URL('docs/lessons.md', root)), 'utf8');
  const out: [string, string][] = [];
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z0-9-]+)` \|.*\| `([a-z0-9-]+)`[^|]*\|$/.exec(line);
    if (m !== null) out.push([m[1], m[2]]);
  }
  return out;
}

/** Differences a pair may have beyond settings, each with the reason the lesson needs it. */
const DECLARED: Readonly<Record<string, { readonly paths: RegExp; readonly why: string }>> = {
  'consumer-auto-commit-crash/consumer-auto-commit-shutdown': { paths: /^faults\.\d+\.(action|mode)$/, why: 'the lesson is a crash against a clean shutdown of the same members at the same instants' },
  'consumer-commit-before-crash/consumer-commit-after-crash': { paths: /^faults\.\d+\.when$/, why: "each crash is aimed at the gap its mode leaves (after processing, before the commit); the other's at the same instant is timed" },
  'consumer-commit-after-crash/consumer-commit-before-crash': { paths: /^faults\.\d+\.when$/, why: 'as its mirror' },
  'controller-failover-single/controller-failover': { paths: /^cluster\.controllers$/, why: 'the lesson is the quorum of one: the same faults on three controllers leave a majority' },
  'controller-no-majority/controller-majority-of-five': { paths: /^cluster\.controllers$/, why: 'the lesson is the majority: the same two controllers down leave three of five' },
  'controller-disk-loss/controller-power-loss': { paths: /^faults\.\d+$/, why: "the lesson's last fault replaces controller-2's disk (no setting can: KIP-853's directory ids are not modelled); in the twin it only loses power" },
};

/** A setting the lesson may be about: anything under a `config`, a processing mode, the release. */
const SETTING = /(^|\.)config\.|^clients\.\d+\.processing\.mode$|^cluster\.version$/;

/** The leaves where two scenarios differ, as dotted paths. */
function differences(a: unknown, b: unknown, path: string[] = [], out: string[] = []): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k], out);
    return out;
  }
  out.push(path.join('.'));
  return out;
}

describe('twins are true twins', () => {
  const all = pairs();

  it('reads the pairs from docs/lessons.md, each naming two library scenarios', () => {
    expect(all.length).toBeGreaterThanOrEqual(20);
    for (const [lesson, twin] of all) {
      expect(entries.has(lesson), lesson).toBe(true);
      expect(entries.has(twin), twin).toBe(true);
    }
  });

  it.each(pairs())('%s and its twin %s differ only in the settings the lesson is about', (lesson, twin) => {
    const strip = (name: string) => ({ ...entries.get(name)?.scenario, name: undefined, description: undefined, expect: undefined });
    const declared = DECLARED[`${lesson}/${twin}`];
    const diffs = differences(strip(lesson), strip(twin));
    expect(diffs.filter((p) => !SETTING.test(p) && declared?.paths.test(p) !== true)).toEqual([]);
    // A twin that differs in nothing teaches nothing.
    expect(diffs.length).toBeGreaterThan(0);
  });

  it.each(pairs())("%s's twin %s shows none of the lesson's violation kinds on any recorded seed", (lesson, twin) => {
    const expects = entries.get(lesson)?.expects;
    const kinds = expects === undefined || expects === 'none' ? [] : expects;
    expect(kinds.length).toBeGreaterThan(0);
    const runs = Object.entries(record).filter(([key]) => key.slice(0, key.lastIndexOf('#')) === twin);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const [key, r] of runs) expect(r.kinds.filter((k) => kinds.includes(k)), key).toEqual([]);
  });
});
