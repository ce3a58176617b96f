import { describe, expect, it } from 'vitest';
import { explainViolation } from '../../src/scenarios/explain.js';
import type { Violation } from '../../src/sim/checker.js';
import type { TraceRecord } from '../../src/sim/trace.js';
import { time } from '../../src/sim/time.js';

const at = (ms: number) => time(ms * 1000);
const P = 'receipts-0';

/** A processor t1-1 (producer 7) whose epoch-0 transaction timed out, was aborted and fenced, with noise around it. */
const story: TraceRecord[] = [
  { kind: 'txn.producer', at: at(1), node: 'consumer-t1-1', transactionalId: 't1-1', producerId: 7, producerEpoch: 0 },
  { kind: 'txn.producer', at: at(1), node: 'consumer-t2-1', transactionalId: 't2-1', producerId: 8, producerEpoch: 0 },
  { kind: 'replica.append', at: at(5), broker: 3, partition: P, role: 'leader', leaderEpoch: 2, baseOffset: 10, lastOffset: 12 },
  { kind: 'replica.append', at: at(5), broker: 3, partition: 'orders-0', role: 'leader', leaderEpoch: 2, baseOffset: 10, lastOffset: 12 },
  { kind: 'rpc.timeout', at: at(6), from: 'consumer-t1-1', to: 'broker-3', id: 1, type: 'Produce' },
  { kind: 'node.pause', at: at(7), node: 'consumer-t1-1', until: 12_000_000 },
  { kind: 'txn.state', at: at(8), broker: 1, transactionalId: 't1-1', producerId: 7, producerEpoch: 1, state: 'PrepareAbort', partitions: [P] },
  { kind: 'txn.abort', at: at(8), broker: 1, transactionalId: 't1-1', producerId: 7, fencedEpoch: 0, reason: 'timeout' },
  { kind: 'txn.marker', at: at(9), broker: 3, partition: P, commit: false, producerId: 7, producerEpoch: 1, offset: 13 },
  { kind: 'txn.marker', at: at(9), broker: 3, partition: P, commit: true, producerId: 8, producerEpoch: 0, offset: 14 },
  { kind: 'txn.fenced', at: at(12), node: 'consumer-t1-1', transactionalId: 't1-1', producerId: 7, producerEpoch: 0, error: 'PRODUCER_FENCED' },
  { kind: 'client.op', at: at(13), process: 'c1-1', type: 'ok', f: 'poll', index: 1, value: { records: [[P, 11, 't#1'], [P, 20, 't#9']] } },
];

const text = (v: Violation, records = story) => explainViolation(records, v).map((l) => l.text);

describe('explain, transaction anomalies', () => {
  it('narrates a hanging transaction: the write, the timeout, and that no marker and no coordinator record ever covered it', () => {
    const v: Violation = { kind: 'hanging-txn', message: 'stuck', details: { partition: P, producerId: 7, producerEpoch: 0, firstOffset: 20, lastStableOffset: 20, highWatermark: 25 } };
    const late: TraceRecord = { kind: 'replica.append', at: at(14), broker: 3, partition: P, role: 'leader', leaderEpoch: 2, baseOffset: 20, lastOffset: 21 };
    const lines = text(v, [...story, late]);
    expect(lines).toContain('consumer-t1-1 (transactional.id t1-1) holds producer 7 at epoch 0');
    expect(lines).toContain("consumer-t1-1's produce request to broker-3 timed out; the request itself may still be on its way");
    expect(lines).toContain('broker-3 wrote the ABORT marker of producer 7 (epoch 1, t1-1) to receipts-0 at offset 13');
    expect(lines).toContain('broker-3, leader of receipts-0 in epoch 2, appended offsets 20–21: the records in question');
    expect(lines.at(-2)).toMatch(/no marker followed, and the coordinator never listed receipts-0/);
    expect(lines.at(-1)).toBe('→ hanging-txn: stuck');
    // Another producer's marker and another partition's append are not part of the story.
    expect(lines.some((l) => l.includes('producer 8') || l.includes('orders-0'))).toBe(false);
  });

  it('does not call a transaction hanging once a marker followed its write', () => {
    const v: Violation = { kind: 'hanging-txn', message: 'stuck', details: { partition: P, producerId: 7, producerEpoch: 0, firstOffset: 10, lastStableOffset: 10, highWatermark: 25 } };
    expect(text(v).some((l) => l.startsWith('no marker followed'))).toBe(false);
  });

  it('narrates a zombie write: the fenced epoch, the coordinator abort, and the batch in question', () => {
    const v: Violation = { kind: 'zombie-write', message: 'zombie', details: { partition: P, writes: ['producer 7 epoch 0 at 10–12 (after epoch 1)'], batches: [{ producerId: 7, producerEpoch: 0, baseOffset: 10, lastOffset: 12, after: 1 }] } };
    const lines = text(v);
    expect(lines).toContain('the coordinator (broker-1) aborted t1-1\'s transaction and bumped producer 7 past epoch 0 (transaction.timeout.ms passed)');
    expect(lines).toContain("consumer-t1-1's producer 7 (epoch 0) was fenced: PRODUCER_FENCED");
    expect(lines).toContain('broker-3, leader of receipts-0 in epoch 2, appended offsets 10–12: the records in question');
    expect(lines).toContain('consumer-t1-1 paused (a GC pause)');
    expect(lines.at(-1)).toBe('→ zombie-write: zombie');
  });

  it('narrates an aborted read: the batch, the ABORT marker, and the poll that returned it', () => {
    const v: Violation = { kind: 'aborted-read', message: 'read', details: { member: 'c1-1', partition: P, records: ['t#1@11 (aborted)'], count: 1 } };
    const lines = text(v);
    expect(lines).toContain('broker-3, leader of receipts-0 in epoch 2, appended offsets 10–12: the records in question');
    expect(lines).toContain('broker-3 wrote the ABORT marker of producer 7 (epoch 1, t1-1) to receipts-0 at offset 13');
    expect(lines).toContain('c1-1 (read_committed) polled 1 of the records in question (offsets 11)');
    expect(lines.at(-1)).toBe('→ aborted-read: read');
  });
});
