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
