/**
 * controller-disk-loss at seed 2: controller-2 leads epoch 2 while controller-1 is cut off,
 * loses its disk, and votes again in epoch 2, for controller-1. The quorum recovers (voters
 * follow controller-1, its high watermark moves on), but broker-2 and broker-3 learned
 * controller-2 as epoch 2's leader: every Fetch answer now names controller-1 in that same
 * epoch. Kafka's observer throws there (KafkaRaftClient.maybeTransition, IllegalStateException)
 * and its fatal fault handler halts the broker; no epoch after 2 comes, since controller-1
 * hears Fetch from a majority (check-quorum holds). kafkasim's observer ignores the answer and
 * retries, and the violation is reported once, where it broke, not at each retry.
 */
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../../src/scenarios/library.js';
import { runScenario } from '../../src/scenarios/runner.js';

describe('controller-disk-loss at seed 2: observers stuck with the other leader of epoch 2', () => {
  const e = libraryEntries().find((x) => x.name === 'controller-disk-loss');
  if (e === undefined) throw new Error('no lesson controller-disk-loss');
  const r = runScenario({ ...e.scenario, seed: 2 }, { keepTrace: true });
  const records = r.simulation.memory?.records ?? [];

  it('reports each broken Raft invariant once per member, at the answer that broke it', () => {
    const reports = records.flatMap((x) => (x.kind === 'raft.violation' ? [`${x.node} ${x.invariant} ${x.message}`] : []));
    expect(new Set(reports).size).toBe(reports.length);
    expect(reports.filter((x) => x.includes('spec:SingleLeader'))).toEqual([
      'broker-2 spec:SingleLeader broker-2 was told leader 3000 in epoch 2, where it knows leader 3001',
      'broker-3 spec:SingleLeader broker-3 was told leader 3000 in epoch 2, where it knows leader 3001',
    ]);
  });

  it('the quorum itself recovers: controller-1 leads epoch 2 and commits after controller-3 is back; the brokers still know controller-2', () => {
    const hw = records.filter((x) => x.kind === 'raft.hw' && x.node === 'controller-1' && x.epoch === 2 && x.at > 30_000_000);
    expect(hw.length).toBeGreaterThan(0);
    for (const broker of ['broker-2', 'broker-3']) {
      const last = records.filter((x) => x.kind === 'raft.state' && x.node === broker).at(-1);
      expect(last).toMatchObject({ state: 'follower', epoch: 2, leader: 3001 });
    }
  });
});
