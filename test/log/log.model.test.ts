import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Log, DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/log.js';
import { applyRetention } from '../../src/log/retention.js';
import { cleanLog } from '../../src/log/cleaner.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { checkBatch, decodeRecords, encodeBatch, sizeOf, readBatchHeader } from '../../src/log/recordBatch.js';

/**
 * Model-based test of the log engine: random sequences of appends, reads, truncations,
 * rolls, flushes, process crashes and power losses, checked after every step against a
 * plain array of (offset, value, epoch).
 */

interface ModelRecord {
  readonly offset: number;
  readonly key: string;
  readonly value: string;
  readonly epoch: number;
}

interface Model {
  /** The log's cleanup.policy includes compact. */
  readonly compacting: boolean;
  records: ModelRecord[];
  epoch: number;
  counter: number;
  /** The records as of the last flush (explicit, or by a roll), and whether anything was truncated since. */
  flushed: ModelRecord[];
  flushedPoint: number;
  truncatedSinceFlush: boolean;
  /** Every value each offset has ever held, for the weaker check after a power loss. */
  history: Map<number, Set<string>>;
}

interface Real {
  disk: MemoryDisk;
  log: Log;
  config: LogConfig;
}

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1_500, indexIntervalBytes: 200 };
const COMPACTED: LogConfig = { ...CONFIG, cleanupPolicy: 'compact,delete', minCleanableDirtyRatio: 0.01 };
const KEYS = 5;

function readAll(log: Log): ModelRecord[] {
  const out: ModelRecord[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const { records } = log.read(next, 700);
    if (records.length === 0) break;
    let pos = 0;
    while (pos < records.length) {
      const h = readBatchHeader(records, pos);
      for (const r of decodeRecords(records, pos, h)) if (r.offset >= next) out.push({ offset: r.offset, key: String(r.key), value: String(r.value), epoch: h.partitionLeaderEpoch });
      pos += sizeOf(h);
    }
    next = out[out.length - 1].offset + 1;
  }
  return out;
}

/** A roll flushes too; follow the log's recovery point to know what is durable. */
function noteFlushes(m: Model, r: Real): void {
  if (r.log.recoveryPoint !== m.flushedPoint) {
    m.flushedPoint = r.log.recoveryPoint;
    m.flushed = m.records.filter((x) => x.offset < m.flushedPoint);
    m.truncatedSinceFlush = false;
  }
}

function reopen(r: Real): void {
  const { log } = Log.open(r.disk, 'orders-0', r.config, { recoveryPoint: r.log.recoveryPoint, logStartOffset: r.log.logStartOffset });
  r.log = log;
}

class Append implements fc.Command<Model, Real> {
  constructor(
    readonly count: number,
    readonly bumpEpoch: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    if (this.bumpEpoch) m.epoch++;
    const values = Array.from({ length: this.count }, () => `v${m.counter++}`);
    const keyOf = (v: string): string => `k${Number(v.slice(1)) % KEYS}`;
    const batch = encodeBatch(values.map((v, i) => ({ key: Buffer.from(keyOf(v)), value: Buffer.from(v), timestamp: m.counter * 10 + i })));
    const info = r.log.appendAsLeader(batch, m.epoch);
    const first = m.records.length === 0 ? r.log.logStartOffset : m.records[m.records.length - 1].offset + 1;
    expect(info.firstOffset).toBe(first);
    values.forEach((value, i) => {
      m.records.push({ offset: first + i, key: `k${Number(value.slice(1)) % KEYS}`, value, epoch: m.epoch });
      const seen = m.history.get(first + i) ?? new Set<string>();
      seen.add(value);
      m.history.set(first + i, seen);
    });
    expect(r.log.logEndOffset).toBe(first + this.count);
    noteFlushes(m, r);
  }
  toString(): string {
    return `Append(${this.count}${this.bumpEpoch ? ', new epoch' : ''})`;
  }
}

class Read implements fc.Command<Model, Real> {
  constructor(
    readonly from: number,
    readonly maxBytes: number,
  ) {}
  check(m: Model): boolean {
    return m.records.length > 0;
  }
  run(m: Model, r: Real): void {
    const start = m.records[this.from % m.records.length].offset;
    const { records } = r.log.read(start, this.maxBytes);
    // At least one whole batch comes back, and it holds `start`.
    expect(records.length).toBeGreaterThan(0);
    const check = checkBatch(records, 0, records.length);
    expect(check.ok).toBe(true);
    const decoded = decodeRecords(records, 0);
    expect(decoded[0].offset).toBeLessThanOrEqual(start);
    for (const rec of decoded) expect(String(rec.value)).toBe(m.records.find((x) => x.offset === rec.offset)?.value);
  }
  toString(): string {
    return `Read(${this.from}, ${this.maxBytes})`;
  }
}

class Truncate implements fc.Command<Model, Real> {
  constructor(readonly at: number) {}
  check(m: Model): boolean {
    return m.records.length > 0;
  }
  run(m: Model, r: Real): void {
    const target = m.records[0].offset + (this.at % m.records.length);
    r.log.truncateTo(target);
    // Whole batches go: the log may end before the target if a batch straddled it.
    const leo = r.log.logEndOffset;
    expect(leo).toBeLessThanOrEqual(target);
    m.records = m.records.filter((x) => x.offset < leo);
    m.truncatedSinceFlush = true;
    m.flushedPoint = r.log.recoveryPoint;
    m.epoch = Math.max(m.epoch, r.log.epochs.latestEpoch);
  }
  toString(): string {
    return `Truncate(${this.at})`;
  }
}

class Roll implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.log.roll();
    noteFlushes(m, r);
  }
  toString(): string {
    return 'Roll';
  }
}

class Flush implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.log.flush();
    m.flushed = [...m.records];
    m.flushedPoint = r.log.recoveryPoint;
    m.truncatedSinceFlush = false;
  }
  toString(): string {
    return 'Flush';
  }
}

class CrashProcess implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    r.disk.onProcessCrash();
    reopen(r);
  }
  toString(): string {
    return 'CrashProcess';
  }
}

class PowerLoss implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.disk.onPowerLoss();
    reopen(r);
    const got = readAll(r.log);
    if (!m.truncatedSinceFlush) {
      // Exactly what was flushed survives: no more (it was never synced), no less.
      expect(got).toEqual(m.flushed);
    } else {
      // After an unsynced truncation the old tail may come back; whatever does is a
      // contiguous run of values those offsets really held.
      got.forEach((rec, i) => {
        expect(m.history.get(rec.offset)?.has(rec.value)).toBe(true);
        if (i > 0 && r.config.cleanupPolicy === 'delete') expect(rec.offset).toBe(got[i - 1].offset + 1);
        if (i > 0) expect(rec.offset).toBeGreaterThan(got[i - 1].offset);
      });
    }
    m.records = got;
    m.flushed = [...got];
    m.flushedPoint = r.log.recoveryPoint;
    m.truncatedSinceFlush = false;
    m.epoch = Math.max(m.epoch, r.log.epochs.latestEpoch);
  }
  toString(): string {
    return 'PowerLoss';
  }
}

class Retain implements fc.Command<Model, Real> {
  constructor(readonly hwAt: number) {}
  check(m: Model): boolean {
    return m.records.length > 0;
  }
  run(m: Model, r: Real): void {
    const hw = m.records[0].offset + (this.hwAt % (m.records.length + 1));
    r.log.updateHighWatermark(hw);
    applyRetention(r.log, Number.MAX_SAFE_INTEGER); // every segment is past retention.ms
    const start = r.log.logStartOffset;
    // Only whole segments below the high watermark went.
    expect(start).toBeLessThanOrEqual(Math.max(hw, m.records[0].offset));
    expect(r.log.allSegments()[0].baseOffset).toBe(start);
    m.records = m.records.filter((x) => x.offset >= start);
    m.flushed = m.flushed.filter((x) => x.offset >= start);
  }
  toString(): string {
    return `Retain(hw at ${this.hwAt})`;
  }
}

class Compact implements fc.Command<Model, Real> {
  check(m: Model): boolean {
    return m.compacting;
  }
  run(m: Model, r: Real): void {
    r.log.updateHighWatermark(r.log.logEndOffset);
    cleanLog(r.log, 0);
    const got = readAll(r.log);
    // A subset of the model, offsets kept, and each key's latest record still there.
    for (const rec of got) expect(m.records.find((x) => x.offset === rec.offset)).toEqual(rec);
    const latest = new Map<string, ModelRecord>();
    for (const rec of m.records) latest.set(rec.key, rec);
    for (const rec of latest.values()) expect(got).toContainEqual(rec);
    expect(r.log.logEndOffset).toBe(m.records[m.records.length - 1]?.offset + 1 || r.log.logEndOffset);
    m.records = got;
    // Cleaned segments were written and synced anew: what survives a power loss is uncertain.
    m.truncatedSinceFlush = true;
  }
  toString(): string {
    return 'Compact';
  }
}

class Invariants implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    expect(readAll(r.log)).toEqual(m.records);
    if (m.records.length > 0) expect(r.log.logEndOffset).toBe(m.records[m.records.length - 1].offset + 1);
  }
  toString(): string {
    return 'CheckAll';
  }
}

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.boolean()).map(([n, b]) => new Append(n, b)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 2_000 })).map(([f, b]) => new Read(f, b)),
  fc.nat().map((n) => new Truncate(n)),
  fc.constant(new Roll()),
  fc.constant(new Flush()),
  fc.constant(new CrashProcess()),
  fc.constant(new PowerLoss()),
  fc.constant(new Invariants()),
  fc.nat().map((n) => new Retain(n)),
  fc.constant(new Compact()),
];

describe('Log (model-based)', () => {
  it.each([
    ['cleanup.policy=delete', CONFIG],
    ['cleanup.policy=compact,delete', COMPACTED],
  ])('equals a simple model after any sequence of operations, crashes and power losses (%s)', (_name, config) => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const disk = new MemoryDisk();
        const { log } = Log.open(disk, 'orders-0', config);
        const model: Model = { compacting: config.cleanupPolicy !== 'delete', records: [], epoch: 0, counter: 0, flushed: [], flushedPoint: 0, truncatedSinceFlush: false, history: new Map() };
        const real: Real = { disk, log, config };
        fc.modelRun(() => ({ model, real }), [...cmds, new Invariants()]);
      }),
      { numRuns: 300 },
    );
  });
});
