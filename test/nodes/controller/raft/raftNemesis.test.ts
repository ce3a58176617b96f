/**
 * A property over random fault schedules, in the spirit of RaftEventSimulationTest: kills,
 * power losses, graceful shutdowns, restarts and isolations of random members strike a
 * quorum under a steady stream of appends, with either release's switches. No invariant may
 * break at any event, and once every member is back and every partition healed, the quorum
 * elects a leader and commits new records everywhere.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RaftCluster } from './raftCluster.js';

const DEEP = process.env.KAFKASIM_DEEP !== undefined;

type Fault = { readonly action: 'kill' | 'power' | 'shutdown' | 'restart' | 'isolate' | 'heal'; readonly member: number; readonly afterMs: number };

const faultArb: fc.Arbitrary<Fault> = fc.record({
  action: fc.constantFrom('kill', 'power', 'shutdown', 'restart', 'isolate', 'heal'),
  member: fc.integer({ min: 0, max: 6 }),
  afterMs: fc.integer({ min: 50, max: 3_000 }),
});

function apply(c: RaftCluster, f: Fault, cuts: Set<string>): void {
  const id = c.ids[f.member % c.ids.length];
  switch (f.action) {
    case 'kill':
      c.kill(id);
      break;
    case 'power':
      c.kill(id, 'power');
      break;
    case 'shutdown':
      c.shutdown(id);
      break;
    case 'restart':
      c.start(id);
      break;
    case 'isolate':
      if (!cuts.has(`isolate-${id}`)) cuts.add(c.isolate(id));
      break;
    case 'heal':
      for (const cut of cuts) c.heal(cut);
      cuts.clear();
      break;
  }
}

/** One fault schedule: no invariant breaks, and the quorum makes progress once it ends. */
function runSchedule(c: RaftCluster, faults: readonly Fault[]): void {
  c.startAll();
  c.appendEvery(10);
  const cuts = new Set<string>();
  for (const f of faults) {
    c.runFor(f.afterMs);
    apply(c, f, cuts);
  }
  for (const cut of cuts) c.heal(cut);
  c.runFor(100);
  // A member still shutting down starts again as soon as it exits.
  for (const id of c.ids) c.start(id);
  const hw = c.maxHighWatermarkReached();
  c.runUntil(() => c.allReachedHighWatermark(hw + 10), 60_000, 'progress everywhere after the faults');
  expect(c.finish()).toEqual([]);
}

const schedule = fc.array(faultArb, { minLength: 1, maxLength: 12 });

/**
 * The leader changes a listener heard that ListenerContext.shouldFireLeaderChange would not
 * fire: each must be of a newer epoch, or a leader in the same epoch where the last had none.
 */
function outOfOrderLeaderChanges(changes: readonly { readonly leaderId: number | undefined; readonly epoch: number }[]): string[] {
  const out: string[] = [];
  let last: { readonly leaderId: number | undefined; readonly epoch: number } = { leaderId: undefined, epoch: 0 };
  for (const c of changes) {
    if (!(c.epoch > last.epoch || (c.epoch === last.epoch && c.leaderId !== undefined && last.leaderId === undefined))) out.push(`${String(last.leaderId)}@${last.epoch} -> ${String(c.leaderId)}@${c.epoch}`);
    last = c;
  }
  return out;
}

describe('a quorum under random faults', () => {
  it('keeps every invariant, and makes progress once the faults end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 3, max: 5 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.boolean(), schedule, (seed, voters, observers, preVote, checkQuorum, faults) => {
        runSchedule(new RaftCluster({ seed, voters, observers, features: { preVote, checkQuorum, quietResigned: true } }), faults);
      }),
      { numRuns: DEEP ? 100 : 4 },
    );
  });

  it('with KIP-630 snapshots every few records and cleaning (a counter state machine, LeaderNeverLoadSnapshot), keeps every invariant too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 3, max: 5 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), schedule, (seed, voters, observers, preVote, faults) => {
        const settings = { 'metadata.log.max.record.bytes.between.snapshots': 300, 'metadata.log.max.snapshot.interval.ms': 500, 'metadata.max.retention.bytes': 1 };
        const c = new RaftCluster({ seed, voters, observers, features: { preVote, checkQuorum: true, quietResigned: true }, counter: true, snapshotChunkBytes: 64, settings });
        // Past the first cleaning, so members behind the log start fetch snapshots.
        runSchedule(c, [{ action: 'heal', member: 0, afterMs: 61_000 }, ...faults]);
        for (let id = 1; id <= voters + observers; id++) expect(outOfOrderLeaderChanges(c.counter(id)?.leaderChanges ?? [])).toEqual([]);
      }),
      { numRuns: DEEP ? 100 : 4 },
    );
  }, DEEP ? 1_800_000 : 60_000);
});
