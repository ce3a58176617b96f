import { grown, Interner } from './columns.js';
import type { Time } from './time.js';

/** How a send ended, as the producer saw it; `pending` while it has not. */
export type SendOutcome = 'ok' | 'fail' | 'info' | 'pending';

/** A send's place in its log: 0, 1, 2 … in invocation order. */
export type SendRef = number & { readonly __sendRef: true };

const OUTCOMES: readonly SendOutcome[] = ['pending', 'ok', 'fail', 'info'];
const PENDING = 0;
const NONE = -1;

/**
 * The history's send operations, in columns. A producer's send is the one operation a run
 * makes per message (a million in a minute of a busy cluster); as objects (the invocation,
 * its completion and both values) they were most of what a run kept alive, and most of the
 * garbage collector's work. Here each send is one row of typed arrays: about 50 bytes and
 * nothing for the collector to trace. {@link History} still presents every send as a pair
 * of ordinary operations (`History.ops`), built on demand.
 *
 * A send's message id is `<process>#<seq>`: the producer's client id and its own sequence
 * number, which is also what it writes in the record's `id` header. A process's sends are
 * invoked in increasing sequence order, so its rows are in sequence order too.
 */
export class SendLog {
  private readonly names = new Interner();
  /** Each process's last sequence number, by its name's index. */
  private readonly lastSeq: number[] = [];
  private size = 0;
  private capacity = 0;
  private processCol = new Int32Array(0);
  private seqCol = new Float64Array(0);
  private invokeIndexCol = new Int32Array(0);
  private invokeTimeCol = new Float64Array(0);
  /** The partition known when the application called send(), or NONE. */
  private invokePartitionCol = new Int32Array(0);
  private outcomeCol = new Uint8Array(0);
  private completeIndexCol = new Int32Array(0);
  private completeTimeCol = new Float64Array(0);
  /** The partition the completion names, or NONE. */
  private completePartitionCol = new Int32Array(0);
  /** The offset an ok completion names (-1 for acks=0), NaN when it names none. */
  private offsetCol = new Float64Array(0);
  private errorCol = new Int32Array(0);

  get length(): number {
    return this.size;
  }

  /** Records an invocation; `index` is its position in the whole history. */
  invoke(process: string, seq: number, partition: string | undefined, index: number, at: Time): SendRef {
    const name = this.names.intern(process);
    // Checkers rely on it: a process's sends are invoked in the order of their sequence numbers.
    if (seq <= (this.lastSeq[name] ?? -1)) throw new Error(`send ${process}#${seq} invoked after ${process}#${this.lastSeq[name]}`);
    this.lastSeq[name] = seq;
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    this.processCol[i] = name;
    this.seqCol[i] = seq;
    this.invokeIndexCol[i] = index;
    this.invokeTimeCol[i] = at;
    this.invokePartitionCol[i] = partition === undefined ? NONE : this.names.intern(partition);
    this.outcomeCol[i] = PENDING;
    this.completeIndexCol[i] = NONE;
    return i as SendRef;
  }

  /** Records the completion of `ref`; `index` is its position in the whole history. */
  complete(ref: SendRef, outcome: Exclude<SendOutcome, 'pending'>, partition: string | undefined, offset: number | undefined, error: string | undefined, index: number, at: Time): void {
    if (this.outcomeCol[ref] !== PENDING) throw new Error(`send ${this.id(ref)} completed twice`);
    this.outcomeCol[ref] = OUTCOMES.indexOf(outcome);
    this.completeIndexCol[ref] = index;
    this.completeTimeCol[ref] = at;
    this.completePartitionCol[ref] = partition === undefined ? NONE : this.names.intern(partition);
    this.offsetCol[ref] = offset ?? Number.NaN;
    this.errorCol[ref] = error === undefined ? NONE : this.names.intern(error);
  }

  process(ref: SendRef): string {
    return this.names.name(this.processCol[ref]);
  }

  seq(ref: SendRef): number {
    return this.seqCol[ref];
  }

  /** The message id, `<process>#<seq>`. */
  id(ref: SendRef): string {
    return `${this.names.name(this.processCol[ref])}#${this.seqCol[ref]}`;
  }

  outcome(ref: SendRef): SendOutcome {
    return OUTCOMES[this.outcomeCol[ref]];
  }

  isOk(ref: SendRef): boolean {
    return this.outcomeCol[ref] === 1;
  }

  /** The partition, from the completion or else the invocation. */
  partition(ref: SendRef): string | undefined {
    const p = this.completeIndexCol[ref] === NONE || this.completePartitionCol[ref] === NONE ? this.invokePartitionCol[ref] : this.completePartitionCol[ref];
    return p === NONE ? undefined : this.names.name(p);
  }

  /** The partition the application's send() already knew, if any. */
  invokePartition(ref: SendRef): string | undefined {
    const p = this.invokePartitionCol[ref];
    return p === NONE ? undefined : this.names.name(p);
  }

  /** The offset an ok completion reported (-1 for acks=0), if any. */
  offset(ref: SendRef): number | undefined {
    if (this.completeIndexCol[ref] === NONE) return undefined;
    const o = this.offsetCol[ref];
    return Number.isNaN(o) ? undefined : o;
  }

  error(ref: SendRef): string | undefined {
    const e = this.completeIndexCol[ref] === NONE ? NONE : this.errorCol[ref];
    return e === NONE ? undefined : this.names.name(e);
  }

  invokeIndex(ref: SendRef): number {
    return this.invokeIndexCol[ref];
  }

  invokeTime(ref: SendRef): Time {
    return this.invokeTimeCol[ref] as Time;
  }

  /** The completion's position in the whole history, or undefined while pending. */
  completeIndex(ref: SendRef): number | undefined {
    const i = this.completeIndexCol[ref];
    return i === NONE ? undefined : i;
  }

  completeTime(ref: SendRef): Time | undefined {
    return this.completeIndexCol[ref] === NONE ? undefined : (this.completeTimeCol[ref] as Time);
  }

  private grow(): void {
    const n = Math.max(1024, this.capacity * 2);
    this.processCol = grown(this.processCol, n);
    this.seqCol = grown(this.seqCol, n);
    this.invokeIndexCol = grown(this.invokeIndexCol, n);
    this.invokeTimeCol = grown(this.invokeTimeCol, n);
    this.invokePartitionCol = grown(this.invokePartitionCol, n);
    this.outcomeCol = grown(this.outcomeCol, n);
    this.completeIndexCol = grown(this.completeIndexCol, n);
    this.completeTimeCol = grown(this.completeTimeCol, n);
    this.completePartitionCol = grown(this.completePartitionCol, n);
    this.offsetCol = grown(this.offsetCol, n);
    this.errorCol = grown(this.errorCol, n);
    this.capacity = n;
  }

}
