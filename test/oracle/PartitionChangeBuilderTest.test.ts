// Kafka's own tests as the oracle (issue 22): cases of
// metadata/src/test/java/org/apache/kafka/controller/PartitionChangeBuilderTest.java
// ported to kafkasim's pure controller decisions (src/nodes/controller/election.ts and
// alterPartition.ts), on a metadata image without a network.
//
// Kafka's builder, adapted: its isAcceptableLeader predicate is which brokers are active in
// the image (registered and unfenced); Election.ONLINE is electLeader, Election.PREFERRED
// electPreferred, Election.UNCLEAN the topic's unclean.leader.election.enable; a target ISR
// from AlterPartition is alterPartition, and the ELR the builder computes for it is elrAfter;
// setUncleanShutdownReplicas is excludeUnclean. PartitionChangeRecord versions below 2 are
// the metadata versions without ELR (elr: false), version 2 with it. kafkasim has no
// reassignment (BAR), no leader recovery state and no lastKnownElr: those fields are not compared.
import { describe, expect, it } from 'vitest';
import { MetadataImage, type PartitionState } from '../../src/nodes/controller/metadataImage.js';
import { NO_LEADER } from '../../src/nodes/controller/metadataRecords.js';
import { electIfOffline, electLeader, electPreferred, elrAfter, excludeUnclean, removeBroker, type ElectionPolicy } from '../../src/nodes/controller/election.js';
import { alterPartition } from '../../src/nodes/controller/alterPartition.js';

const TOPIC = 'foo';

/** Brokers 1..4 registered; those in `acceptable` unfenced (Kafka's isAcceptableLeader). */
function image(acceptable: (r: number) => boolean, partition?: Omit<PartitionState, 'topic' | 'partition'>): MetadataImage {
  const img = new MetadataImage();
  for (let id = 1; id <= 4; id++) {
    img.apply({ type: 'RegisterBroker', brokerId: id, incarnation: 1, brokerEpoch: img.offset, rack: undefined, fenced: true });
    if (acceptable(id)) img.apply({ type: 'UnfenceBroker', brokerId: id });
  }
  if (partition !== undefined) {
    img.apply({ type: 'Topic', name: TOPIC, config: {} });
    img.apply({ type: 'Partition', topic: TOPIC, partition: 0, ...partition });
  }
  return img;
}

function state(p: Omit<PartitionState, 'topic' | 'partition'>): PartitionState {
  return { topic: TOPIC, partition: 0, ...p };
}

/** Kafka's FOO: replicas 2, 1, 3, all in the ISR, 1 leads; 3 is not an acceptable leader. */
const FOO = { replicas: [2, 1, 3], isr: [2, 1, 3], leader: 1, leaderEpoch: 100, partitionEpoch: 200 };
const FOO_ACCEPTABLE = (r: number): boolean => r !== 3;
/** Kafka's BAZ: replicas 2, 1, 3, ISR 1, 3, 3 leads; all acceptable. */
const BAZ = { replicas: [2, 1, 3], isr: [1, 3], leader: 3, leaderEpoch: 100, partitionEpoch: 200 };

const VERSIONS = [
  { version: 0, elr: false },
  { version: 1, elr: false },
  { version: 2, elr: true },
];
const policy = (elr: boolean, unclean = false, minIsr = 2): ElectionPolicy => ({ elr, unclean, minIsr });

describe('PartitionChangeBuilderTest: elections', () => {
  // Kafka: PartitionChangeBuilderTest.testElectLeader
  it.each(VERSIONS)('testElectLeader (PartitionChangeRecord v$version)', ({ elr }) => {
    const foo = image(FOO_ACCEPTABLE);
    const withIsr = (isr: number[], replicas = FOO.replicas) => state({ ...FOO, isr, replicas });
    expect(electPreferred(image(FOO_ACCEPTABLE, FOO), state(FOO))?.leader).toBe(2);
    expect(electLeader(foo, state(FOO), policy(elr))).toMatchObject({ leader: 1, unclean: false });
    expect(electLeader(foo, state(FOO), policy(elr, true))).toMatchObject({ leader: 1, unclean: false });
    expect(electLeader(foo, withIsr([1, 3]), policy(elr))).toMatchObject({ leader: 1, unclean: false });
    expect(electLeader(foo, withIsr([1, 3]), policy(elr, true))).toMatchObject({ leader: 1, unclean: false });
    expect(electLeader(foo, withIsr([3]), policy(elr))).toMatchObject({ leader: NO_LEADER, unclean: false });
    expect(electLeader(foo, withIsr([3]), policy(elr, true))).toMatchObject({ leader: 2, unclean: true });
    expect(electLeader(foo, withIsr([4], [2, 1, 3, 4]), policy(elr, true))).toMatchObject({ leader: 4, unclean: false });

    const baz = image(() => true, BAZ);
    // Preferred: 2 is not in the ISR, so 3 keeps leading.
    expect(electPreferred(baz, state(BAZ))).toBeUndefined();
    expect(electLeader(baz, state(BAZ), policy(elr))).toMatchObject({ leader: 3, unclean: false });
    expect(electLeader(baz, state(BAZ), policy(elr, true))).toMatchObject({ leader: 3, unclean: false });
  });

  // Kafka: PartitionChangeBuilderTest.testNoChange (FOO and BAZ; BAR is a reassignment)
  it.each(VERSIONS)('testNoChange (PartitionChangeRecord v$version)', ({ elr }) => {
    const foo = image(FOO_ACCEPTABLE, FOO);
    expect(electIfOffline(foo, state(FOO), policy(elr))).toBeUndefined();
    expect(electIfOffline(foo, state(FOO), policy(elr, true))).toBeUndefined();
    expect(electPreferred(image(() => true, BAZ), state(BAZ))).toBeUndefined();
  });

  // Kafka: PartitionChangeBuilderTest.testIsrChangeDoesntBumpLeaderEpoch
  it.each(VERSIONS)('testIsrChangeDoesntBumpLeaderEpoch (PartitionChangeRecord v$version)', ({ elr }) => {
    const img = image(FOO_ACCEPTABLE, FOO);
    const r = alterPartition(img, { brokerId: 1, topic: TOPIC, partition: 0, leaderEpoch: 100, partitionEpoch: 200, newIsr: [2, 1] }, policy(elr));
    expect(r).toEqual({ change: { type: 'PartitionChange', topic: TOPIC, partition: 0, isr: [2, 1] } });
    if ('change' in r) img.apply(r.change);
    expect(img.partition(TOPIC, 0)).toMatchObject({ leader: 1, leaderEpoch: 100, partitionEpoch: 201 });
  });

  // Kafka: PartitionChangeBuilderTest.testIsrChangeAndLeaderChange
  // (the ISR loses its leader 1: kafkasim's controller does this when it fences broker 1)
  it.each(VERSIONS)('testIsrChangeAndLeaderChange (PartitionChangeRecord v$version)', ({ elr }) => {
    const change = removeBroker(image(FOO_ACCEPTABLE), state(FOO), 1, policy(elr));
    expect(change).toMatchObject({ isr: [2, 3], leader: 2 });
    expect(change?.unclean).toBeUndefined();
  });

  // Kafka: PartitionChangeBuilderTest.testUncleanLeaderElection (the OFFLINE partitions)
  it.each(VERSIONS)('testUncleanLeaderElection (PartitionChangeRecord v$version)', ({ elr }) => {
    // OFFLINE_WITHOUT_ELR: ISR 3, no leader; OFFLINE_WITH_ELR: empty ISR, ELR 3. Only 1 is acceptable.
    const offline = elr
      ? state({ replicas: [2, 1, 3], isr: [], elr: [3], leader: NO_LEADER, leaderEpoch: 100, partitionEpoch: 200 })
      : state({ replicas: [2, 1, 3], isr: [3], leader: NO_LEADER, leaderEpoch: 100, partitionEpoch: 200 });
    const img = image((r) => r === 1);
    const change = electIfOffline(img, offline, policy(elr, true));
    expect(change).toMatchObject({ isr: [1], leader: 1, unclean: true });
    // With ELR the unclean election clears it.
    if (elr) expect(change?.elr).toEqual([]);
    else expect(change?.elr).toBeUndefined();
    // The FOO case: target ISR 3 (not acceptable), unclean: 2 leads, alone in the ISR.
    expect(electLeader(image(FOO_ACCEPTABLE), state({ ...FOO, isr: [3] }), policy(elr, true))).toEqual({ leader: 2, unclean: true, fromElr: false });
  });
});

describe('PartitionChangeBuilderTest: eligible leader replicas (KIP-966)', () => {
  const FOUR = [1, 2, 3, 4];

  // Kafka: PartitionChangeBuilderTest.testEligibleLeaderReplicas_IsrShrinkBelowMinISR
  it.each(VERSIONS)('testEligibleLeaderReplicas_IsrShrinkBelowMinISR (PartitionChangeRecord v$version)', ({ elr }) => {
    const partition = { replicas: FOUR, isr: FOUR, leader: 1, leaderEpoch: 100, partitionEpoch: 200 };
    const img = image((r) => r !== 3, partition);
    const r = alterPartition(img, { brokerId: 1, topic: TOPIC, partition: 0, leaderEpoch: 100, partitionEpoch: 200, newIsr: [1, 2] }, policy(elr, false, 3));
    if (!('change' in r)) throw new Error(r.error);
    expect(r.change.isr).toEqual([1, 2]);
    expect(r.change.leader).toBeUndefined();
    img.apply(r.change);
    expect(img.partition(TOPIC, 0)?.elr ?? []).toEqual(elr ? [3, 4] : []);
  });

  // Kafka: PartitionChangeBuilderTest.testEligibleLeaderReplicas_IsrExpandAboveMinISR
  it.each(VERSIONS)('testEligibleLeaderReplicas_IsrExpandAboveMinISR (PartitionChangeRecord v$version)', ({ elr }) => {
    const p = state({ replicas: FOUR, isr: [1, 2], elr: elr ? [3] : [], leader: 1, leaderEpoch: 100, partitionEpoch: 200 });
    expect(elrAfter(p, [1, 2, 3], policy(elr, false, 3))).toEqual([]);
  });

  // Kafka: PartitionChangeBuilderTest.testEligibleLeaderReplicas_IsrAddNewMemberNotInELR
  it.each(VERSIONS)('testEligibleLeaderReplicas_IsrAddNewMemberNotInELR (PartitionChangeRecord v$version)', ({ elr }) => {
    const partition = { replicas: FOUR, isr: [1], elr: elr ? [3] : [], leader: 1, leaderEpoch: 100, partitionEpoch: 200 };
    const img = image((r) => r !== 3, partition);
    const r = alterPartition(img, { brokerId: 1, topic: TOPIC, partition: 0, leaderEpoch: 100, partitionEpoch: 200, newIsr: [1, 4] }, policy(elr, false, 3));
    if (!('change' in r)) throw new Error(r.error);
    expect(r.change.isr).toEqual([1, 4]);
    expect(r.change.leader).toBeUndefined();
    expect(r.change.elr).toBeUndefined(); // no change to the ELR
    img.apply(r.change);
    expect(img.partition(TOPIC, 0)?.elr ?? []).toEqual(elr ? [3] : []);
  });

  // Kafka: PartitionChangeBuilderTest.testEligibleLeaderReplicas_RemoveUncleanShutdownReplicasFromElr
  it('testEligibleLeaderReplicas_RemoveUncleanShutdownReplicasFromElr (PartitionChangeRecord v2)', () => {
    const p = state({ replicas: FOUR, isr: [1], elr: [2, 3], leader: 1, leaderEpoch: 100, partitionEpoch: 200 });
    expect(excludeUnclean(image(() => true), p, 3, policy(true))).toEqual({ type: 'PartitionChange', topic: TOPIC, partition: 0, elr: [2] });
  });

  // Kafka: PartitionChangeBuilderTest.testEligibleLeaderReplicas_ElrCanBeElected (lastKnownLeaderEnabled = false)
  it('testEligibleLeaderReplicas_ElrCanBeElected', () => {
    // Replica 1, the leader and only ISR member, goes offline; 3 in the ELR is elected.
    const p = state({ replicas: FOUR, isr: [1], elr: [3], leader: 1, leaderEpoch: 100, partitionEpoch: 200 });
    const change = removeBroker(image((r) => r !== 1), p, 1, policy(true, false, 3));
    expect(change).toMatchObject({ isr: [3], elr: [1], leader: 3 });
    expect(change?.unclean).toBeUndefined();
  });

  // Kafka: PartitionChangeBuilderTest.testEligibleLeaderReplicas_IsrCanShrinkToZero (lastKnownLeaderEnabled = false)
  it('testEligibleLeaderReplicas_IsrCanShrinkToZero', () => {
    // Every replica offline, the target ISR empty: all four become eligible, none can lead.
    const p = state({ replicas: FOUR, isr: FOUR, elr: [], leader: 1, leaderEpoch: 100, partitionEpoch: 200 });
    const elrs = elrAfter(p, [], policy(true, false, 3));
    expect([...elrs].sort()).toEqual(FOUR);
    expect(electLeader(image(() => false), { ...p, isr: [], elr: elrs }, policy(true, false, 3)).leader).toBe(NO_LEADER);
  });
});
