/**
 * Kafka's classic binary primitives (org.apache.kafka.common.protocol.types): big-endian
 * INT16/INT32/INT64, STRING and NULLABLE_STRING with an int16 length, BYTES with an int32
 * length. The `__consumer_offsets` records and the consumer protocol's subscription and
 * assignment blobs are written with them.
 */

export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

export class WireWriter {
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
    if (bytes.length > 0x7fff) throw new WireFormatError(`string of ${bytes.length} bytes is too long for an int16 length`);
    this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  /** Bytes as they are, with no length (an INT8 or a field already encoded). */
  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
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

export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireFormatError(`record ends at byte ${this.buf.length}, needed ${n} more at ${this.pos}`);
  }

  int8(): number {
    this.need(1);
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
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
    if (s === null) throw new WireFormatError(`null where a string is required, at byte ${this.pos - 2}`);
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

