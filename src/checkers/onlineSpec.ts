import type { Violation } from '../sim/checker.js';
import type { Trace, TraceRecordMap } from '../sim/trace.js';
import { time, type Time } from '../sim/time.js';
import type { Log } from '../log/log.js';
import { ChangeColumn, grown, NumberColumn } from '../sim/columns.js';
import { RAFT_INVARIANT_KINDS, type RaftMemberView } from '../nodes/controller/raft/raftInvariants.js';
import { OnlineRaftChecks } from './onlineRaft.js';

/**
 * The replication invariants of the TLA+ specifications of Kafka's protocol (Jack
 * Vanlightly's kafka-tlaplus, and the KIP-966 specification), checked online, at the
 * replication event that breaks them:
 *
 * - `spec:LeaderCompleteness`: a replica that becomes leader holds every committed record.
 * - `spec:LogMatching`: two replicas whose logs hold a batch with the same leader epoch and
 *   last offset hold the same log up to and including it.
 * - `spec:NoCommittedRecordLostGlobally`: some replica still holds every committed record.
 * - `spec:HighWatermarkMonotonic`: a leader's high watermark never moves down within its
 *   leadership.
 * - The controller quorum's, on the partition `__cluster_metadata-0`: RaftEventSimulationTest's
 *   invariants (`spec:SingleLeader`, `spec:MonotonicEpoch`, `spec:MonotonicHighWatermark`,
 *   `spec:MajorityReachedHighWatermark`, `spec:ConsistentCommittedData`) and the brokers'
 *   `spec:MetadataLogMatchingProperty`, checked by {@link OnlineRaftChecks} after every Raft
 *   event when the checker is given the quorum; and, either way, SingleLeader and
 *   ConsistentCommittedData as a member sees them break (KafkaRaftClient throws where they
 *   do: it is told of two leaders in one epoch, or asked to truncate below its high watermark).
 *
 * Like the post-run checkers, this is a ghost: it reads the replicas' logs (which no node
 * may do) when the trace says a replica appended, truncated, changed role or moved its high
 * watermark. "Committed" is what a leader's high watermark has exposed, the largest so far.
 *
 * Compaction is outside the specifications: a cleaner rewrites a replica's batches on its own
 * schedule, so replicas legitimately hold different batches over the same offsets. A
 * partition is no longer judged once a cleaner has removed anything from one of its
 * replicas (the post-run checkers still judge its records).
 */
export const SPEC_KINDS = ['spec:LeaderCompleteness', 'spec:LogMatching', 'spec:NoCommittedRecordLostGlobally', 'spec:HighWatermarkMonotonic', ...RAFT_INVARIANT_KINDS] as const;
export type SpecKind = (typeof SPEC_KINDS)[number];

/** The controller quorum's log, as its violations name it. */
const METADATA_PARTITION = '__cluster_metadata-0';

/** What the checker reads of a replica's log: its offsets and its batches' headers. */
export type SpecLog = Pick<Log, 'logStartOffset' | 'logEndOffset' | 'forEachAppendedBatch'>;

/** How the checker finds a replica's log: the log object of `broker`'s current incarnation. */
export type ReplicaLogs = (broker: number, partition: string) => SpecLog | undefined;

/** How much a chain's columns grow when full: by a quarter, so little room stands empty. */
function roomFor(size: number): number {
  return Math.max(16, Math.ceil(size * 1.25));
}

/**
 * One replica's log as a chain of batches, each with a hash of the whole log up to its end.
 * Two replicas hold the same prefix up to a batch exactly when the batch's (last offset,
 * hash) agree, so LogMatching and "holds the committed prefix" are lookups, not log scans.
 * In columns (16 bytes a batch, epochs by change): the chains of a compacted internal
 * topic, whose log start stays 0, hold every batch of the run.
 */
class ReplicaChain {
  private size = 0;
  private lastOffsetCol = new Float64Array(16);
  private hashCol = new Float64Array(16);
  private readonly epochCol = new ChangeColumn();
  /** False when the log began above offset 0 (retention): its hashes cover an unknown prefix. */
  anchored: boolean;

  constructor(
    readonly log: SpecLog,
    startOffset: number,
  ) {
    this.anchored = startOffset === 0;
  }

  get length(): number {
    return this.size;
  }

  lastOffset(i: number): number {
    return this.lastOffsetCol[i];
  }

  epoch(i: number): number {
    return this.epochCol.at(i);
  }

  hash(i: number): number {
    return this.hashCol[i];
  }

  /** Drops the batches at or above `offset`. */
  truncate(offset: number): void {
    let n = this.size;
    while (n > 0 && this.lastOffsetCol[n - 1] >= offset) n--;
    this.size = n;
    this.epochCol.truncate(n);
  }

  /**
   * Forgets batches no question will reach again, so a chain stays as long as its log's
   * retained part rather than everything it ever held. Below the log's start no truncation
   * goes (it empties the log and starts a new chain instead), and the only lookup that goes
   * below it is the committed point's (`committedLast`, the last offset of its batch): that
   * batch stays, and so does the last batch below the log start (the next push chains from
   * the chain's last hash, and a truncation to the log start leaves that one last). Done in
   * steps of 256. The committed point can stand still while an unanchored replica leads, so
   * this is asked on every high watermark move, not only when the point moves.
   */
  forgetBelow(committedLast: number): void {
    const lastBelowStart = this.lastAtOrBelow(this.log.logStartOffset - 1);
    const keep = committedLast < this.log.logStartOffset ? this.lastAtOrBelow(committedLast) : -1;
    const from = keep + 1;
    const count = lastBelowStart - from;
    if (count < FORGET_STEP) return;
    this.epochCol.remove(from, count, this.size);
    this.lastOffsetCol.copyWithin(from, from + count, this.size);
    this.hashCol.copyWithin(from, from + count, this.size);
    this.size -= count;
  }

  /** push, in the shape of a batch summary visitor: one function per chain, not one per read. */
  readonly pushSummary = (_baseOffset: number, lastOffset: number, epoch: number, crc: number): void => this.push(lastOffset, epoch, crc);

  push(lastOffset: number, epoch: number, crc: number): void {
    const prev = this.size === 0 ? 0 : this.hashCol[this.size - 1];
    if (this.size === this.hashCol.length) {
      this.lastOffsetCol = grown(this.lastOffsetCol, roomFor(this.size));
      this.hashCol = grown(this.hashCol, roomFor(this.size));
    }
    const i = this.size++;
    this.lastOffsetCol[i] = lastOffset;
    this.hashCol[i] = chainHash(prev, lastOffset, epoch, crc);
    this.epochCol.push(i, epoch);
  }

  /** Index of the last batch ending at or below `offset`, or -1. */
  lastAtOrBelow(offset: number): number {
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastOffsetCol[mid] <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  holds(point: CommitPoint): boolean {
    // Without an anchor the hashes cannot be compared; judge by length, which never
    // reports a loss that did not happen.
    if (!this.anchored) return this.log.logEndOffset > point.lastOffset;
    const i = this.lastAtOrBelow(point.lastOffset);
    return i >= 0 && this.lastOffsetCol[i] === point.lastOffset && this.hashCol[i] === point.hash;
  }
}

/**
 * One partition's batch ends that anchored replicas have held: for each last offset, the
 * (epoch, chain hash) pairs seen. Leaders append in offset order, so the first pair of each
 * last offset is a row of columns searched by bisection (12 bytes a batch); a last offset
 * first seen below a larger one, and any further pair, go to a map.
 */
class SeenBatches {
  private size = 0;
  private readonly lastOffsets = new NumberColumn();
  private readonly hashes = new NumberColumn();
  private readonly epochs = new ChangeColumn();
  private readonly more = new Map<number, number[]>();

  /** Records (epoch, hash) as held at `lastOffset`; false if a pair of the same epoch there has another hash. */
  agrees(lastOffset: number, epoch: number, hash: number): boolean {
    const row = this.rowOf(lastOffset);
    if (row < 0) {
      if (this.size === 0 || lastOffset > this.lastOffsets.get(this.size - 1)) {
        const i = this.size++;
        this.lastOffsets.set(i, lastOffset);
        this.epochs.push(i, epoch);
        this.hashes.set(i, hash);
        return true;
      }
    } else if (this.epochs.at(row) === epoch) return this.hashes.get(row) === hash;
    const pairs = this.more.get(lastOffset);
    if (pairs === undefined) {
      this.more.set(lastOffset, [epoch, hash]);
      return true;
    }
    let j = 0;
    while (j < pairs.length && pairs[j] !== epoch) j += 2;
    if (j === pairs.length) {
      pairs.push(epoch, hash);
      return true;
    }
    return pairs[j + 1] === hash;
  }

  private rowOf(lastOffset: number): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.lastOffsets.get(mid);
      if (at === lastOffset) return mid;
      if (at < lastOffset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** How many batches a chain lets go of at once ({@link ReplicaChain.forgetBelow}). */
const FORGET_STEP = 256;

/** A committed prefix: the log up to and including the batch ending at `lastOffset`. */
interface CommitPoint {
  readonly highWatermark: number;
  readonly lastOffset: number;
  readonly hash: number;
}

/** A 52-bit hash of (previous hash, batch), from two 32-bit multiply-xor mixes. */
function chainHash(prev: number, lastOffset: number, epoch: number, crc: number): number {
  const lo = prev % 0x100000000;
  const hi = Math.floor(prev / 0x100000000);
  let a = Math.imul(lo ^ crc, 0x9e3779b1) ^ Math.imul(lastOffset | 0, 0x85ebca77) ^ Math.imul(epoch, 0xc2b2ae3d);
  a = Math.imul(a ^ (a >>> 15), 0x27d4eb2f) >>> 0;
  let b = Math.imul(hi ^ a, 0x165667b1) ^ Math.imul(Math.floor(lastOffset / 0x100000000) ^ crc, 0x9e3779b1);
  b = (Math.imul(b ^ (b >>> 13), 0x85ebca77) >>> 0) & 0xfffff;
  return b * 0x100000000 + a;
}

export class OnlineSpecChecker {
  private readonly chains = new Map<string, ReplicaChain>();
  /** Per partition: which replicas have a chain (every broker that ever held the partition). */
  private readonly holders = new Map<string, string[]>();
  /** Per partition, the batches anchored replicas have held. */
  private readonly batches = new Map<string, SeenBatches>();
  private readonly committed = new Map<string, CommitPoint>();
  private readonly leaderHw = new Map<string, { epoch: number; hw: number }>();
  private readonly reported = new Map<string, Violation & { details: { count: number } }>();
  private readonly found: Violation[] = [];
  /** Partitions a cleaner has compacted: the specifications no longer apply to them. */
  private readonly compacted = new Set<string>();

  /** The quorum's invariants, when the checker was given the quorum. */
  private raft: OnlineRaftChecks | undefined;

  /** Whether the last sync rebuilt the chain it returned from the log. */
  private rebuilt = false;
  /** Per partition, by broker: the key of the replica in the maps above, built once. */
  private readonly keys = new Map<string, string[]>();

  /** @param quorum the controller quorum's members, for the Raft invariants; without it only what members see break themselves is reported. */
  constructor(
    private readonly logs: ReplicaLogs,
    private readonly quorum?: () => readonly RaftMemberView[],
  ) {}

  /** The key of `broker`'s replica of `partition`: the same string every time, so lookups need not build and hash a new one. */
  private keyOf(broker: number, partition: string): string {
    let byBroker = this.keys.get(partition);
    if (byBroker === undefined) this.keys.set(partition, (byBroker = []));
    return (byBroker[broker] ??= `${broker}\u0000${partition}`);
  }

  /** Subscribes to the replication events of `trace`. */
  attach(trace: Trace): void {
    // Handed the fields, with no record built: these are emitted on every append.
    trace.observeFields('replica.append', (r, at) => this.onAppend(r, at));
    trace.observeFields('replica.truncate', (r, at) => this.onTruncate(r, at));
    trace.observeFields('replica.role', (r, at) => this.onRole(r, at));
    trace.observeFields('replica.hw', (r, at) => this.onHighWatermark(r, at));
    trace.observe('log.clean', (r) => this.compacted.add(r.partition));
    trace.observe('raft.violation', (r) => this.report(r.invariant, METADATA_PARTITION, r.at, r.message, { node: r.node }));
    if (this.quorum === undefined) return;
    this.raft = new OnlineRaftChecks(this.quorum, (v) => this.report(v.kind, METADATA_PARTITION, time(v.at), v.message, { node: v.node }));
    this.raft.attach(trace);
  }

  /** As the run ends: the quorum's invariants once more (RaftEventSimulationTest validates as each run ends). */
  finish(at: Time): void {
    this.raft?.check(at);
  }

  /** Violations so far, first occurrence per kind and partition (with a count of repeats). */
  get violations(): readonly Violation[] {
    return this.found;
  }

  private onAppend(r: TraceRecordMap['replica.append'], at: Time): void {
    if (this.compacted.has(r.partition)) return;
    const chain = this.sync(r.broker, r.partition, at);
    if (chain === undefined || this.rebuilt) return;
    chain.truncate(r.baseOffset);
    const from = chain.length;
    this.readBatches(chain, r.baseOffset, r.lastOffset + 1);
    this.matchFrom(chain, from, r.broker, r.partition, at);
  }

  private onTruncate(r: TraceRecordMap['replica.truncate'], at: Time): void {
    if (this.compacted.has(r.partition)) return;
    const chain = this.sync(r.broker, r.partition, at);
    if (chain === undefined) return;
    const log = chain.log;
    // A follower behind its leader's log start emptied its log and starts at `to`: its
    // chain starts over there, without the prefix it can no longer vouch for.
    if (log.logStartOffset === r.to && log.logEndOffset === r.to && r.to > 0) this.chains.set(this.keyOf(r.broker, r.partition), new ReplicaChain(log, r.to));
    else if (!this.rebuilt) chain.truncate(r.to);
    this.checkCommittedSurvives(r.partition, at, `broker ${r.broker} truncated to ${r.to} (${r.reason})`);
  }

  private onRole(r: TraceRecordMap['replica.role'], at: Time): void {
    if (this.compacted.has(r.partition)) return;
    const chain = this.sync(r.broker, r.partition, at);
    if (chain === undefined || r.role !== 'leader') return;
    const point = this.committed.get(r.partition);
    if (point !== undefined && !chain.holds(point)) {
      const end = chain.log.logEndOffset;
      this.report('spec:LeaderCompleteness', r.partition, at, `broker ${r.broker} became leader of ${r.partition} in epoch ${r.leaderEpoch} without every committed record (committed up to offset ${point.highWatermark}; its log ends at ${end})`, {
        broker: r.broker,
        leaderEpoch: r.leaderEpoch,
        committedHighWatermark: point.highWatermark,
        logEndOffset: end,
      });
    }
  }

  private onHighWatermark(r: TraceRecordMap['replica.hw'], at: Time): void {
    if (this.compacted.has(r.partition)) return;
    const key = this.keyOf(r.broker, r.partition);
    const last = this.leaderHw.get(key);
    if (last !== undefined && last.epoch === r.leaderEpoch && r.highWatermark < last.hw) {
      this.report('spec:HighWatermarkMonotonic', r.partition, at, `broker ${r.broker}'s high watermark of ${r.partition} moved down from ${last.hw} to ${r.highWatermark} in leader epoch ${r.leaderEpoch}`, {
        broker: r.broker,
        leaderEpoch: r.leaderEpoch,
        from: last.hw,
        to: r.highWatermark,
      });
    }
    this.leaderHw.set(key, { epoch: r.leaderEpoch, hw: r.highWatermark });
    this.forget(r.partition);
    const point = this.committed.get(r.partition);
    if (point !== undefined && r.highWatermark <= point.highWatermark) return;
    const chain = this.sync(r.broker, r.partition, at);
    if (chain === undefined || !chain.anchored) return;
    // Committed records stay committed: a leader whose log lost them (an unclean election)
    // does not make its own history the committed one by moving past it. The old prefix
    // stays the reference, so losing its last copy is still seen.
    if (point !== undefined && !chain.holds(point)) return;
    const i = chain.lastAtOrBelow(r.highWatermark - 1);
    if (i < 0) return;
    this.committed.set(r.partition, { highWatermark: r.highWatermark, lastOffset: chain.lastOffset(i), hash: chain.hash(i) });
  }

  /** Lets every chain of `partition` forget what retention took from its log (ReplicaChain.forgetBelow). */
  private forget(partition: string): void {
    const committedLast = this.committed.get(partition)?.lastOffset ?? -1;
    for (const key of this.holders.get(partition) ?? []) this.chains.get(key)?.forgetBelow(committedLast);
  }

  /**
   * The chain of `broker`'s replica of `partition`, rebuilt from the log when the replica's
   * log is a new object (a restart: recovery may have cut the tail) or was never seen.
   */
  private sync(broker: number, partition: string, at: Time): ReplicaChain | undefined {
    const log = this.logs(broker, partition);
    this.rebuilt = false;
    if (log === undefined) return undefined;
    const key = this.keyOf(broker, partition);
    const known = this.chains.get(key);
    if (known !== undefined && known.log === log) return known;
    const chain = new ReplicaChain(log, log.logStartOffset);
    this.readBatches(chain, log.logStartOffset, log.logEndOffset);
    this.chains.set(key, chain);
    if (known === undefined) {
      const list = this.holders.get(partition) ?? [];
      list.push(key);
      this.holders.set(partition, list);
    }
    this.matchFrom(chain, 0, broker, partition, at);
    this.checkCommittedSurvives(partition, at, `broker ${broker} restarted with its log ending at ${log.logEndOffset}`);
    this.rebuilt = true;
    return chain;
  }

  /** Appends the batches of `chain.log` in [from, to) to the chain. */
  private readBatches(chain: ReplicaChain, from: number, to: number): void {
    chain.log.forEachAppendedBatch(from, to, chain.pushSummary);
  }

  /** LogMatching for the chain's batches from index `from` on. */
  private matchFrom(chain: ReplicaChain, from: number, broker: number, partition: string, at: Time): void {
    if (!chain.anchored) return;
    let seen = this.batches.get(partition);
    if (seen === undefined) this.batches.set(partition, (seen = new SeenBatches()));
    for (let i = from; i < chain.length; i++) {
      const last = chain.lastOffset(i);
      const epoch = chain.epoch(i);
      if (!seen.agrees(last, epoch, chain.hash(i))) {
        this.report('spec:LogMatching', partition, at, `broker ${broker}'s log of ${partition} has a batch of epoch ${epoch} ending at offset ${last} whose log up to there differs from another replica's batch with the same epoch and offset`, {
          broker,
          leaderEpoch: epoch,
          lastOffset: last,
        });
      }
    }
  }

  /** NoCommittedRecordLostGlobally: some replica's chain still holds the committed prefix. */
  private checkCommittedSurvives(partition: string, at: Time, cause: string): void {
    const point = this.committed.get(partition);
    if (point === undefined) return;
    for (const key of this.holders.get(partition) ?? []) {
      if (this.chains.get(key)?.holds(point)) return;
    }
    this.report('spec:NoCommittedRecordLostGlobally', partition, at, `no replica of ${partition} holds every committed record any more (committed up to offset ${point.highWatermark}): ${cause}`, {
      committedHighWatermark: point.highWatermark,
      cause,
    });
  }

  private report(kind: SpecKind, partition: string, at: Time, message: string, details: Record<string, unknown>): void {
    const key = `${kind}\u0000${partition}`;
    const known = this.reported.get(key);
    if (known !== undefined) {
      known.details.count++;
      return;
    }
    const v = { kind, message, at, details: { partition, ...details, count: 1 } };
    this.reported.set(key, v);
    this.found.push(v);
  }
}
