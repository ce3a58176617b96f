/**
 * Kafka's int64 fields (offsets, timestamps, producer ids) as JavaScript numbers: exact up
 * to 2^53, which no offset or millisecond timestamp of a simulation approaches.
 */
export function readInt64(buf: Uint8Array, pos: number): number {
  return readInt32(buf, pos) * 4294967296 + readUInt32(buf, pos + 4);
}

/*
 * Big-endian reads from plain byte loads. Buffer's own readInt32BE and friends validate
 * their arguments on every call, which showed in profiles of header scans (a batch header
 * is ten such reads); these check only that the bytes are there.
 */

export function readInt32(buf: Uint8Array, pos: number): number {
  if (pos < 0 || pos + 4 > buf.length) throw outOfRange(buf, pos, 4);
  return (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
}

export function readUInt32(buf: Uint8Array, pos: number): number {
  return readInt32(buf, pos) >>> 0;
}

export function readInt16(buf: Uint8Array, pos: number): number {
  if (pos < 0 || pos + 2 > buf.length) throw outOfRange(buf, pos, 2);
  return ((buf[pos] << 24) | (buf[pos + 1] << 16)) >> 16;
}

function outOfRange(buf: Uint8Array, pos: number, bytes: number): RangeError {
  return new RangeError(`reading ${bytes} bytes at ${pos} of a ${buf.length}-byte buffer`);
}

export function writeInt64(buf: Buffer, pos: number, n: number): void {
  const high = Math.floor(n / 4294967296);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(n - high * 4294967296, pos + 4);
}
