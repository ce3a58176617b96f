import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Partition, type LeadershipInfo, type PartitionConfig } from '../../../src/nodes/broker/partition.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../../src/log/log.js';
import { MemoryDisk } from '../../../src/log/memoryDisk.js';
import { encodeBatch } from '../../../src/log/recordBatch.js';
import { logValues } from '../../helpers/logValues.js';

const CONFIG: PartitionConfig = { minInsyncReplicas: 2, replicaLagTimeMaxMs: 10_000, maxFetchBytes: 1 << 20, truncation: 'leader-epoch' };

/** The partitions' clock; tests that pass times to fetches move it where they need the leader to read it. */
let clock = 0;

function replica(id: number, config = CONFIG): Partition {
  const { log } = Log.open(new MemoryDisk(), 'orders-0', DEFAULT_LOG_CONFIG);
  return new Partition('orders', 0, id, log, config, { nowMs: () => clock, isReplicaIsrEligible: () => true });
}

function info(leader: number, leaderEpoch: number, isr = [1, 2, 3], partitionEpoch = 0): LeadershipInfo {
  return { leader, leaderEpoch, partitionEpoch, replicas: [1, 2, 3], isr };
}

const batch = (...values: string[]) => encodeBatch(values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: i })));

/** One fetch round trip from `follower` to `leader`, without a network. */
function fetchOnce(leader: Partition, follower: Partition, nowMs: number) {
  const req = follower.nextFetch();
  const res = leader.fetchForFollower(follower.brokerId, req.fetchOffset, req.lastFetchedEpoch, req.currentLeaderEpoch, nowMs);
  if (res.error !== undefined) return res;
  return { ...follower.applyFetch(res), res };
}

/** Broker 1 leads epoch 1 of a three-replica partition; 2 and 3 follow. */
function epochOne(): [Partition, Partition, Partition] {
  const [l, f2, f3] = [replica(1), replica(2), replica(3)];
  l.becomeLeader(info(1, 1), 0);
  f2.becomeFollower(info(1, 1));
  f3.becomeFollower(info(1, 1));
  return [l, f2, f3];
}

/** Leader `l` (broker 1) appends one record and both followers fetch it at 1 and 2 ms: returns the leader and its followers. */
function bothFollowersCaughtUp(l: Partition, config = CONFIG): [Partition, Partition, Partition] {
  const [f2, f3] = [replica(2, config), replica(3, config)];
  l.becomeLeader(info(1, 1), 0);
  f2.becomeFollower(info(1, 1));
  f3.becomeFollower(info(1, 1));
  l.appendAsLeader(batch('a'), '1');
  for (const t of [1, 2]) {
    fetchOnce(l, f2, t);
    fetchOnce(l, f3, t);
  }
  return [l, f2, f3];
}

function values(p: Partition): string[] {
  return logValues(p.log);
}

describe('Partition: becoming leader', () => {
  it('a new leader alone in its ISR raises its high watermark to its log end at once; with followers it waits for their fetches (Partition.makeLeader)', () => {
    for (const alone of [true, false]) {
      const p = replica(1, { ...CONFIG, minInsyncReplicas: 1 });
      p.becomeFollower(info(2, 1, alone ? [1] : [1, 2]));
      p.log.appendAsFollower(encodeBatch([{ key: null, value: Buffer.from('a'), timestamp: 0 }], { baseOffset: 0, partitionLeaderEpoch: 1 }));
      p.log.appendAsFollower(encodeBatch([{ key: null, value: Buffer.from('b'), timestamp: 0 }], { baseOffset: 1, partitionLeaderEpoch: 1 }));
      expect(p.highWatermark).toBe(0);
      p.becomeLeader(info(1, 2, alone ? [1] : [1, 2]), 0);
      expect(p.highWatermark).toBe(alone ? 2 : 0);
    }
  });
});

describe('Partition: replication', () => {
  it('tells of a leader append before the high watermark moves, so appends made by completed produces are told after it', () => {
    const l = replica(1, { ...CONFIG, minInsyncReplicas: 1 });
    l.becomeLeader(info(1, 1, [1]), 0); // alone in the ISR: every append commits at once
    const told: string[] = [];
    const tell = (base: number, last: number): void => {
      told.push(`${base}-${last}`);
    };
    const first = l.appendAsLeader(batch('a'), '1', tell);
    if ('error' in first) throw new Error(first.error);
    // A waiting produce whose completion appends again, as a coordinator writes its next record.
    const second = batch('b', 'c');
    l.awaitCommit(first.lastOffset + 1, () => l.appendAsLeader(second, '1', tell));
    l.appendAsLeader(batch('d'), '1', tell);
    expect(told).toEqual(['0-0', '1-1', '2-3']);
    expect(values(l)).toEqual(['a', 'd', 'b', 'c']);
  });

  it('advances the high watermark to the lowest log end in the ISR, and completes acks=all then', () => {
    const [l, f2, f3] = epochOne();
    const r = l.appendAsLeader(batch('a', 'b'), 'all');
    if ('error' in r) throw new Error(r.error);
    const acked: (string | undefined)[] = [];
    l.awaitCommit(r.lastOffset, (e) => acked.push(e));
    expect(l.highWatermark).toBe(0);
    fetchOnce(l, f2, 1); // f2 gets the records (its LEO was 0 when it asked)
    fetchOnce(l, f2, 2); // and now reports LEO 2
    expect(l.highWatermark).toBe(0); // f3 is in the ISR and has nothing
    expect(acked).toEqual([]);
    fetchOnce(l, f3, 3);
    fetchOnce(l, f3, 4);
    expect(l.highWatermark).toBe(2);
    expect(acked).toEqual([undefined]);
    fetchOnce(l, f2, 5);
    expect(f2.highWatermark).toBe(2); // the leader's HW reaches followers on their next fetch
    expect(values(f2)).toEqual(['a', 'b']);
  });

  it('refuses acks=all when the ISR is below min.insync.replicas, and fails waiting produces if it drops there', () => {
    const l = replica(1);
    l.becomeLeader(info(1, 1, [1]), 0);
    expect(l.appendAsLeader(batch('x'), 'all')).toEqual({ error: 'NOT_ENOUGH_REPLICAS' });
    expect(l.appendAsLeader(batch('x'), '1')).toMatchObject({ baseOffset: 0 });
    l.updateLeadership(info(1, 1, [1, 2], 1));
    const r = l.appendAsLeader(batch('y'), 'all');
    if ('error' in r) throw new Error(r.error);
    const acked: (string | undefined)[] = [];
    l.awaitCommit(r.lastOffset, (e) => acked.push(e));
    l.updateLeadership(info(1, 1, [1], 2)); // ISR shrank: the HW now moves on the leader alone
    expect(acked).toEqual(['NOT_ENOUGH_REPLICAS_AFTER_APPEND']);
  });

  it('since 3.7 (KAFKA-15583; KIP-966 relies on it), holds the high watermark while the ISR is below min.insync.replicas', () => {
    const elr = { ...CONFIG, holdHighWatermarkBelowMinIsr: true };
    for (const [config, expected] of [[CONFIG, 2], [elr, 1]] as const) {
      const [l, f2] = [replica(1, config), replica(2, config)];
      l.becomeLeader(info(1, 1, [1, 2]), 0);
      f2.becomeFollower(info(1, 1, [1, 2]));
      l.appendAsLeader(batch('a'), '1');
      fetchOnce(l, f2, 1);
      fetchOnce(l, f2, 2);
      expect(l.highWatermark).toBe(1);
      l.updateLeadership(info(1, 1, [1], 1)); // the ISR shrinks below min.insync.replicas (2)
      clock = 20_000; // f2 last caught up at 2 ms: past replica.lag.time.max.ms, it is not about to rejoin
      l.appendAsLeader(batch('b'), '1');
      expect(l.highWatermark).toBe(expected);
      clock = 0;
    }
  });

  // Kafka: Replica.isCaughtUp (KAFKA-7152, 2.1): a follower at the leader's log end stays in the ISR however long ago it fetched.
  it.each([
    [true, undefined],
    [false, [1, 2]],
  ] as const)('an idle partition (caughtUpAtLogEnd %s): a follower at the log end that stopped fetching is kept, or shrunk away', (atLogEnd, proposed) => {
    const config = { ...CONFIG, caughtUpAtLogEnd: atLogEnd };
    const [l, f2] = bothFollowersCaughtUp(replica(1, config), config);
    fetchOnce(l, f2, 50_000); // f2 keeps fetching; f3 stopped at the log end 48 s ago
    expect(l.proposedIsr(50_000)).toEqual(proposed);
  });

  // Kafka: Partition.maybeIncrementLeaderHW's shouldWaitForReplicaToJoinIsr (KAFKA-4485) and isReplicaIsrEligible (KIP-841, KIP-903).
  it.each([
    [true, 1],
    [false, 2],
  ] as const)('the high watermark waits for a caught-up follower about to rejoin the ISR, if its broker is eligible (%s)', (eligible, hw) => {
    const { log } = Log.open(new MemoryDisk(), 'orders-0', DEFAULT_LOG_CONFIG);
    const [l, f2] = bothFollowersCaughtUp(new Partition('orders', 0, 1, log, CONFIG, { nowMs: () => clock, isReplicaIsrEligible: (id) => id !== 3 || eligible }));
    expect(l.highWatermark).toBe(1);
    l.updateLeadership(info(1, 1, [1, 2], 1)); // f3 left the ISR but caught up 2 ms ago
    l.appendAsLeader(batch('b'), '1');
    fetchOnce(l, f2, 3);
    fetchOnce(l, f2, 4);
    expect(l.highWatermark).toBe(hw);
  });

  // Kafka: Partition.isReplicaIsrEligible came with KIP-841 (3.3, KAFKA-13916); before, any
  // follower that caught up joined, even one the controller had fenced.
  it.each([
    ['any', [1, 2, 3]],
    ['unfenced', undefined],
    ['broker-epoch', undefined],
  ] as const)('a fenced follower that catches up joins the ISR only before KIP-841 (sim.isr.eligibility %s)', (isrEligibility, proposed) => {
    const { log } = Log.open(new MemoryDisk(), 'orders-0', DEFAULT_LOG_CONFIG);
    const config = { ...CONFIG, isrEligibility };
    const l = new Partition('orders', 0, 1, log, config, { nowMs: () => clock, isReplicaIsrEligible: (id) => id !== 3, aliveBrokerEpoch: (id) => (id === 3 ? undefined : id) });
    const [, f2, f3] = [l, replica(2, config), replica(3, config)];
    l.becomeLeader(info(1, 1, [1, 2]), 0);
    f2.becomeFollower(info(1, 1, [1, 2]));
    f3.becomeFollower(info(1, 1, [1, 2]));
    l.appendAsLeader(batch('a'), '1');
    for (const t of [1, 2]) {
      fetchOnce(l, f2, t);
      fetchOnce(l, f3, t);
    }
    expect(l.followerLogEndOffset(3)).toBe(1);
    expect(l.proposedIsr(3, 3)).toEqual(proposed);
  });

  // Kafka: Replica.resetReplicaState via Partition.makeLeader: a follower outside the ISR at the
  // election gets lastCaughtUpTimeMs 0, so it cannot hold the new leader's high watermark as one
  // about to rejoin (swarm finding compaction-tombstone-kept case 20: a follower far behind, out
  // of the ISR, held it for replica.lag.time.max.ms and acknowledged writes stayed uncommitted).
  it('a follower outside the ISR when the leader is elected does not hold its high watermark', () => {
    clock = 5_000;
    const [l, f2, f3] = [replica(1), replica(2), replica(3)];
    for (const p of [l, f2]) {
      p.becomeFollower(info(3, 1, [1, 2]));
      p.log.appendAsFollower(encodeBatch([{ key: null, value: Buffer.from('a'), timestamp: 0 }], { baseOffset: 0, partitionLeaderEpoch: 1 }));
      p.log.appendAsFollower(encodeBatch([{ key: null, value: Buffer.from('b'), timestamp: 0 }], { baseOffset: 1, partitionLeaderEpoch: 1 }));
    }
    l.becomeLeader(info(1, 2, [1, 2]), clock);
    f2.becomeFollower(info(1, 2, [1, 2]));
    f3.becomeFollower(info(1, 2, [1, 2])); // out of the ISR, with an empty log
    fetchOnce(l, f3, clock); // it fetches from offset 0, far behind
    fetchOnce(l, f2, clock); // the ISR's only follower is at the log end
    expect(l.highWatermark).toBe(2);
    clock = 0;
  });

  // Kafka: Partition.effectiveMinIsr (KAFKA-15583, 3.7): min.insync.replicas above the replication factor counts as the replication factor.
  it.each([
    [true, undefined],
    [false, 'NOT_ENOUGH_REPLICAS'],
  ] as const)('min.insync.replicas 5 on three replicas (hold %s): acks=all with the whole ISR is %s', (hold, error) => {
    const l = replica(1, { ...CONFIG, minInsyncReplicas: 5, holdHighWatermarkBelowMinIsr: hold });
    l.becomeLeader(info(1, 1), 0);
    const r = l.appendAsLeader(batch('a'), 'all');
    expect('error' in r ? r.error : undefined).toBe(error);
  });

  it('proposes to shrink the ISR after replica.lag.time.max.ms, and to expand it once caught up', () => {
    const [l, f2, f3] = epochOne();
    l.appendAsLeader(batch('a'), '1');
    fetchOnce(l, f2, 1_000);
    fetchOnce(l, f2, 2_000);
    expect(l.proposedIsr(9_000)).toBeUndefined();
    expect(l.proposedIsr(10_500)).toEqual([1, 2]); // f3 never fetched
    l.updateLeadership(info(1, 1, [1, 2], 1));
    fetchOnce(l, f3, 11_000);
    fetchOnce(l, f3, 11_001);
    expect(l.proposedIsr(11_002)).toBeUndefined(); // the periodic check only shrinks
    expect(l.proposedIsr(11_002, 3)).toEqual([1, 2, 3]); // f3's own fetch lets it back in
  });

  it('counts a proposed ISR member for the high watermark while the change is in flight, and adopts the committed ISR from the response', () => {
    // Found by the online LeaderCompleteness check (acks-all-nemesis, seed 92): the
    // controller committed an expansion to [1,2,3] and later elected 3, while the leader,
    // still on [1,2] until its metadata caught up, advanced the high watermark past 3's end.
    const [l, f2, f3] = [replica(1), replica(2), replica(3)];
    l.becomeLeader(info(1, 1, [1, 2]), 0);
    f2.becomeFollower(info(1, 1, [1, 2]));
    f3.becomeFollower(info(1, 1, [1, 2]));
    l.appendAsLeader(batch('a'), '1');
    fetchOnce(l, f2, 1);
    fetchOnce(l, f3, 1);
    fetchOnce(l, f2, 2);
    fetchOnce(l, f3, 2);
    expect(l.highWatermark).toBe(1);
    const proposed = l.proposedIsr(3, 3);
    expect(proposed).toEqual([1, 2, 3]);
    l.pendingIsr = proposed;
    l.appendAsLeader(batch('b'), '1');
    fetchOnce(l, f2, 4);
    fetchOnce(l, f2, 5);
    expect(l.highWatermark).toBe(1); // 3 has not fetched 'b' yet; with the ISR alone this would be 2
    l.applyAlterPartition({ isr: [1, 2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    expect([l.isr, l.partitionEpoch, l.pendingIsr]).toEqual([[1, 2, 3], 1, undefined]);
    // Metadata older than the response does not take the ISR back.
    l.updateLeadership(info(1, 1, [1, 2], 0));
    expect(l.isr).toEqual([1, 2, 3]);
    fetchOnce(l, f3, 6);
    fetchOnce(l, f3, 7);
    expect(l.highWatermark).toBe(2);
  });

  it('fences fetches from an older leader epoch and tells newer ones it does not know theirs', () => {
    const l = replica(1);
    l.becomeLeader(info(1, 5), 0);
    expect(l.fetchForFollower(2, 0, -1, 4, 0)).toMatchObject({ error: 'FENCED_LEADER_EPOCH' });
    expect(l.fetchForFollower(2, 0, -1, 6, 0)).toMatchObject({ error: 'UNKNOWN_LEADER_EPOCH' });
    const f = replica(2);
    f.becomeFollower(info(1, 5));
    expect(f.appendAsLeader(batch('x'), '1')).toEqual({ error: 'NOT_LEADER_OR_FOLLOWER' });
  });
});

describe('Partition: truncation (KIP-101, KIP-279, KIP-320)', () => {
  /**
   * The KIP-101 scenario: a leader takes writes its follower has not fetched, the follower
   * becomes leader and takes other writes at the same offsets, the old leader returns as
   * follower. With leader epochs it truncates its divergent tail and the replicas agree;
   * with high-watermark truncation the logs can be left divergent.
   */
  function kip101(truncation: 'leader-epoch' | 'high-watermark') {
    const config = { ...CONFIG, minInsyncReplicas: 1, truncation };
    const [a, b] = [replica(1, config), replica(2, config)];
    a.becomeLeader(info(1, 1, [1, 2]), 0);
    b.becomeFollower(info(1, 1, [1, 2]));
    a.appendAsLeader(batch('m0'), '1');
    fetchOnce(a, b, 1); // b has m0
    fetchOnce(a, b, 2); // a's HW -> 1; b learns HW 1 only on a later fetch (it has HW 0)
    a.appendAsLeader(batch('m1'), '1'); // acked with acks=1; b never fetches it
    // a dies; b becomes leader in epoch 2 and takes m1' at offset 1.
    b.becomeLeader(info(2, 2, [2]), 10);
    b.appendAsLeader(batch('m1-prime'), '1');
    // a comes back as follower.
    a.becomeFollower(info(2, 2, [2, 1]));
    for (let t = 20; t < 25; t++) fetchOnce(b, a, t);
    return { a: values(a), b: values(b) };
  }

  it('truncates a divergent tail to the leader epoch boundary: the replicas agree', () => {
    const { a, b } = kip101('leader-epoch');
    expect(b).toEqual(['m0', 'm1-prime']);
    expect(a).toEqual(b);
  });

  it('with high-watermark truncation, drops even committed data on becoming follower', () => {
    // Before KIP-101 a replica that became a follower (after a restart, say) truncated to
    // its own high watermark, which lags the leader's by a fetch: committed data goes.
    const config = { ...CONFIG, minInsyncReplicas: 1, truncation: 'high-watermark' as const };
    const [a, b] = [replica(1, config), replica(2, config)];
    a.becomeLeader(info(1, 1, [1, 2]), 0);
    b.becomeFollower(info(1, 1, [1, 2]));
    a.appendAsLeader(batch('m0'), '1');
    fetchOnce(a, b, 1); // b has m0
    a.fetchForFollower(2, 1, -1, 1, 2); // b's next fetch commits m0 (leader HW 1), but b dies before the response
    expect([a.highWatermark, b.highWatermark]).toEqual([1, 0]);
    b.becomeFollower(info(1, 1, [1, 2])); // b restarts
    expect(values(b)).toEqual([]); // the committed m0 is gone from b
    const withEpochs = replica(2);
    withEpochs.becomeFollower(info(1, 1, [1, 2]));
    expect(withEpochs.log.logEndOffset).toBe(0); // (nothing to lose here; the leader-epoch rule waits for the leader)
  });

  it('keeps replicas identical, and every committed record, after any interleaving of appends, fetches and clean leader changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 3 }) }), fc.record({ op: fc.constant('fetch' as const), who: fc.integer({ min: 0, max: 2 }) }), fc.record({ op: fc.constant('failover' as const), to: fc.integer({ min: 0, max: 2 }) })), { maxLength: 60 }),
        (steps) => {
          const config = { ...CONFIG, minInsyncReplicas: 1 };
          const reps = [replica(1, config), replica(2, config), replica(3, config)];
          let leader = 0;
          let epoch = 1;
          let now = 0;
          let counter = 0;
          const committed = new Set<string>();
          reps[0].becomeLeader(info(1, epoch), now);
          reps[1].becomeFollower(info(1, epoch));
          reps[2].becomeFollower(info(1, epoch));
          for (const s of steps) {
            now += 10;
            if (s.op === 'append') reps[leader].appendAsLeader(batch(...Array.from({ length: s.n }, () => `v${counter++}`)), '1');
            if (s.op === 'fetch' && s.who !== leader) fetchOnce(reps[leader], reps[s.who], now);
            // Whatever is below the leader's high watermark is committed and must survive.
            for (const v of values(reps[leader]).slice(0, reps[leader].highWatermark)) committed.add(v);
            // Only a replica with everything committed may lead: a clean election from the ISR.
            if (s.op === 'failover' && s.to !== leader && reps[s.to].log.logEndOffset >= reps[leader].highWatermark) {
              epoch++;
              leader = s.to;
              reps.forEach((r, i) => (i === leader ? r.becomeLeader(info(leader + 1, epoch), now) : r.becomeFollower(info(leader + 1, epoch))));
            }
          }
          // Let every follower catch up, then all logs must be identical to the leader's.
          for (let round = 0; round < 6; round++) for (let i = 0; i < 3; i++) if (i !== leader) fetchOnce(reps[leader], reps[i], (now += 10));
          const expected = values(reps[leader]);
          for (const r of reps) expect(values(r)).toEqual(expected);
          for (const v of committed) expect(expected).toContain(v);
        },
      ),
      { numRuns: Number(process.env.KAFKASIM_DEEP) ? 5_000 : 300 },
    );
  });
});

describe('Partition: consumers', () => {
  /** A leader with "a","b","c" appended, of which the followers have fetched only "a". */
  function leaderWithTail(): { l: Partition; f2: Partition; f3: Partition } {
    const [l, f2, f3] = epochOne();
    l.appendAsLeader(batch('a'), 'all');
    fetchOnce(l, f2, 1);
    fetchOnce(l, f3, 1);
    fetchOnce(l, f2, 2);
    fetchOnce(l, f3, 2);
    l.appendAsLeader(batch('b', 'c'), 'all');
    return { l, f2, f3 };
  }

  it('reads only below the high watermark; an offset up to the log end is in range but empty', () => {
    const { l } = leaderWithTail();
    expect(l.highWatermark).toBe(1);
    expect(l.log.logEndOffset).toBe(3);
    const r = l.fetchForConsumer(0, -1, 1, 1 << 20);
    if (r.error !== undefined) throw new Error(r.error);
    expect(r.highWatermark).toBe(1);
    const { log: copy } = Log.open(new MemoryDisk(), 'copy-0', DEFAULT_LOG_CONFIG);
    copy.appendAsFollower(r.records);
    expect(logValues(copy)).toEqual(['a']);
    const atHw = l.fetchForConsumer(1, -1, 1, 1 << 20);
    expect(atHw.error).toBeUndefined();
    expect(atHw.error === undefined && atHw.records.length).toBe(0);
    expect(l.fetchForConsumer(3, -1, 1, 1 << 20).error).toBeUndefined();
    expect(l.fetchForConsumer(4, -1, 1, 1 << 20)).toMatchObject({ error: 'OFFSET_OUT_OF_RANGE' });
  });

  it('checks the epoch a consumer believes in, and tells it where its log diverged (KIP-320)', () => {
    const { l } = leaderWithTail();
    expect(l.fetchForConsumer(0, -1, 0, 1 << 20)).toMatchObject({ error: 'FENCED_LEADER_EPOCH' });
    expect(l.fetchForConsumer(0, -1, 2, 1 << 20)).toMatchObject({ error: 'UNKNOWN_LEADER_EPOCH' });
    // A consumer that knows no epoch is not checked.
    expect(l.fetchForConsumer(0, -1, -1, 1 << 20).error).toBeUndefined();
    // It read up to offset 5 in epoch 0, which this leader's log never had past offset 0.
    const r = l.fetchForConsumer(1, 0, 1, 1 << 20);
    expect(r.error === undefined && r.divergingEpoch).toEqual({ epoch: -1, endOffset: -1 });
    const follower = replica(2);
    follower.becomeFollower(info(1, 1));
    expect(follower.fetchForConsumer(0, -1, 1, 1 << 20)).toMatchObject({ error: 'NOT_LEADER_OR_FOLLOWER' });
  });

  it('lists the earliest and the latest readable offsets', () => {
    const { l } = leaderWithTail();
    expect(l.listOffset(-2, 1)).toEqual({ offset: 0, leaderEpoch: 1 });
    expect(l.listOffset(-1, 1)).toEqual({ offset: 1, leaderEpoch: 1 });
    expect(l.listOffset(-1, 0)).toMatchObject({ error: 'FENCED_LEADER_EPOCH' });
  });
});
