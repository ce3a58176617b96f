import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, repoRoot } from '../helpers/cli.js';
import { FsDisk } from '../../src/log/fsDisk.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { encodeBatch, encodeControlBatch } from '../../src/log/recordBatch.js';
import { partitionForKey } from '../../src/log/partitioner.js';
import { kjsCompression, kjsLong, kjsRecord, kjsRecordBatch } from '../helpers/kafkajs.js';

function writeLog(): string {
  const root = mkdtempSync(join(tmpdir(), 'kafkasim-dump-'));
  const { log } = Log.open(new FsDisk(root), 'orders-0', DEFAULT_LOG_CONFIG);
  log.appendAsLeader(encodeBatch([{ key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: 1000 }]), 3);
  log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from([0xff, 0xfe, 0x00]), timestamp: 1001 }], { producerId: 9, producerEpoch: 1, baseSequence: 0, isTransactional: true }), 3);
  log.appendAsLeader(encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 0 }, { producerId: 9, producerEpoch: 1, timestamp: 1002 }), 3);
  log.flush();
  return join(root, 'orders-0');
}

describe('kafkasim log dump', () => {
  it('prints batches and records of a log we wrote, like kafka-dump-log.sh', () => {
    const dir = writeLog();
    const r = cli('log', 'dump', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('baseOffset: 0 lastOffset: 0 count: 1');
    expect(r.stdout).toContain('partitionLeaderEpoch: 3');
    expect(r.stdout).toContain('| offset: 0 CreateTime: 1000 key: k1 payload: hello headers: [h=x]');
    expect(r.stdout).toContain('payload: base64://4A');
    expect(r.stdout).toContain('endTxnMarker: COMMIT');
    expect(r.stdout).toContain('isvalid: true');
  });

  it('prints one JSON object per batch with --json', () => {
    const r = cli('log', 'dump', join(writeLog(), '00000000000000000000.log'), '--json');
    const batches = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(batches).toHaveLength(3);
    expect(batches[0]).toMatchObject({ baseOffset: 0, lastOffset: 0, count: 1, position: 0, crcValid: true, producerId: -1, isTransactional: false, isControl: false });
    expect(batches[0].records[0]).toMatchObject({ offset: 0, timestamp: 1000, key: { text: 'k1', encoding: 'utf8' }, value: { text: 'hello', encoding: 'utf8' } });
    expect(batches[1]).toMatchObject({ producerId: 9, producerEpoch: 1, baseSequence: 0, isTransactional: true });
    expect(batches[1].records[0].value).toEqual({ text: Buffer.from([0xff, 0xfe, 0]).toString('base64'), encoding: 'base64' });
    expect(batches[2]).toMatchObject({ isControl: true, records: [{ marker: 'COMMIT' }] });
  });

  it('reads a file of kafkajs-encoded batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkasim-kjs-'));
    const file = join(dir, '00000000000000000000.log');
    writeFileSync(file, Buffer.alloc(0));
    for (let b = 0; b < 3; b++) {
      const enc = await kjsRecordBatch({
        compression: b === 2 ? kjsCompression.Types.GZIP : kjsCompression.Types.None,
        firstOffset: kjsLong.fromValue(b * 2),
        firstTimestamp: 5000,
        maxTimestamp: 5001,
        lastOffsetDelta: 1,
        records: [0, 1].map((i) => kjsRecord({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`key${b}${i}`), value: Buffer.from(`value${b}${i}`) })),
      });
      appendFileSync(file, enc.buffer);
    }
    const r = cli('log', 'dump', file, '--json');
    expect(r.code).toBe(0);
    const batches = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(batches.map((b) => b.baseOffset)).toEqual([0, 2, 4]);
    expect(batches[2].compression).toBe('gzip');
    expect(batches.flatMap((b) => b.records.map((x: { value: { text: string } }) => x.value.text))).toEqual(['value00', 'value01', 'value10', 'value11', 'value20', 'value21']);
  });

  it('reports a corrupt tail instead of throwing', () => {
    const dir = writeLog();
    const file = join(dir, '00000000000000000000.log');
    appendFileSync(file, Buffer.from('garbage that is not a batch, at all, but long enough to look like a header ...'));
    const r = cli('log', 'dump', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Corrupt tail at position \d+: \d+ bytes/);
    expect(r.stderr).toBe('');
  });

  it('exits 2 naming a path that does not exist', () => {
    const r = cli('log', 'dump', '/no/such/dir');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/no/such/dir: no such file or directory');
  });
});

describe('kafkasim partition', () => {
  it("prints each key's partition under the default partitioner", () => {
    const r = cli('partition', 'alice', 'bob', '--partitions', '6', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { key: 'alice', partition: partitionForKey(Buffer.from('alice'), 6), partitions: 6 },
      { key: 'bob', partition: partitionForKey(Buffer.from('bob'), 6), partitions: 6 },
    ]);
    expect(cli('partition', 'x', '--partitions', '0').code).toBe(2);
  });
});

describe('kafkasim run --keep-logs', () => {
  it("writes every broker's segments, indexes and checkpoints as the run left them, and log dump reads a replica's partition", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kafkasim-keep-')), 'logs');
    const tiny = join(repoRoot, 'test/fixtures/tiny-scenario.yaml');
    const r = cli('run', tiny, '--keep-logs', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/logs kept: \d+ files of 3 brokers under /);
    for (const broker of ['broker-1', 'broker-2', 'broker-3']) {
      const files = readdirSync(join(dir, broker, 'data', 'orders-0'));
      expect(files).toEqual(expect.arrayContaining(['00000000000000000000.log', '00000000000000000000.index', '00000000000000000000.timeindex', 'leader-epoch-checkpoint']));
      expect(readdirSync(join(dir, broker, 'data'))).toEqual(expect.arrayContaining(['recovery-point-offset-checkpoint', 'replication-offset-checkpoint']));
    }
    const dump = cli('log', 'dump', join(dir, 'broker-1', 'data', 'orders-0'), '--json');
    expect(dump.code).toBe(0);
    const batches = dump.stdout.trim().split('\n').map((l) => JSON.parse(l) as { crcValid: boolean; records: unknown[] });
    // 20/s from 1 s to 7 s: every acknowledged send is in the replicas' logs, each batch intact.
    expect(batches.reduce((n, b) => n + b.records.length, 0)).toBeGreaterThanOrEqual(100);
    expect(batches.every((b) => b.crcValid)).toBe(true);
    // A directory already in use is refused, not mixed with another run's files.
    const again = cli('run', tiny, '--keep-logs', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--keep-logs');
  });
});
