import type { Op } from '../sim/history.js';
import type { SendCompletion, SendValue } from './finalState.js';

/** How a send ended, as the producer saw it. */
export type SendOutcome = 'ok' | 'fail' | 'info' | 'pending';

export interface SendRecord {
  readonly invoke: Op<SendValue>;
  readonly completion: Op<SendCompletion> | undefined;
  readonly outcome: SendOutcome;
  /** The partition, from the completion or the invocation. */
  readonly partition: string | undefined;
}

const memo = new WeakMap<readonly Op[], { length: number; sends: SendRecord[] }>();

/** Pairs each send invocation with its completion, in invocation order (computed once per history as it stands). */
export function sendsOf(history: readonly Op[]): readonly SendRecord[] {
  const known = memo.get(history);
  if (known !== undefined && known.length === history.length) return known.sends;
  const sends = pairSends(history);
  memo.set(history, { length: history.length, sends });
  return sends;
}

/** Lets go of the pairing of `history` (the runner does, once its checkers are done). */
export function forgetSends(history: readonly Op[]): void {
  memo.delete(history);
}

/** How many sends ended which way, without pairing them. */
export function countSends(history: readonly Op[]): { produced: number; ok: number; fail: number; info: number } {
  let produced = 0;
  let ok = 0;
  let fail = 0;
  let info = 0;
  for (const op of history) {
    if (op.f !== 'send') continue;
    if (op.type === 'invoke') produced++;
    else if (op.type === 'ok') ok++;
    else if (op.type === 'fail') fail++;
    else info++;
  }
  return { produced, ok, fail, info };
}

function pairSends(history: readonly Op[]): SendRecord[] {
  // Completions by the index of their invocation: an array, since indexes are dense.
  const completions: (Op<SendCompletion> | undefined)[] = new Array<Op<SendCompletion> | undefined>(history.length);
  for (const op of history) if (op.f === 'send' && op.type !== 'invoke' && op.invokeIndex !== undefined) completions[op.invokeIndex] = op as Op<SendCompletion>;
  const out: SendRecord[] = [];
  for (const op of history) {
    if (op.f !== 'send' || op.type !== 'invoke') continue;
    const invoke = op as Op<SendValue>;
    const completion = completions[op.index];
    out.push({
      invoke,
      completion,
      outcome: completion === undefined ? 'pending' : (completion.type as SendOutcome),
      partition: completion?.value.partition ?? invoke.value.partition,
    });
  }
  return out;
}
