import { grown, Interner } from '../sim/columns.js';
import type { LoggedRecord, MessageId } from './finalState.js';

type Txn = LoggedRecord['txn'];

const TXN_CODES: readonly Txn[] = [undefined, 'control', 'aborted', 'open'];
const NO_NAME = -1;
const HASH = 35; // '#'
const ZERO = 48; // '0'
/** Longer numbers would not be exact in a double; such ids are kept as strings. */
const MAX_DIGITS = 15;

/**
 * The records of one log as the checkers follow them: each record's offset, leader epoch,
 * transaction status and message id, in columns. A message id `<producer>#<seq>` is kept as
 * the producer's name (interned) and the number, so a log of a million records costs a few
 * typed arrays rather than a million objects and strings; ids of any other shape are kept
 * as they are. `records` presents the same log as objects, built when asked for.
 */
export class LogIds {
  private readonly names = new Interner();
  private size = 0;
  private offsets = new Float64Array(64);
  private producers = new Int32Array(64);
  private seqs = new Float64Array(64);
  private epochs = new Int32Array(64);
  private txns = new Uint8Array(64);
  /** Ids that are not `<name>#<seq>`, by position (their producer column is NO_NAME). */
  private readonly odd = new Map<number, MessageId | undefined>();
  /** The bytes of the last producer name seen while decoding, and its index. */
  private lastNameBytes: Uint8Array | undefined;
  private lastName = NO_NAME;
  private built: readonly LoggedRecord[] | undefined;
  private firsts: Map<number, SeqTable> | undefined;

  static fromRecords(records: readonly LoggedRecord[]): LogIds {
    const ids = new LogIds();
    for (const r of records) ids.add(r.offset, r.epoch, r.txn, r.id);
    ids.built = records;
    return ids;
  }

  get length(): number {
    return this.size;
  }

  /** Appends a record whose id is known as a string (or which has none). */
  add(offset: number, epoch: number, txn: Txn, id: MessageId | undefined): void {
    const i = this.push(offset, epoch, txn);
    const hash = id === undefined ? -1 : id.lastIndexOf('#');
    const seq = hash < 0 ? -1 : parseSeq(id as string, hash + 1);
    if (seq < 0) {
      this.producers[i] = NO_NAME;
      this.odd.set(i, id);
      return;
    }
    this.producers[i] = this.names.intern((id as string).slice(0, hash));
    this.seqs[i] = seq;
  }

  /** Appends a record whose id is the UTF-8 `bytes[start, start + length)` (length -1: none), without building a string for it. */
  addBytes(offset: number, epoch: number, txn: Txn, bytes: Buffer, start: number, length: number): void {
    const i = this.push(offset, epoch, txn);
    let hash = -1;
    for (let k = start + length - 1; k >= start; k--) {
      if (bytes[k] === HASH) {
        hash = k;
        break;
      }
    }
    let seq = -1;
    const digits = start + length - hash - 1;
    if (hash >= 0 && digits > 0 && digits <= MAX_DIGITS && (bytes[hash + 1] !== ZERO || digits === 1)) {
      seq = 0;
      for (let k = hash + 1; k < start + length; k++) {
        const d = bytes[k] - ZERO;
        if (d < 0 || d > 9) {
          seq = -1;
          break;
        }
        seq = seq * 10 + d;
      }
    }
    if (seq < 0) {
      this.producers[i] = NO_NAME;
      this.odd.set(i, length < 0 ? undefined : bytes.toString('utf8', start, start + length));
      return;
    }
    this.producers[i] = this.nameOf(bytes, start, hash);
    this.seqs[i] = seq;
  }

  offsetAt(i: number): number {
    return this.offsets[i];
  }

  epochAt(i: number): number {
    return this.epochs[i];
  }

  txnAt(i: number): Txn {
    return TXN_CODES[this.txns[i]];
  }

  idAt(i: number): MessageId | undefined {
    const p = this.producers[i];
    return p === NO_NAME ? this.odd.get(i) : `${this.names.name(p)}#${this.seqs[i]}`;
  }

  /** The position of `offset`, or -1: a direct look (offsets are mostly dense), else a binary search. */
  positionOf(offset: number): number {
    if (this.size === 0) return -1;
    const guess = offset - this.offsets[0];
    if (guess >= 0 && guess < this.size && this.offsets[guess] === offset) return guess;
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.offsets[mid];
      if (at === offset) return mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** True when the record at `offset` carries message `<producer>#<seq>`. */
  holds(offset: number, producer: string, seq: number): boolean {
    const i = this.positionOf(offset);
    if (i < 0) return false;
    const p = this.producers[i];
    return p !== NO_NAME && this.seqs[i] === seq && this.names.name(p) === producer;
  }

  /** The first offset at which message `id` appears, or undefined. */
  firstOffsetOf(id: MessageId): number | undefined {
    const hash = id.lastIndexOf('#');
    const seq = hash < 0 ? -1 : parseSeq(id, hash + 1);
    if (seq < 0) {
      for (const [i, odd] of this.odd) if (odd === id) return this.offsets[i];
      return undefined;
    }
    const p = this.names.numberOf(id.slice(0, hash));
    if (p === undefined) return undefined;
    const table = this.firstPositions().get(p);
    const at = table === undefined ? 0 : lookup(table, seq);
    return at === 0 ? undefined : this.offsets[at - 1];
  }

  /** Ids found at more than one offset, each with all its offsets, in the order their second copy appears. */
  duplicates(): [MessageId, number[]][] {
    const repeated = new Map<string, number[]>();
    const firsts = this.firstPositions();
    const oddFirst = new Map<MessageId, number>();
    for (let i = 0; i < this.size; i++) {
      const p = this.producers[i];
      let first: number;
      if (p === NO_NAME) {
        const id = this.odd.get(i);
        if (id === undefined) continue;
        const seen = oddFirst.get(id);
        if (seen === undefined) {
          oddFirst.set(id, i);
          continue;
        }
        first = seen;
      } else {
        first = lookup(firsts.get(p) as SeqTable, this.seqs[i]) - 1;
        if (first === i) continue;
      }
      const id = this.idAt(i) as MessageId;
      const list = repeated.get(id);
      if (list === undefined) repeated.set(id, [this.offsets[first], this.offsets[i]]);
      else list.push(this.offsets[i]);
    }
    return [...repeated];
  }

  /** A new log of the records that satisfy `keep`, given each one's offset and transaction status. */
  select(keep: (offset: number, txn: Txn) => boolean): LogIds {
    const out = new LogIds();
    for (let i = 0; i < this.size; i++) {
      const txn = this.txnAt(i);
      if (!keep(this.offsets[i], txn)) continue;
      const p = this.producers[i];
      if (p === NO_NAME) out.add(this.offsets[i], this.epochs[i], txn, this.odd.get(i));
      else {
        const j = out.push(this.offsets[i], this.epochs[i], txn);
        out.producers[j] = out.names.intern(this.names.name(p));
        out.seqs[j] = this.seqs[i];
      }
    }
    return out;
  }

  /** The same records as objects. */
  get records(): readonly LoggedRecord[] {
    if (this.built !== undefined) return this.built;
    const out: LoggedRecord[] = new Array<LoggedRecord>(this.size);
    for (let i = 0; i < this.size; i++) {
      const txn = this.txnAt(i);
      out[i] = txn === undefined ? { offset: this.offsets[i], id: this.idAt(i), epoch: this.epochs[i] } : { offset: this.offsets[i], id: this.idAt(i), epoch: this.epochs[i], txn };
    }
    this.built = out;
    return out;
  }

  private push(offset: number, epoch: number, txn: Txn): number {
    if (this.size === this.offsets.length) this.grow();
    const i = this.size++;
    this.offsets[i] = offset;
    this.epochs[i] = epoch;
    this.txns[i] = TXN_CODES.indexOf(txn);
    this.built = undefined;
    this.firsts = undefined;
    return i;
  }

  /** Per producer, the position + 1 of each sequence number's first record (0: none). */
  private firstPositions(): Map<number, SeqTable> {
    if (this.firsts !== undefined) return this.firsts;
    const top = new Map<number, number>();
    for (let i = 0; i < this.size; i++) {
      const p = this.producers[i];
      if (p !== NO_NAME && this.seqs[i] > (top.get(p) ?? -1)) top.set(p, this.seqs[i]);
    }
    // Workload sequences are dense (0, 1, 2 …): an array indexed by sequence. Ids written by
    // hand may not be: a map then, rather than an array as long as the largest number.
    const firsts = new Map<number, SeqTable>();
    for (const [p, max] of top) firsts.set(p, max < 4 * this.size + 1024 ? new Int32Array(max + 1) : new Map());
    for (let i = 0; i < this.size; i++) {
      const p = this.producers[i];
      if (p === NO_NAME) continue;
      const table = firsts.get(p) as SeqTable;
      const seq = this.seqs[i];
      if (lookup(table, seq) !== 0) continue;
      if (table instanceof Map) table.set(seq, i + 1);
      else table[seq] = i + 1;
    }
    this.firsts = firsts;
    return firsts;
  }

  private nameOf(bytes: Buffer, start: number, end: number): number {
    const last = this.lastNameBytes;
    if (last !== undefined && last.length === end - start) {
      let same = true;
      for (let k = 0; k < last.length; k++) {
        if (bytes[start + k] !== last[k]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastName;
    }
    this.lastNameBytes = Uint8Array.prototype.slice.call(bytes, start, end);
    this.lastName = this.names.intern(bytes.toString('utf8', start, end));
    return this.lastName;
  }

  private grow(): void {
    const n = this.offsets.length * 2;
    this.offsets = grown(this.offsets, n);
    this.producers = grown(this.producers, n);
    this.seqs = grown(this.seqs, n);
    this.epochs = grown(this.epochs, n);
    this.txns = grown(this.txns, n);
  }

}

/** Positions + 1 by sequence number: dense or sparse. */
type SeqTable = Int32Array | Map<number, number>;

function lookup(table: SeqTable, seq: number): number {
  return table instanceof Map ? (table.get(seq) ?? 0) : (table[seq] ?? 0);
}

/** The decimal number at `id[from..]`, or -1 when it is not one (empty, too long, a stray character, a leading zero). */
function parseSeq(id: string, from: number): number {
  if (from >= id.length || id.length - from > MAX_DIGITS || (id.charCodeAt(from) === ZERO && from + 1 < id.length)) return -1;
  let value = 0;
  for (let k = from; k < id.length; k++) {
    const d = id.charCodeAt(k) - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
