import { WireReader, WireWriter } from '../wire.js';
import type { TopicPartition } from '../../log/topicPartition.js';

/**
 * The embedded consumer protocol (Kafka's ConsumerProtocol with its generated
 * ConsumerProtocolSubscription and ConsumerProtocolAssignment schemas): the opaque bytes a
 * member sends in JoinGroup and receives in SyncGroup. The coordinator never reads them; the
 * group leader's assignor does. Subscription v2 carries owned partitions (KIP-429) and the
 * generation they were owned in (KIP-792).
 */

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface Subscription {
  readonly topics: readonly string[];
  readonly ownedPartitions: readonly TopicPartition[];
  readonly generationId: number;
}

/** Partitions grouped by topic, in the order Kafka's TopicPartition lists are written. */
function byTopic(partitions: readonly TopicPartition[]): [string, number[]][] {
  const topics = new Map<string, number[]>();
  for (const tp of partitions) {
    let list = topics.get(tp.topic);
    if (list === undefined) topics.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...topics];
}

function writePartitions(w: WireWriter, partitions: readonly TopicPartition[]): void {
  const groups = byTopic(partitions);
  w.int32(groups.length);
  for (const [topic, list] of groups) {
    w.string(topic).int32(list.length);
    for (const p of list) w.int32(p);
  }
}

function readPartitions(r: WireReader): TopicPartition[] {
  const out: TopicPartition[] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const count = r.int32();
    for (let j = 0; j < count; j++) out.push({ topic, partition: r.int32() });
  }
  return out;
}

export function encodeSubscription(s: Subscription): Uint8Array {
  const w = new WireWriter().int16(2).int32(s.topics.length);
  for (const t of s.topics) w.string(t);
  w.int32(-1); // user data: null
  writePartitions(w, s.ownedPartitions);
  return w.int32(s.generationId).done();
}

export function decodeSubscription(bytes: Uint8Array): Subscription {
  const r = new WireReader(Buffer.from(bytes));
  const version = r.int16();
  const topics: string[] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) topics.push(r.string());
  r.bytes(); // user data
  const ownedPartitions = version >= 1 ? readPartitions(r) : [];
  const generationId = version >= 2 ? r.int32() : -1;
  return { topics, ownedPartitions, generationId };
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Uint8Array {
  const w = new WireWriter().int16(1);
  writePartitions(w, partitions);
  return w.int32(-1).done();
}

export function decodeAssignment(bytes: Uint8Array): TopicPartition[] {
  if (bytes.length === 0) return [];
  const r = new WireReader(Buffer.from(bytes));
  r.int16();
  return readPartitions(r);
}
