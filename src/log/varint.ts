/**
 * Kafka's variable-length integers (ByteUtils.writeVarint / writeVarlong): zig-zag encoded,
 * seven bits a byte, low bits first, as protobuf does. Values are JavaScript numbers;
 * varlongs are exact up to 2^53, which covers every offset and millisecond timestamp.
 */

export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Bytes needed for the zig-zag varint of `n`. */
export function varintSize(n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) {
    // 32-bit arithmetic for the common case: lengths, deltas, counts.
    const z = ((n << 1) ^ (n >> 31)) >>> 0;
    return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
  }
  let z = zigzag(n);
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

/** Writes the zig-zag varint of `n` at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) {
    let z = ((n << 1) ^ (n >> 31)) >>> 0;
    while (z >= 0x80) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[pos++] = z;
    return pos;
  }
  let z = zigzag(n);
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Thrown when bytes do not hold a well-formed varint. */
export class VarintError extends Error {
  constructor(readonly position: number) {
    super(`malformed varint at byte ${position}`);
    this.name = 'VarintError';
  }
}

/**
 * Reads a zig-zag varint at `cursor.pos`, advancing it. Refuses more than 10 bytes or a
 * read past `end`, so corrupt input fails cleanly instead of looping or overreading.
 */
export function readVarint(buf: Uint8Array, cursor: { pos: number }, end: number): number {
  let z = 0;
  let scale = 1;
  const start = cursor.pos;
  let pos = start;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new VarintError(start);
    const b = buf[pos++];
    z += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      return unzigzag(z);
    }
    scale *= 128;
  }
  throw new VarintError(start);
}
