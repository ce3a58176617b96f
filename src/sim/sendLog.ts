import { Interner, NameColumn, NumberColumn, Uint8Column } from './columns.js';
import { time, type Time } from './time.js';

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
 * garbage collector's work. Here each send is one row of typed arrays: about 30 bytes and
 * nothing for the collector to trace. Rare fields (an error, a completion naming another
 * partition than its invocation) sit in maps beside the columns. {@link History} still presents every send as a pair
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
  private readonly processCol = new NameColumn();
  private readonly seqCol = new NumberColumn();
  private readonly invokeIndexCol = new NumberColumn();
  private readonly invokeTimeCol = new NumberColumn();
  /** The partition known when the application called send(), or NONE. */
  private readonly invokePartitionCol = new NameColumn();
  private readonly outcomeCol = new Uint8Column();
  private readonly completeIndexCol = new NumberColumn();
  /** The completion's time less the invocation's. */
  private readonly completeDelayCol = new NumberColumn();
  /** Completion times the delay would not give back exactly (none while times are whole microseconds). */
  private readonly exactCompleteTimes = new Map<number, number>();
  /** The partition a completion names, where it is not the invocation's (rare: the producer knows a send's partition when it is called). */
  private readonly completePartitions = new Map<number, number>();
  /** The offset an ok completion names (-1 for acks=0), NaN when it names none. */
  private readonly offsetCol = new NumberColumn();
  /** The error a fail or info completion names (rare), by row. */
  private readonly errors = new Map<number, number>();

  get length(): number {
    return this.size;
  }

  /** Records an invocation; `index` is its position in the whole history. */
  invoke(process: string, seq: number, partition: string | undefined, index: number, at: Time): SendRef {
    const name = this.names.intern(process);
    // Checkers rely on it: a process's sends are invoked in the order of their sequence numbers.
    if (seq <= (this.lastSeq[name] ?? -1)) throw new Error(`send ${process}#${seq} invoked after ${process}#${this.lastSeq[name]}`);
    this.lastSeq[name] = seq;
    const i = this.size++;
    this.processCol.set(i, name);
    this.seqCol.set(i, seq);
    this.invokeIndexCol.set(i, index);
    this.invokeTimeCol.set(i, at);
    this.invokePartitionCol.set(i, partition === undefined ? NONE : this.names.intern(partition));
    this.outcomeCol.set(i, PENDING);
    this.completeIndexCol.set(i, NONE);
    return i as SendRef;
  }

  /** Records the completion of `ref`; `index` is its position in the whole history. */
  complete(ref: SendRef, outcome: Exclude<SendOutcome, 'pending'>, partition: string | undefined, offset: number | undefined, error: string | undefined, index: number, at: Time): void {
    if (this.outcomeCol.get(ref) !== PENDING) throw new Error(`send ${this.id(ref)} completed twice`);
    this.outcomeCol.set(ref, OUTCOMES.indexOf(outcome));
    this.completeIndexCol.set(ref, index);
    const delay = at - this.invokeTimeCol.get(ref);
    this.completeDelayCol.set(ref, delay);
    // Times are whole microseconds, so the sum gives `at` back; were one not, it is kept as it is.
    if (this.invokeTimeCol.get(ref) + delay !== at) this.exactCompleteTimes.set(ref, at);
    if (partition !== undefined) {
      const p = this.names.intern(partition);
      if (p !== this.invokePartitionCol.get(ref)) this.completePartitions.set(ref, p);
    }
    this.offsetCol.set(ref, offset ?? Number.NaN);
    if (error !== undefined) this.errors.set(ref, this.names.intern(error));
  }

  process(ref: SendRef): string {
    return this.names.name(this.processCol.get(ref));
  }

  seq(ref: SendRef): number {
    return this.seqCol.get(ref);
  }

  /** The message id, `<process>#<seq>`. */
  id(ref: SendRef): string {
    return `${this.names.name(this.processCol.get(ref))}#${this.seqCol.get(ref)}`;
  }

  outcome(ref: SendRef): SendOutcome {
    return OUTCOMES[this.outcomeCol.get(ref)];
  }

  isOk(ref: SendRef): boolean {
    return this.outcomeCol.get(ref) === 1;
  }

  /** The partition, from the completion or else the invocation. */
  partition(ref: SendRef): string | undefined {
    const p = this.completeIndexCol.get(ref) === NONE ? this.invokePartitionCol.get(ref) : (this.completePartitions.get(ref) ?? this.invokePartitionCol.get(ref));
    return p === NONE ? undefined : this.names.name(p);
  }

  /** The partition the application's send() already knew, if any. */
  invokePartition(ref: SendRef): string | undefined {
    const p = this.invokePartitionCol.get(ref);
    return p === NONE ? undefined : this.names.name(p);
  }

  /** The offset an ok completion reported (-1 for acks=0), if any. */
  offset(ref: SendRef): number | undefined {
    if (this.completeIndexCol.get(ref) === NONE) return undefined;
    const o = this.offsetCol.get(ref);
    return Number.isNaN(o) ? undefined : o;
  }

  error(ref: SendRef): string | undefined {
    const e = this.completeIndexCol.get(ref) === NONE ? undefined : this.errors.get(ref);
    return e === undefined ? undefined : this.names.name(e);
  }

  invokeIndex(ref: SendRef): number {
    return this.invokeIndexCol.get(ref);
  }

  invokeTime(ref: SendRef): Time {
    return time(this.invokeTimeCol.get(ref));
  }

  /** The completion's position in the whole history, or undefined while pending. */
  completeIndex(ref: SendRef): number | undefined {
    const i = this.completeIndexCol.get(ref);
    return i === NONE ? undefined : i;
  }

  completeTime(ref: SendRef): Time | undefined {
    if (this.completeIndexCol.get(ref) === NONE) return undefined;
    return time(this.exactCompleteTimes.get(ref) ?? this.invokeTimeCol.get(ref) + this.completeDelayCol.get(ref));
  }
}
