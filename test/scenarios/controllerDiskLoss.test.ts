/**
 * Power and disks of the controller quorum. Raft voters flush before their log end counts
 * toward the high watermark (KafkaRaftClient.flushLeaderLog, and a voter's flush after each
 * fetched append: KAFKA-10533), so a power loss, of one controller or of all of them at once
 * (RaftEventSimulationTest.canRecoverAfterAllNodesKilled), loses nothing committed. A voter
 * whose disk is replaced, though, rejoins with nothing (KAFKA-14077): the static voter set
 * cannot tell it from the voter it was, and it can help a lagging voter win without the
 * committed records (controller-disk-loss).
 */
import { describe, expect, it } from 'vitest';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { applyDiskFault } from '../../src/log/diskFaults.js';
import { Rng } from '../../src/sim/rng.js';
import { libraryEntries } from '../../src/scenarios/library.js';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';

const lesson = (name: string) => {
  const e = libraryEntries().find((x) => x.name === name);
  if (e === undefined) throw new Error(`no lesson ${name}`);
  return runScenario(e.scenario, { seed: e.scenario.seed });
};

/** Three controllers and three brokers under acks=all load, with `faults` (YAML flow lines). */
const cluster = (faults: string) =>
  parseScenario(
    `name: controllers-power
duration: 40s
drain: 20s
cluster:
  brokers: 3
  controllers: 3
  config: { min.insync.replicas: 2 }
  network: { latency: { dist: uniform, min: 1ms, max: 5ms } }
topics:
  - { name: orders, partitions: 3, replication.factor: 3 }
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 200/s, keys: 50, start: 1s, stop: 38s } }
faults:
${faults}
`,
    'controllers-power.yaml',
  );

describe('the wipe disk fault', () => {
  it('deletes every file of the disk, and does nothing to an empty one', () => {
    const disk = new MemoryDisk();
    disk.append('__cluster_metadata-0/raft.log', Buffer.from('{"offset":0}\n'));
    disk.append('quorum-state', Buffer.from('{}'));
    expect(applyDiskFault(disk, { fault: 'wipe' }, Rng.fromSeed(1))).toBe(true);
    expect(disk.allFiles()).toEqual([]);
    expect(applyDiskFault(disk, { fault: 'wipe' }, Rng.fromSeed(1))).toBe(false);
  });

  it('applies to a controller that is down, not to one that runs', () => {
    const r = runScenario(
      cluster(`  - { at: 5s, action: disk, target: controller-2, fault: wipe }
  - { at: 10s, action: crash, target: controller-2 }
  - { at: 10s, action: disk, target: controller-2, fault: wipe }
  - { at: 12s, action: restart, target: controller-2 }`),
    );
    expect(r.skippedFaults.map((f) => [f.index, f.reason])).toEqual([[0, 'the disk fault does not apply to controller-2 (no such disk, a fault it does not support, or a wipe of a node still running)']]);
    // One voter wiped while the other two hold every committed record: it forgets its epoch,
    // catches up from the leader, and nothing is lost.
    expect(r.violations.map((v) => v.message)).toEqual(['the stored epoch of controller-2 went from 1 to 0']);
  });
});

describe('controller-disk-loss and its twin', () => {
  it('the wiped voter helps the lagging one win: the fencing of broker-1, committed, is lost', () => {
    const r = lesson('controller-disk-loss');
    const kinds = [...new Set(r.violations.map((v) => v.kind))].sort();
    expect(kinds).toEqual(['spec:ConsistentCommittedData', 'spec:MetadataLogMatchingProperty', 'spec:MonotonicEpoch', 'spec:MonotonicHighWatermark']);
    const lost = r.violations.find((v) => v.kind === 'spec:ConsistentCommittedData');
    expect(lost?.message).toMatch(/on controller-1, but was .*"FenceBroker","brokerId":1/);
    // After the wipe and the heal (21 s), when controller-1 leads and writes its own record there.
    expect(lost?.at).toBeGreaterThan(21_000_000);
    expect(r.violations.find((v) => v.kind === 'spec:MonotonicEpoch')?.message).toBe('the stored epoch of controller-2 went from 1 to 0');
  });

  it('the same voter losing only its power keeps what it flushed: nothing committed is lost', () => {
    expect(lesson('controller-power-loss').violations).toEqual([]);
  });

  it.each([1, 2, 3])('every controller losing power at once loses nothing committed (seed %i)', (seed) => {
    // broker-1's death is committed (fenced, its partitions moved) just before the power goes.
    const r = runScenario(
      cluster(`  - { at: 8s, action: crash, target: broker-1 }
  - { at: 17500ms, action: crash, target: controller, mode: power }
  - { at: 19s, action: restart, target: controller }
  - { at: 32s, action: restart, target: broker-1 }`),
      { seed },
    );
    expect(r.skippedFaults).toEqual([]);
    expect(r.violations).toEqual([]);
  });
});
