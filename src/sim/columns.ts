/**
 * Helpers for data kept in columns (typed arrays) rather than objects: what a run keeps
 * per message, where a million small objects would cost the garbage collector more than
 * the simulation.
 */

export type Column = Int32Array | Float64Array | Uint8Array;

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
