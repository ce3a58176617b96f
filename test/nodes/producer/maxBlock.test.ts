import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';

/** The producer is cut off from every broker for its first 5 s: it cannot learn the topic's metadata. */
const scenario = `
name: max-block
duration: 10s
drain: 10s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { max.block.ms: 2000 }, workload: { rate: 10/s, stop: 8s } }
faults:
  - { at: 0s, action: partition, name: cut, isolate: producer-p1 }
  - { at: 5s, action: heal, name: cut }
`;

describe('max.block.ms', () => {
  it('fails a send that waited that long for metadata (TimeoutException, never written); later ones go through', () => {
    const r = runScenario(parseScenario(scenario), { keepTrace: true });
    const sends = (r.simulation.memory?.records ?? []).flatMap((x) => (x.kind === 'client.send' ? [x] : []));
    const invokedAt = new Map(sends.filter((x) => x.type === 'invoke').map((x) => [x.seq, x.at]));
    const failed = sends.filter((x) => x.type === 'fail');
    const ok = sends.filter((x) => x.type === 'ok');
    expect(failed.length).toBeGreaterThan(0);
    expect(ok.length + failed.length).toBe(r.stats.produced);
    // The metadata arrives once the partition heals (at 5 s, and a retransmission later).
    const firstOk = Math.min(...ok.map((x) => x.at));
    expect(firstOk).toBeGreaterThan(5_000_000);
    for (const f of failed) {
      expect(f.error).toBe('TimeoutException');
      // Exactly max.block.ms after it was invoked, while there was still no metadata.
      expect(f.at - (invokedAt.get(f.seq) ?? 0)).toBe(2_000_000);
      expect(f.at).toBeLessThan(firstOk);
    }
    // A send still inside its max.block.ms when the metadata came went through.
    for (const o of ok) expect(invokedAt.get(o.seq) ?? 0).toBeGreaterThan(firstOk - 2_000_000);
    expect(r.violations).toEqual([]);
  });
});
