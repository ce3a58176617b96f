// Kafka's own tests as the oracle (issue 22): cases of
// metadata/src/test/java/org/apache/kafka/controller/ReplicationControlManagerTest.java
// ported to kafkasim's AlterPartition validation (src/nodes/controller/alterPartition.ts) on
// a metadata image, without the network.
import { describe, expect, it } from 'vitest';
import { MetadataImage } from '../../src/nodes/controller/metadataImage.js';
import { alterPartition } from '../../src/nodes/controller/alterPartition.js';

/** Kafka's ctx.registerBrokers + unfenceBrokers: each broker's epoch is its registration record's offset. */
function cluster(ids: readonly number[]): MetadataImage {
  const image = new MetadataImage();
  for (const id of ids) {
    image.apply({ type: 'RegisterBroker', brokerId: id, incarnation: 1, brokerEpoch: image.offset, rack: undefined, fenced: true });
    image.apply({ type: 'UnfenceBroker', brokerId: id });
  }
  image.apply({ type: 'Topic', name: 'foo', config: {} });
  image.apply({ type: 'Partition', topic: 'foo', partition: 0, replicas: [1, 2, 3, 4], isr: [1, 2, 3, 4], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  // ctx.alterPartition(..., isrWithDefaultEpoch(1, 2, 3)): the ISR shrinks, partition epoch 1.
  image.apply({ type: 'PartitionChange', topic: 'foo', partition: 0, isr: [1, 2, 3] });
  return image;
}

const epochOf = (image: MetadataImage, id: number): number => image.broker(id)?.epoch ?? -1;

describe('ReplicationControlManagerTest', () => {
  // testAlterPartitionShouldRejectBrokersWithStaleEpoch (KIP-903): the leader builds its
  // AlterPartition adding broker 4 by the epoch it saw in 4's fetches; 4 failed silently and
  // registered again meanwhile. The late request is refused with INELIGIBLE_REPLICA (v3+).
  it('testAlterPartitionShouldRejectBrokersWithStaleEpoch', () => {
    const image = cluster([0, 1, 2, 3, 4]);
    const isrWithEpochs = [1, 2, 3, 4].map((brokerId) => ({ brokerId, brokerEpoch: epochOf(image, brokerId) }));
    const request = { brokerId: 1, topic: 'foo', partition: 0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 2, 3, 4], newIsrWithEpochs: isrWithEpochs };
    // Before broker 4 restarts, the same request is accepted.
    expect(alterPartition(image, request)).toMatchObject({ change: { isr: [1, 2, 3, 4] } });
    image.apply({ type: 'RegisterBroker', brokerId: 4, incarnation: 2, brokerEpoch: image.offset, rack: undefined, fenced: true });
    image.apply({ type: 'UnfenceBroker', brokerId: 4 });
    expect(epochOf(image, 4)).not.toBe(isrWithEpochs[3]?.brokerEpoch);
    expect(alterPartition(image, request)).toEqual({ error: 'INELIGIBLE_REPLICA' });
    // Version 2 and older carry no epochs (newIsr only): accepted, as Kafka does for them.
    const { newIsrWithEpochs: _epochs, ...v2 } = request;
    expect(alterPartition(image, v2)).toMatchObject({ change: { isr: [1, 2, 3, 4] } });
    // An epoch of -1 skips the check (ineligibleReplicasForIsr).
    const unchecked = { ...request, newIsrWithEpochs: isrWithEpochs.map((m) => (m.brokerId === 4 ? { ...m, brokerEpoch: -1 } : m)) };
    expect(alterPartition(image, unchecked)).toMatchObject({ change: { isr: [1, 2, 3, 4] } });
  });

  // Before KIP-841 (3.3) the controller took any ISR of the partition's replicas, fenced or not.
  it('accepts a fenced broker into the ISR only before KIP-841 (sim.isr.eligibility any)', () => {
    const image = cluster([0, 1, 2, 3, 4]);
    image.apply({ type: 'FenceBroker', brokerId: 4 });
    const request = { brokerId: 1, topic: 'foo', partition: 0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 2, 3, 4] };
    expect(alterPartition(image, request, undefined, 'unfenced')).toEqual({ error: 'INELIGIBLE_REPLICA' });
    expect(alterPartition(image, request, undefined, 'broker-epoch')).toEqual({ error: 'INELIGIBLE_REPLICA' });
    expect(alterPartition(image, request, undefined, 'any')).toMatchObject({ change: { isr: [1, 2, 3, 4] } });
  });
});
