import { compareStrings } from './order.js';

/**
 * A streaming 64-bit hash over a canonical encoding of values. Two runs have the same
 * fingerprint exactly when they emitted the same sequence of trace records, field for field,
 * whatever order an object's keys were written in.
 *
 * Two independent 32-bit MurmurHash3-style lanes, each with its own seed and constants,
 * make up the 64 bits. It is not cryptographic; it only has to make an accidental match
 * between two different runs vanishingly unlikely, and be fast enough to run on every event.
 */

const enum Tag {
  Null = 1,
  False = 2,
  True = 3,
  Int = 4,
  Float = 5,
  String = 6,
  Array = 7,
  Object = 8,
  Bytes = 9,
  BigInt = 10,
}

const floatView = new Float64Array(1);
const floatWords = new Uint32Array(floatView.buffer);

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Cache of sorted key lists, keyed by the object's own key list as written. */
const sortedKeysCache = new Map<string, readonly string[]>();

export class Fingerprint {
  private h1 = 0x9747b28c;
  private h2 = 0x2f1b3c4d;
  private words = 0;

  /** Mixes one 32-bit word into both lanes. */
  word(value: number): void {
    let k1 = Math.imul(value, 0xcc9e2d51);
    k1 = rotl(k1, 15);
    k1 = Math.imul(k1, 0x1b873593);
    this.h1 ^= k1;
    this.h1 = rotl(this.h1, 13);
    this.h1 = (Math.imul(this.h1, 5) + 0xe6546b64) | 0;

    let k2 = Math.imul(value ^ 0x5bd1e995, 0x38b34ae5);
    k2 = rotl(k2, 17);
    k2 = Math.imul(k2, 0xa1b2c3d5);
    this.h2 ^= k2;
    this.h2 = rotl(this.h2, 11);
    this.h2 = (Math.imul(this.h2, 9) + 0x3c6ef372) | 0;
    this.words++;
  }

  number(n: number): void {
    if ((n | 0) === n && !Object.is(n, -0)) {
      this.word(Tag.Int);
      this.word(n);
    } else {
      floatView[0] = n;
      this.word(Tag.Float);
      this.word(floatWords[0]);
      this.word(floatWords[1]);
    }
  }

  string(s: string): void {
    const len = s.length;
    this.word(Tag.String);
    this.word(len);
    let i = 0;
    for (; i + 1 < len; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < len) this.word(s.charCodeAt(i));
  }

  bytes(b: Uint8Array): void {
    const len = b.length;
    this.word(Tag.Bytes);
    this.word(len);
    let i = 0;
    for (; i + 3 < len; i += 4) this.word(b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    for (; i < len; i++) this.word(b[i]);
  }

  /**
   * Mixes any JSON-like value in canonical form: object keys in sorted order, keys whose
   * value is undefined skipped (as JSON.stringify skips them), byte arrays as bytes.
   */
  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.number(v);
        return;
      case 'string':
        this.string(v);
        return;
      case 'boolean':
        this.word(v ? Tag.True : Tag.False);
        return;
      case 'bigint':
        this.word(Tag.BigInt);
        this.string(v.toString());
        return;
      case 'undefined':
        this.word(Tag.Null);
        return;
      case 'object':
        if (v === null) this.word(Tag.Null);
        else if (Array.isArray(v)) {
          this.word(Tag.Array);
          this.word(v.length);
          for (const item of v) this.value(item);
        } else if (v instanceof Uint8Array) this.bytes(v);
        else this.object(v as Record<string, unknown>);
        return;
      default:
        throw new TypeError(`cannot fingerprint a ${typeof v}`);
    }
  }

  object(o: Readonly<Record<string, unknown>>): void {
    const keys = sortedKeys(o);
    let present = 0;
    for (const key of keys) if (o[key] !== undefined) present++;
    this.word(Tag.Object);
    this.word(present);
    for (const key of keys) {
      const value = o[key];
      if (value === undefined) continue;
      this.string(key);
      this.value(value);
    }
  }

  /** The 64-bit digest so far, as 16 hex digits. Does not end the stream. */
  digest(): string {
    let a = this.h1 ^ this.words;
    let b = this.h2 ^ Math.imul(this.words, 0x27d4eb2d);
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = fmix(a);
    b = fmix(b);
    a = (a + b) | 0;
    b = (b + a) | 0;
    return hex32(a >>> 0) + hex32(b >>> 0);
  }
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function sortedKeys(o: Readonly<Record<string, unknown>>): readonly string[] {
  const own = Object.keys(o);
  if (own.length <= 1) return own;
  const signature = own.join('\u0000');
  let sorted = sortedKeysCache.get(signature);
  if (sorted === undefined) {
    sorted = own.slice().sort(compareStrings);
    if (sortedKeysCache.size < 4096) sortedKeysCache.set(signature, sorted);
  }
  return sorted;
}

/** The fingerprint of one value on its own, for tests and content hashes. */
export function fingerprintOf(v: unknown): string {
  const fp = new Fingerprint();
  fp.value(v);
  return fp.digest();
}
