import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseScenario } from '../../src/scenarios/loader.js';
import { runScenario, type RunResult } from '../../src/scenarios/runner.js';
import { explainViolation } from '../../src/scenarios/explain.js';

/**
 * Compacted topics as tables: the cleaner keeps each key's latest record, and a tombstone
 * only delete.retention.ms after it first compacts it. A reader slower than that misses
 * deletions (tombstone-loss); with the default retention it does not. The lost-write,
 * unseen and divergence checkers know that compaction removes records by design.
 */
const library = fileURLToPath(new URL('../../src/scenarios/library/', import.meta.url));
const run = (name: string, keepTrace = false): RunResult => runScenario(loadScenario(`${library}${name}.yaml`), { keepTrace });
const kinds = (r: RunResult): string[] => [...new Set(r.violations.map((v) => v.kind))].sort();

describe('acceptance: compaction and tombstones', () => {
  it('a consumer slower than delete.retention.ms keeps keys the topic deleted, and explain tells why', () => {
    const r = run('compaction-tombstone-loss', true);
    // Nothing else: compaction's removals are not lost writes, unseen messages or divergence.
    expect(kinds(r)).toEqual(['tombstone-loss']);
    const story = explainViolation(r.simulation.memory?.records ?? [], r.violations[0]).map((l) => l.text);
    expect(story.some((t) => /processed k\d+=p1#\d+ .*its table now holds/.test(t))).toBe(true);
    expect(story.some((t) => /cleaner removed k\d+'s tombstone .*delete\.retention\.ms had passed/.test(t))).toBe(true);
    expect(story.some((t) => /past offset \d+: the tombstone was no longer there/.test(t))).toBe(true);
  });

  it('with delete.retention.ms at its default the same reader ends with the topic\'s table', () => {
    const r = run('compaction-tombstone-kept');
    expect(r.violations).toEqual([]);
    const p = r.state.partitions.find((x) => x.partition === 'users-0');
    // The cleaner did compact (most records went), and deleted keys are still marked by their tombstones.
    expect(p?.compactedAway?.size ?? 0).toBeGreaterThan(r.stats.acked / 2);
    expect([...(p?.keyTable?.values() ?? [])].some((x) => x.tombstone)).toBe(true);
  });
});

describe('workload key distributions', () => {
  const scenario = (distribution: string): string => `
name: keys-${distribution}
duration: 12s
cluster: { brokers: 1, config: { offsets.topic.num.partitions: 5, offsets.topic.replication.factor: 1 } }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
clients:
  - { id: p1, type: producer, topic: t, workload: { rate: 500/s, keys: 100, keyDistribution: ${distribution}, start: 1s, stop: 5s } }
  - { id: c1, type: consumer, group: g1, topics: [t], config: { auto.offset.reset: earliest }, processing: { mode: commit-after-process } }
`;
  const hottestShare = (distribution: string): number => {
    const r = runScenario(parseScenario(scenario(distribution)));
    const counts = new Map<string, number>();
    let total = 0;
    for (const op of r.simulation.history.others) {
      if (op.f !== 'process' || op.type !== 'ok') continue;
      const key = (op.value as { key: string | null }).key as string;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
    }
    expect(total).toBe(r.stats.acked);
    return Math.max(...counts.values()) / total;
  };

  it('zipf makes one key hot (about 1/H(100), 19%); uniform spreads them (about 1% each)', () => {
    expect(hottestShare('zipf')).toBeGreaterThan(0.15);
    expect(hottestShare('uniform')).toBeLessThan(0.04);
  });
});
