import type { Time } from './time.js';
import type { Trace } from './trace.js';

/**
 * Jepsen's operation types. `info` is the honest answer for a client that cannot know:
 * a request that timed out may or may not have taken effect, and a checker must allow both.
 */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** One line of the history: an invocation or its completion by one logical process. */
export interface Op<V = unknown> {
  /** Position in the history, from 0. */
  readonly index: number;
  /** The logical process (a producer, a consumer member) that issued the operation. */
  readonly process: string;
  readonly type: OpType;
  /** What was attempted: "send", "poll", "commit" … */
  readonly f: string;
  readonly value: V;
  /** Simulated instant of this line. */
  readonly time: Time;
  /** For a completion, the index of the invocation it completes. */
  readonly invokeIndex?: number;
  /** For fail and info, why: a Kafka error code name or "timeout". */
  readonly error?: string;
}

/**
 * The history of client operations, in the order they happened. Each line is mirrored into
 * the trace so that the fingerprint covers what clients saw, not only what nodes did.
 */
export class History {
  private readonly lines: Op[] = [];

  constructor(
    private readonly clock: () => Time,
    private readonly trace?: Trace,
  ) {}

  get ops(): readonly Op[] {
    return this.lines;
  }

  invoke<V>(process: string, f: string, value: V): Op<V> {
    return this.append({ index: this.lines.length, process, type: 'invoke', f, value, time: this.clock() });
  }

  /** Completes `invocation` as ok, fail or info. */
  complete<V>(invocation: Op, type: Exclude<OpType, 'invoke'>, value: V, error?: string): Op<V> {
    if (invocation.type !== 'invoke') throw new Error(`op ${invocation.index} is a completion, not an invocation`);
    const base = { index: this.lines.length, process: invocation.process, type, f: invocation.f, value, time: this.clock(), invokeIndex: invocation.index };
    // Without an error the line has no error key: one field less on every ok completion.
    return this.append(error === undefined ? base : { ...base, error });
  }

  private append<V>(op: Op<V>): Op<V> {
    this.lines.push(op);
    this.trace?.emit('client.op', {
      process: op.process,
      type: op.type,
      f: op.f,
      index: op.index,
      value: op.value,
      error: op.error,
    });
    return op;
  }
}
