import type { ScenarioIssue } from '../scenarios/loader.js';
import type { GlossaryTerm } from './glossary.js';
import type { LessonInfo } from './lessons.js';
import type { PlayedRun } from './playedRun.js';
import type { HandFault } from './scenarioEdit.js';

/**
 * The messages between the playground's page and the Web Worker that runs the engine. Each
 * request carries an id its reply repeats. The worker holds no state between requests: a
 * run is simulated from the start for each `play`, as the CLI runs a file.
 */
export type WorkerRequest =
  | { readonly id: number; readonly kind: 'library' }
  | { readonly id: number; readonly kind: 'play'; readonly yaml: string; readonly source: string; readonly seed?: number; readonly frameEveryMs?: number }
  | { readonly id: number; readonly kind: 'addFault'; readonly yaml: string; readonly fault: HandFault }
  /** A plain run, as `kafkasim run` makes it: for the cross-runtime fingerprint test and the benchmark. */
  | { readonly id: number; readonly kind: 'fingerprint'; readonly lesson: string; readonly seed?: number };

export type WorkerReply =
  | { readonly id: number; readonly kind: 'library'; readonly lessons: readonly LessonInfo[]; readonly glossary: readonly GlossaryTerm[] }
  | { readonly id: number; readonly kind: 'played'; readonly run: PlayedRun; readonly wallMs: number }
  | { readonly id: number; readonly kind: 'edited'; readonly yaml: string }
  | { readonly id: number; readonly kind: 'fingerprint'; readonly lesson: string; readonly seed: number; readonly fingerprint: string; readonly kinds: readonly string[]; readonly events: number; readonly wallMs: number }
  /** The scenario text did not pass the schema: the same issues, worded as the CLI words them. */
  | { readonly id: number; readonly kind: 'invalid'; readonly message: string; readonly issues: readonly ScenarioIssue[] }
  | { readonly id: number; readonly kind: 'error'; readonly message: string };

/** What a reply carries, without the wall time the worker adds. */
export type Reply = WorkerReply extends infer R ? (R extends { readonly wallMs: number } ? Omit<R, 'wallMs'> : R) : never;
