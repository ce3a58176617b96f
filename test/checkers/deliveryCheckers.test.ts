import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { History } from '../../src/sim/history.js';
import { runCheckers } from '../../src/sim/checker.js';
import type { Time } from '../../src/sim/time.js';
import { deliveryCheckers, divergenceChecker, duplicateChecker, hwRegressionChecker, lostWriteChecker, reorderChecker, splitBrainChecker } from '../../src/checkers/deliveryCheckers.js';
import type { ClusterFinalState, LoggedRecord } from '../../src/checkers/finalState.js';

type Outcome = 'ok' | 'fail' | 'info';

/** A producer p1 sending n messages to orders-0; each send ends as `outcomes[i]`. */
function run(outcomes: readonly Outcome[]) {
  let now = 0;
  const h = new History(() => now as Time);
  outcomes.forEach((outcome, seq) => {
    now += 10;
    const ref = h.invokeSend('p1', seq, 'orders-0');
    now += 5;
    h.completeSend(ref, outcome, 'orders-0', outcome === 'ok' ? seq : undefined, outcome === 'ok' ? undefined : 'REQUEST_TIMED_OUT');
  });
  return h;
}

function state(records: readonly LoggedRecord[], replicas?: ClusterFinalState['partitions'][number]['replicas']): ClusterFinalState {
  return { partitions: [{ partition: 'orders-0', committed: records, replicas: replicas ?? [] }] };
}

/** A history with no operations, for checkers that read only the final state. */
const empty = new History(() => 0 as Time);

const rec = (offset: number, seq: number, epoch = 1): LoggedRecord => ({ offset, id: `p1#${seq}`, epoch });

describe('lost-write', () => {
  it('finds exactly the acknowledged messages missing from the committed log, never indeterminate ones', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<Outcome>('ok', 'fail', 'info'), { minLength: 1, maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (outcomes, keep) => {
        const history = run(outcomes);
        // The log keeps some of the messages; failed ones were never written.
        const log = outcomes.flatMap((o, seq) => (o !== 'fail' && keep[seq] ? [seq] : []));
        const violations = lostWriteChecker.check(history, state(log.map((seq, i) => rec(i, seq))));
        const expectedLost = outcomes.flatMap((o, seq) => (o === 'ok' && !keep[seq] ? [`p1#${seq}`] : []));
        expect(violations.flatMap((v) => v.details.ids as string[])).toEqual(expectedLost);
      }),
    );
  });

  it('does not count a message acknowledged below the log start offset: retention took it', () => {
    const history = run(['ok', 'ok', 'ok', 'ok']);
    const retained = (start: number): ClusterFinalState => ({ partitions: [{ partition: 'orders-0', committed: [rec(3, 3)], replicas: [], logStartOffset: start }] });
    // Offsets 0-2 are gone: below a log start offset of 3 they are retention's, above it a loss.
    expect(lostWriteChecker.check(history, retained(3))).toEqual([]);
    expect(lostWriteChecker.check(history, retained(1))[0]?.details.ids).toEqual(['p1#1', 'p1#2']);
  });
});

describe('duplicate', () => {
  it('finds an id at two offsets', () => {
    expect(duplicateChecker.check(empty, state([rec(0, 0), rec(1, 1), rec(2, 0)]))[0]).toMatchObject({
      kind: 'duplicate',
      details: { duplicates: [{ id: 'p1#0', offsets: [0, 2] }] },
    });
    expect(duplicateChecker.check(empty, state([rec(0, 0), rec(1, 1)]))).toEqual([]);
  });

  it('finds an id consumers read at two offsets, though retention has since deleted one copy', () => {
    const h = new History(() => 0 as Time);
    const processed = (id: string, offset: number): void => {
      const value = { generation: 1, id, member: 'c1-1', offset, partition: 'orders-0' };
      h.complete(h.invoke('c1-1', 'process', value), 'ok', value);
    };
    processed('p1#0', 0);
    processed('p1#1', 1);
    processed('p1#1', 1); // the same record processed twice is a reprocessing, not a duplicate
    // The log now starts at 2: the first copy of p1#0 is gone, its second copy is at 2.
    const final = state([rec(2, 0), rec(3, 2)]);
    expect(duplicateChecker.check(h, final).map((v) => v.details.duplicates)).toEqual([[{ id: 'p1#0', offsets: [0, 2] }]]);
    // Copies in the log and a read of a third offset are one duplicate with every offset.
    processed('p1#2', 1);
    expect(duplicateChecker.check(h, state([rec(2, 0), rec(3, 2), rec(4, 2)])).map((v) => v.details.duplicates)).toEqual([
      [
        { id: 'p1#2', offsets: [1, 3, 4] },
        { id: 'p1#0', offsets: [0, 2] },
      ],
    ]);
  });
});

describe('reorder', () => {
  it('finds acknowledged messages whose log order contradicts their sequence order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }))), ([n, order]) => {
        const history = run(Array(n).fill('ok'));
        const log = order.map((seq, offset) => rec(offset, seq));
        const violations = reorderChecker.check(history, state(log));
        const sorted = order.every((seq, i) => i === 0 || seq > order[i - 1]);
        expect(violations.length === 0).toBe(sorted);
      }),
    );
  });
});

describe('divergence', () => {
  it('finds replicas that disagree below both high watermarks, and ignores the tail above', () => {
    const leader = { broker: 'broker-1', highWatermark: 3, logEndOffset: 4, logStartOffset: 0, records: [rec(0, 0), rec(1, 1), rec(2, 2), rec(3, 3)] };
    const same = { broker: 'broker-2', highWatermark: 3, logEndOffset: 3, logStartOffset: 0, records: [rec(0, 0), rec(1, 1), rec(2, 2)] };
    const diverged = { broker: 'broker-3', highWatermark: 3, logEndOffset: 3, logStartOffset: 0, records: [rec(0, 0), rec(1, 9, 2), rec(2, 2)] };
    expect(divergenceChecker.check(empty, state([], [leader, same]))).toEqual([]);
    const v = divergenceChecker.check(empty, state([], [leader, same, diverged]));
    expect(v.map((x) => x.details)).toEqual([
      { partition: 'orders-0', brokers: ['broker-1', 'broker-3'], offset: 1 },
      { partition: 'orders-0', brokers: ['broker-2', 'broker-3'], offset: 1 },
    ]);
  });
});

describe('divergence under retention', () => {
  // Issue 21: each replica's retention deletes whole segments on its own schedule, so one
  // replica may start later than another; what it deleted is not a disagreement.
  /** A replica of `records` (offset i holds p1#i, in batches of `batchSize`) from `logStart` on. */
  const replica = (broker: string, n: number, logStart: number, batchSize: number, changedAt?: number) => {
    const records: LoggedRecord[] = [];
    for (let o = logStart; o < n; o++) records.push(rec(o, o === changedAt ? 10_000 + o : o));
    const batches = [];
    for (let base = 0; base < n; base += batchSize) {
      const last = Math.min(base + batchSize, n) - 1;
      if (last < logStart) continue;
      const changed = changedAt !== undefined && changedAt >= base && changedAt <= last;
      batches.push({ baseOffset: base, lastOffset: last, epoch: 1, crc: changed ? base + 1_000_000 : base });
    }
    return { broker, highWatermark: n, logEndOffset: n, logStartOffset: logStart, records, batches };
  };

  it('compares only the offsets both replicas still hold (it reported the deleted ones as "nothing")', () => {
    const a = replica('broker-1', 200, 100, 10);
    const b = replica('broker-3', 200, 150, 10);
    expect(divergenceChecker.check(empty, state([], [a, b]))).toEqual([]);
    const { batches: _ignored, ...withoutBatches } = b;
    expect(divergenceChecker.check(empty, state([], [a, withoutBatches]))).toEqual([]);
  });

  it('holds as a property: same records from different log starts agree, and a changed record both hold is found', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 20 }), fc.nat(), fc.nat(), fc.option(fc.nat()), fc.boolean(), (batchSize, batchCount, s1, s2, change, withBatches) => {
        const n = batchSize * batchCount;
        // Retention deletes whole segments, so a log starts at a batch boundary.
        const start = (x: number): number => (x % batchCount) * batchSize;
        const [startA, startB] = [start(s1), start(s2)];
        const changedAt = change === null ? undefined : change % n;
        const strip = <T extends { batches?: unknown }>(r: T): T => (withBatches ? r : { ...r, batches: undefined });
        const a = strip(replica('broker-1', n, startA, batchSize));
        const b = strip(replica('broker-2', n, startB, batchSize, changedAt));
        const found = divergenceChecker.check(empty, state([], [a, b])).map((v) => v.details?.offset);
        const bothHold = changedAt !== undefined && changedAt >= Math.max(startA, startB);
        expect(found).toEqual(bothHold ? [changedAt] : []);
      }),
    );
  });
});

describe('split-brain', () => {
  it('finds two brokers appending as leader in one epoch, and nothing for one broker per epoch', () => {
    const ok = { partitions: [], leaderClaims: [{ partition: 'orders-0', leaderEpoch: 1, brokers: [1] }, { partition: 'orders-0', leaderEpoch: 2, brokers: [2] }] };
    expect(splitBrainChecker.check(empty, ok)).toEqual([]);
    const bad = { partitions: [], leaderClaims: [{ partition: 'orders-0', leaderEpoch: 3, brokers: [1, 2], at: 5 }] };
    expect(splitBrainChecker.check(empty, bad)).toEqual([
      { kind: 'split-brain', message: 'brokers 1 and 2 both accepted writes as leader of orders-0 in leader epoch 3', at: 5, details: { partition: 'orders-0', leaderEpoch: 3, brokers: [1, 2] } },
    ]);
  });
});

describe('hw-regression', () => {
  const batch = (baseOffset: number, lastOffset: number, epoch = 1, crc = baseOffset) => ({ baseOffset, lastOffset, epoch, crc });
  it('finds records exposed below a high watermark whose batch later vanished or was replaced, and ignores retention', () => {
    // Batches [0-1] and [2-3]; the high watermark exposed 0-1 at t=10 and 2-3 at t=12.
    const exposed = new Map([['orders-0', [{ ...batch(0, 1), exposedUpTo: 2, at: 10 }, { ...batch(2, 3), exposedUpTo: 4, at: 12 }]]]);
    const partition = (committedBatches: ReturnType<typeof batch>[], highWatermark: number, logStartOffset?: number) => ({
      partitions: [{ partition: 'orders-0', committed: [], committedBatches, highWatermark, replicas: [], logStartOffset }],
      exposed,
    });
    expect(hwRegressionChecker.check(empty, partition([batch(0, 1), batch(2, 3), batch(4, 4)], 5))).toEqual([]);
    // The second batch was replaced by one of another epoch: 2 and 3 changed.
    const replaced = hwRegressionChecker.check(empty, partition([batch(0, 1), batch(2, 3, 2, 99)], 4));
    expect(replaced.map((v) => [v.details, v.at])).toEqual([[{ partition: 'orders-0', offsets: [2, 3], count: 2 }, 12]]);
    // Truncated below what was exposed: the high watermark is back at 2.
    expect(hwRegressionChecker.check(empty, partition([batch(0, 1)], 2)).map((v) => v.details.offsets)).toEqual([[2, 3]]);
    // Retention removed the first batch: not a regression.
    expect(hwRegressionChecker.check(empty, partition([batch(2, 3)], 4, 2))).toEqual([]);
  });
});

describe('the delivery checkers together', () => {
  it('find nothing in a clean run', () => {
    const history = run(['ok', 'ok', 'info', 'fail', 'ok']);
    const log = [rec(0, 0), rec(1, 1), rec(2, 2), rec(3, 4)];
    const replica = { broker: 'broker-1', highWatermark: 4, logEndOffset: 4, logStartOffset: 0, records: log };
    expect(runCheckers(deliveryCheckers, history, state(log, [replica, { ...replica, broker: 'broker-2' }])).violations).toEqual([]);
  });
});
