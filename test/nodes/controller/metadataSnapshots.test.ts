/**
 * KIP-630 in a whole cluster: with small snapshot and retention settings
 * (metadata.log.max.record.bytes.between.snapshots, metadata.log.max.snapshot.interval.ms,
 * metadata.max.retention.bytes, set under cluster.config), the controllers snapshot their
 * image and clean their logs; a broker that restarts after that (its metadata log is in
 * memory, so it fetches from offset 0) and a controller that restarts catch up from a
 * snapshot, and every online check, ConsistentCommittedData over snapshots among them, holds.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { finishRun, startRun, type RunInProgress } from '../../../src/scenarios/runner.js';
import type { Controller } from '../../../src/nodes/controller/controller.js';
import type { Broker } from '../../../src/nodes/broker/broker.js';
import type { KafkaRaftClient } from '../../../src/nodes/controller/raft/kafkaRaftClient.js';

const scenario = parseScenario(`
name: metadata-snapshots
duration: 150s
drain: 5s
cluster:
  brokers: 3
  controllers: 3
  config: { metadata.log.max.record.bytes.between.snapshots: 300, metadata.log.max.snapshot.interval.ms: 5000, metadata.max.retention.bytes: 1 }
topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 20/s, keys: 10, start: 1s, stop: 145s } }
faults:
  - { at: 10s, action: crash, target: broker-3 }
  - { at: 30s, action: crash, target: broker-2 }
  - { at: 50s, action: restart, target: broker-2 }
  - { at: 100s, action: restart, target: broker-3 }
  - { at: 105s, action: crash, target: controller-2 }
  - { at: 125s, action: restart, target: controller-2 }
`);

function member(run: RunInProgress, node: string): KafkaRaftClient {
  const host = run.cluster.net.host(node) as unknown as { process: Controller | Broker | undefined };
  const p = host.process;
  if (p === undefined) throw new Error(`${node} is down`);
  return 'quorumMember' in p ? p.quorumMember : p.metadataQuorumMember;
}

describe('metadata snapshots in a cluster', () => {
  it('controllers snapshot and clean; a broker and a controller restarted after that catch up from a snapshot; no violation', () => {
    const run = startRun(scenario, { seed: 3 });
    const snapshots: string[] = [];
    run.sim.trace.observe('raft.snapshot', (r) => snapshots.push(`${r.node}:${r.how}`));
    run.runTo(run.end);
    const result = finishRun(run);
    expect(result.violations).toEqual([]);
    for (const c of run.cluster.controllers) expect(member(run, c).log.startOffset, c).toBeGreaterThan(0);
    // broker-3 came back after the controllers had cleaned their logs: it fetched a snapshot and loaded it.
    expect(snapshots).toContain('broker-3:fetched');
    expect(snapshots).toContain('broker-3:loaded');
    expect(member(run, 'broker-3').log.startOffset).toBeGreaterThan(0);
    // controller-2 restarted from its own disk: its listener loaded its latest snapshot first.
    expect(snapshots.filter((s) => s === 'controller-2:loaded').length).toBeGreaterThan(0);
  });
});
