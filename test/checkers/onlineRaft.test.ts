/**
 * The controller quorum's invariants (RaftEventSimulationTest's, and the brokers'
 * MetadataLogMatchingProperty) run online in every scenario: a run broken on purpose is
 * caught at the event that broke it, and a healthy run with controller faults is not.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quorumScenario } from '../helpers/quorumScenario.js';
import { finishRun, startRun, type RunInProgress } from '../../src/scenarios/runner.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { time } from '../../src/sim/time.js';
import type { Controller } from '../../src/nodes/controller/controller.js';
import type { Broker } from '../../src/nodes/broker/broker.js';
import type { KafkaRaftClient } from '../../src/nodes/controller/raft/kafkaRaftClient.js';
import { LeaderState } from '../../src/nodes/controller/raft/leaderState.js';
import { QuorumStateStore } from '../../src/nodes/controller/raft/quorumStateStore.js';
import type { RaftRecord } from '../../src/nodes/controller/raft/raftMessages.js';
import type { MemoryDisk } from '../../src/log/memoryDisk.js';
import { RAFT_INVARIANT_KINDS } from '../../src/nodes/controller/raft/raftInvariants.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const scenario = (faults = '[]') => quorumScenario('quorum-online', faults);

function controllerMember(run: RunInProgress, node: string): { raft: KafkaRaftClient; disk: MemoryDisk } {
  const host = run.cluster.net.host(node) as unknown as { process: Controller | undefined; durable: { disk: MemoryDisk } };
  if (host.process === undefined) throw new Error(`${node} is down`);
  return { raft: host.process.quorumMember, disk: host.durable.disk };
}

function brokerMember(run: RunInProgress, node: string): KafkaRaftClient {
  const host = run.cluster.net.host(node) as unknown as { process: Broker | undefined };
  if (host.process === undefined) throw new Error(`${node} is down`);
  return host.process.metadataQuorumMember;
}

/** The controllers: the active one, and a follower. */
function roles(run: RunInProgress): { leader: string; follower: string } {
  const nodes = run.cluster.controllers;
  const leader = nodes.find((n) => controllerMember(run, n).raft.quorum.state.kind === 'leader');
  const follower = nodes.find((n) => n !== leader && controllerMember(run, n).raft.quorum.state.kind === 'follower');
  if (leader === undefined || follower === undefined) throw new Error('no settled quorum at 5 s');
  return { leader, follower };
}

/** Runs to 5 s, breaks the run with `mutate`, runs to the end, and returns the quorum's violations with when they were found. */
function brokenRun(mutate: (run: RunInProgress) => void): { kind: string; at: number | undefined; node: unknown }[] {
  // A broker crashes and returns after the mutation, so the quorum has records to commit.
  const run = startRun(scenario('[{ at: 8s, action: crash, target: broker-3 }, { at: 12s, action: restart, target: broker-3 }]'), { seed: 1 });
  run.runTo(time(5_000_000));
  mutate(run);
  const mutatedAt = run.sim.now;
  run.runTo(run.end);
  const found = finishRun(run).violations.filter((v) => (RAFT_INVARIANT_KINDS as readonly string[]).includes(v.kind));
  for (const v of found) expect(v.at).toBeGreaterThanOrEqual(mutatedAt);
  return found.map((v) => ({ kind: v.kind, at: v.at, node: (v.details as { node?: unknown } | undefined)?.node }));
}

/** The next append of `raft`'s log takes its data records altered. */
function corruptNextAppend(raft: KafkaRaftClient): void {
  const log = raft.log;
  const append = log.appendAsFollower.bind(log);
  vi.spyOn(log, 'appendAsFollower').mockImplementationOnce((records: readonly RaftRecord[]) => append(records.map((r) => (r.kind === 'data' ? { ...r, data: JSON.stringify({ ...(JSON.parse(r.data) as object), corrupted: true }) } : r))));
}

describe('the quorum invariants online in a scenario run', () => {
  afterEach(() => vi.restoreAllMocks());

  it('no library lesson breaks one, at any recorded seed (the record scripts/lessonFingerprints.mjs checks runs against), but the one that replaces a disk', () => {
    const record = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/lesson-fingerprints.json', import.meta.url)), 'utf8')) as Record<string, { kinds: string[] }>;
    const breaks = (r: { kinds: string[] }): boolean => r.kinds.some((k) => (RAFT_INVARIANT_KINDS as readonly string[]).includes(k));
    // A wiped disk is outside Raft's fault model: RaftEventSimulationTest's
    // canRecoverFromSingleNodeCommittedDataLoss turns these invariants off for it (KAFKA-14077).
    const outsideModel = (run: string): boolean => run.startsWith('controller-disk-loss#');
    const broken = Object.entries(record).filter(([run, r]) => !outsideModel(run) && breaks(r));
    expect(Object.keys(record).length).toBeGreaterThan(170);
    expect(broken).toEqual([]);
    const exempt = Object.entries(record).filter(([run]) => outsideModel(run));
    expect(exempt.length).toBe(3);
    expect(exempt.every(([, r]) => breaks(r))).toBe(true);
  });

  it('a healthy three-controller run with its active controller crashed and restarted finds none', () => {
    const r = runScenario(scenario('[{ at: 4s, action: crash, target: active-controller }, { at: 9s, action: restart, target: controller }]'), { seed: 1 });
    expect(r.violations).toEqual([]);
  });

  it('MetadataLogMatchingProperty: a broker whose metadata log takes altered records', () => {
    const found = brokenRun((run) => corruptNextAppend(brokerMember(run, 'broker-2')));
    expect(found.map((v) => v.kind)).toEqual(['spec:MetadataLogMatchingProperty']);
    expect(found[0].node).toBe('broker-2');
  });

  it('ConsistentCommittedData: a follower controller whose log takes altered records', () => {
    let follower = '';
    const found = brokenRun((run) => {
      follower = roles(run).follower;
      corruptNextAppend(controllerMember(run, follower).raft);
    });
    expect(found.map((v) => v.kind)).toContain('spec:ConsistentCommittedData');
    expect(found.find((v) => v.kind === 'spec:ConsistentCommittedData')?.node).toBe(follower);
  });

  it('MonotonicEpoch: a quorum-state file rewritten with an older epoch', () => {
    const found = brokenRun((run) => {
      const { follower } = roles(run);
      const { raft, disk } = controllerMember(run, follower);
      new QuorumStateStore(disk).write({ epoch: raft.quorum.epoch - 1, leaderId: undefined, votedId: undefined });
    });
    expect(found.map((v) => v.kind)).toContain('spec:MonotonicEpoch');
  });

  it('SingleLeader: a follower whose quorum-state file names another leader in the same epoch', () => {
    const found = brokenRun((run) => {
      const { leader, follower } = roles(run);
      const { raft, disk } = controllerMember(run, follower);
      const other = run.cluster.controllers.find((n) => n !== leader && n !== follower) ?? '';
      new QuorumStateStore(disk).write({ epoch: raft.quorum.epoch, leaderId: controllerMember(run, other).raft.id, votedId: undefined });
    });
    expect(found.map((v) => v.kind)).toContain('spec:SingleLeader');
  });

  it('MajorityReachedHighWatermark: a leader that counts followers as further along than they fetched', () => {
    const found = brokenRun(() => {
      const update = LeaderState.prototype.updateReplicaState;
      vi.spyOn(LeaderState.prototype, 'updateReplicaState').mockImplementation(function (this: LeaderState, id: number, fetchOffset: number, nowMs: number) {
        return update.call(this, id, fetchOffset + 3, nowMs);
      });
    });
    expect(found.map((v) => v.kind)).toContain('spec:MajorityReachedHighWatermark');
  });

  it('MonotonicHighWatermark: a new leader whose high watermark starts below its predecessor’s', () => {
    const found = brokenRun((run) => {
      const { leader } = roles(run);
      // The next leader's high watermark reads as 1, far below what its predecessor exposed.
      vi.spyOn(LeaderState.prototype, 'highWatermark', 'get').mockReturnValue(1);
      run.cluster.net.host(leader).crash('process');
    });
    expect(found.map((v) => v.kind)).toContain('spec:MonotonicHighWatermark');
  });
});
