import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Simulation } from '../../src/sim/simulation.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { encodeBatch, readBatchHeader, sizeOf } from '../../src/log/recordBatch.js';
import { OnlineSpecChecker } from '../../src/checkers/onlineSpec.js';
import '../../src/nodes/broker/broker.js'; // declares the replica.* trace kinds

const P = 't-0';

/** Batches of a log as (lastOffset, epoch) pairs. */
function batchesOf(log: Log): { last: number; epoch: number }[] {
  const out: { last: number; epoch: number }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, Number.MAX_SAFE_INTEGER);
    for (let pos = 0; pos < records.length; ) {
      const h = readBatchHeader(records, pos);
      out.push({ last: h.baseOffset + h.lastOffsetDelta, epoch: h.partitionLeaderEpoch });
      offset = h.baseOffset + h.lastOffsetDelta + 1;
      pos += sizeOf(h);
    }
  }
  return out;
}

/**
 * A three-replica partition replicated honestly: a leader appends, followers truncate to
 * where they agree with the leader and copy the rest, the high watermark is the least
 * matched end, and only a replica holding the high watermark may become leader.
 */
class Model {
  readonly sim = new Simulation({ seed: 1 });
  readonly logs = new Map<number, Log>();
  readonly checker: OnlineSpecChecker;
  leader = 1;
  /** The in-sync replicas: the high watermark waits for these alone. */
  readonly isr = new Set([1, 2, 3]);
  epoch = 0;
  hw = 0;
  private value = 0;

  constructor() {
    for (const b of [1, 2, 3]) this.logs.set(b, Log.open(new MemoryDisk(), `b${b}`, DEFAULT_LOG_CONFIG).log);
    this.checker = new OnlineSpecChecker((broker, name) => (name === P ? this.logs.get(broker) : undefined));
    this.checker.attach(this.sim.trace);
    this.elect(1);
  }

  log(b: number): Log {
    return this.logs.get(b)!;
  }

  write(n: number): void {
    const log = this.log(this.leader);
    const base = log.logEndOffset;
    const records = Array.from({ length: n }, () => ({ key: null, value: Buffer.from(`v${this.value++}`), timestamp: 0 }));
    log.appendAsLeader(encodeBatch(records), this.epoch);
    this.sim.trace.emit('replica.append', { broker: this.leader, partition: P, role: 'leader', leaderEpoch: this.epoch, baseOffset: base, lastOffset: log.logEndOffset - 1 });
  }

  /** How far `b`'s log agrees with the leader's, in offsets. */
  matched(b: number): number {
    const mine = batchesOf(this.log(b));
    const theirs = batchesOf(this.log(this.leader));
    let end = 0;
    for (let i = 0; i < mine.length && i < theirs.length; i++) {
      if (mine[i].last !== theirs[i].last || mine[i].epoch !== theirs[i].epoch) break;
      end = mine[i].last + 1;
    }
    return end;
  }

  fetch(b: number): void {
    if (b === this.leader) return;
    const log = this.log(b);
    const agree = this.matched(b);
    if (agree < log.logEndOffset) {
      log.truncateTo(agree);
      this.sim.trace.emit('replica.truncate', { broker: b, partition: P, to: agree, reason: 'diverging-epoch' });
    }
    const leaderLog = this.log(this.leader);
    if (leaderLog.logEndOffset === agree) return;
    log.appendAsFollower(leaderLog.read(agree, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).records);
    this.sim.trace.emit('replica.append', { broker: b, partition: P, role: 'follower', leaderEpoch: this.epoch, baseOffset: agree, lastOffset: log.logEndOffset - 1 });
  }

  advanceHw(): void {
    const hw = Math.min(...[...this.isr].map((b) => (b === this.leader ? this.log(b).logEndOffset : this.matched(b))));
    if (hw <= this.hw) return;
    this.hw = hw;
    this.sim.trace.emit('replica.hw', { broker: this.leader, partition: P, leaderEpoch: this.epoch, highWatermark: hw });
  }

  /** Kafka's ISR shrink: a lagging follower leaves; the high watermark stops waiting for it. */
  shrink(b: number): void {
    if (b !== this.leader) this.isr.delete(b);
  }

  /** ... and rejoins once it has caught up with the leader. */
  expand(b: number): void {
    if (this.matched(b) === this.log(this.leader).logEndOffset) this.isr.add(b);
  }

  /** A clean election picks from the ISR, whose members hold every committed record. */
  canLead(b: number): boolean {
    return this.isr.has(b);
  }

  elect(b: number): void {
    this.leader = b;
    this.epoch++;
    const log = this.log(b);
    if (this.epoch > log.epochs.latestEpoch) log.epochs.assign(this.epoch, log.logEndOffset);
    for (const r of [1, 2, 3]) this.sim.trace.emit('replica.role', { broker: r, partition: P, role: r === b ? 'leader' : 'follower', leaderEpoch: this.epoch });
    // A new leader's high watermark starts from what it knows; it can only be lower.
    this.hw = Math.min(this.hw, log.logEndOffset);
  }
}

type Command = { op: 'write'; n: number } | { op: 'fetch'; b: number } | { op: 'hw' } | { op: 'elect'; b: number } | { op: 'shrink'; b: number } | { op: 'expand'; b: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fetch' as const), b: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hw' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('elect' as const), b: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('shrink' as const), b: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expand' as const), b: fc.integer({ min: 1, max: 3 }) }) },
);

function play(m: Model, commands: readonly Command[], clean: boolean): void {
  for (const c of commands) {
    if (c.op === 'write') m.write(c.n);
    else if (c.op === 'fetch') m.fetch(c.b);
    else if (c.op === 'hw') m.advanceHw();
    else if (c.op === 'shrink') m.shrink(c.b);
    else if (c.op === 'expand') m.expand(c.b);
    else if (!clean || m.canLead(c.b)) m.elect(c.b);
  }
}

describe('online spec invariants', () => {
  it('stay quiet on honest replication with clean elections', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        const m = new Model();
        play(m, commands, true);
        expect(m.checker.violations).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('catch unclean elections: a leader from outside the ISR sooner or later breaks LeaderCompleteness', () => {
    // The same model with elections from any replica; fast-check must find a breach.
    let found = false;
    fc.assert(
      fc.property(fc.array(command, { minLength: 20, maxLength: 80 }), (commands) => {
        const m = new Model();
        play(m, commands, false);
        if (m.checker.violations.some((v) => v.kind === 'spec:LeaderCompleteness')) found = true;
      }),
      { numRuns: 500 },
    );
    expect(found).toBe(true);
  });

  it('report LeaderCompleteness when a replica without a committed record is elected, and a loss once no replica has it', () => {
    const m = new Model();
    m.write(2);
    m.fetch(2);
    m.fetch(3);
    m.advanceHw(); // committed: offsets 0-1 on every replica
    m.write(2);
    m.fetch(2);
    // Broker 3 loses its log (say, a power loss with nothing flushed) and is elected anyway.
    m.log(3).truncateTo(0);
    m.sim.trace.emit('replica.truncate', { broker: 3, partition: P, to: 0, reason: 'test' });
    expect(m.checker.violations).toEqual([]); // brokers 1 and 2 still hold offsets 0-1
    m.elect(3);
    expect(m.checker.violations.map((v) => v.kind)).toEqual(['spec:LeaderCompleteness']);
    // The others follow the empty leader and truncate: now nobody holds the committed records.
    m.fetch(1);
    m.fetch(2);
    expect(m.checker.violations.map((v) => v.kind)).toEqual(['spec:LeaderCompleteness', 'spec:NoCommittedRecordLostGlobally']);
    expect(m.checker.violations[1].details).toMatchObject({ partition: P, committedHighWatermark: 2 });
  });

  it('reports LogMatching when two replicas hold different logs under the same epoch and offset', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (commands, n) => {
        const m = new Model();
        play(m, commands, true);
        m.write(n);
        const leaderLog = m.log(m.leader);
        const follower = m.leader === 1 ? 2 : 1;
        m.fetch(follower);
        // Now the follower's copy of the last batch is replaced by one with the same epoch
        // and offsets but other records: a second leader in the same epoch would do this.
        const last = batchesOf(leaderLog).at(-1)!;
        const base = last.last - n + 1;
        const log = m.log(follower);
        log.truncateTo(base);
        const forged = encodeBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`forged${i}`), timestamp: 0 })), { baseOffset: base, partitionLeaderEpoch: m.epoch });
        log.appendAsFollower(forged);
        m.sim.trace.emit('replica.append', { broker: follower, partition: P, role: 'follower', leaderEpoch: m.epoch, baseOffset: base, lastOffset: last.last });
        expect(m.checker.violations.map((v) => v.kind)).toEqual(['spec:LogMatching']);
        expect(m.checker.violations[0].details).toMatchObject({ broker: follower, lastOffset: last.last, leaderEpoch: m.epoch });
      }),
      { numRuns: 60 },
    );
  });

  it('reports a high watermark that moves down within one leadership', () => {
    const m = new Model();
    m.write(3);
    m.fetch(2);
    m.fetch(3);
    m.advanceHw();
    m.sim.trace.emit('replica.hw', { broker: 1, partition: P, leaderEpoch: m.epoch, highWatermark: 1 });
    expect(m.checker.violations.map((v) => v.kind)).toEqual(['spec:HighWatermarkMonotonic']);
    // A new leader starting lower is not a breach: the invariant is per leadership.
    const other = new Model();
    other.write(3);
    other.fetch(2);
    other.advanceHw();
    other.elect(2);
    other.sim.trace.emit('replica.hw', { broker: 2, partition: P, leaderEpoch: other.epoch, highWatermark: 1 });
    expect(other.checker.violations).toEqual([]);
  });
});
