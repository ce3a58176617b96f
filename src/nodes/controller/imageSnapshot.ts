/**
 * A metadata image as the records of a KIP-630 snapshot, and back: what KRaft's
 * SnapshotEmitter writes (MetadataImage.write through an ImageWriter: every broker
 * registration, topic and partition as the records that rebuild it) and what a controller's
 * or a broker's listener loads (handleLoadSnapshot, MetadataLoader's snapshot path: a fresh
 * image from the snapshot's records). The first entry carries the image's metadata offset
 * (how many records it had applied), which broker epochs and the brokers' catch-up are
 * counted in, so a loaded image stands where the one that wrote it stood.
 */
import { MetadataImage, type PartitionState } from './metadataImage.js';
import type { MetadataRecord, PartitionRecord } from './metadataRecords.js';

interface SnapshotHeader {
  readonly metadataOffset: number;
}

/** The records that rebuild `image`: brokers (registered, then their fencing and controlled shutdown), then topics and their partitions. */
export function imageRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const b of image.brokers()) {
    records.push({ type: 'RegisterBroker', brokerId: b.brokerId, incarnation: b.incarnation, rack: b.rack, brokerEpoch: b.epoch, fenced: true });
    if (!b.fenced) records.push({ type: 'UnfenceBroker', brokerId: b.brokerId });
    if (b.inControlledShutdown) records.push({ type: 'BrokerRegistrationChange', brokerId: b.brokerId, inControlledShutdown: true });
  }
  for (const t of image.topics()) records.push({ type: 'Topic', name: t.name, config: t.config });
  for (const p of image.partitions()) records.push(partitionRecord(p));
  return records;
}

/**
 * A partition's state as its PartitionRecord, field by field in one order: the same state
 * writes the same bytes on every member, whatever order its fields were set in.
 */
function partitionRecord(p: PartitionState): PartitionRecord {
  const { topic, partition, replicas, isr, leader, leaderEpoch, partitionEpoch, elr, lastKnownElr } = p;
  return { type: 'Partition', topic, partition, replicas, isr, leader, leaderEpoch, partitionEpoch, ...(elr === undefined ? {} : { elr }), ...(lastKnownElr === undefined ? {} : { lastKnownElr }) };
}

/** The snapshot's data: a header with the image's metadata offset, then its records, each as JSON. */
export function imageSnapshotData(image: MetadataImage): string[] {
  const header: SnapshotHeader = { metadataOffset: image.offset };
  return [JSON.stringify(header), ...imageRecords(image).map((r) => JSON.stringify(r))];
}

/** Replaces `image` with the snapshot's (handleLoadSnapshot): the records applied to an empty image, at the snapshot's metadata offset. Returns the records. */
export function loadImageSnapshot(image: MetadataImage, data: readonly string[]): readonly MetadataRecord[] {
  if (data.length === 0) throw new Error('a metadata snapshot without its header');
  const header = JSON.parse(data[0]) as Partial<SnapshotHeader>;
  if (typeof header.metadataOffset !== 'number') throw new Error(`a metadata snapshot whose header has no metadataOffset: ${data[0]}`);
  const records = data.slice(1).map((d) => JSON.parse(d) as MetadataRecord);
  image.reset();
  for (const r of records) image.apply(r);
  image.offset = header.metadataOffset;
  return records;
}

/** An image rebuilt from snapshot data alone, for checks that compare snapshots. */
export function imageFromSnapshot(data: readonly string[]): MetadataImage {
  const image = new MetadataImage();
  loadImageSnapshot(image, data);
  return image;
}
