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
  HashedString = 11,
  SmallInt = 12,
  InternedString = 13,
}

const SMALL_INT_LIMIT = 1 << 27;
const floatView = new Float64Array(1);
const floatWords = new Uint32Array(floatView.buffer);

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

/** Strings up to this long (node ids, message types) are cheaper to mix directly than to look up. */
const MAX_INLINE_STRING = 12;
const MAX_CACHED_STRING = 64;
const MAX_CACHED_STRINGS = 65_536;
/** 52-bit content hashes of short strings (process-wide: a pure function of the string). */
const stringHashes = new Map<string, number>();

/** A 52-bit content hash of a string, cached for short strings. */
export function stringHash(s: string): number {
  if (s.length > MAX_CACHED_STRING) return contentHash(s);
  let h = stringHashes.get(s);
  if (h === undefined) {
    h = contentHash(s);
    if (stringHashes.size < MAX_CACHED_STRINGS) stringHashes.set(s, h);
  }
  return h;
}

/** Two 32-bit FNV-1a variants over the UTF-16 code units, folded into 52 bits. */
function contentHash(s: string): number {
  let a = 0x811c9dc5 ^ s.length;
  let b = 0x01000193 ^ Math.imul(s.length, 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (fmix(a) >>> 0) + (fmix(b) & 0xfffff) * 0x100000000;
}

/** Strings up to this long are interned by a fingerprint: names, ids, types, reasons. */
const MAX_INTERNED_STRING = MAX_CACHED_STRING;
/** A fingerprint interns at most this many strings (a run's unique message ids would fill it). */
const MAX_INTERNED_STRINGS = 1 << 16;

export class Fingerprint {
  private h1 = 0x9747b28c;
  private h2 = 0x2f1b3c4d;
  private words = 0;
  /**
   * The strings this stream has mixed, by the order it first saw them. A string seen before
   * is mixed as its id, one word; the first time, as its content. The ids are the stream's
   * own (not process-wide), so the encoding stays a function of the values alone: a
   * decoder could rebuild the table as it reads.
   */
  private interned: Map<string, number> | undefined;

  /**
   * Mixes one 32-bit word: lane 1 is MurmurHash3's body step; lane 2 a cheaper
   * multiply-rotate over the same word, so the lanes fail independently.
   */
  word(value: number): void {
    const a = Math.imul(this.h1 ^ value, 0x9e3779b1);
    this.h1 = (a << 15) | (a >>> 17);
    const b = Math.imul((this.h2 + value) | 0, 0x85ebca6b);
    this.h2 = (b << 13) | (b >>> 19);
    this.words++;
  }

  number(n: number): void {
    if ((n | 0) === n && n < SMALL_INT_LIMIT && (n > 0 || (n === 0 && 1 / n > 0))) {
      // Non-negative integers below 2^27 (ids, counts, sizes) share one word with their tag.
      this.word((n << 5) | Tag.SmallInt);
    } else if ((n | 0) === n && !Object.is(n, -0)) {
      this.word(Tag.Int);
      this.word(n);
    } else {
      floatView[0] = n;
      this.word(Tag.Float);
      this.word(floatWords[0]);
      this.word(floatWords[1]);
    }
  }

  /**
   * Mixes a string. Short strings (node ids, message types, reasons) recur on every event,
   * so their 52-bit content hash is computed once and cached; the stream then mixes two
   * words for them instead of every character.
   */
  string(s: string): void {
    const len = s.length;
    if (len <= MAX_INTERNED_STRING) {
      const interned = (this.interned ??= new Map());
      const id = interned.get(s);
      if (id !== undefined) {
        this.word((id << 4) | Tag.InternedString);
        return;
      }
      if (interned.size < MAX_INTERNED_STRINGS) interned.set(s, interned.size);
    }
    this.content(s);
  }

  /** Mixes a string's content (its first sight, or a string too long to intern). */
  private content(s: string): void {
    const len = s.length;
    if (len > MAX_INLINE_STRING && len <= MAX_CACHED_STRING) {
      // Longer recurring strings: mix their cached 52-bit content hash instead of every character.
      const h = stringHash(s);
      this.word(Tag.HashedString);
      this.word(h % 0x100000000);
      this.word(Math.floor(h / 0x100000000));
      return;
    }
    this.word(Tag.String | (len << 4));
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
    // Most objects are built with their keys in sorted order: then hash them as they come,
    // without building a key list.
    let previous: string | undefined;
    let inOrder = true;
    let count = 0;
    for (const key in o) {
      if (!Object.hasOwn(o, key) || (previous !== undefined && key < previous)) {
        inOrder = false;
        break;
      }
      previous = key;
      if (o[key] !== undefined) count++;
    }
    if (inOrder) {
      this.word(Tag.Object);
      this.word(count);
      for (const key in o) {
        const value = o[key];
        if (value === undefined) continue;
        this.string(key);
        this.value(value);
      }
      return;
    }
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
