/**
 * Kafka's int64 fields (offsets, timestamps, producer ids) as JavaScript numbers: exact up
 * to 2^53, which no offset or millisecond timestamp of a simulation approaches.
 */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, n: number): void {
  const high = Math.floor(n / 4294967296);
  buf.writeInt32BE(high, pos);
  buf.writeUInt32BE(n - high * 4294967296, pos + 4);
}
