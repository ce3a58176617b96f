/** A metadata image written as a KIP-630 snapshot's records and loaded back is the same image, at the same metadata offset. */
import { describe, expect, it } from 'vitest';
import { MetadataImage } from '../../../src/nodes/controller/metadataImage.js';
import { imageFromSnapshot, imageSnapshotData } from '../../../src/nodes/controller/imageSnapshot.js';

describe('imageSnapshot', () => {
  it('round-trips brokers (fenced, in controlled shutdown), topics and partitions with their epochs and ELR, and the metadata offset', () => {
    const image = new MetadataImage();
    image.apply({ type: 'RegisterBroker', brokerId: 1, incarnation: 7, rack: 'a', brokerEpoch: 0, fenced: true });
    image.apply({ type: 'RegisterBroker', brokerId: 2, incarnation: 8, rack: undefined, brokerEpoch: 1, fenced: true });
    image.apply({ type: 'UnfenceBroker', brokerId: 1 });
    image.apply({ type: 'UnfenceBroker', brokerId: 2 });
    image.apply({ type: 'BrokerRegistrationChange', brokerId: 2, inControlledShutdown: true });
    image.apply({ type: 'Topic', name: 'orders', config: { 'min.insync.replicas': 2 } });
    image.apply({ type: 'Partition', topic: 'orders', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
    image.apply({ type: 'PartitionChange', topic: 'orders', partition: 0, isr: [1], elr: [2], leader: 1 });
    image.apply({ type: 'PartitionChange', topic: 'orders', partition: 0, leader: 2 });
    const loaded = imageFromSnapshot(imageSnapshotData(image));
    expect(loaded.offset).toBe(image.offset);
    expect(loaded.brokers()).toEqual(image.brokers());
    expect(loaded.topics()).toEqual(image.topics());
    expect(loaded.partitions()).toEqual(image.partitions());
    expect(loaded.partition('orders', 0)).toMatchObject({ leader: 2, leaderEpoch: 1, partitionEpoch: 2, elr: [2] });
    // The same state writes the same snapshot.
    expect(imageSnapshotData(loaded)).toEqual(imageSnapshotData(image));
  });
});
