import { loadNativeCrc32c } from './crc32cNative.js';

/**
 * CRC32C (Castagnoli), the checksum of Kafka's v2 record batches (KIP-98; Kafka's
 * `Crc32C`). The native SIMD implementation from @node-rs/crc32 runs at several GB/s and
 * bounds how fast the log engine can be; where its prebuilt binary cannot load, a sliced
 * table in JavaScript gives the same answers, tested against the same vectors. Loading the
 * binary is the seam crc32cNative.ts; the browser build has only the tables.
 */

const native = loadNativeCrc32c();

/** Slicing-by-8 tables for the reflected Castagnoli polynomial 0x82f63b78. */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 8; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c >>> 0;
    }
  }
  return tables;
})();

/** The pure-JavaScript CRC32C of `data`, continuing from `initial` (default 0). */
export function crc32cJs(data: Uint8Array, initial = 0): number {
  return crc32cJsRange(data, 0, data.length, initial);
}

/** The pure-JavaScript CRC32C of `data[start, end)`, continuing from `initial`: no view of the range is made. */
function crc32cJsRange(data: Uint8Array, start: number, end: number, initial: number): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~initial >>> 0;
  let i = start;
  const n = end;
  for (; i + 8 <= n; i += 8) {
    const a = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) ^ crc;
    crc =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[data[i + 4]] ^
      t2[data[i + 5]] ^
      t1[data[i + 6]] ^
      t0[data[i + 7]];
  }
  for (; i < n; i++) crc = t0[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC32C of `data`, natively when the binary loaded. Unsigned 32-bit result. */
export const crc32c: (data: Uint8Array, initial?: number) => number =
  native === undefined ? crc32cJs : (data, initial = 0) => native(data, initial) >>> 0;

/**
 * Below this many bytes the JavaScript tables beat the native call, which needs a view of
 * the range (a Buffer object) and a N-API crossing: 64-128 bytes measured on Node 20 (x64).
 */
const NATIVE_MIN_BYTES = 128;

/**
 * CRC32C of `data[start, end)`, as Kafka's Crc32C.compute(buffer, offset, size) reads a
 * batch in place: short ranges by the JavaScript tables without a view, longer ones
 * natively (the binary takes whole arrays only, so it gets a view of the range).
 */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  if (native === undefined || end - start < NATIVE_MIN_BYTES) return crc32cJsRange(data, start, end, 0);
  return native(data.subarray(start, end), 0) >>> 0;
}

/** Which implementation {@link crc32c} uses, for benchmarks and diagnostics. */
export const crc32cImplementation: 'native' | 'javascript' = native === undefined ? 'javascript' : 'native';
