/**
 * Log engine benchmark: encode+append and read throughput for 100 B and 1 KiB records in
 * 16 KiB batches, on MemoryDisk and FsDisk, and, in the same run, kafkajs encoding and
 * decoding the same batches. Our decode verifies every CRC; kafkajs's does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkBatch, decodeRecords, encodeBatch, type RecordInput } from '../src/log/recordBatch.js';
import { Log, DEFAULT_LOG_CONFIG } from '../src/log/log.js';
import { MemoryDisk } from '../src/log/memoryDisk.js';
import { FsDisk } from '../src/log/fsDisk.js';
import type { Disk } from '../src/log/disk.js';
import { crc32cImplementation } from '../src/log/crc32c.js';
import { kjsDecodeBatch, kjsLong, kjsRecord, kjsRecordBatch } from '../test/helpers/kafkajs.js';
import { fmtRate, parseBenchArgs, printTable, round, xorshift } from './harness.js';

const BATCH_BYTES = 16 * 1024;

function makeBatches(recordBytes: number, totalBytes: number): RecordInput[][] {
  const next = xorshift(42);
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (recordBytes + 20)));
  const batches: RecordInput[][] = [];
  let ts = 1_700_000_000_000;
  for (let made = 0; made < totalBytes; made += perBatch * recordBytes) {
    const batch: RecordInput[] = [];
    for (let i = 0; i < perBatch; i++) {
      const value = Buffer.allocUnsafe(recordBytes);
      for (let b = 0; b < recordBytes; b += 4) value.writeUInt32LE(next(), Math.min(b, recordBytes - 4));
      batch.push({ key: Buffer.from(`key-${i % 100}`), value, timestamp: ts++ });
    }
    batches.push(batch);
  }
  return batches;
}

function seconds(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

async function secondsAsync(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

interface Figures {
  readonly recordBytes: number;
  readonly records: number;
  readonly bytes: number;
  readonly encode: number;
  readonly appendMemory: number;
  readonly appendFs: number;
  readonly readMemory: number;
  readonly decode: number;
  readonly kjsEncode: number;
  readonly kjsDecode: number;
}

function appendAll(disk: Disk, batches: RecordInput[][]): { log: Log; secs: number } {
  const { log } = Log.open(disk, 'bench-0', DEFAULT_LOG_CONFIG);
  const secs = seconds(() => {
    for (const b of batches) log.appendAsLeader(encodeBatch(b), 1);
  });
  return { log, secs };
}

function readAll(log: Log): number {
  return seconds(() => {
    let next = 0;
    let n = 0;
    while (next < log.logEndOffset) {
      const { records } = log.read(next, 1 << 20);
      let pos = 0;
      while (pos < records.length) {
        const c = checkBatch(records, pos, records.length);
        if (!c.ok) throw new Error(c.reason);
        n += decodeRecords(records, pos, c.header).length;
        pos += c.size;
      }
      next += n - (next - 0);
      next = n;
    }
  });
}

async function measure(recordBytes: number, totalBytes: number, kjsBytes: number): Promise<Figures> {
  const batches = makeBatches(recordBytes, totalBytes);
  const records = batches.reduce((s, b) => s + b.length, 0);
  const bytes = records * recordBytes;
  // Warm-up.
  for (const b of batches.slice(0, 50)) encodeBatch(b);

  let encoded: Buffer[] = [];
  const encode = seconds(() => {
    encoded = batches.map((b) => encodeBatch(b));
  });
  const decode = seconds(() => {
    for (const buf of encoded) {
      const c = checkBatch(buf, 0, buf.length);
      if (!c.ok) throw new Error(c.reason);
      decodeRecords(buf, 0, c.header);
    }
  });
  const kjsSample = encoded.slice(0, Math.max(1, Math.floor((batches.length * kjsBytes) / totalBytes)));
  encoded = []; // let the collector have them before the append phase is timed
  let mem: { log: Log; secs: number } | undefined = appendAll(new MemoryDisk(), batches);
  const appendMemorySecs = mem.secs;
  const readMemory = readAll(mem.log);
  mem = undefined;
  const root = mkdtempSync(join(tmpdir(), 'kafkasim-bench-'));
  const fs = appendAll(new FsDisk(root), batches);
  rmSync(root, { recursive: true, force: true });

  // kafkajs on a slice of the same batches (it is much slower), scaled per byte.
  const kjsBatches = batches.slice(0, Math.max(1, Math.floor((batches.length * kjsBytes) / totalBytes)));
  const kjsRecords = kjsBatches.reduce((s, b) => s + b.length, 0);
  const encodeKjs = async (b: RecordInput[]): Promise<Buffer> => {
    const base = b[0].timestamp;
    const enc = await kjsRecordBatch({
      firstOffset: kjsLong.fromValue(0),
      firstTimestamp: base,
      maxTimestamp: b[b.length - 1].timestamp,
      lastOffsetDelta: b.length - 1,
      records: b.map((r, i) => kjsRecord({ offsetDelta: i, timestampDelta: r.timestamp - base, key: r.key as Buffer, value: r.value as Buffer })),
    });
    return enc.buffer;
  };
  for (const b of kjsBatches.slice(0, 20)) await encodeKjs(b);
  let kjsEncoded: Buffer[] = [];
  const kjsEncodeSecs = await secondsAsync(async () => {
    kjsEncoded = [];
    for (const b of kjsBatches) kjsEncoded.push(await encodeKjs(b));
  });
  for (const buf of kjsSample.slice(0, 20)) await kjsDecodeBatch(buf);
  const kjsDecodeSecs = await secondsAsync(async () => {
    for (const buf of kjsSample) await kjsDecodeBatch(buf);
  });
  void kjsEncoded;
  return {
    recordBytes,
    records,
    bytes,
    encode: records / encode,
    appendMemory: records / appendMemorySecs,
    appendFs: records / fs.secs,
    readMemory: records / readMemory,
    decode: records / decode,
    kjsEncode: kjsRecords / kjsEncodeSecs,
    kjsDecode: kjsRecords / kjsDecodeSecs,
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const mb = (recordsPerSec: number, size: number): string => `${((recordsPerSec * size) / 1e6).toFixed(0)} MB/s`;
  const results: Figures[] = [];
  for (const [size, total, kjs] of [
    [100, 32 << 20, 4 << 20],
    [1024, 64 << 20, 16 << 20],
  ] as const) {
    results.push(await measure(size, total, kjs));
  }
  console.log(`log: 16 KiB batches, CRC32C ${crc32cImplementation}; rates are records/s (and payload MB/s)`);
  const rows: (string | number)[][] = [['record', 'encode', 'encode+append MemoryDisk', 'encode+append FsDisk', 'read+decode MemoryDisk', 'decode (CRC)', 'kafkajs encode', 'kafkajs decode (no CRC)', 'encode vs kjs', 'decode vs kjs']];
  for (const f of results) {
    rows.push([
      `${f.recordBytes} B`,
      `${fmtRate(f.encode)} ${mb(f.encode, f.recordBytes)}`,
      `${fmtRate(f.appendMemory)} ${mb(f.appendMemory, f.recordBytes)}`,
      `${fmtRate(f.appendFs)} ${mb(f.appendFs, f.recordBytes)}`,
      `${fmtRate(f.readMemory)} ${mb(f.readMemory, f.recordBytes)}`,
      `${fmtRate(f.decode)} ${mb(f.decode, f.recordBytes)}`,
      `${fmtRate(f.kjsEncode)}`,
      `${fmtRate(f.kjsDecode)}`,
      round(f.encode / f.kjsEncode, 1),
      round(f.decode / f.kjsDecode, 1),
    ]);
  }
  printTable(rows);
  if (args.json) {
    const kib = results[1];
    console.log(
      JSON.stringify({
        bench: 'log',
        encodeVsKafkajs: round(Math.min(...results.map((f) => f.encode / f.kjsEncode)), 2),
        decodeVsKafkajs: round(Math.min(...results.map((f) => f.decode / f.kjsDecode)), 2),
        appendMBps1KiB: round((kib.appendMemory * kib.recordBytes) / 1e6, 1),
      }),
    );
  }
}
