import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MetadataImage, type PartitionState } from '../../../src/nodes/controller/metadataImage.js';
import { NO_LEADER, type MetadataRecord } from '../../../src/nodes/controller/metadataRecords.js';
import { electIfOffline, excludeUnclean, placeReplicas, removeBroker, type ElectionPolicy } from '../../../src/nodes/controller/election.js';
import { alterPartition } from '../../../src/nodes/controller/alterPartition.js';
import { Rng } from '../../../src/sim/rng.js';

function cluster(brokers: number, racks?: string[]): MetadataImage {
  const image = new MetadataImage();
  for (let id = 1; id <= brokers; id++) {
    image.apply({ type: 'RegisterBroker', brokerId: id, incarnation: 1, brokerEpoch: image.offset, rack: racks?.[(id - 1) % racks.length], fenced: true });
    image.apply({ type: 'UnfenceBroker', brokerId: id });
  }
  return image;
}

function withTopic(image: MetadataImage, partitions: number, rf: number, seed = 1): MetadataImage {
  image.apply({ type: 'Topic', name: 'orders', config: {} });
  for (const r of placeReplicas(image, 'orders', partitions, rf, Rng.fromSeed(seed))) image.apply(r);
  return image;
}

describe('metadata image', () => {
  it('bumps the leader epoch on a leader change and the partition epoch on every change', () => {
    const image = withTopic(cluster(3), 1, 3);
    const p = image.partition('orders', 0);
    expect(p).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
    image.apply({ type: 'PartitionChange', topic: 'orders', partition: 0, isr: p?.replicas.slice(0, 2) });
    expect(image.partition('orders', 0)).toMatchObject({ leaderEpoch: 0, partitionEpoch: 1 });
    image.apply({ type: 'PartitionChange', topic: 'orders', partition: 0, leader: p?.replicas[1] });
    expect(image.partition('orders', 0)).toMatchObject({ leaderEpoch: 1, partitionEpoch: 2 });
    expect(image.offset).toBe(6 + 2 + 2);
  });

  it('places replicas on distinct brokers, across racks, with leaders spread', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 30 }), fc.integer(), (brokers, rackCount, partitions, seed) => {
        const rf = Math.min(brokers, 3);
        const racks = Array.from({ length: rackCount }, (_, i) => `r${i}`);
        const image = withTopic(cluster(brokers, racks), partitions, rf, seed);
        const rackOf = (id: number) => image.broker(id)?.rack;
        for (const p of image.partitions()) {
          expect(new Set(p.replicas).size).toBe(rf);
          expect(new Set(p.replicas.map(rackOf)).size).toBe(Math.min(rf, rackCount, brokers));
          expect(p.leader).toBe(p.replicas[0]);
          expect(p.isr).toEqual(p.replicas);
        }
        // Leadership is balanced to within one partition per broker.
        const counts = new Map<number, number>();
        for (const p of image.partitions()) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
        if (partitions >= brokers) expect(Math.max(...counts.values()) - Math.min(...counts.values())).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('elections', () => {
  /** Random fencing and unfencing of brokers, with the controller's reactions applied. */
  const scriptArb = fc.array(fc.record({ broker: fc.integer({ min: 1, max: 4 }), fence: fc.boolean() }), { maxLength: 30 });

  /**
   * Plays a script on a 4-broker cluster with a 4-partition topic (RF 3), applying the
   * controller's reactions, and calls `check` on each partition after each step with its
   * state before the step.
   */
  function play(script: readonly { broker: number; fence: boolean }[], policy: ElectionPolicy, check: (image: MetadataImage, p: PartitionState, old: PartitionState | undefined) => void): void {
    const image = withTopic(cluster(4), 4, 3);
    for (const step of script) {
      const before = new Map(image.partitions().map((p) => [`${p.topic}-${p.partition}`, p]));
      const records: MetadataRecord[] = [];
      if (step.fence && image.isActive(step.broker)) {
        image.apply({ type: 'FenceBroker', brokerId: step.broker });
        for (const p of image.partitions()) {
          const change = removeBroker(image, p, step.broker, policy);
          if (change !== undefined) records.push(change);
        }
      } else if (!step.fence && !image.isActive(step.broker)) {
        image.apply({ type: 'UnfenceBroker', brokerId: step.broker });
        for (const p of image.partitions()) {
          const change = electIfOffline(image, p, policy);
          if (change !== undefined) records.push(change);
        }
      }
      for (const r of records) image.apply(r);
      for (const p of image.partitions()) check(image, p, before.get(`${p.topic}-${p.partition}`));
    }
  }

  it('keep a leader in the ISR, never elect outside it when unclean election is off, and keep the ISR non-empty', () => {
    fc.assert(
      fc.property(scriptArb, fc.boolean(), (script, unclean) => {
        play(script, { unclean, elr: false, minIsr: 2 }, (image, p, old) => {
          expect(p.isr.length).toBeGreaterThan(0);
          if (p.leader !== NO_LEADER) {
            expect(image.isActive(p.leader)).toBe(true);
            expect(p.isr).toContain(p.leader);
            if (!unclean && old !== undefined && p.leader !== old.leader) expect(old.isr).toContain(p.leader);
          }
          if (old !== undefined) expect(p.leaderEpoch).toBe(old.leaderEpoch + (p.leader !== old.leader ? 1 : 0));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('with eligible leader replicas (KIP-966): members leaving an ISR below min.insync.replicas become eligible, and only ISR or ELR members are elected', () => {
    fc.assert(
      fc.property(scriptArb, (script) => {
        const policy = { unclean: false, elr: true, minIsr: 2 };
        play(script, policy, (image, p, old) => {
          const elr = p.elr ?? [];
          // Someone always holds everything below the high watermark: the ISR, or the ELR.
          expect(p.isr.length + elr.length).toBeGreaterThan(0);
          expect(elr.filter((r) => p.isr.includes(r))).toEqual([]);
          if (p.isr.length >= policy.minIsr) expect(elr).toEqual([]);
          if (p.leader !== NO_LEADER) {
            expect(image.isActive(p.leader)).toBe(true);
            expect(p.isr).toContain(p.leader);
            if (old !== undefined && p.leader !== old.leader) expect([...old.isr, ...(old.elr ?? [])]).toContain(p.leader);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('with ELR, an AlterPartition below min.insync.replicas makes the leaving member eligible, an ISR back at it empties the ELR, and a broker back from a crash leaves it', () => {
    const policy = { unclean: false, elr: true, minIsr: 2 };
    const image = withTopic(cluster(3), 1, 3);
    const p = image.partition('orders', 0);
    if (p === undefined) throw new Error('no partition');
    const [l, a, b] = p.replicas;
    const shrink = (newIsr: number[]) => {
      const q = image.partition('orders', 0) as NonNullable<typeof p>;
      const r = alterPartition(image, { brokerId: l, topic: 'orders', partition: 0, leaderEpoch: q.leaderEpoch, partitionEpoch: q.partitionEpoch, newIsr }, policy);
      if ('error' in r) throw new Error(r.error);
      image.apply(r.change);
      return image.partition('orders', 0) as NonNullable<typeof p>;
    };
    expect(shrink([l, a]).elr ?? []).toEqual([]); // still at min.insync.replicas: nobody is eligible
    expect(shrink([l]).elr).toEqual([a]);
    const back = excludeUnclean(image, image.partition('orders', 0) as NonNullable<typeof p>, a, policy);
    expect(back).toMatchObject({ elr: [] });
    expect(back?.isr).toBeUndefined(); // a was not in the ISR
    expect(shrink([l, b]).elr).toEqual([]);
  });

  // Kafka: PartitionChangeBuilderTest (testEligibleLeaderReplicas_..., last known leader) and KIP-966's election order:
  // ISR, then an unfenced ELR member, then the last known leader if it is unfenced.
  it('with ELR, the last ISR member fenced empties the ISR and is remembered; back from a crash it leaves the ELR, and leads again as the last known leader', () => {
    const policy = { unclean: false, elr: true, minIsr: 1 };
    const image = withTopic(cluster(2), 1, 2);
    const p0 = image.partition('orders', 0);
    if (p0 === undefined) throw new Error('no partition');
    const [l, f] = p0.replicas;
    const apply = (change: MetadataRecord | undefined) => {
      if (change !== undefined) image.apply(change);
      return image.partition('orders', 0) as NonNullable<typeof p0>;
    };
    apply(removeBroker(image, p0, f, policy)); // the follower is fenced: ISR [l]
    image.apply({ type: 'FenceBroker', brokerId: f });
    image.apply({ type: 'FenceBroker', brokerId: l });
    const offline = apply(removeBroker(image, image.partition('orders', 0) as NonNullable<typeof p0>, l, policy));
    expect(offline).toMatchObject({ leader: NO_LEADER, isr: [], elr: [l], lastKnownElr: [l] });
    // It re-registers (a new incarnation counts as an unclean shutdown): out of the ELR, still remembered.
    const back = apply(excludeUnclean(image, offline, l, policy));
    expect(back).toMatchObject({ leader: NO_LEADER, isr: [], elr: [], lastKnownElr: [l] });
    expect(electIfOffline(image, back, policy)).toBeUndefined(); // still fenced
    image.apply({ type: 'UnfenceBroker', brokerId: l });
    const led = apply(electIfOffline(image, back, policy));
    expect(led).toMatchObject({ leader: l, isr: [l], lastKnownElr: [] });
    // The follower, never the last known leader, could not have led it.
    expect(led.leader).not.toBe(f);
  });

  it('leaves a partition offline rather than elect outside the ISR, unless unclean election is on', () => {
    for (const unclean of [false, true]) {
      const image = withTopic(cluster(3), 1, 3);
      const p0 = image.partition('orders', 0);
      if (p0 === undefined) throw new Error('no partition');
      const [a, b, c] = p0.replicas;
      // The ISR shrinks to the leader alone, then the leader dies.
      image.apply({ type: 'PartitionChange', topic: 'orders', partition: 0, isr: [a] });
      image.apply({ type: 'FenceBroker', brokerId: a });
      const change = removeBroker(image, image.partition('orders', 0) ?? p0, a, { unclean, elr: false, minIsr: 2 });
      if (change !== undefined) image.apply(change);
      const p = image.partition('orders', 0);
      if (unclean) {
        expect([b, c]).toContain(p?.leader);
        expect(change?.unclean).toBe(true);
        expect(p?.isr).toEqual([p?.leader]);
      } else {
        expect(p?.leader).toBe(NO_LEADER);
        expect(p?.isr).toEqual([a]); // the last ISR member stays, to be the leader when it returns
        expect(image.offlinePartitions()).toHaveLength(1);
        image.apply({ type: 'UnfenceBroker', brokerId: a });
        const back = electIfOffline(image, image.partition('orders', 0) ?? p0, { unclean, elr: false, minIsr: 2 });
        expect(back).toMatchObject({ leader: a });
      }
    }
  });
});

describe('AlterPartition', () => {
  it('accepts the current leader with current epochs, and refuses stale or wrong requests with Kafka error codes', () => {
    const image = withTopic(cluster(3), 1, 3);
    const p = image.partition('orders', 0);
    if (p === undefined) throw new Error('no partition');
    const [leader, f1, f2] = p.replicas;
    const req = { brokerId: leader, topic: 'orders', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [leader, f1] };
    const ok = alterPartition(image, req);
    expect(ok).toEqual({ change: { type: 'PartitionChange', topic: 'orders', partition: 0, isr: [leader, f1] } });
    if ('change' in ok) image.apply(ok.change);
    expect(alterPartition(image, req)).toEqual({ error: 'INVALID_UPDATE_VERSION' }); // partition epoch moved on
    expect(alterPartition(image, { ...req, partitionEpoch: 1, brokerId: f1 })).toEqual({ error: 'NOT_LEADER_OR_FOLLOWER' });
    expect(alterPartition(image, { ...req, partitionEpoch: 1, newIsr: [f1, f2] })).toEqual({ error: 'INVALID_REQUEST' });
    expect(alterPartition(image, { ...req, topic: 'nope' })).toEqual({ error: 'UNKNOWN_TOPIC_OR_PARTITION' });
    image.apply({ type: 'FenceBroker', brokerId: f2 });
    expect(alterPartition(image, { ...req, partitionEpoch: 1, newIsr: [leader, f1, f2] })).toEqual({ error: 'INELIGIBLE_REPLICA' });
    image.apply({ type: 'PartitionChange', topic: 'orders', partition: 0, leader: f1 });
    expect(alterPartition(image, { ...req, partitionEpoch: 2 })).toEqual({ error: 'FENCED_LEADER_EPOCH' });
  });

  it('refuses to add a broker in controlled shutdown to the ISR, and elects none (ClusterControlManager.isActive)', () => {
    const image = withTopic(cluster(3), 1, 3);
    const p = image.partition('orders', 0);
    if (p === undefined) throw new Error('no partition');
    const [leader, f1, f2] = p.replicas;
    const shrink = alterPartition(image, { brokerId: leader, topic: 'orders', partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [leader, f1] });
    if ('change' in shrink) image.apply(shrink.change);
    image.apply({ type: 'BrokerRegistrationChange', brokerId: f2, inControlledShutdown: true });
    expect(image.isActive(f2)).toBe(false);
    expect(alterPartition(image, { brokerId: leader, topic: 'orders', partition: 0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [leader, f1, f2] })).toEqual({ error: 'INELIGIBLE_REPLICA' });
    // A new registration (the broker restarted) ends it.
    image.apply({ type: 'RegisterBroker', brokerId: f2, incarnation: 2, brokerEpoch: image.offset, rack: undefined, fenced: true });
    image.apply({ type: 'UnfenceBroker', brokerId: f2 });
    expect(image.isActive(f2)).toBe(true);
  });
});
