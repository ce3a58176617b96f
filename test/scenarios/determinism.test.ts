import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareStrings } from '../../src/sim/order.js';
import { loadScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { DEEP } from '../helpers/deep.js';

const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
/**
 * The default suite runs one lesson per role, other than lessonFingerprints.test.ts's slice
 * (which pins those lessons' fingerprints across sessions); test:deep runs every lesson (the
 * default slice had a second per role before: acks0-leader-failover, consumer-static-restart,
 * eos-zombie-processor, compaction-tombstone-kept, retries-duplicate, all in the deep run).
 */
const slice = ['unclean-election', 'consumer-commit-before-crash', 'eos-kip890-on', 'power-loss-minority', 'zombie-leader-fenced'];
const all = readdirSync(library)
  .filter((f) => f.endsWith('.yaml'))
  .sort(compareStrings);
const names = all.filter((f) => DEEP || slice.includes(f.replace(/\.yaml$/, '')));

describe('determinism of the library', () => {
  it('the slice names real lessons', () => {
    expect(names).toHaveLength(DEEP ? all.length : slice.length);
  });
  it.each(names)('%s gives the same fingerprint and outcome twice', { timeout: 120_000 }, (file) => {
    const scenario = loadScenario(`${library}${file}`);
    const a = runScenario(scenario);
    const b = runScenario(scenario);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.stats).toEqual(a.stats);
    expect(b.violations).toEqual(a.violations);
    // Each library scenario is a lesson: its own seed shows what its expect says.
    expect(a.expectMet).toBe(true);
  });
});
