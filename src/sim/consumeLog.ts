import { Interner, NameColumn, NumberColumn, Uint8Column } from './columns.js';
import type { Op } from './history.js';
import { time, type Time } from './time.js';

/** A polled record as a poll's value lists it: partition, offset, message id (null without one). */
export type PolledRecord = readonly [partition: string, offset: number, id: string | null];

/** What a consumer's poll returned, as its completion's value says. */
export interface PollValue {
  readonly generation: number;
  readonly isolation?: string;
  readonly member: string;
  readonly records: readonly PolledRecord[];
}

/** One record processed to the end, as a process operation's value says. */
export interface ProcessValue {
  readonly generation: number;
  readonly id: string | null;
  readonly key: string | null;
  readonly member: string;
  readonly offset: number;
  readonly partition: string;
  /** Set on a record with a null value. */
  readonly tombstone?: true;
}

const NONE = -1;
/** An id kept whole (its name column holds all of it), not as `<name>#<seq>`. */
const WHOLE = -1;
const TOMBSTONE = 1;
/** The process operation happened at its poll's instant (else its time is in `processTimes`). */
const AT_POLL_TIME = 2;
/** The record's key is its message id (as a processor's outputs are keyed): no key to intern. */
const KEY_IS_ID = 4;

/**
 * A consumer's polls and the records it processed, in columns: the history's per-record
 * operations. Each record a consumer reads makes three lines of history (its place in a
 * poll's value, and a process invocation and completion), most of a long run's memory as
 * objects. Here a poll is one row, each record it returned one row, and each record
 * processed one more: about 25 bytes a record, nothing for the collector to trace.
 *
 * Only the common shapes are kept so: a poll completed at once (the line after its
 * invocation, at the same instant, `ok`, value exactly {@link PollValue}), and a record
 * processed at once (likewise) whose value names a record of its member's last poll. The
 * {@link History} keeps anything else as objects; `ops` presents both alike.
 */
export class ConsumeLog {
  private readonly names = new Interner();
  // Polls: the invocation's index (its completion is the next line) and instant, the process, and the value.
  private polls = 0;
  private readonly pollIndex = new NumberColumn();
  private readonly pollTime = new NumberColumn();
  private readonly pollProcess = new NameColumn();
  private readonly pollGeneration = new NumberColumn();
  private readonly pollMember = new NameColumn();
  private readonly pollIsolation = new NameColumn();
  /** The poll's first record's row; its last is the next poll's first, less one. */
  private readonly pollFirst = new NumberColumn();
  // Polled records.
  private records = 0;
  private readonly recordPartition = new NameColumn();
  private readonly recordOffset = new NumberColumn();
  private readonly recordIdName = new NameColumn();
  private readonly recordIdSeq = new NumberColumn();
  // Processed records: the polled record's row, the invocation's index (its completion is the next line), key and flags.
  private processes = 0;
  private readonly processRecord = new NumberColumn();
  private readonly processIndex = new NumberColumn();
  private readonly processKey = new NameColumn();
  private readonly processFlags = new Uint8Column();
  private readonly processTimes = new Map<number, number>();
  /** Per process name: its last poll and the next of that poll's records it may process. */
  private readonly cursors = new Map<number, { poll: number; next: number; end: number }>();

  get pollCount(): number {
    return this.polls;
  }

  get processCount(): number {
    return this.processes;
  }

  /** Keeps a poll invoked at `index` with `invokeValue` and completed ok at the next line with `value`, at `at`; false if its shape is not one kept here. */
  poll(process: string, invokeValue: unknown, value: unknown, index: number, at: Time): boolean {
    if (!isEmptyObject(invokeValue) || !isPollValue(value)) return false;
    const p = this.polls++;
    const first = this.records;
    this.pollIndex.set(p, index);
    this.pollTime.set(p, at);
    this.pollProcess.set(p, this.names.intern(process));
    this.pollGeneration.set(p, value.generation);
    this.pollMember.set(p, this.names.intern(value.member));
    this.pollIsolation.set(p, value.isolation === undefined ? NONE : this.names.intern(value.isolation));
    this.pollFirst.set(p, first);
    for (const [partition, offset, id] of value.records) {
      const r = this.records++;
      this.recordPartition.set(r, this.names.intern(partition));
      this.recordOffset.set(r, offset);
      this.setId(r, id);
    }
    this.cursors.set(this.names.intern(process), { poll: p, next: first, end: this.records });
    return true;
  }

  /** Keeps a record processed at once (invoked at `index`, completed ok at the next line, both at `at`); false unless `value` names a record of the process's last poll, after those it processed. */
  process(process: string, value: unknown, index: number, at: Time): boolean {
    if (!isProcessValue(value)) return false;
    const cursor = this.cursors.get(this.names.intern(process));
    if (cursor === undefined) return false;
    const p = cursor.poll;
    if (value.generation !== this.pollGeneration.get(p) || value.member !== this.names.name(this.pollMember.get(p))) return false;
    const partition = this.names.numberOf(value.partition);
    let r = cursor.next;
    while (r < cursor.end && !(this.recordPartition.get(r) === partition && this.recordOffset.get(r) === value.offset && this.id(r) === value.id)) r++;
    if (r === cursor.end) return false;
    cursor.next = r + 1;
    const n = this.processes++;
    this.processRecord.set(n, r);
    this.processIndex.set(n, index);
    const keyIsId = value.key !== null && value.key === value.id;
    this.processKey.set(n, value.key === null || keyIsId ? NONE : this.names.intern(value.key));
    const atPoll = at === this.pollTime.get(p);
    this.processFlags.set(n, (value.tombstone === true ? TOMBSTONE : 0) | (atPoll ? AT_POLL_TIME : 0) | (keyIsId ? KEY_IS_ID : 0));
    if (!atPoll) this.processTimes.set(n, at);
    return true;
  }

  /** The history position of poll `p`'s invocation (its completion is the next). */
  pollAt(p: number): number {
    return this.pollIndex.get(p);
  }

  /** The history position of process `n`'s invocation (its completion is the next). */
  processAt(n: number): number {
    return this.processIndex.get(n);
  }

  /** Poll `p` as its invocation and completion. */
  pollOps(p: number): [Op, Op] {
    const index = this.pollIndex.get(p);
    const process = this.names.name(this.pollProcess.get(p));
    const at = time(this.pollTime.get(p));
    const records: PolledRecord[] = [];
    const end = p + 1 < this.polls ? this.pollFirst.get(p + 1) : this.records;
    for (let r = this.pollFirst.get(p); r < end; r++) records.push([this.names.name(this.recordPartition.get(r)), this.recordOffset.get(r), this.id(r)]);
    const generation = this.pollGeneration.get(p);
    const member = this.names.name(this.pollMember.get(p));
    const isolation = this.pollIsolation.get(p);
    const value: PollValue = isolation === NONE ? { generation, member, records } : { generation, isolation: this.names.name(isolation), member, records };
    return [
      { index, process, type: 'invoke', f: 'poll', value: {}, time: at },
      { index: index + 1, process, type: 'ok', f: 'poll', value, time: at, invokeIndex: index },
    ];
  }

  /** Process `n` as its invocation and completion (which share one value, as the consumer's do). */
  processOps(n: number): [Op, Op] {
    const index = this.processIndex.get(n);
    const r = this.processRecord.get(n);
    const p = this.pollOf(r);
    const process = this.names.name(this.pollProcess.get(p));
    const flags = this.processFlags.get(n);
    const at = time((flags & AT_POLL_TIME) !== 0 ? this.pollTime.get(p) : (this.processTimes.get(n) ?? 0));
    const key = this.processKey.get(n);
    const id = this.id(r);
    const base = {
      generation: this.pollGeneration.get(p),
      id,
      key: (flags & KEY_IS_ID) !== 0 ? id : key === NONE ? null : this.names.name(key),
      member: this.names.name(this.pollMember.get(p)),
      offset: this.recordOffset.get(r),
      partition: this.names.name(this.recordPartition.get(r)),
    };
    const value: ProcessValue = (flags & TOMBSTONE) !== 0 ? { ...base, tombstone: true } : base;
    return [
      { index, process, type: 'invoke', f: 'process', value, time: at },
      { index: index + 1, process, type: 'ok', f: 'process', value, time: at, invokeIndex: index },
    ];
  }

  /** The poll that returned record row `r`: the last poll whose first record is at or before it. */
  private pollOf(r: number): number {
    let lo = 0;
    let hi = this.polls - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pollFirst.get(mid) <= r) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private setId(r: number, id: string | null): void {
    if (id === null) {
      this.recordIdName.set(r, NONE);
      return;
    }
    const hash = id.lastIndexOf('#');
    const digits = id.slice(hash + 1);
    const seq = hash < 0 ? Number.NaN : Number(digits);
    // `<name>#<seq>` with a canonical sequence number; anything else is kept whole.
    const split = Number.isSafeInteger(seq) && seq >= 0 && String(seq) === digits;
    this.recordIdName.set(r, this.names.intern(split ? id.slice(0, hash) : id));
    this.recordIdSeq.set(r, split ? seq : WHOLE);
  }

  private id(r: number): string | null {
    const name = this.recordIdName.get(r);
    if (name === NONE) return null;
    const seq = this.recordIdSeq.get(r);
    return seq === WHOLE ? this.names.name(name) : `${this.names.name(name)}#${seq}`;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function isEmptyObject(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function sameKeys(v: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(v);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

const POLL_KEYS = ['generation', 'member', 'records'];
const POLL_KEYS_ISOLATED = ['generation', 'isolation', 'member', 'records'];

function isPollValue(v: unknown): v is PollValue {
  if (!isPlainObject(v) || !(sameKeys(v, POLL_KEYS) || (sameKeys(v, POLL_KEYS_ISOLATED) && typeof v.isolation === 'string'))) return false;
  return isInt32(v.generation) && typeof v.member === 'string' && Array.isArray(v.records) && v.records.every(isPolledRecord);
}

function isPolledRecord(r: unknown): r is PolledRecord {
  return Array.isArray(r) && r.length === 3 && Object.getPrototypeOf(r) === Array.prototype && typeof r[0] === 'string' && typeof r[1] === 'number' && !Object.is(r[1], -0) && (r[2] === null || typeof r[2] === 'string');
}

const PROCESS_KEYS = ['generation', 'id', 'key', 'member', 'offset', 'partition'];
const PROCESS_KEYS_TOMBSTONE = [...PROCESS_KEYS, 'tombstone'];

function isProcessValue(v: unknown): v is ProcessValue {
  if (!isPlainObject(v) || !(sameKeys(v, PROCESS_KEYS) || (sameKeys(v, PROCESS_KEYS_TOMBSTONE) && v.tombstone === true))) return false;
  return isInt32(v.generation) && (v.id === null || typeof v.id === 'string') && (v.key === null || typeof v.key === 'string') && typeof v.member === 'string' && typeof v.offset === 'number' && !Object.is(v.offset, -0) && typeof v.partition === 'string';
}

function isInt32(n: unknown): n is number {
  return typeof n === 'number' && (n | 0) === n && !Object.is(n, -0);
}
