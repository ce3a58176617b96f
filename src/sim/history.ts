import { ConsumeLog } from './consumeLog.js';
import { SendLog, type SendOutcome, type SendRef } from './sendLog.js';
import type { Time } from './time.js';
import { declareTraceKind, type Trace, type TraceRecordMap } from './trace.js';

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

/** What a send's invocation says: the message id and, when already chosen, its partition. */
export interface SendValue {
  readonly id: string;
  readonly producer: string;
  /** The producer's own sequence for this message, 0, 1, 2 … in send order. */
  readonly seq: number;
  /** Known once the send completed (ok), or when the producer chose it before sending. */
  readonly partition?: string;
  readonly offset?: number;
}

/** What a send's completion says: the partition, and for ok the offset (-1 with acks=0). */
export interface SendCompletion {
  readonly partition?: string;
  readonly offset?: number;
}

/**
 * The history of client operations, in the order they happened. Each line is mirrored into
 * the trace (sends as `client.send`, flat, the others as `client.op`) so that the
 * fingerprint covers what clients saw, not only what nodes did.
 *
 * Sends, a million in a busy minute, are kept in columns ({@link SendLog}, `sends`), and so
 * are consumers' polls and processed records when they complete at once ({@link ConsumeLog},
 * `consumed`); every other operation is an object. `ops` is the one history Jepsen would see,
 * every line in order, sends included, built when asked for; `otherOps` every line but sends,
 * built one at a time as it is iterated.
 */
export class History {
  private readonly lines: Op[] = [];
  readonly sends = new SendLog();
  readonly consumed = new ConsumeLog();
  private next = 0;
  private merged: { length: number; ops: readonly Op[] } | undefined;
  private mergedOthers: { length: number; ops: readonly Op[] } | undefined;
  /**
   * A poll or process invocation not yet kept anywhere: if its completion is the very next
   * line, the pair goes to `consumed`; if anything else comes first, it joins `lines`.
   */
  private pending: Op | undefined;
  /** Every line but sends, in order, built as it is iterated (one object alive at a time). */
  readonly otherOps: Iterable<Op> = { [Symbol.iterator]: () => this.iterateOthers() };
  private readonly emitSend: ((fields: TraceRecordMap['client.send']) => void) | undefined;
  /** One record's fields, refilled for every send: the trace copies what it keeps. */
  private readonly sendFields: { -readonly [K in keyof TraceRecordMap['client.send']]: TraceRecordMap['client.send'][K] } = { process: '', type: 'invoke', index: 0, seq: 0, partition: undefined, offset: undefined, error: undefined };

  constructor(
    private readonly clock: () => Time,
    private readonly trace?: Trace,
  ) {
    this.emitSend = trace?.emitter('client.send');
  }

  /** Every operation, in history order (sends built from their columns, once per length). */
  get ops(): readonly Op[] {
    if (this.merged?.length === this.next) return this.merged.ops;
    const ops = this.merge();
    this.merged = { length: this.next, ops };
    return ops;
  }

  /** Every operation but sends, in history order, as an array built once per length (`otherOps` builds none). */
  get others(): readonly Op[] {
    if (this.mergedOthers?.length === this.next) return this.mergedOthers.ops;
    const ops = [...this.otherOps];
    this.mergedOthers = { length: this.next, ops };
    return ops;
  }

  /** How many lines the history has, sends included. */
  get length(): number {
    return this.next;
  }

  invoke<V>(process: string, f: string, value: V): Op<V> {
    if (f === 'send') throw new Error('sends are recorded with invokeSend');
    const op: Op<V> = { index: this.next++, process, type: 'invoke', f, value, time: this.clock() };
    if (f !== 'poll' && f !== 'process') return this.append(op);
    this.keepPending();
    this.pending = op;
    this.mirror(op);
    return op;
  }

  /** Completes `invocation` as ok, fail or info. */
  complete<V>(invocation: Op, type: Exclude<OpType, 'invoke'>, value: V, error?: string): Op<V> {
    if (invocation.type !== 'invoke') throw new Error(`op ${invocation.index} is a completion, not an invocation`);
    const base = { index: this.next, process: invocation.process, type, f: invocation.f, value, time: this.clock(), invokeIndex: invocation.index };
    // Without an error the line has no error key: one field less on every ok completion.
    const op = error === undefined ? base : { ...base, error };
    if (invocation === this.pending && this.keptAsConsumed(invocation, op)) {
      this.pending = undefined;
      this.next++;
      this.mirror(op);
      return op;
    }
    this.next++;
    return this.append(op);
  }

  /** Whether the pending `invocation` and its completion `op` went to `consumed`: an ok completion on the next line, at the same instant, of a shape it keeps. */
  private keptAsConsumed(invocation: Op, op: Op): boolean {
    if (op.index !== invocation.index + 1 || op.type !== 'ok' || op.error !== undefined || op.time !== invocation.time) return false;
    if (op.f === 'poll') return this.consumed.poll(op.process, invocation.value, op.value, invocation.index, op.time);
    return op.value === invocation.value && this.consumed.process(op.process, op.value, invocation.index, op.time);
  }

  /** The pending invocation, if any, joins `lines`: something else happened before its completion. */
  private keepPending(): void {
    if (this.pending === undefined) return;
    this.lines.push(this.pending);
    this.pending = undefined;
  }

  /** The application called send() for message `<process>#<seq>`, to `partition` if already chosen. */
  invokeSend(process: string, seq: number, partition?: string): SendRef {
    this.keepPending();
    const index = this.next++;
    const ref = this.sends.invoke(process, seq, partition, index, this.clock());
    this.mirrorSend(process, 'invoke', index, seq, partition, undefined, undefined);
    return ref;
  }

  /** The send ended: ok with its offset, or fail or info with why. */
  completeSend(ref: SendRef, type: Exclude<SendOutcome, 'pending'>, partition: string | undefined, offset?: number, error?: string): void {
    this.keepPending();
    const index = this.next++;
    this.sends.complete(ref, type, partition, offset, error, index, this.clock());
    this.mirrorSend(this.sends.process(ref), type, index, this.sends.seq(ref), partition, offset, error);
  }

  private mirrorSend(process: string, type: OpType, index: number, seq: number, partition: string | undefined, offset: number | undefined, error: string | undefined): void {
    if (this.emitSend === undefined) return;
    const f = this.sendFields;
    f.process = process;
    f.type = type;
    f.index = index;
    f.seq = seq;
    f.partition = partition;
    f.offset = offset;
    f.error = error;
    this.emitSend(f);
  }

  private append<V>(op: Op<V>): Op<V> {
    this.keepPending();
    this.lines.push(op);
    this.mirror(op);
    return op;
  }

  private mirror(op: Op): void {
    this.trace?.emit('client.op', {
      process: op.process,
      type: op.type,
      f: op.f,
      index: op.index,
      value: op.value,
      error: op.error,
    });
  }

  /** `lines`, the pending invocation and `consumed`, merged in history order. */
  private *iterateOthers(): Generator<Op> {
    const lines = this.pending === undefined ? this.lines : [...this.lines, this.pending];
    const consumed = this.consumed;
    let l = 0;
    let p = 0;
    let n = 0;
    for (;;) {
      const atLine = l < lines.length ? lines[l].index : Number.POSITIVE_INFINITY;
      const atPoll = p < consumed.pollCount ? consumed.pollAt(p) : Number.POSITIVE_INFINITY;
      const atProcess = n < consumed.processCount ? consumed.processAt(n) : Number.POSITIVE_INFINITY;
      if (atLine === Number.POSITIVE_INFINITY && atPoll === Number.POSITIVE_INFINITY && atProcess === Number.POSITIVE_INFINITY) return;
      if (atLine < atPoll && atLine < atProcess) yield lines[l++];
      else yield* atPoll < atProcess ? consumed.pollOps(p++) : consumed.processOps(n++);
    }
  }

  private merge(): Op[] {
    const out = new Array<Op>(this.next);
    for (const op of this.otherOps) out[op.index] = op;
    const sends = this.sends;
    for (let i = 0; i < sends.length; i++) {
      const ref = i as SendRef;
      const process = sends.process(ref);
      const invokeIndex = sends.invokeIndex(ref);
      out[invokeIndex] = { index: invokeIndex, process, type: 'invoke', f: 'send', value: sendValue(sends, ref), time: sends.invokeTime(ref) };
      const at = sends.completeIndex(ref);
      if (at === undefined) continue;
      const error = sends.error(ref);
      const base = { index: at, process, type: sends.outcome(ref) as OpType, f: 'send', value: completionValue(sends, ref), time: sends.completeTime(ref) as Time, invokeIndex };
      out[at] = error === undefined ? base : { ...base, error };
    }
    return out;
  }
}

declareTraceKind('client.send', ['process', 'type', 'index', 'seq', 'partition', 'offset', 'error']);

/** A send's invocation value, as `ops` presents it. */
function sendValue(sends: SendLog, ref: SendRef): SendValue {
  const id = sends.id(ref);
  const producer = sends.process(ref);
  const seq = sends.seq(ref);
  const partition = sends.invokePartition(ref);
  return partition === undefined ? { id, producer, seq } : { id, partition, producer, seq };
}

function completionValue(sends: SendLog, ref: SendRef): SendCompletion {
  const offset = sends.offset(ref);
  const partition = sends.partition(ref);
  return offset === undefined ? { partition } : { offset, partition };
}
