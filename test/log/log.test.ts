import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Log, DEFAULT_LOG_CONFIG, LogError, type LogConfig } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { decodeRecords, encodeBatch, readBatchHeader, sizeOf } from '../../src/log/recordBatch.js';
import { Rng } from '../../src/sim/rng.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 2_000, indexIntervalBytes: 300 };

function batch(values: string[], ts = 1_000): Buffer {
  return encodeBatch(values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: ts + i })));
}

function values(log: Log, from = log.logStartOffset): string[] {
  const out: string[] = [];
  let next = from;
  while (next < log.logEndOffset) {
    const { records } = log.read(next, 10_000);
    if (records.length === 0) break;
    const before = next;
    let pos = 0;
    while (pos < records.length) {
      const h = readBatchHeader(records, pos);
      for (const r of decodeRecords(records, pos, h)) {
        if (r.offset >= next) {
          out.push(String(r.value));
          next = r.offset + 1;
        }
      }
      pos += sizeOf(h);
    }
    if (next === before) throw new Error(`read at ${before} made no progress`);
  }
  return out;
}

function filled(n: number, disk = new MemoryDisk()): Log {
  const { log } = Log.open(disk, 't-0', CONFIG);
  for (let i = 0; i < n; i++) log.appendAsLeader(batch([`a${i}`, `b${i}`]), 1 + Math.floor(i / 10));
  return log;
}

describe('Log', () => {
  it('summarises every batch (offsets, epoch, CRC) as its full header says, across segments and any range', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }), fc.nat(), fc.nat(), (sizes, a, b) => {
        const { log } = Log.open(new MemoryDisk(), 'p-0', { ...DEFAULT_LOG_CONFIG, segmentBytes: 4096 });
        sizes.forEach((n, i) => log.appendAsLeader(encodeBatch(Array.from({ length: n }, (_, k) => ({ key: null, value: Buffer.alloc(30, k), timestamp: i }))), 1 + (i % 3)));
        const from = a % (log.logEndOffset + 1);
        const to = from + (b % (log.logEndOffset + 1));
        const full: number[][] = [];
        log.forEachBatch(from, to, (_bytes, _pos, h) => full.push([h.baseOffset, h.baseOffset + h.lastOffsetDelta, h.partitionLeaderEpoch, h.crc]));
        const summaries: number[][] = [];
        log.forEachBatchSummary(from, to, (...x) => summaries.push(x));
        expect(summaries).toEqual(full);
      }),
      { numRuns: 60 },
    );
  });

  it('rolls segments by size and names files as Kafka does', () => {
    const disk = new MemoryDisk();
    const log = filled(100, disk);
    expect(log.segmentCount).toBeGreaterThan(3);
    const files = disk.list('t-0');
    expect(files).toContain('00000000000000000000.log');
    expect(files).toContain('00000000000000000000.index');
    expect(files).toContain('00000000000000000000.timeindex');
    expect(files).toContain('leader-epoch-checkpoint');
    expect(files.filter((f) => f.endsWith('.log')).every((f) => /^\d{20}\.log$/.test(f))).toBe(true);
    expect(values(log)).toHaveLength(200);
  });

  it('reads only up to the upper bound and at least one batch', () => {
    const log = filled(10);
    expect(log.read(0, 1, 4).records.length).toBeGreaterThan(0);
    const bounded = log.read(0, 100_000, 4).records;
    expect(decodeRecords(bounded, 0).map((r) => r.offset)).toEqual([0, 1]);
    expect(log.read(4, 100_000, 4).records.length).toBe(0);
    expect(() => log.read(21, 10)).toThrow(LogError);
  });

  it('writes the leader epoch checkpoint in Kafka\'s format and answers OffsetsForLeaderEpoch', () => {
    const disk = new MemoryDisk();
    const log = filled(25, disk); // epochs 1 (offsets 0-19), 2 (20-39), 3 (40-49)
    expect(disk.readAll('t-0/leader-epoch-checkpoint').toString()).toBe('0\n3\n1 0\n2 20\n3 40\n');
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 20 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 40 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 50 });
    expect(log.endOffsetForEpoch(7)).toEqual({ epoch: 3, endOffset: 50 });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: -1, endOffset: -1 });
    log.truncateTo(30);
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 2, endOffset: 30 });
  });

  it('keeps the leader\'s offsets on a follower and refuses gaps', () => {
    const leader = filled(5);
    const { log: follower } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    const { records } = leader.read(0, 100_000);
    follower.appendAsFollower(records);
    expect(values(follower)).toEqual(values(leader));
    expect(follower.endOffsetForEpoch(1)).toEqual(leader.endOffsetForEpoch(1));
    expect(() => follower.appendAsFollower(leader.read(2, 100_000).records)).toThrow(/OFFSET_OUT_OF_RANGE/);
  });

  it('never changes the buffer a producer handed over', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    log.appendAsLeader(batch(['x']), 1);
    const mine = batch(['y']);
    const copy = Buffer.from(mine);
    log.appendAsLeader(mine, 1);
    expect(mine.equals(copy)).toBe(true);
  });

  it('finds offsets by timestamp', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', CONFIG);
    for (let i = 0; i < 50; i++) log.appendAsLeader(batch([`v${i}`], 1_000 + i * 10), 1);
    expect(log.offsetForTimestamp(0)).toBe(0);
    expect(log.offsetForTimestamp(1_255)).toBe(26);
    expect(log.offsetForTimestamp(1_490)).toBe(49);
    expect(log.offsetForTimestamp(9_999)).toBeUndefined();
  });

  it('restarts empty at an offset with truncateFullyAndStartAt', () => {
    const log = filled(10);
    log.truncateFullyAndStartAt(500);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([500, 500, 500]);
    log.appendAsLeader(batch(['z']), 9);
    expect(values(log)).toEqual(['z']);
    expect(log.read(500, 100).firstBatchOffset).toBe(500);
  });

  it('honours flush.messages: with 1, a power loss loses nothing acknowledged', () => {
    const disk = new MemoryDisk();
    const { log } = Log.open(disk, 't-0', { ...CONFIG, flushMessages: 1 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(batch([`v${i}`]), 1);
    disk.onPowerLoss();
    const { log: after } = Log.open(disk, 't-0', CONFIG, { recoveryPoint: log.recoveryPoint });
    expect(values(after)).toHaveLength(20);
  });

  it('loses the unflushed tail on power loss by default, and nothing on a process crash', () => {
    const disk = new MemoryDisk();
    const log = filled(10, disk);
    log.flush();
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch([`late${i}`]), 2);
    disk.onProcessCrash();
    expect(values(Log.open(disk, 't-0', CONFIG, { recoveryPoint: log.recoveryPoint }).log)).toHaveLength(25);
    disk.onPowerLoss();
    const after = Log.open(disk, 't-0', CONFIG, { recoveryPoint: log.recoveryPoint }).log;
    expect(values(after)).toHaveLength(20);
    expect(after.endOffsetForEpoch(2).endOffset).toBe(20); // epoch cache truncated with the log
  });
});

describe('Log recovery under corruption', () => {
  it('keeps the valid prefix and never throws, whatever is done to the files', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 4 }) }),
            fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
            fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 100 }) }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        (seed, n, damage) => {
          const disk = new MemoryDisk({ rng: Rng.fromSeed(seed) });
          const log = filled(n, disk);
          const before = values(log);
          const segments = disk.list('t-0').filter((f) => f.endsWith('.log'));
          for (const d of damage) {
            const file = `t-0/${segments[(d.kind === 'garbage' ? 0 : d.at) % segments.length]}`;
            const size = disk.size(file);
            if (d.kind === 'flip' && size > 0) disk.flipBits(file, d.bits);
            if (d.kind === 'cut') disk.truncate(file, d.at % (size + 1));
            if (d.kind === 'garbage') disk.append(`t-0/${segments[segments.length - 1]}`, d.bytes);
          }
          const { log: recovered, recovery } = Log.open(disk, 't-0', CONFIG);
          const after = values(recovered);
          // A prefix of what was there, and every batch in it valid.
          expect(after).toEqual(before.slice(0, after.length));
          expect(recovered.logEndOffset).toBe(after.length);
          expect(recovery.segmentsRecovered).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a reader of a live log whose bytes rotted on disk stops at the first batch that fails its CRC, and never throws', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 30 }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 4 }), (seed, n, bits) => {
        const disk = new MemoryDisk({ rng: Rng.fromSeed(seed) });
        const log = filled(n, disk);
        // Rot in the records of the k-th batch (bytes its CRC covers), in whichever segment holds it.
        const k = seed % n;
        let offset = 0;
        let damaged = false;
        for (const name of disk.list('t-0').filter((f) => f.endsWith('.log'))) {
          const data = disk.readAll(`t-0/${name}`);
          for (let pos = 0; pos < data.length && !damaged; pos += sizeOf(readBatchHeader(data, pos)), offset += 2) {
            if (offset / 2 !== k) continue;
            const span = (sizeOf(readBatchHeader(data, pos)) - 61) * 8;
            disk.flipBits(`t-0/${name}`, bits, Array.from({ length: bits }, (_, i) => (pos + 61) * 8 + ((seed + i * 97) % span)));
            damaged = true;
          }
        }
        const seen: number[] = [];
        log.forEachBatch(0, log.logEndOffset, (_bytes, _pos, h) => {
          for (let o = h.baseOffset; o <= h.baseOffset + h.lastOffsetDelta; o++) seen.push(o);
        });
        // Every offset before the damaged batch, in order, and nothing from it on.
        expect(seen).toEqual(Array.from({ length: 2 * k }, (_, i) => i));
      }),
      { numRuns: 100 },
    );
  });

  it('a scan of segment headers stops at a length no batch can have, and never throws', () => {
    const disk = new MemoryDisk();
    const log = filled(5, disk);
    const data = disk.readAll('t-0/00000000000000000000.log');
    const second = sizeOf(readBatchHeader(data, 0));
    // The second batch's length field (bytes 8-11 of its header) says -2.
    disk.write('t-0/00000000000000000000.log', second + 8, Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    const seen: number[] = [];
    log.forEachBatch(0, log.logEndOffset, (_bytes, _pos, h) => seen.push(h.baseOffset));
    expect(seen).toEqual([0]);
    expect(log.read(2, 10_000).records.length).toBe(0);
  });

  it('a base offset rotted on disk (outside the CRC) ends a read, whichever way it moved, and never throws or loops', () => {
    for (const rotten of [-(2 ** 60), -1, 1]) {
      const disk = new MemoryDisk();
      const log = filled(6, disk);
      const data = disk.readAll('t-0/00000000000000000000.log');
      let pos = 0;
      for (let i = 0; i < 2; i++) pos += sizeOf(readBatchHeader(data, pos));
      const base = Buffer.alloc(8);
      base.writeBigInt64BE(BigInt(rotten));
      disk.write('t-0/00000000000000000000.log', pos, base); // the third batch's base offset
      disk.noteMediaFault();
      const summaries: number[] = [];
      log.forEachBatchSummary(0, log.logEndOffset, (b) => summaries.push(b));
      const batches: number[] = [];
      log.forEachBatch(0, log.logEndOffset, (_bytes, _pos, h) => batches.push(h.baseOffset));
      // The first two batches, in order; whatever follows the rotten one is never read backwards.
      expect(summaries.slice(0, 2)).toEqual([0, 2]);
      expect(batches.slice(0, 2)).toEqual([0, 2]);
      for (const seen of [summaries, batches]) for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    }
  });

  it('after a clean shutdown trusts the last segment, unless the file was cut while the log was closed: then it recovers it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.boolean(), (n, at, cut) => {
        const disk = new MemoryDisk();
        const log = filled(n, disk);
        const before = values(log);
        log.close();
        const last = disk.list('t-0').filter((f) => f.endsWith('.log')).at(-1) as string;
        const size = disk.size(`t-0/${last}`);
        if (cut) disk.truncate(`t-0/${last}`, at % (size + 1));
        const { log: reopened, recovery } = Log.open(disk, 't-0', CONFIG, { recoveryPoint: log.logEndOffset, hadCleanShutdown: true });
        const after = values(reopened);
        expect(after).toEqual(before.slice(0, after.length));
        expect(reopened.logEndOffset).toBe(after.length);
        if (!cut || at % (size + 1) === size) expect(recovery.segmentsRecovered).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('trusts segments below the recovery point and scans the rest', () => {
    const disk = new MemoryDisk();
    const log = filled(60, disk);
    log.flush();
    const { recovery } = Log.open(disk, 't-0', CONFIG, { recoveryPoint: log.recoveryPoint });
    expect(recovery.segmentsRecovered).toBe(1);
    const { recovery: full } = Log.open(disk, 't-0', CONFIG);
    expect(full.segmentsRecovered).toBe(log.segmentCount);
  });
});
