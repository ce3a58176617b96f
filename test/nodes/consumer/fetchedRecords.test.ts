import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFetched } from '../../../src/nodes/consumer/fetchedRecords.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../../src/log/log.js';
import { MemoryDisk } from '../../../src/log/memoryDisk.js';
import { encodeBatch, encodeControlBatch } from '../../../src/log/recordBatch.js';

/** One step of a made-up log: a plain batch, a transactional batch of a producer, or its marker. */
type Step = { kind: 'plain' } | { kind: 'txn'; producer: number } | { kind: 'end'; producer: number; commit: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'plain' }),
  fc.integer({ min: 1, max: 3 }).map((producer): Step => ({ kind: 'txn', producer })),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([producer, commit]): Step => ({ kind: 'end', producer, commit })),
);

/** Writes the steps to a real log and returns it with the ids of committed (or plain) records. */
function build(steps: readonly Step[]): { log: Log; visible: string[]; all: string[] } {
  const { log } = Log.open(new MemoryDisk(), 't-0', DEFAULT_LOG_CONFIG);
  log.updateHighWatermark(0);
  const open = new Map<number, string[]>();
  const visible: string[] = [];
  const all: string[] = [];
  let n = 0;
  const seq = new Map<number, number>();
  for (const s of steps) {
    if (s.kind === 'plain') {
      const id = `m${n++}`;
      log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from('x'), headers: [{ key: 'id', value: id }], timestamp: 0 }]), 0);
      visible.push(id);
      all.push(id);
    } else if (s.kind === 'txn') {
      const id = `m${n++}`;
      const base = seq.get(s.producer) ?? 0;
      seq.set(s.producer, base + 1);
      log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from('x'), headers: [{ key: 'id', value: id }], timestamp: 0 }], { producerId: s.producer, producerEpoch: 0, baseSequence: base, isTransactional: true }), 0);
      open.set(s.producer, [...(open.get(s.producer) ?? []), id]);
      all.push(id);
    } else if (open.has(s.producer)) {
      log.appendAsLeader(encodeControlBatch({ type: s.commit ? 'COMMIT' : 'ABORT', coordinatorEpoch: 0 }, { producerId: s.producer, producerEpoch: 0, timestamp: 0 }), 0);
      if (s.commit) visible.push(...(open.get(s.producer) ?? []));
      open.delete(s.producer);
    }
  }
  log.updateHighWatermark(log.logEndOffset);
  return { log, visible, all };
}

describe('readFetched (what a consumer hands its application)', () => {
  it('read_committed keeps exactly the plain and committed records below the LSO; read_uncommitted keeps every data record; markers never', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const { log, visible, all } = build(steps);
        const lso = log.lastStableOffset;
        const uncommitted = readFetched(log.read(0, 1 << 24, log.highWatermark, true).records, 0, 'read_uncommitted');
        expect(uncommitted.records.map((r) => r.id)).toEqual(all);
        expect(uncommitted.nextOffset).toBe(log.logEndOffset);
        // read_committed: in log order, the plain and committed records below the LSO, nothing else.
        const shown = new Set(visible);
        const expected = uncommitted.records.filter((r) => r.offset < lso && shown.has(r.id as string)).map((r) => r.id);
        const committed = lso === 0 ? [] : readFetched(log.read(0, 1 << 24, lso, true).records, 0, 'read_committed', log.abortedTransactions(0, lso)).records;
        expect(committed.map((r) => r.id)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('drops records before the position, and moves the next offset past markers', () => {
    const { log } = build([{ kind: 'txn', producer: 1 }, { kind: 'txn', producer: 1 }, { kind: 'end', producer: 1, commit: true }]);
    const r = readFetched(log.read(0, 1 << 24, log.highWatermark, true).records, 1, 'read_committed', []);
    expect(r.records.map((x) => x.offset)).toEqual([1]);
    expect(r.nextOffset).toBe(3);
  });

  // Kafka: CompletedFetch's lastEpoch follows every batch read, control batches included, so a
  // position moved past markers alone carries their epoch (found by the soak: with the data
  // batch's epoch the next fetch's last fetched epoch pointed back, and the consumer seeked to
  // and fro for ever).
  it('reports the leader epoch of the last batch read, a marker included', () => {
    const { log } = Log.open(new MemoryDisk(), 't-0', DEFAULT_LOG_CONFIG);
    log.appendAsLeader(encodeBatch([{ key: null, value: Buffer.from('x'), timestamp: 0 }], { producerId: 1, producerEpoch: 0, baseSequence: 0, isTransactional: true }), 3);
    log.appendAsLeader(encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 0 }, { producerId: 1, producerEpoch: 0, timestamp: 0 }), 5);
    log.updateHighWatermark(log.logEndOffset);
    const r = readFetched(log.read(0, 1 << 24, log.highWatermark, true).records, 1, 'read_committed', []);
    expect(r.records).toEqual([]);
    expect(r.nextOffset).toBe(2);
    expect(r.lastEpoch).toBe(5);
    expect(readFetched(Buffer.alloc(0), 0, 'read_committed').lastEpoch).toBe(-1);
  });
});
