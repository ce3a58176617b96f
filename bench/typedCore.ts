/**
 * The typed-array core, prototyped and measured (issue 26): the log's work in the teaching
 * run (`acks1-leader-failover` at 1,000 msg/s), recorded call by call from a real run, then
 * replayed in one process two ways:
 *
 * - **objects**: the simulator's `Log` on a `MemoryDisk` (segments, offset and time indexes,
 *   the batch index, the leader epoch cache, producer state, a header object per batch);
 * - **columns**: `ColumnarLog` below: every batch header a row of typed arrays (base and last
 *   offset, epoch, position, size, max timestamp, producer id, sequence, records), the bytes
 *   in an arena of 1 MiB chunks, records as views of it. The rows are the index, the epoch
 *   cache and the batch index at once.
 *
 * Both replays are checked against each other first (every append's last offset, every read's
 * bytes, every refusal), then timed alternately. Reported: the columns' time as a share of
 * the objects', and the objects' replay as a share of the teaching run itself (how much of the
 * run the log core is), and so what the whole run would gain (Amdahl).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/scenarios/loader.js';
import { runScenario } from '../src/scenarios/runner.js';
import { Log, DEFAULT_LOG_CONFIG, type LogConfig, type OpenOptions } from '../src/log/log.js';
import { MemoryDisk } from '../src/log/memoryDisk.js';
import type { Disk } from '../src/log/disk.js';
import { crc32cRange } from '../src/log/crc32c.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2, batchSizeAt, lastOffsetAt } from '../src/log/recordBatch.js';
import { bestOf, countAllocations, parseBenchArgs, printTable, round, timeIt } from './harness.js';

/** One call on one log of the recorded run. `threw`: the call was refused then (a LogError), and must be refused in a replay too. */
type Op =
  | { readonly k: 'open'; readonly log: number; readonly bytes: Buffer; readonly hw: number }
  | { readonly k: 'leader'; readonly log: number; readonly bytes: Buffer; readonly epoch: number; readonly threw: boolean }
  | { readonly k: 'follower'; readonly log: number; readonly bytes: Buffer; readonly threw: boolean }
  | { readonly k: 'read'; readonly log: number; readonly start: number; readonly max: number; readonly bound: number; readonly minOne: boolean; readonly threw: boolean }
  | OffsetOp;

/** A call that takes one offset: a high watermark, a log start, a truncation, a fresh start. */
interface OffsetOp {
  readonly k: 'hw' | 'start' | 'truncate' | 'startAt';
  readonly log: number;
  readonly offset: number;
}

/** What a replay needs of a log: the broker's calls on it, results as plain numbers and bytes. */
interface CoreLog {
  /** Returns the last offset appended. */
  appendAsLeader(records: Buffer, epoch: number): number;
  appendAsFollower(records: Buffer): number;
  read(start: number, maxBytes: number, bound: number, minOne: boolean): Buffer;
  updateHighWatermark(offset: number): void;
  maybeIncrementLogStartOffset(offset: number): void;
  truncateTo(offset: number): void;
  truncateFullyAndStartAt(offset: number): void;
}

class ObjectLog implements CoreLog {
  private readonly log: Log;
  constructor(disk: Disk, dir: string) {
    this.log = Log.open(disk, dir, DEFAULT_LOG_CONFIG).log;
  }
  appendAsLeader(records: Buffer, epoch: number): number {
    return this.log.appendAsLeader(records, epoch).lastOffset;
  }
  appendAsFollower(records: Buffer): number {
    return this.log.appendAsFollower(records).lastOffset;
  }
  read(start: number, maxBytes: number, bound: number, minOne: boolean): Buffer {
    return this.log.read(start, maxBytes, bound, minOne).records;
  }
  updateHighWatermark(offset: number): void {
    this.log.updateHighWatermark(offset);
  }
  maybeIncrementLogStartOffset(offset: number): void {
    this.log.maybeIncrementLogStartOffset(offset);
  }
  truncateTo(offset: number): void {
    this.log.truncateTo(offset);
  }
  truncateFullyAndStartAt(offset: number): void {
    this.log.truncateFullyAndStartAt(offset);
  }
}

const CHUNK = 1 << 20;
const EMPTY = Buffer.alloc(0);
const CONTROL_MASK = 0x20;

/**
 * The prototype: batch headers as rows of typed arrays, bytes in an arena. No header object,
 * no segment, no index object: a read binary-searches the last-offset column. Bytes once
 * handed out never change (a truncation starts the next append in a fresh chunk), as
 * MemoryDisk promises its readers. Covers what the teaching run does: no transactions, no
 * compaction, no segment rolls (the arena is one segment).
 */
class ColumnarLog implements CoreLog {
  private rows = 0;
  private capacity = 256;
  // Offsets and positions as int32 (a prototype's limit: logs under 2^31 offsets and 2 GiB),
  // so that what they pass on stays a small integer to V8.
  private base = new Int32Array(this.capacity);
  private last = new Int32Array(this.capacity);
  private epoch = new Int32Array(this.capacity);
  private position = new Int32Array(this.capacity);
  private size = new Int32Array(this.capacity);
  private maxTimestamp = new Float64Array(this.capacity);
  private producerId = new Float64Array(this.capacity);
  private sequence = new Int32Array(this.capacity);
  private records = new Int32Array(this.capacity);
  private readonly chunks: Buffer[] = [];
  private end = 0;
  private leo = 0;
  private hw = 0;
  private logStart = 0;
  /** The last sequence of each idempotent producer (ProducerStateManager's essence). */
  private readonly lastSequence = new Map<number, number>();

  appendAsLeader(records: Buffer, epoch: number): number {
    this.check(records, -1);
    let next = this.leo;
    for (let pos = 0; pos < records.length; ) {
      const size = sizeAt(records, pos);
      const last = next + i32(records, pos + F.lastDelta);
      const at = this.place(records, pos, size);
      const chunk = this.chunks[Math.floor(at / CHUNK)];
      const off = at % CHUNK;
      putI32(chunk, off + F.base, Math.floor(next / 0x1_0000_0000));
      putI32(chunk, off + F.base + 4, next);
      putI32(chunk, off + F.epoch, epoch);
      this.addRow(records, pos, next, last, epoch, at, size);
      next = last + 1;
      pos += size;
    }
    return this.leo - 1;
  }

  appendAsFollower(records: Buffer): number {
    this.check(records, this.leo);
    for (let pos = 0; pos < records.length; ) {
      const size = sizeAt(records, pos);
      const at = this.place(records, pos, size);
      this.addRow(records, pos, baseAt(records, pos), lastAt(records, pos), i32(records, pos + F.epoch), at, size);
      pos += size;
    }
    return this.leo - 1;
  }

  /** Size, magic, CRC of every batch, and (for a follower, `from` >= 0) offsets that follow on from the log end. */
  private check(records: Buffer, from: number): void {
    if (records.length === 0) throw new Error('an append holds at least one batch');
    let expect = from;
    for (let pos = 0; pos < records.length; ) {
      if (records.length - pos < BATCH_HEADER_SIZE || records[pos + F.magic] !== MAGIC_V2) throw new Error(`bad batch at byte ${pos}`);
      const size = sizeAt(records, pos);
      if (size < BATCH_HEADER_SIZE || pos + size > records.length) throw new Error(`batch at byte ${pos} runs past the end`);
      if (crc32cRange(records, pos + F.attributes, pos + size) !== i32(records, pos + F.crc) >>> 0) throw new Error(`CRC mismatch at byte ${pos}`);
      if ((records[pos + F.attributes + 1] & CONTROL_MASK) !== 0) throw new Error('control batches are not prototyped');
      if (from >= 0) {
        if (baseAt(records, pos) !== expect) throw new Error(`follower append at ${baseAt(records, pos)}, but the log ends at ${expect}`);
        expect = lastAt(records, pos) + 1;
      }
      pos += size;
    }
  }

  /** Copies a batch into the arena (never across a chunk's end) and returns where. */
  private place(records: Buffer, pos: number, size: number): number {
    if ((this.end % CHUNK) + size > CHUNK) this.end = Math.ceil(this.end / CHUNK) * CHUNK;
    const at = this.end;
    const chunk = (this.chunks[Math.floor(at / CHUNK)] ??= Buffer.allocUnsafeSlow(CHUNK));
    chunk.set(pos === 0 && size === records.length ? records : records.subarray(pos, pos + size), at % CHUNK);
    this.end = at + size;
    return at;
  }

  private addRow(records: Buffer, pos: number, base: number, last: number, epoch: number, at: number, size: number): void {
    if (this.rows === this.capacity) this.grow();
    const r = this.rows++;
    this.base[r] = base;
    this.last[r] = last;
    this.epoch[r] = epoch;
    this.position[r] = at;
    this.size[r] = size;
    this.maxTimestamp[r] = int64At(records, pos + F.maxTimestamp);
    const producerId = int64At(records, pos + F.producerId);
    this.producerId[r] = producerId;
    this.sequence[r] = i32(records, pos + F.sequence);
    this.records[r] = i32(records, pos + F.records);
    if (producerId >= 0) this.lastSequence.set(producerId, this.sequence[r] + (last - base));
    this.leo = last + 1;
  }

  private grow(): void {
    this.capacity *= 2;
    const f64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(this.capacity);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(this.capacity);
      b.set(a);
      return b;
    };
    this.base = i32(this.base);
    this.last = i32(this.last);
    this.epoch = i32(this.epoch);
    this.position = i32(this.position);
    this.size = i32(this.size);
    this.maxTimestamp = f64(this.maxTimestamp);
    this.producerId = f64(this.producerId);
    this.sequence = i32(this.sequence);
    this.records = i32(this.records);
  }

  /** The first row whose last offset is at or above `offset` (binary search of the column). */
  private rowFor(offset: number): number {
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.last[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  read(start: number, maxBytes: number, bound: number, minOne: boolean): Buffer {
    if (start < this.logStart || start > this.leo) throw new Error(`offset ${start} is outside [${this.logStart}, ${this.leo}]`);
    const upper = Math.min(bound, this.leo);
    const first = this.rowFor(start);
    let r = first;
    let bytes = 0;
    // Whole batches below the bound, up to maxBytes (at least one with minOne, KIP-74).
    while (r < this.rows && this.last[r] < upper && (bytes + this.size[r] <= maxBytes || (r === first && minOne))) bytes += this.size[r++];
    if (r === first) return EMPTY;
    const from = this.position[first];
    const to = this.position[r - 1] + this.size[r - 1];
    if (to - from === bytes && Math.floor(from / CHUNK) === Math.floor((to - 1) / CHUNK)) return this.chunks[Math.floor(from / CHUNK)].subarray(from % CHUNK, to % CHUNK || CHUNK);
    const out = Buffer.allocUnsafe(bytes);
    for (let i = first, at = 0; i < r; at += this.size[i++]) out.set(this.chunks[Math.floor(this.position[i] / CHUNK)].subarray(this.position[i] % CHUNK, (this.position[i] % CHUNK) + this.size[i]), at);
    return out;
  }

  updateHighWatermark(offset: number): void {
    this.hw = Math.min(Math.max(offset, this.logStart), this.leo);
  }

  maybeIncrementLogStartOffset(offset: number): void {
    const to = Math.min(offset, this.hw);
    if (to > this.logStart) this.logStart = to;
  }

  truncateTo(offset: number): void {
    if (offset >= this.leo) return;
    if (offset < this.logStart) throw new Error(`cannot truncate to ${offset}, below the log start ${this.logStart}`);
    // Whole batches: the one holding `offset` goes too (LogSegment.truncateTo).
    this.rows = this.rowFor(offset);
    this.leo = this.rows === 0 ? this.logStart : this.last[this.rows - 1] + 1;
    if (this.hw > this.leo) this.hw = this.leo;
    // Views already handed out keep their bytes: later appends go to a fresh chunk.
    this.end = Math.ceil(this.end / CHUNK) * CHUNK;
  }

  truncateFullyAndStartAt(offset: number): void {
    this.rows = 0;
    this.leo = this.hw = this.logStart = offset;
    this.end = Math.ceil(this.end / CHUNK) * CHUNK;
  }
}

/** Records every call the brokers make on their logs during one teaching run. */
interface Recording {
  readonly ops: Op[];
  readonly produced: number;
  readonly simulatedS: number;
  readonly logs: number;
}

function record(scenario: Parameters<typeof runScenario>[0]): Recording {
  const ops: Op[] = [];
  const ids = new WeakMap<Log, number>();
  let logs = 0;
  const proto = Log.prototype;
  const saved = { open: Log.open, leader: proto.appendAsLeader, follower: proto.appendAsFollower, read: proto.read, hw: proto.updateHighWatermark, start: proto.maybeIncrementLogStartOffset, truncate: proto.truncateTo, startAt: proto.truncateFullyAndStartAt };
  const idOf = (log: Log): number => ids.get(log) ?? -1;
  const refused = (call: () => void): boolean => {
    try {
      call();
      return false;
    } catch {
      return true;
    }
  };
  Log.open = (disk: Disk, dir: string, config?: LogConfig, options?: OpenOptions) => {
    const opened = saved.open.call(Log, disk, dir, config, options);
    const log = opened.log;
    ids.set(log, logs);
    const parts: Buffer[] = [];
    for (let at = log.logStartOffset; at < log.logEndOffset; ) {
      const r = saved.read.call(log, at, Number.MAX_SAFE_INTEGER, log.logEndOffset, true);
      if (r.records.length === 0) break;
      parts.push(Buffer.from(r.records));
      at = lastOffsetOfAll(r.records) + 1;
    }
    ops.push({ k: 'open', log: logs++, bytes: Buffer.concat(parts), hw: log.highWatermark });
    return opened;
  };
  proto.appendAsLeader = function (this: Log, records: Buffer, epoch: number) {
    const bytes = Buffer.from(records);
    let out: ReturnType<Log['appendAsLeader']> | undefined;
    const threw = refused(() => (out = saved.leader.call(this, records, epoch)));
    ops.push({ k: 'leader', log: idOf(this), bytes, epoch, threw });
    if (out === undefined) return saved.leader.call(this, records, epoch); // rethrows as before
    return out;
  };
  proto.appendAsFollower = function (this: Log, records: Buffer) {
    const bytes = Buffer.from(records);
    let out: ReturnType<Log['appendAsFollower']> | undefined;
    const threw = refused(() => (out = saved.follower.call(this, records)));
    ops.push({ k: 'follower', log: idOf(this), bytes, threw });
    if (out === undefined) return saved.follower.call(this, records);
    return out;
  };
  proto.read = function (this: Log, start: number, max: number, bound: number = this.logEndOffset, minOne = true) {
    let out: ReturnType<Log['read']> | undefined;
    const threw = refused(() => (out = saved.read.call(this, start, max, bound, minOne)));
    ops.push({ k: 'read', log: idOf(this), start, max, bound, minOne, threw });
    if (out === undefined) return saved.read.call(this, start, max, bound, minOne);
    return out;
  };
  // The calls that take one offset: recorded, then made.
  const offsetCall = <R>(k: OffsetOp['k'], original: (this: Log, offset: number) => R) =>
    function (this: Log, offset: number): R {
      ops.push({ k, log: idOf(this), offset });
      return original.call(this, offset);
    };
  proto.updateHighWatermark = offsetCall('hw', saved.hw);
  proto.maybeIncrementLogStartOffset = offsetCall('start', saved.start);
  proto.truncateTo = offsetCall('truncate', saved.truncate);
  proto.truncateFullyAndStartAt = offsetCall('startAt', saved.startAt);
  try {
    const { produced, simulatedMs } = runScenario(scenario).stats;
    // Calls on logs opened before the recording (none in a fresh run) cannot be replayed.
    return { ops: ops.filter((o) => o.log >= 0), produced, simulatedS: simulatedMs / 1000, logs };
  } finally {
    Object.assign(proto, { appendAsLeader: saved.leader, appendAsFollower: saved.follower, read: saved.read, updateHighWatermark: saved.hw, maybeIncrementLogStartOffset: saved.start, truncateTo: saved.truncate, truncateFullyAndStartAt: saved.startAt });
    Log.open = saved.open;
  }
}

/*
 * The prototype reads and writes header fields with its own byte loads, not recordBatch's
 * helpers: calling those from here as well changed how V8 compiled them for the simulator
 * (measured: the teaching run in the same process then allocated 34 objects/msg instead of
 * 27), which would have put the prototype's cost on the other side of the comparison.
 */
function i32(buf: Uint8Array, pos: number): number {
  return (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
}

function int64At(buf: Uint8Array, pos: number): number {
  return i32(buf, pos) * 0x1_0000_0000 + (i32(buf, pos + 4) >>> 0);
}

function putI32(buf: Uint8Array, pos: number, v: number): void {
  buf[pos] = v >>> 24;
  buf[pos + 1] = v >>> 16;
  buf[pos + 2] = v >>> 8;
  buf[pos + 3] = v;
}

/** Header fields by their byte offset in a batch (DefaultRecordBatch's layout). */
const F = { base: 0, length: 8, epoch: 12, magic: 16, crc: 17, attributes: 21, lastDelta: 23, maxTimestamp: 35, producerId: 43, sequence: 53, records: 57 } as const;
const sizeAt = (b: Uint8Array, pos: number): number => i32(b, pos + F.length) + LOG_OVERHEAD;
const baseAt = (b: Uint8Array, pos: number): number => int64At(b, pos + F.base);
const lastAt = (b: Uint8Array, pos: number): number => baseAt(b, pos) + i32(b, pos + F.lastDelta);

function lastOffsetOfAll(records: Buffer): number {
  let pos = 0;
  let last = -1;
  while (pos < records.length) {
    last = lastOffsetAt(records, pos);
    pos += batchSizeAt(records, pos);
  }
  return last;
}

/** Writes a recording: the ops as JSON with their bytes as ranges of one binary file. */
function save(dir: string, rec: Recording): void {
  const blobs: Buffer[] = [];
  let at = 0;
  const ops = rec.ops.map((op) => {
    if (!('bytes' in op)) return op;
    blobs.push(op.bytes);
    at += op.bytes.length;
    return { ...op, bytes: [at - op.bytes.length, op.bytes.length] };
  });
  writeFileSync(join(dir, 'ops.bin'), Buffer.concat(blobs));
  writeFileSync(join(dir, 'ops.json'), JSON.stringify({ ...rec, ops }));
}

function load(dir: string): Recording {
  const bin = readFileSync(join(dir, 'ops.bin'));
  const rec = JSON.parse(readFileSync(join(dir, 'ops.json'), 'utf8')) as Omit<Recording, 'ops'> & { ops: (Op | (Omit<Op, 'bytes'> & { bytes: [number, number] }))[] };
  const ops = rec.ops.map((op) => ('bytes' in op && Array.isArray(op.bytes) ? { ...op, bytes: Buffer.from(bin.subarray(op.bytes[0], op.bytes[0] + op.bytes[1])) } : op) as Op);
  return { ...rec, ops };
}

/**
 * Records in a child process: wrapping Log's methods to record them leaves V8's inline caches
 * on them polymorphic for the rest of the process (measured: the teaching run then allocated
 * 34 objects/msg instead of 26, and ran 1.7x slower), so the timed process never wraps them.
 */
function recordInChild(): Recording {
  const dir = mkdtempSync(join(tmpdir(), 'kafkasim-core-'));
  try {
    const child = spawnSync(process.execPath, [process.argv[1], 'core', `--record=${dir}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) throw new Error(`recording the teaching run failed (exit ${String(child.status)})`);
    return load(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How a replay makes each call that takes one offset. */
const OFFSET_CALLS: Record<OffsetOp['k'], (log: CoreLog, offset: number) => void> = {
  hw: (log, o) => log.updateHighWatermark(o),
  start: (log, o) => log.maybeIncrementLogStartOffset(o),
  truncate: (log, o) => log.truncateTo(o),
  startAt: (log, o) => log.truncateFullyAndStartAt(o),
};

/** One op on `log`; its result as a number (last offset, read length) or -1 for a refusal. */
function apply(log: CoreLog, op: Op): number | Buffer {
  try {
    switch (op.k) {
      case 'open':
        if (op.bytes.length > 0) log.appendAsFollower(op.bytes);
        log.updateHighWatermark(op.hw);
        return 0;
      case 'leader':
        return log.appendAsLeader(op.bytes, op.epoch);
      case 'follower':
        return log.appendAsFollower(op.bytes);
      case 'read':
        return log.read(op.start, op.max, op.bound, op.minOne);
      default:
        OFFSET_CALLS[op.k](log, op.offset);
        return 0;
    }
  } catch {
    return -1;
  }
}

function replay(ops: readonly Op[], logCount: number, make: (i: number) => CoreLog): void {
  const logs: CoreLog[] = [];
  for (let i = 0; i < logCount; i++) logs.push(make(i));
  for (const op of ops) apply(logs[op.log], op);
}

/** Both replays in lockstep: the same last offsets, the same bytes read, the same refusals (and those the recorded run had). */
function verify(ops: readonly Op[], logCount: number): number {
  const disk = new MemoryDisk();
  const objects = Array.from({ length: logCount }, (_, i) => new ObjectLog(disk, `v-${i}`));
  const columns = Array.from({ length: logCount }, () => new ColumnarLog());
  let checked = 0;
  for (const [i, op] of ops.entries()) {
    const a = apply(objects[op.log], op);
    const b = apply(columns[op.log], op);
    const same = typeof a === 'number' ? a === b : typeof b !== 'number' && a.equals(b);
    const refusedThen = 'threw' in op && op.threw;
    if (!same || (refusedThen && a !== -1)) throw new Error(`op ${i} (${op.k} on log ${op.log}) differs: objects ${String(typeof a === 'number' ? a : a.length)}, columns ${String(typeof b === 'number' ? b : b.length)}, recorded refusal ${String(refusedThen)}`);
    checked++;
  }
  return checked;
}

export function main(argv: readonly string[]): void {
  const args = parseBenchArgs(argv);
  const repeats = Number(args.options.get('repeats') ?? 7);
  const lesson = loadScenario(fileURLToPath(new URL('../../src/scenarios/library/acks1-leader-failover.yaml', import.meta.url)));
  const scenario = { ...lesson, clients: lesson.clients.map((c) => (c.type === 'producer' ? { ...c, workload: { ...c.workload, rate: 1_000 } } : c)) };
  const recordTo = args.options.get('record');
  if (recordTo !== undefined) return save(recordTo, record(scenario));
  const { ops, produced, simulatedS, logs } = recordInChild();
  // The teaching run first: once Log runs from the replay's call sites too, V8 compiles it for
  // both, and the run in the same process allocated 34 objects/msg instead of 27 (measured),
  // so the run is timed and counted before any replay.
  for (let i = 0; i < 2; i++) runScenario(scenario); // warm-up
  const runS = bestOf(repeats, () => runScenario(scenario));
  const runAllocs = countAllocations(() => runScenario(scenario)).objects / produced;
  const checked = verify(ops, logs);
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op.k, (counts.get(op.k) ?? 0) + 1);

  const objects = (): void => {
    const disk = new MemoryDisk();
    replay(ops, logs, (i) => new ObjectLog(disk, `o-${i}`));
  };
  const columns = (): void => replay(ops, logs, () => new ColumnarLog());
  objects();
  columns();
  // Alternate, so a neighbour's burst hits both; fastest of each.
  let objectS = Number.POSITIVE_INFINITY;
  let columnS = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    objectS = Math.min(objectS, timeIt(objects));
    columnS = Math.min(columnS, timeIt(columns));
  }
  const objectAllocs = countAllocations(objects).objects / produced;
  const columnAllocs = countAllocations(columns).objects / produced;

  const ratio = columnS / objectS;
  const coreShare = objectS / runS;
  // Amdahl: the run with its log core replaced, if the replay's share holds inside the run.
  const projected = 1 - coreShare * (1 - ratio);
  console.log(`typed-array core: the teaching run's log calls (${ops.length} on ${logs} logs: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}), replayed two ways; ${checked} results identical`);
  printTable([
    ['replay', 'time (best of ' + repeats + ')', 'objects/msg'],
    ['objects (Log on MemoryDisk)', `${round(objectS * 1000, 1)} ms`, round(objectAllocs, 2)],
    ['columns (ColumnarLog)', `${round(columnS * 1000, 1)} ms`, round(columnAllocs, 2)],
    ['the teaching run itself', `${round(runS * 1000, 1)} ms`, round(runAllocs, 2)],
  ]);
  console.log(`columns/objects ${round(ratio, 3)}; the log core is ${round(coreShare * 100, 1)}% of the run; with columns the run would take ${round(projected, 3)} of its time: ${round(simulatedS / (runS * projected), 0)}x instead of ${round(simulatedS / runS, 0)}x`);
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'core',
        ops: ops.length,
        objectMs: round(objectS * 1000, 2),
        columnMs: round(columnS * 1000, 2),
        runMs: round(runS * 1000, 2),
        columnsOverObjects: round(ratio, 3),
        coreShareOfRun: round(coreShare, 3),
        projectedRunShare: round(projected, 3),
        objectsPerMsgObjects: round(objectAllocs, 2),
        objectsPerMsgColumns: round(columnAllocs, 2),
        objectsPerMsgRun: round(runAllocs, 2),
      }),
    );
  }
}
