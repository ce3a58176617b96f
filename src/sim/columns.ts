/**
 * Helpers for data kept in columns (typed arrays) rather than objects: what a run keeps
 * per message, where a million small objects would cost the garbage collector more than
 * the simulation.
 */

export type Column = Int32Array | Uint32Array | Float64Array | Uint8Array | Uint16Array;

/** `column` copied into a new one of `capacity` elements (which must be at least its length). */
export function grown<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (n: number) => T)(capacity);
  next.set(column);
  return next;
}

/** Strings numbered in the order they are first seen, so columns can hold them as integers. */
export class Interner {
  private readonly names: string[] = [];
  private readonly numbers = new Map<string, number>();

  /** The number of `name`, given it one if it has none yet. */
  intern(name: string): number {
    let i = this.numbers.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.numbers.set(name, i);
    }
    return i;
  }

  /** The number of `name`, if it has one. */
  numberOf(name: string): number | undefined {
    return this.numbers.get(name);
  }

  name(i: number): string {
    return this.names[i];
  }
}

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/**
 * A column grown in fixed chunks of 16,384 elements: growth copies nothing and leaves at
 * most one partly filled chunk (a doubling array leaves up to half its room unused). A chunk
 * whose cells all hold one value (a run's only producer's name, a flag that never changes)
 * keeps that value alone until another is written: no cells at all. A cell never set reads
 * as any number.
 */
abstract class ChunkedColumn<C extends Column> {
  /** A chunk's cells, or undefined while every cell written in it holds `same[c]`. */
  protected readonly chunks: (C | undefined)[] = [];
  /** Per chunk without cells: the one value written in it, if any yet. */
  private readonly same: (number | undefined)[] = [];

  protected abstract make(): C;

  /** Whether `value` reads back exactly (Object.is) from a chunk's cells. */
  protected abstract fits(value: number): boolean;

  /** Cell `j` of `chunk`, as the column's number. */
  protected read(chunk: C, j: number): number {
    return chunk[j];
  }

  /** Writes `value` into cell `j` of chunk `c`, which has cells. */
  protected write(c: number, j: number, value: number): void {
    (this.chunks[c] as C)[j] = value;
  }

  /** Bytes the column's cells take (chunks of one value take none). */
  get cellBytes(): number {
    return this.chunks.reduce((sum, chunk) => sum + (chunk?.byteLength ?? 0), 0);
  }

  get(i: number): number {
    const c = i >>> CHUNK_BITS;
    const chunk = this.chunks[c];
    return chunk === undefined ? (this.same[c] ?? 0) : this.read(chunk, i & MASK);
  }

  set(i: number, value: number): void {
    const c = i >>> CHUNK_BITS;
    while (this.chunks.length <= c) {
      this.chunks.push(undefined);
      this.same.push(undefined);
    }
    if (this.chunks[c] === undefined) {
      const same = this.same[c];
      if (same === undefined ? this.fits(value) : Object.is(same, value)) {
        this.same[c] = value;
        return;
      }
      // Another value: the chunk takes cells, each holding the one value so far.
      this.chunks[c] = this.make();
      this.same[c] = undefined;
      if (same !== undefined) for (let j = 0; j < CHUNK; j++) this.write(c, j, same);
    }
    this.write(c, i & MASK, value);
  }
}

/** Whether `value` is a 32-bit signed integer (and not -0, which an integer array reads as 0). */
function isInt32(value: number): boolean {
  return (value | 0) === value && !Object.is(value, -0);
}

/** 32-bit signed integers (interned names, history positions, -1 for none). */
export class Int32Column extends ChunkedColumn<Int32Array> {
  protected make(): Int32Array {
    return new Int32Array(CHUNK);
  }

  protected fits(value: number): boolean {
    return isInt32(value);
  }
}

/** Small unsigned integers (0..255): outcomes, flags. */
export class Uint8Column extends ChunkedColumn<Uint8Array> {
  protected make(): Uint8Array {
    return new Uint8Array(CHUNK);
  }

  protected fits(value: number): boolean {
    return isInt32(value) && value >= 0 && value <= 0xff;
  }
}

const SMALL_BITS = 10;
const SMALL = 1 << SMALL_BITS;
const SMALL_MASK = SMALL - 1;
/** How -1 ("none", the columns' usual sentinel) is written in a chunk of differences. */
const NONE16 = -0x8000;
const NONE32 = -0x80000000;

/**
 * Any numbers, exactly, in chunks of 1,024: each chunk holds differences from its first
 * value, in 16 bits while they fit (2 bytes a cell), then 32 bits, and 64-bit floats once a
 * value is not such a difference (a fraction, NaN, -0, or more than 2^31 away). -1, the
 * columns' "none", is always exact. History positions, sequence numbers, offsets and
 * message ids of a run stay 2 bytes (1,024 rows span few of them); instants, 4 (a second of
 * microseconds passes 16 bits). A chunk written in row order with a constant step (one
 * producer's sequence numbers, a steady workload's send instants, one value throughout)
 * keeps its first value and the step alone until a row breaks the pattern: no cells at all.
 * A cell never set reads as any number.
 */
export class NumberColumn {
  /** A chunk's cells, or undefined while it is a run: row k of the chunk holds `bases[c] + k * steps[c]`. */
  private readonly chunks: (Int16Array | Int32Array | Float64Array | undefined)[] = [];
  /** Per chunk of differences: the value they are from (the first other than -1); per run, its first value. */
  private readonly bases: (number | undefined)[] = [];
  /** Per run: the step between rows (once two are written), and how many of its first rows are written. */
  private readonly steps: (number | undefined)[] = [];
  private readonly runLengths: number[] = [];

  /** Bytes the column's cells take (runs take none). */
  get cellBytes(): number {
    return this.chunks.reduce((sum, chunk) => sum + (chunk?.byteLength ?? 0), 0);
  }

  get(i: number): number {
    const c = i >>> SMALL_BITS;
    const chunk = this.chunks[c];
    if (chunk === undefined) return this.inRun(c, i & SMALL_MASK);
    const x = chunk[i & SMALL_MASK];
    if (chunk instanceof Float64Array) return x;
    if (x === (chunk instanceof Int16Array ? NONE16 : NONE32)) return -1;
    return (this.bases[c] ?? 0) + x;
  }

  set(i: number, value: number): void {
    const c = i >>> SMALL_BITS;
    while (this.chunks.length <= c) {
      this.chunks.push(undefined);
      this.runLengths.push(0);
    }
    const j = i & SMALL_MASK;
    const chunk = this.chunks[c] ?? (this.extendsRun(c, j, value) ? undefined : this.endRun(c));
    if (chunk === undefined) return;
    if (chunk instanceof Float64Array) {
      chunk[j] = value;
      return;
    }
    if (value === -1) {
      chunk[j] = chunk instanceof Int16Array ? NONE16 : NONE32;
      return;
    }
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
      this.widen(c, new Float64Array(SMALL))[j] = value;
      return;
    }
    const diff = value - (this.bases[c] ??= value);
    if (chunk instanceof Int16Array && diff > NONE16 && diff < -NONE16) chunk[j] = diff;
    else if (diff > NONE32 && diff <= 0x7fffffff) (chunk instanceof Int32Array ? chunk : this.widen(c, new Int32Array(SMALL)))[j] = diff;
    else this.widen(c, new Float64Array(SMALL))[j] = value;
  }

  /** Row `j` of run `c`: computed the same way every time, so it gives back exactly what `extendsRun` compared. */
  private inRun(c: number, j: number): number {
    return (this.bases[c] ?? 0) + j * (this.steps[c] ?? 0);
  }

  /** Whether run `c` takes `value` at row `j` (the next row, or a written one rewritten with its value), recording it if so. */
  private extendsRun(c: number, j: number, value: number): boolean {
    const n = this.runLengths[c];
    if (!Number.isSafeInteger(value) || Object.is(value, -0) || j > n) return false;
    if (j < n) return value === this.inRun(c, j);
    if (n === 0) this.bases[c] = value;
    else if (n === 1) {
      const step = value - (this.bases[c] ?? 0);
      if (!Number.isSafeInteger(step)) return false;
      this.steps[c] = step;
    } else if (value !== this.inRun(c, j)) return false;
    this.runLengths[c] = n + 1;
    return true;
  }

  /** Run `c` becomes a chunk of cells holding the rows written so far. */
  private endRun(c: number): Int16Array | Int32Array | Float64Array {
    const rows = Array.from({ length: this.runLengths[c] }, (_, k) => this.inRun(c, k));
    this.chunks[c] = new Int16Array(SMALL);
    this.bases[c] = undefined;
    rows.forEach((v, k) => this.set((c << SMALL_BITS) + k, v));
    return this.chunks[c];
  }

  /** Chunk `c` copied into `wide`, which takes its place. */
  private widen<W extends Int32Array | Float64Array>(c: number, wide: W): W {
    for (let k = 0; k < SMALL; k++) {
      const v = this.get((c << SMALL_BITS) + k);
      wide[k] = wide instanceof Int32Array ? (v === -1 ? NONE32 : v - (this.bases[c] ?? 0)) : v;
    }
    this.chunks[c] = wide;
    return wide;
  }
}

/**
 * Interned numbers (-1 for none): 2 bytes each while a chunk's are below 65,535 (most runs
 * name fewer partitions, processes and keys), else 4; none for a chunk of one name.
 */
export class NameColumn extends ChunkedColumn<Uint16Array | Int32Array> {
  protected make(): Uint16Array {
    return new Uint16Array(CHUNK);
  }

  protected fits(value: number): boolean {
    return isInt32(value);
  }

  protected override read(chunk: Uint16Array | Int32Array, j: number): number {
    return chunk instanceof Uint16Array ? chunk[j] - 1 : chunk[j];
  }

  protected override write(c: number, j: number, value: number): void {
    let chunk = this.chunks[c] as Uint16Array | Int32Array;
    if (chunk instanceof Uint16Array) {
      if (value >= -1 && value < 0xffff) {
        chunk[j] = value + 1;
        return;
      }
      const wide = new Int32Array(CHUNK);
      for (let k = 0; k < CHUNK; k++) wide[k] = chunk[k] - 1;
      this.chunks[c] = chunk = wide;
    }
    chunk[j] = value;
  }
}

/**
 * A column of numbers kept as the rows where the value changes, written in row order: leader
 * epochs (a leader's batches share one), where thousands of rows hold a few numbers. Rows
 * can be dropped from the end or from the middle (a chain forgetting what retention took).
 */
export class ChangeColumn {
  private readonly rows: number[] = [];
  private readonly values: number[] = [];

  /** Row `row`, after every row so far, holds `value`. */
  push(row: number, value: number): void {
    if (this.values.length > 0 && this.values[this.values.length - 1] === value) return;
    this.rows.push(row);
    this.values.push(value);
  }

  /** The value of row `row`: that of the last change at or before it. */
  at(row: number): number {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rows[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return this.values[lo];
  }

  /** Rows at or past `n` are gone. */
  truncate(n: number): void {
    let k = this.rows.length;
    while (k > 0 && this.rows[k - 1] >= n) k--;
    this.rows.length = k;
    this.values.length = k;
  }

  /** Rows [from, from + count) of `size` are gone, and those after move down by `count`. */
  remove(from: number, count: number, size: number): void {
    const end = from + count;
    const next = end < size ? this.at(end) : undefined;
    let k = 0;
    while (k < this.rows.length && this.rows[k] < from) k++;
    let m = k;
    while (m < this.rows.length && this.rows[m] <= end) m++;
    const tailRows = this.rows.slice(m).map((r) => r - count);
    const tailValues = this.values.slice(m);
    this.rows.length = k;
    this.values.length = k;
    if (next !== undefined) this.push(from, next);
    this.rows.push(...tailRows);
    this.values.push(...tailValues);
  }
}

/** How a {@link RowLog} turns its rows into numbers and strings and back. */
export interface RowCodec<T> {
  readonly numbers: number;
  readonly strings: number;
  /** Writes `row`'s fields into `numbers` and `strings`. */
  write(row: T, numbers: number[], strings: string[]): void;
  /** The row whose fields `write` wrote. */
  read(numbers: readonly number[], strings: readonly string[]): T;
}

/**
 * Rows of one shape kept in columns (numbers in {@link NumberColumn}s, strings interned),
 * read back as objects one at a time: for what a run records per event all run long.
 */
export class RowLog<T> implements Iterable<T> {
  private size = 0;
  private readonly names = new Interner();
  private readonly numberCols: NumberColumn[];
  private readonly stringCols: NameColumn[];
  private readonly numbers: number[] = [];
  private readonly strings: string[] = [];

  constructor(private readonly codec: RowCodec<T>) {
    this.numberCols = Array.from({ length: codec.numbers }, () => new NumberColumn());
    this.stringCols = Array.from({ length: codec.strings }, () => new NameColumn());
  }

  get length(): number {
    return this.size;
  }

  push(row: T): void {
    const i = this.size++;
    this.codec.write(row, this.numbers, this.strings);
    this.numberCols.forEach((c, k) => c.set(i, this.numbers[k]));
    this.stringCols.forEach((c, k) => c.set(i, this.names.intern(this.strings[k])));
  }

  *[Symbol.iterator](): Iterator<T> {
    const numbers: number[] = [];
    const strings: string[] = [];
    for (let i = 0; i < this.size; i++) {
      this.numberCols.forEach((c, k) => (numbers[k] = c.get(i)));
      this.stringCols.forEach((c, k) => (strings[k] = this.names.name(c.get(i))));
      yield this.codec.read(numbers, strings);
    }
  }
}
