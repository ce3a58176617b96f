/**
 * The `__consumer_offsets` topic as Kafka writes it (GroupMetadataManager and the
 * generated OffsetCommitKey/Value and GroupMetadataKey/Value schemas in
 * group-coordinator/src/main/resources/common/message): which partition holds a group, and
 * the binary keys and values of its records. Keys carry a version first, so one compacted
 * topic holds both kinds of record: version 0 or 1 for an offset commit, 2 for group
 * metadata. A null value (a tombstone) deletes what the key names.
 */

/** offsets.topic.num.partitions, Kafka's default. */
export const OFFSETS_TOPIC_PARTITIONS = 50;
export const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1] in 32-bit arithmetic, over UTF-16 units. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0 rather than itself. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The partition of `__consumer_offsets` whose leader coordinates `groupId` (GroupMetadataManager.partitionFor). */
export function partitionForGroup(groupId: string, partitions: number = OFFSETS_TOPIC_PARTITIONS): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitions;
}

export interface OffsetCommitKey {
  readonly type: 'offset';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface GroupMetadataKey {
  readonly type: 'group';
  readonly group: string;
}

export type OffsetsTopicKey = OffsetCommitKey | GroupMetadataKey;

/**
 * OffsetCommitValue: version 3 (a leader epoch, KIP-320, and no expire timestamp), or
 * version 1 when `expireTimestamp` is set, as brokers before Kafka 2.1 wrote every offset
 * (KIP-211 dropped the per-offset expiry for v2 and later).
 */
export interface OffsetCommitValue {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  readonly expireTimestamp?: number;
}

export interface GroupMemberRecord {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeout: number;
  readonly sessionTimeout: number;
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

/** GroupMetadataValue version 3. */
export interface GroupMetadataValue {
  readonly protocolType: string;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  readonly currentStateTimestamp: number;
  readonly members: readonly GroupMemberRecord[];
}

/** A record of `__consumer_offsets` that does not decode; the message names the byte. */
import { WireFormatError } from '../wire.js';
export { WireFormatError as OffsetsTopicFormatError };

import { WireReader as Reader, WireWriter as Writer } from '../wire.js';

export function encodeKey(key: OffsetsTopicKey): Buffer {
  if (key.type === 'group') return new Writer().int16(2).string(key.group).done();
  return new Writer().int16(1).string(key.group).string(key.topic).int32(key.partition).done();
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  if (v.expireTimestamp !== undefined) return new Writer().int16(1).int64(v.offset).string(v.metadata).int64(v.commitTimestamp).int64(v.expireTimestamp).done();
  return new Writer().int16(3).int64(v.offset).int32(v.leaderEpoch).string(v.metadata).int64(v.commitTimestamp).done();
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer().int16(3).string(v.protocolType).int32(v.generation).string(v.protocol).string(v.leader).int64(v.currentStateTimestamp).int32(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId).string(m.groupInstanceId).string(m.clientId).string(m.clientHost).int32(m.rebalanceTimeout).int32(m.sessionTimeout).bytes(m.subscription).bytes(m.assignment);
  }
  return w.done();
}

export function decodeKey(buf: Buffer): OffsetsTopicKey {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 0 || version === 1) return { type: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  if (version === 2) return { type: 'group', group: r.string() };
  throw new WireFormatError(`unknown key version ${version}`);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 3) return { offset: r.int64(), leaderEpoch: r.int32(), metadata: r.string(), commitTimestamp: r.int64() };
  if (version === 0 || version === 1 || version === 2) {
    // Older layouts: no leader epoch; v1 also stores the offset's expire timestamp.
    const offset = r.int64();
    const metadata = r.string();
    const commitTimestamp = r.int64();
    if (version === 1) return { offset, leaderEpoch: -1, metadata, commitTimestamp, expireTimestamp: r.int64() };
    return { offset, leaderEpoch: -1, metadata, commitTimestamp };
  }
  throw new WireFormatError(`unknown offset commit value version ${version}`);
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 3) throw new WireFormatError(`group metadata value version ${version} is not supported (3 is)`);
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestamp = r.int64();
  const count = r.int32();
  const members: GroupMemberRecord[] = [];
  for (let i = 0; i < count; i++) {
    members.push({
      memberId: r.string(),
      groupInstanceId: r.nullableString(),
      clientId: r.string(),
      clientHost: r.string(),
      rebalanceTimeout: r.int32(),
      sessionTimeout: r.int32(),
      subscription: r.bytes(),
      assignment: r.bytes(),
    });
  }
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
