import type { History, Op, SendCompletion, SendValue } from '../sim/history.js';
import type { SendOutcome, SendRef } from '../sim/sendLog.js';

export type { SendOutcome } from '../sim/sendLog.js';

export interface SendRecord {
  readonly invoke: Op<SendValue>;
  readonly completion: Op<SendCompletion> | undefined;
  readonly outcome: SendOutcome;
  /** The partition, from the completion or the invocation. */
  readonly partition: string | undefined;
}

/**
 * Each send invocation paired with its completion, in invocation order, as objects: for
 * users' own checks and tests. The checkers read the columns (`history.sends`) instead.
 */
export function sendsOf(history: History): SendRecord[] {
  const ops = history.ops;
  const sends = history.sends;
  const out: SendRecord[] = [];
  for (let i = 0; i < sends.length; i++) {
    const ref = i as SendRef;
    const at = sends.completeIndex(ref);
    out.push({
      invoke: ops[sends.invokeIndex(ref)] as Op<SendValue>,
      completion: at === undefined ? undefined : (ops[at] as Op<SendCompletion>),
      outcome: sends.outcome(ref),
      partition: sends.partition(ref),
    });
  }
  return out;
}

/** How many sends ended which way. */
export function countSends(history: History): { produced: number; ok: number; fail: number; info: number } {
  const sends = history.sends;
  const counts = { produced: sends.length, ok: 0, fail: 0, info: 0 };
  for (let i = 0; i < sends.length; i++) {
    const outcome = sends.outcome(i as SendRef);
    if (outcome !== 'pending') counts[outcome]++;
  }
  return counts;
}
