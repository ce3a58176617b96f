import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConsumerGroup, type CommittedOffset, type JoinRequest } from '../../../src/nodes/coordinator/consumerGroup.js';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../../../src/nodes/coordinator/groupCoordinator.js';
import { decodeOffsetCommitValue, encodeOffsetCommitValue, partitionForGroup } from '../../../src/nodes/coordinator/offsetsTopic.js';
import { encodeSubscription } from '../../../src/nodes/consumer/consumerProtocol.js';
import { message, type KafkaMessage } from '../../../src/nodes/protocol.js';
import type { TraceRecord } from '../../../src/sim/trace.js';
import { coordinatorLog } from '../../helpers/coordinatorLog.js';

/**
 * Committed offsets expire (offsets.retention.minutes), by the rules of KIP-211 (Kafka 2.1
 * on: GroupMetadata.removeExpiredOffsets, now ClassicGroup.offsetExpirationCondition) or by
 * the older rule that counted from each commit whatever the group was doing.
 */
const RETENTION = 60_000;

function joinRequest(memberId: string, topics: readonly string[]): JoinRequest {
  return {
    memberId,
    clientId: 'c',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription({ topics, ownedPartitions: [], generationId: -1 }) }],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
  };
}

/** A Stable group of one member subscribed to `topics`, formed at time 0. */
function stableGroup(topics: readonly string[]): { g: ConsumerGroup; id: string } {
  const g = new ConsumerGroup('g', { initialRebalanceDelayMs: 0, expirePendingSync: true });
  let id = '';
  g.join(joinRequest('', topics), 0, (r) => (id = r.memberId));
  g.join(joinRequest(id, topics), 0, () => undefined);
  g.sync({ memberId: id, generationId: 1, assignments: new Map([[id, new Uint8Array(0)]]) }, 0, () => undefined);
  expect(g.state).toBe('Stable');
  return { g, id };
}

const offset = (o: number, commitTimestamp: number, expireTimestamp?: number): CommittedOffset => ({ offset: o, leaderEpoch: 0, metadata: '', commitTimestamp, ...(expireTimestamp === undefined ? {} : { expireTimestamp }) });
const none = (): boolean => false;

describe('offset expiration in one group', () => {
  it('KIP-211: a Stable consumer group keeps the offsets of topics it subscribes to, and loses those of others after the retention', () => {
    const { g } = stableGroup(['orders']);
    g.applyOffsets(new Map([['orders-0', offset(10, 1_000)], ['old-topic-3', offset(5, 1_000)]]));
    expect(g.expireOffsets(1_000 + RETENTION - 1, RETENTION, 'kip-211', none)).toEqual([]);
    const expired = g.expireOffsets(1_000 + RETENTION, RETENTION, 'kip-211', none);
    expect(expired.map((e) => [e.partition, e.basis])).toEqual([['old-topic-3', 'unsubscribed']]);
    // Long after, the subscribed topic's offset is still there.
    expect(g.expireOffsets(10 * RETENTION, RETENTION, 'kip-211', none)).toEqual([]);
    expect(g.fetchOffset('orders-0')?.offset).toBe(10);
  });

  it('KIP-211: an Empty group loses its offsets the retention after it became Empty, not after the commit', () => {
    const { g, id } = stableGroup(['orders']);
    g.applyOffsets(new Map([['orders-0', offset(10, 1_000)]]));
    expect(g.leave(id, undefined, 50_000)).toBeUndefined();
    expect(g.state).toBe('Empty');
    // Counted from the commit, it would have expired at 61 s.
    expect(g.expireOffsets(100_000, RETENTION, 'kip-211', none)).toEqual([]);
    expect(g.isDisposable).toBe(false);
    expect(g.expireOffsets(110_000, RETENTION, 'kip-211', none).map((e) => e.basis)).toEqual(['empty']);
    expect(g.isDisposable).toBe(true);
  });

  it('before KIP-211: a Stable group loses an offset the retention after its commit, subscribed or not', () => {
    const { g } = stableGroup(['orders']);
    g.applyOffsets(new Map([['orders-0', offset(10, 1_000, 1_000 + RETENTION)]]));
    // Kafka before 2.1: expireTimestamp < now.
    expect(g.expireOffsets(1_000 + RETENTION, RETENTION, 'commit-timestamp', none)).toEqual([]);
    expect(g.expireOffsets(1_001 + RETENTION, RETENTION, 'commit-timestamp', none).map((e) => [e.partition, e.basis])).toEqual([['orders-0', 'expire-timestamp']]);
  });

  it('skips an offset whose commit is being written (pendingOffsetCommits)', () => {
    const { g } = stableGroup(['orders']);
    g.applyOffsets(new Map([['orders-0', offset(10, 0)], ['orders-1', offset(11, 0)]]));
    const expired = g.expireOffsets(10 * RETENTION, RETENTION, 'commit-timestamp', (tp) => tp === 'orders-0');
    expect(expired.map((e) => e.partition)).toEqual(['orders-1']);
    expect(g.fetchOffset('orders-0')?.offset).toBe(10);
  });

  it('a group with no protocol (standalone commits) loses offsets by commit time', () => {
    const g = new ConsumerGroup('standalone');
    expect(g.commit({ memberId: '', generationId: -1 }, new Map([['orders-0', offset(3, 0)]]), 0)).toBeUndefined();
    expect(g.expireOffsets(RETENTION, RETENTION, 'kip-211', none).map((e) => e.basis)).toEqual(['standalone']);
  });

  it('property: KIP-211 never expires a subscribed topic of a Stable group; the old rule expires exactly what is older than the retention', () => {
    const commitArb = fc.record({ topic: fc.constantFrom('orders', 'payments', 'legacy'), partition: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 0, max: 500_000 }) });
    fc.assert(
      fc.property(fc.array(commitArb, { maxLength: 20 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 400_000 }), (commits, now, retention) => {
        const latest = new Map<string, number>();
        for (const c of commits) latest.set(`${c.topic}-${c.partition}`, c.at);
        const modern = stableGroup(['orders', 'payments']).g;
        const old = stableGroup(['orders', 'payments']).g;
        for (const [tp, at] of latest) {
          modern.applyOffsets(new Map([[tp, offset(1, at)]]));
          old.applyOffsets(new Map([[tp, offset(1, at, at + retention)]]));
        }
        const gone = modern.expireOffsets(now, retention, 'kip-211', none).map((e) => e.partition);
        for (const tp of gone) expect(tp.startsWith('legacy-')).toBe(true);
        const goneOld = old.expireOffsets(now, retention, 'commit-timestamp', none).map((e) => e.partition).sort();
        const due = [...latest].filter(([, at]) => at + retention < now).map(([tp]) => tp).sort();
        expect(goneOld).toEqual(due);
      }),
    );
  });
});

describe('offset expiration on the coordinator', () => {
  const CONFIG: GroupCoordinatorConfig = { offsetsPartitions: 4, initialRebalanceDelayMs: 0, expirePendingSync: true, minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 1_800_000, fencing: true, offsetsRetentionMs: RETENTION, offsetExpiration: 'kip-211', runtime: true };
  const GROUP = 'g1';
  const PARTITION = partitionForGroup(GROUP, CONFIG.offsetsPartitions);

  function world(config: GroupCoordinatorConfig) {
    const { sink, trace, log, append, awaitHighWatermark, commitWrites } = coordinatorLog(`__consumer_offsets-${PARTITION}`);
    const coordinator = new GroupCoordinator({ trace, brokerId: 1, append, awaitHighWatermark }, config);
    coordinator.load(PARTITION, log, 0);
    const ask = (req: KafkaMessage, now: number): KafkaMessage[] => {
      const answers: KafkaMessage[] = [];
      coordinator.handle(req as Parameters<GroupCoordinator['handle']>[0], now, (r) => answers.push(r));
      commitWrites();
      return answers;
    };
    return { coordinator, log, ask, trace, sink };
  }
  const commitStandalone = (offset: number) => message('OffsetCommit', { groupId: GROUP, memberId: '', generationId: -1, offsets: [{ topic: 'orders', partition: 0, offset, leaderEpoch: 2 }] });
  const fetch = message('OffsetFetch', { groupId: GROUP, partitions: [{ topic: 'orders', partition: 0 }] });

  it('writes a tombstone for each expired offset and for a group left with nothing, so the next coordinator loads neither', () => {
    const w = world(CONFIG);
    w.ask(commitStandalone(42), 1_000);
    expect(w.ask(fetch, 1_000)[0]).toMatchObject({ offsets: [{ offset: 42, leaderEpoch: 2 }] });
    w.coordinator.cleanupGroupMetadata(1_000 + RETENTION - 1);
    expect(w.ask(fetch, 1_000)[0]).toMatchObject({ offsets: [{ offset: 42 }] });
    w.coordinator.cleanupGroupMetadata(1_000 + RETENTION);
    expect(w.ask(fetch, 1_000)[0]).toMatchObject({ offsets: [{ offset: -1 }] });
    const expired = w.sink.records.filter((r): r is TraceRecord<'group.expire'> => r.kind === 'group.expire');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ group: GROUP, partitions: ['orders-0'], offsets: [42], basis: ['standalone'], rule: 'kip-211' });
    // A coordinator that takes the partition over replays the tombstones.
    const next = new GroupCoordinator({ trace: w.trace, brokerId: 2, append: () => undefined, awaitHighWatermark: (_p: number, _o: number, done: (reached: boolean) => void) => done(true) }, CONFIG);
    next.load(PARTITION, w.log, 0);
    expect(next.committedOffsets(GROUP)).toBeUndefined();
  });

  it('before KIP-211 writes each offset with its expire timestamp (OffsetCommitValue v1), and a new coordinator expires it by that', () => {
    const w = world({ ...CONFIG, offsetExpiration: 'commit-timestamp' });
    w.ask(commitStandalone(7), 5_000);
    // v1 has no leader epoch.
    expect(w.ask(fetch, 5_000)[0]).toMatchObject({ offsets: [{ offset: 7, leaderEpoch: -1 }] });
    const next = new GroupCoordinator({ trace: w.trace, brokerId: 2, append: () => undefined, awaitHighWatermark: (_p: number, _o: number, done: (reached: boolean) => void) => done(true) }, CONFIG);
    next.load(PARTITION, w.log, 0);
    expect(next.committedOffsets(GROUP)?.get('orders-0')).toMatchObject({ offset: 7, commitTimestamp: 5_000, expireTimestamp: 5_000 + RETENTION });
    // Even under KIP-211's rules an offset that carries its own expire timestamp goes by it.
    next.cleanupGroupMetadata(5_000 + RETENTION);
    expect(next.committedOffsets(GROUP)).toBeUndefined();
  });
});

describe('OffsetCommitValue layouts', () => {
  it('round-trips v3 (leader epoch) and v1 (expire timestamp)', () => {
    const v3 = { offset: 99, leaderEpoch: 4, metadata: 'm', commitTimestamp: 1_234 };
    expect(decodeOffsetCommitValue(encodeOffsetCommitValue(v3))).toEqual(v3);
    const v1 = { offset: 99, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1_234, expireTimestamp: 61_234 };
    const bytes = encodeOffsetCommitValue(v1);
    expect(bytes.readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(bytes)).toEqual(v1);
  });
});
