import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import { MetadataImage } from '../../../src/nodes/controller/metadataImage.js';
import type { MetadataRecord } from '../../../src/nodes/controller/metadataRecords.js';
import type { TraceRecord } from '../../../src/sim/trace.js';

/** broker-1 is shut down at 5 s and back at 8 s; the controller checks leader imbalance every 10 s. */
function run(config: string) {
  const text = `
name: preferred-leader
duration: 30s
cluster: { brokers: 3, config: { min.insync.replicas: 2, leader.imbalance.check.interval.seconds: 10${config} } }
topics: [{ name: t, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: all }, workload: { rate: 300/s, start: 1s, stop: 28s } }
faults:
  - { at: 5s, action: shutdown, target: broker-1 }
  - { at: 8s, action: restart, target: broker-1 }
`;
  const r = runScenario(parseScenario(text), { keepTrace: true });
  const records = (r.simulation.memory?.records ?? []).filter((x): x is TraceRecord<'metadata.record'> => x.kind === 'metadata.record').map((x) => ({ at: x.at, record: JSON.parse(x.detail) as MetadataRecord }));
  const image = new MetadataImage();
  for (const { record } of records) image.apply(record);
  return { r, records, image };
}

describe('preferred leader election (auto.leader.rebalance.enable, QuorumController.maybeBalancePartitionLeaders)', () => {
  it('gives each partition back to its preferred replica once it is in the ISR again, at the next imbalance check', () => {
    const { r, records, image } = run('');
    const preferred1 = image.partitions().filter((p) => p.replicas[0] === 1);
    expect(preferred1.length).toBeGreaterThan(0);
    for (const p of image.partitions()) expect(p.leader).toBe(p.replicas[0]);
    // Moved away by the controlled shutdown at 5 s, back by the check scheduled then, 10 s later.
    const back = records.filter((m) => m.record.type === 'PartitionChange' && m.record.leader === 1 && m.at > 8_000_000);
    expect(back.length).toBe(preferred1.length);
    for (const m of back) expect(Math.abs(m.at - 15_000_000)).toBeLessThan(100_000);
    expect(r.violations).toEqual([]);
  });

  it('with auto.leader.rebalance.enable=false the leadership stays where the shutdown moved it', () => {
    const { image } = run(', auto.leader.rebalance.enable: false');
    const moved = image.partitions().filter((p) => p.replicas[0] === 1);
    expect(moved.length).toBeGreaterThan(0);
    for (const p of moved) expect(p.leader).not.toBe(1);
  });
});
