import { describe, expect, it } from 'vitest';
import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { checkBatch, decodeRecords, encodeBatch, readBatchHeader, timestampTypeOf } from '../../src/log/recordBatch.js';

describe('message.timestamp.type', () => {
  const batch = (): Buffer => encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1_000 }, { key: null, value: Buffer.from('w'), timestamp: 1_005 }]);

  it('LogAppendTime: the leader stamps its clock on the batch, with a valid CRC, and leaves the producer\'s bytes alone', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', { ...DEFAULT_LOG_CONFIG, timestampType: 'LogAppendTime' }, { nowMs: () => 42_000 });
    const sent = batch();
    const before = Buffer.from(sent);
    const info = log.appendAsLeader(sent, 3);
    expect(sent.equals(before)).toBe(true);
    expect(info.maxTimestamp).toBe(42_000);
    const stored = log.read(0, 1 << 20).records;
    expect(checkBatch(stored, 0, stored.length).ok).toBe(true);
    const h = readBatchHeader(stored, 0);
    expect(timestampTypeOf(h)).toBe('LogAppendTime');
    expect(h.maxTimestamp).toBe(42_000);
    // Readers take every record's timestamp from the batch (DefaultRecordBatch with LOG_APPEND_TIME).
    expect(decodeRecords(stored, 0).map((r) => r.timestamp)).toEqual([42_000, 42_000]);
  });

  it('CreateTime (the default) keeps the producer\'s timestamps', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', DEFAULT_LOG_CONFIG, { nowMs: () => 42_000 });
    expect(log.appendAsLeader(batch(), 3).maxTimestamp).toBe(1_005);
  });
});
