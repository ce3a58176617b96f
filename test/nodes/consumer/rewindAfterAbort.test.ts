import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../src/scenarios/loader.js';
import { libraryPath } from '../../../src/scenarios/library.js';
import { runScenario } from '../../../src/scenarios/runner.js';

describe('a processor rewinds to its committed offsets after an aborted transaction', () => {
  // The soak at 5,000 msg/s reported nonmonotonic-poll for a processor that read orders-4
  // back from 1318310 to 1317811 (one 500-record transaction): the rewind after an abort
  // moved the position with no seek in the history. An EOS application seeks there (Kafka's
  // ExactlyOnceMessageProcessor.resetToLastCommittedPositions), and so is it recorded now.
  it('records each move back as a seek (reason abort), so nonmonotonic-poll stays quiet (eos-kip890-on, its own seed 2)', () => {
    const scenario = loadScenario(libraryPath('eos-kip890-on') as string);
    const result = runScenario({ ...scenario, checks: [...(scenario.checks ?? []), 'nonmonotonic-poll'] }, { seed: 2 });
    const rewinds = [...result.simulation.history.otherOps].filter((o) => o.f === 'seek' && (o.value as { reason?: string }).reason === 'abort');
    expect(rewinds.length).toBeGreaterThan(0);
    for (const o of rewinds) {
      const v = o.value as { from: number; to: number };
      expect(v.to).toBeLessThanOrEqual(v.from);
    }
    expect(result.violations.map((v) => v.kind)).toEqual([]);
  });
});
