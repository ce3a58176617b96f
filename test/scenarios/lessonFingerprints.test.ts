import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { libraryEntries } from '../../src/scenarios/library.js';
import { runScenario } from '../../src/scenarios/runner.js';

/**
 * A refactor must not change what a lesson does. scripts/lessonFingerprints.mjs compares
 * every lesson (at three seeds) with the record in test/fixtures/lesson-fingerprints.json;
 * the suite runs a slice of it, one lesson per role (producer, replication, groups,
 * transactions, compaction, controller), and test:deep all of them. A change of behaviour on
 * purpose updates the record with `node scripts/lessonFingerprints.mjs --update`.
 */
const deep = process.env.KAFKASIM_DEEP !== undefined && process.env.KAFKASIM_DEEP !== '0';
const record = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/lesson-fingerprints.json', import.meta.url)), 'utf8')) as Record<string, { fingerprint: string; kinds: string[] }>;
const slice = ['acks1-leader-failover', 'kip101-hw-truncation', 'consumer-nemesis', 'eos-nemesis', 'compaction-tombstone-loss', 'idempotent-leader-change', 'rolling-restart-acks-all'];

describe('lesson fingerprints', () => {
  const entries = libraryEntries().filter((e) => deep || slice.includes(e.name));
  it('the slice names real lessons', () => {
    expect(libraryEntries().filter((e) => slice.includes(e.name)).map((e) => e.name).sort()).toEqual([...slice].sort());
  });
  for (const entry of entries) {
    it(`${entry.name} keeps its fingerprint and violation kinds, and its own faults all take effect`, () => {
      const seed = entry.scenario.seed;
      const r = runScenario(entry.scenario, { seed });
      const kinds = [...new Set(r.violations.map((v) => v.kind))].sort();
      expect({ fingerprint: r.fingerprint, kinds }).toEqual(record[`${entry.name}#${seed}`]);
      // Every fault a lesson writes takes effect (kafkasim run --strict-faults passes).
      expect(r.skippedFaults.filter((f) => !f.nemesis)).toEqual([]);
    });
  }
});
