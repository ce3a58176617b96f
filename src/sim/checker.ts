import type { History } from './history.js';
import type { Time } from './time.js';

/** One broken invariant: which kind, in words, when, and the evidence. */
export interface Violation {
  /** The checker's kind name, such as "lost-write" or "spec:LeaderCompleteness". */
  readonly kind: string;
  readonly message: string;
  /** The simulated instant the violation became observable, when one is known. */
  readonly at?: Time;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * A checker judges a finished run. It reads the history of client operations and the
 * final state of the cluster (each checker family says what state it needs) and returns
 * the violations it finds. It must not change either.
 */
export interface Checker<State> {
  /** The violation kind this checker reports, used to select checkers by name. */
  readonly kind: string;
  check(history: History, state: State): Violation[];
}

export interface CheckReport {
  readonly violations: readonly Violation[];
  /** The kinds that ran, in the order they ran. */
  readonly ran: readonly string[];
}

/**
 * Applies `checkers` (or those of them named in `only`) to one run. Violations come out in
 * checker order, then in each checker's own order, so a report is as deterministic as the run.
 */
export function runCheckers<State>(
  checkers: readonly Checker<State>[],
  history: History,
  state: State,
  only?: readonly string[],
): CheckReport {
  if (only !== undefined) {
    const known = new Set(checkers.map((c) => c.kind));
    const unknown = only.filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new UnknownCheckError(unknown, [...known]);
    }
  }
  const selected = only === undefined ? checkers : checkers.filter((c) => only.includes(c.kind));
  const violations: Violation[] = [];
  for (const checker of selected) violations.push(...checker.check(history, state));
  return { violations, ran: selected.map((c) => c.kind) };
}

export class UnknownCheckError extends Error {
  constructor(
    readonly unknown: readonly string[],
    readonly known: readonly string[],
  ) {
    super(`unknown check${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${known.join(', ')}`);
    this.name = 'UnknownCheckError';
  }
}
