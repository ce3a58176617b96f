/**
 * A broker keeps the metadata log its observer fetches on its own disk
 * (__cluster_metadata-0, as KafkaRaftManager's KafkaMetadataLog does): restarted, it loads
 * the log and its first metadata Fetch starts at the local log end (KafkaRaftClient
 * .buildFetchRequest's fetchOffset is log.endOffset()), not at 0. An observer does not flush
 * what it appends (KafkaRaftClient.appendAsFollower flushes only on voters), so after a power
 * loss it fetches from what was flushed: here, what its clean shutdown flushed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quorumScenario } from '../../helpers/quorumScenario.js';
import { finishRun, startRun, type RunInProgress } from '../../../src/scenarios/runner.js';
import { time, type Time } from '../../../src/sim/time.js';
import type { Broker } from '../../../src/nodes/broker/broker.js';
import type { Disk } from '../../../src/log/disk.js';
import { KafkaRaftClient } from '../../../src/nodes/controller/raft/kafkaRaftClient.js';
import { RaftLog } from '../../../src/nodes/controller/raft/raftLog.js';
import type { RaftFetchRequest } from '../../../src/nodes/controller/raft/raftMessages.js';
import { RAFT_INVARIANT_KINDS } from '../../../src/nodes/controller/raft/raftInvariants.js';

const BROKER = 'broker-3';
const BROKER_ID = 3;

const scenario = (faults: string) => quorumScenario('metadata-log-on-disk', faults);

function brokerHost(run: RunInProgress): { process: Broker | undefined; durable: { disk: Disk } } {
  return run.cluster.net.host(BROKER) as unknown as { process: Broker | undefined; durable: { disk: Disk } };
}

/** The live broker's metadata log end. */
function liveLogEnd(run: RunInProgress): number {
  const broker = brokerHost(run).process;
  if (broker === undefined) throw new Error(`${BROKER} is down`);
  return broker.metadataQuorumMember.log.endOffset;
}

/** The fetch offsets of the broker's metadata Fetches from now on, in order. */
function recordBrokerFetches(): number[] {
  const offsets: number[] = [];
  const proto = KafkaRaftClient.prototype as unknown as { buildFetchRequest(this: KafkaRaftClient): RaftFetchRequest };
  const build = proto.buildFetchRequest;
  vi.spyOn(proto, 'buildFetchRequest').mockImplementation(function (this: KafkaRaftClient) {
    const request = build.call(this);
    if (this.id === BROKER_ID) offsets.push(request.fetchOffset);
    return request;
  });
  return offsets;
}

/** The run's quorum invariant violations (MetadataLogMatchingProperty among them). */
function raftViolations(run: RunInProgress): string[] {
  return finishRun(run)
    .violations.filter((v) => (RAFT_INVARIANT_KINDS as readonly string[]).includes(v.kind))
    .map((v) => v.kind);
}

/**
 * The broker is down with `onDisk` records of the metadata log on its disk; restarted, its
 * first Fetch starts there, by `caughtUpBy` its log is back past `endBefore` (its end before
 * it went down), and the run breaks no Raft invariant.
 */
function expectRestartFrom(run: RunInProgress, expected: { readonly onDisk: number; readonly endBefore: number; readonly caughtUpBy: Time }): void {
  expect(RaftLog.peekEndOffset(brokerHost(run).durable.disk)).toBe(expected.onDisk);
  const fetches = recordBrokerFetches();
  run.runTo(expected.caughtUpBy);
  expect(fetches[0]).toBe(expected.onDisk);
  expect(liveLogEnd(run)).toBeGreaterThanOrEqual(expected.endBefore);
  run.runTo(run.end);
  expect(raftViolations(run)).toEqual([]);
}

describe("a broker's metadata log on its disk", () => {
  afterEach(() => vi.restoreAllMocks());

  it('a broker restarted after a crash fetches the metadata log from its local log end', () => {
    const run = startRun(scenario('[{ at: 8s, action: crash, target: broker-3 }, { at: 10s, action: restart, target: broker-3 }]'), { seed: 1 });
    run.runTo(time(7_999_000));
    const endBeforeCrash = liveLogEnd(run);
    expect(endBeforeCrash).toBeGreaterThan(0);
    run.runTo(time(9_000_000));
    // kill -9 keeps the page cache: the disk holds the whole log.
    expectRestartFrom(run, { onDisk: endBeforeCrash, endBefore: endBeforeCrash, caughtUpBy: time(12_000_000) });
  });

  it('a broker restarted after a power loss fetches from what it had flushed, its clean shutdown', () => {
    const faults = `[{ at: 3s, action: shutdown, target: broker-3 }, { at: 4s, action: restart, target: broker-3 },
      { at: 12s, action: crash, mode: power, target: broker-3 }, { at: 14s, action: restart, target: broker-3 }]`;
    const run = startRun(scenario(faults), { seed: 1 });
    run.runTo(time(3_900_000));
    // Down after its clean shutdown: the closed log was flushed.
    const flushedEnd = RaftLog.peekEndOffset(brokerHost(run).durable.disk);
    expect(flushedEnd).toBeGreaterThan(0);
    run.runTo(time(11_999_000));
    // Its restart's own registration and unfencing came after, unflushed.
    const endBeforeLoss = liveLogEnd(run);
    expect(endBeforeLoss).toBeGreaterThan(flushedEnd);
    run.runTo(time(13_000_000));
    expectRestartFrom(run, { onDisk: flushedEnd, endBefore: endBeforeLoss, caughtUpBy: time(16_000_000) });
  });
});
