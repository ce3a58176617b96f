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

/** OffsetCommitValue version 3: no expire timestamp, a leader epoch (KIP-320). */
export interface OffsetCommitValue {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
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

export class OffsetsTopicFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsTopicFormatError';
  }
}

// ------------------------------------------------------------------ writing

class Writer {
  private readonly parts: Buffer[] = [];

  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }

  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }

  int64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(n));
    this.parts.push(b);
    return this;
  }

  /** Kafka's STRING: int16 length then UTF-8; NULLABLE_STRING uses length -1 for null. */
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 0x7fff) throw new OffsetsTopicFormatError(`string of ${bytes.length} bytes is too long for an int16 length`);
    this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  /** BYTES: int32 length then the bytes. */
  bytes(b: Uint8Array): this {
    this.int32(b.length);
    this.parts.push(Buffer.from(b));
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function encodeKey(key: OffsetsTopicKey): Buffer {
  if (key.type === 'group') return new Writer().int16(2).string(key.group).done();
  return new Writer().int16(1).string(key.group).string(key.topic).int32(key.partition).done();
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  return new Writer().int16(3).int64(v.offset).int32(v.leaderEpoch).string(v.metadata).int64(v.commitTimestamp).done();
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer().int16(3).string(v.protocolType).int32(v.generation).string(v.protocol).string(v.leader).int64(v.currentStateTimestamp).int32(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId).string(m.groupInstanceId).string(m.clientId).string(m.clientHost).int32(m.rebalanceTimeout).int32(m.sessionTimeout).bytes(m.subscription).bytes(m.assignment);
  }
  return w.done();
}

// ------------------------------------------------------------------ reading

class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new OffsetsTopicFormatError(`record ends at byte ${this.buf.length}, needed ${n} more at ${this.pos}`);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64BE(this.pos));
    this.pos += 8;
    return v;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new OffsetsTopicFormatError(`null where a string is required, at byte ${this.pos - 2}`);
    return s;
  }

  bytes(): Uint8Array {
    const len = this.int32();
    if (len < 0) return new Uint8Array(0);
    this.need(len);
    const b = new Uint8Array(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return b;
  }
}

export function decodeKey(buf: Buffer): OffsetsTopicKey {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 0 || version === 1) return { type: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  if (version === 2) return { type: 'group', group: r.string() };
  throw new OffsetsTopicFormatError(`unknown key version ${version}`);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 3) return { offset: r.int64(), leaderEpoch: r.int32(), metadata: r.string(), commitTimestamp: r.int64() };
  if (version === 0 || version === 1 || version === 2) {
    // Older layouts: no leader epoch; v1 also stored an expire timestamp, which is ignored.
    const offset = r.int64();
    const metadata = r.string();
    const commitTimestamp = r.int64();
    return { offset, leaderEpoch: -1, metadata, commitTimestamp };
  }
  throw new OffsetsTopicFormatError(`unknown offset commit value version ${version}`);
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 3) throw new OffsetsTopicFormatError(`group metadata value version ${version} is not supported (3 is)`);
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
