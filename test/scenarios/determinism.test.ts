import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareStrings } from '../../src/sim/order.js';
import { loadScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
const names = readdirSync(library)
  .filter((f) => f.endsWith('.yaml'))
  .sort(compareStrings);

describe('determinism of the library', () => {
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
