import { describe, expect, it } from 'vitest';
import { LogDir } from '../../src/log/logDir.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { encodeBatch } from '../../src/log/recordBatch.js';
import { CheckpointFormatError } from '../../src/log/checkpointFile.js';

describe('LogDir', () => {
  it("writes Kafka's root checkpoint files and reopens every partition from them", () => {
    const disk = new MemoryDisk();
    const { dir } = LogDir.open(disk, 'data');
    for (const [topic, partition, n] of [['orders', 0, 5], ['orders', 1, 3], ['payments', 0, 2]] as const) {
      const log = dir.getOrCreate({ topic, partition }, DEFAULT_LOG_CONFIG);
      for (let i = 0; i < n; i++) log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from(`${topic}${i}`), timestamp: i }]), 1);
      log.flush();
      log.updateHighWatermark(n - 1);
    }
    dir.checkpoint();
    expect(disk.readAll('data/recovery-point-offset-checkpoint').toString()).toBe('0\n3\norders 0 5\norders 1 3\npayments 0 2\n');
    expect(disk.readAll('data/replication-offset-checkpoint').toString()).toBe('0\n3\norders 0 4\norders 1 2\npayments 0 1\n');
    expect(disk.readAll('data/log-start-offset-checkpoint').toString()).toBe('0\n3\norders 0 0\norders 1 0\npayments 0 0\n');
    disk.onPowerLoss();
    const { dir: again, recovery } = LogDir.open(disk, 'data');
    expect(again.all().map(({ tp, log }) => [tp.topic, tp.partition, log.logEndOffset, log.highWatermark])).toEqual([
      ['orders', 0, 5, 4],
      ['orders', 1, 3, 2],
      ['payments', 0, 2, 1],
    ]);
    // Below its recovery point, nothing needed scanning but the active segment.
    expect(recovery.get('orders-0')?.segmentsRecovered).toBe(1);
  });

  it('a clean shutdown flushes every log, snapshots producer state at its end and leaves a marker the next open consumes', () => {
    const disk = new MemoryDisk();
    const { dir, hadCleanShutdown: first } = LogDir.open(disk, 'data');
    expect(first).toBe(false);
    const log = dir.getOrCreate({ topic: 'orders', partition: 0 }, DEFAULT_LOG_CONFIG);
    for (let i = 0; i < 4; i++) log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from(`v${i}`), timestamp: i }], { producerId: 7, producerEpoch: 0, baseSequence: i }), 1);
    dir.shutdown(42);
    expect(JSON.parse(disk.readAll('data/.kafka_cleanshutdown').toString())).toEqual({ version: 0, brokerEpoch: 42 });
    expect(disk.list('data/orders-0')).toContain('00000000000000000004.snapshot');
    // Flushed: a power loss now takes nothing.
    disk.onPowerLoss();
    const { dir: again, hadCleanShutdown } = LogDir.open(disk, 'data');
    expect(hadCleanShutdown).toBe(true);
    expect(again.get({ topic: 'orders', partition: 0 })?.logEndOffset).toBe(4);
    expect(disk.exists('data/.kafka_cleanshutdown')).toBe(false);
    expect(LogDir.open(disk, 'data').hadCleanShutdown).toBe(false);
  });

  it('names the file and line of a malformed checkpoint', () => {
    const disk = new MemoryDisk();
    disk.append('data/recovery-point-offset-checkpoint', Buffer.from('0\n1\norders zero 5\n'));
    expect(() => LogDir.open(disk, 'data')).toThrow(CheckpointFormatError);
    expect(() => LogDir.open(disk, 'data')).toThrow('data/recovery-point-offset-checkpoint, line 3: "zero" is not an offset');
  });
});
