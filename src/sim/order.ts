/**
 * Total orders for sorting. `Array.prototype.sort` without a comparator converts numbers to
 * strings (10 before 9); these make every sort in simulated code explicit and total.
 */

export function compareNumbers(a: number, b: number): number {
  return a - b;
}

/** Code-unit order, the same in every locale and every Node version. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Index of the last element of `sorted` (ascending by `keyOf`) whose key is <= `key`, or
 * -1 when every key is larger: the floor lookup of sparse indexes and segment lists.
 */
export function floorIndex<T>(sorted: ArrayLike<T>, key: number, keyOf: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(sorted[mid]) <= key) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
