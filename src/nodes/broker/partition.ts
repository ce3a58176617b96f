import type { Log } from '../../log/log.js';
import { LogError, type LogErrorCode } from '../../log/log.js';
import { UNDEFINED_EPOCH } from '../../log/leaderEpochCache.js';
import type { BrokerSettings } from '../config/brokerSettings.js';
import { partitionName, type FetchPartition, type IsrMember } from '../protocol.js';

/** Replication settings of one partition, with Kafka's names. */
export interface PartitionConfig {
  /** min.insync.replicas */
  readonly minInsyncReplicas: number;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.max.bytes / fetch max bytes per partition */
  readonly maxFetchBytes: number;
  /**
   * How a replica truncates when it becomes a follower: by the leader's epochs, checked on
   * every fetch (KIP-101, KIP-279, KIP-320: today's Kafka); by the leader's epochs once per
   * leadership, trusting the end offset alone, as KIP-101 first did before KIP-279
   * ('leader-epoch-kip101'); or to its own high watermark as Kafka did before KIP-101.
   */
  readonly truncation: TruncationMode;
  /**
   * The high watermark only moves while the ISR has min(min.insync.replicas, replication
   * factor) members, and acks=all counts against that capped minimum (Partition
   * .maybeIncrementLeaderHW's isUnderMinIsr and effectiveMinIsr: KAFKA-15583, Kafka 3.7;
   * KIP-966's eligible leader replicas rely on it). Before 3.7 the high watermark moved with
   * whatever ISR there was, and min.insync.replicas above the replication factor refused
   * every acks=all write.
   */
  readonly holdHighWatermarkBelowMinIsr?: boolean;
  /**
   * Replica.isCaughtUp since KAFKA-7152 (Kafka 2.1): a follower whose log end offset equals
   * the leader's is caught up however long ago it fetched, so an idle partition does not
   * shrink its ISR. Before, only the time since it last caught up counted.
   */
  readonly caughtUpAtLogEnd?: boolean;
  /**
   * sim.isr.eligibility: which followers may join the ISR. `unfenced` (the default here; KIP-841,
   * Kafka 3.3): those the metadata shows registered, unfenced and not shutting down.
   * `broker-epoch` (KIP-903, 3.5, KAFKA-14139): also fetching by the broker epoch in the
   * metadata (isBrokerEpochIsrEligible), and fetches from an earlier incarnation are refused
   * (Replica.updateFetchStateOrThrow). `any` (before 3.3): whoever caught up.
   */
  readonly isrEligibility?: IsrEligibility;
  /**
   * KAFKA-7128 (Kafka 2.1 and 2.0.1): a follower joins the ISR only once it has fetched past
   * the start of the leader's current epoch as well as the high watermark (default); before,
   * the high watermark alone, which a new leader's may lag.
   */
  readonly joinIsrPastEpochStart?: boolean;
  /**
   * sim.fetch.epoch.fencing: a follower's fetch names the leader epoch it follows (KIP-320,
   * Kafka 2.1: KAFKA-7395), so the leader fences one that missed an epoch change (default);
   * false, as before 2.1, it names none (-1) and the leader serves it.
   */
  readonly fetchEpochFencing?: boolean;
}

/** sim.isr.eligibility (src/nodes/config/brokerSettings.ts). */
export type IsrEligibility = BrokerSettings['sim.isr.eligibility'];

export type TruncationMode = 'leader-epoch' | 'leader-epoch-kip101' | 'high-watermark';

/** What a partition reads of its broker: the clock and the metadata cache. */
export interface PartitionContext {
  /** The broker's clock, in ms (Partition.maybeIncrementLeaderHW reads time.milliseconds). */
  nowMs(): number;
  /**
   * Partition.isReplicaIsrEligible (KIP-841): a replica may join the ISR, or hold the high
   * watermark as one about to join it, only while its broker is registered, unfenced and not
   * in controlled shutdown in this broker's metadata.
   */
  isReplicaIsrEligible(replicaId: number): boolean;
  /** KRaftMetadataCache.getAliveBrokerEpoch: the broker epoch of an unfenced broker's registration; undefined if fenced or unknown. */
  aliveBrokerEpoch?(replicaId: number): number | undefined;
}

/** A replica as the leader tracks it (Kafka's Replica / ReplicaState). */
interface FollowerState {
  /** The follower's log end offset, as its last fetch revealed; -1 before any fetch. */
  logEndOffset: number;
  /** When the follower last fetched up to the leader's log end (for replica.lag.time.max.ms). */
  lastCaughtUpMs: number;
  /** The leader's log end offset at the follower's previous fetch, Kafka's lastFetchLeaderLogEndOffset. */
  lastFetchLeaderLeo: number;
  lastFetchMs: number;
  /** ReplicaState.brokerEpoch: the broker epoch of the follower's last fetch (-1: it sent none); undefined before its first fetch to this leader. */
  brokerEpoch: number | undefined;
}

/** The leadership a replica learned from the metadata. */
export interface LeadershipInfo {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export type FetchError = 'NOT_LEADER_OR_FOLLOWER' | 'FENCED_LEADER_EPOCH' | 'UNKNOWN_LEADER_EPOCH' | 'OFFSET_OUT_OF_RANGE';

export type FollowerFetchResult =
  | { readonly error: FetchError; readonly leaderEpoch: number }
  | {
      readonly error?: undefined;
      readonly records: Buffer;
      readonly highWatermark: number;
      readonly logStartOffset: number;
      /** KIP-320: the follower's log diverged; truncate to endOffset before fetching again. */
      readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
    };

/** A consumer's fetch: a follower's answer, and for read_committed the last stable offset and the aborted transactions read. */
export type ConsumerFetchResult =
  | { readonly error: FetchError; readonly leaderEpoch: number }
  | (Exclude<FollowerFetchResult, { error: FetchError }> & {
      readonly lastStableOffset?: number;
      readonly abortedTransactions?: readonly { readonly producerId: number; readonly firstOffset: number }[];
    });

/** Why a leader refuses a produce: its own checks, or the log's (a LogError's code, answered as it is). */
export type ProduceError = 'NOT_LEADER_OR_FOLLOWER' | 'NOT_ENOUGH_REPLICAS' | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' | LogErrorCode;

/**
 * A produce waiting for acks=all: done once the high watermark passes `requiredOffset`. A
 * produce request's own state object (Kafka's ProducePartitionStatus) is one, so waiting
 * needs no closure per partition.
 */
export interface CommitWaiter {
  readonly requiredOffset: number;
  done(error: ProduceError | undefined): void;
}

/**
 * One partition replica on a broker (Kafka's Partition): its log, its role, and for a
 * leader the followers' progress, the ISR, the high watermark and the produces waiting
 * for acks=all. It decides; the broker carries the decisions over the network (fetches,
 * AlterPartition, responses).
 */
export class Partition {
  role: 'leader' | 'follower' | 'none' = 'none';
  leader = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: readonly number[] = [];
  isr: readonly number[] = [];
  /** An ISR change sent to the controller and not yet answered. */
  pendingIsr: readonly number[] | undefined;
  private followers = new Map<number, FollowerState>();
  private delayed: CommitWaiter[] = [];
  /** With 'leader-epoch-kip101': the one OffsetsForLeaderEpoch of this leadership has been answered. */
  private epochChecked = false;
  /** "orders-0". */
  readonly name: string;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly brokerId: number,
    readonly log: Log,
    readonly config: PartitionConfig,
    private readonly context: PartitionContext,
  ) {
    this.name = partitionName(topic, partition);
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  // ------------------------------------------------------------------ role changes

  /**
   * Becomes leader at `info.leaderEpoch` (Kafka's makeLeader): followers start with unknown
   * progress. Those in the ISR count as caught up now, so none is dropped from the ISR before
   * it has had replica.lag.time.max.ms to fetch; those outside it count as never caught up
   * (Replica.resetReplicaState: "set to the current time if the follower is in the ISR, else
   * to 0 ... to ensure that the high watermark is not hold back unnecessarily for a follower
   * which is not in the ISR anymore", KAFKA-4485). Otherwise a follower left out of the ISR
   * that fetches once from far behind would hold the high watermark for
   * replica.lag.time.max.ms as one about to rejoin it (see maybeAdvanceHighWatermark).
   */
  becomeLeader(info: LeadershipInfo, nowMs: number): void {
    this.applyLeadership(info);
    this.role = 'leader';
    this.followers = new Map();
    for (const r of info.replicas) {
      // Kafka's 0 is the epoch's start, long before any clock reading; here clocks start near 0, hence "never".
      const lastCaughtUpMs = info.isr.includes(r) ? nowMs : Number.NEGATIVE_INFINITY;
      if (r !== this.brokerId) this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs, lastFetchLeaderLeo: -1, lastFetchMs: nowMs, brokerEpoch: undefined });
    }
    // Record the new epoch in the cache from where this leader's appends will start.
    if (info.leaderEpoch > this.log.epochs.latestEpoch) this.log.epochs.assign(info.leaderEpoch, this.log.logEndOffset);
    // Partition.makeLeader ends with maybeIncrementLeaderHW: "the ISR could be down to 1".
    // A leader alone in its ISR would otherwise keep a stale high watermark until it appends.
    this.maybeAdvanceHighWatermark();
  }

  /**
   * Becomes a follower of `info.leader` (Kafka's makeFollower). Before KIP-101, a follower
   * truncated its log to its own high watermark right away, which lost committed data when
   * its high watermark lagged the leader's, and let replicas diverge; with leader epochs the
   * truncation waits for the leader to say where the logs diverge.
   */
  becomeFollower(info: LeadershipInfo): void {
    this.applyLeadership(info);
    this.role = 'follower';
    this.followers = new Map();
    this.failDelayed('NOT_LEADER_OR_FOLLOWER');
    this.epochChecked = false;
    if (this.config.truncation === 'high-watermark') this.log.truncateTo(this.log.highWatermark);
  }

  /**
   * Updates ISR and epochs from the metadata without a role change. Metadata older than
   * what this replica already has (the AlterPartition response may have brought a newer
   * partition epoch) is ignored, as Kafka's Partition ignores stale partition epochs.
   */
  updateLeadership(info: LeadershipInfo): void {
    if (info.leaderEpoch === this.leaderEpoch && info.partitionEpoch <= this.partitionEpoch) return;
    this.applyLeadership(info);
    if (this.role === 'leader') this.maybeAdvanceHighWatermark();
  }

  private applyLeadership(info: LeadershipInfo): void {
    this.leader = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.partitionEpoch = info.partitionEpoch;
    this.replicas = info.replicas;
    this.isr = info.isr;
    this.pendingIsr = undefined;
  }

  /**
   * The controller committed this leader's ISR change: adopt it now, not when the
   * metadata catches up (Kafka's Partition.handleAlterPartitionUpdate), since the
   * controller already counts the new members as electable.
   */
  applyAlterPartition(result: { isr: readonly number[]; leaderEpoch: number; partitionEpoch: number }): void {
    this.pendingIsr = undefined;
    if (this.role !== 'leader' || result.leaderEpoch !== this.leaderEpoch || result.partitionEpoch <= this.partitionEpoch) return;
    this.partitionEpoch = result.partitionEpoch;
    this.isr = result.isr;
    this.maybeAdvanceHighWatermark();
  }

  /**
   * The ISR the high watermark waits for: with a change in flight, the union of the
   * current and the proposed ISR (Kafka's maximalIsr, KIP-497). Otherwise the controller
   * could commit an expansion, and then elect the new member, while this leader still
   * advanced its high watermark without it.
   */
  get maximalIsr(): readonly number[] {
    if (this.pendingIsr === undefined) return this.isr;
    return [...this.isr, ...this.pendingIsr.filter((r) => !this.isr.includes(r))];
  }

  // ------------------------------------------------------------------ leader: produce

  /**
   * Appends a producer's records as leader. acks=all is refused up front when the ISR is
   * smaller than min.insync.replicas (NOT_ENOUGH_REPLICAS); the returned offset is what the
   * high watermark must pass before acks=all completes. `appended` hears of a new append
   * before the high watermark moves: moving it completes waiting produces, whose callbacks
   * may append again (a coordinator writing its next record), and whoever records appends
   * must see them in log order.
   */
  appendAsLeader(records: Buffer, acks: '0' | '1' | 'all', appended?: (baseOffset: number, lastOffset: number) => void): { error: ProduceError } | { baseOffset: number; lastOffset: number; duplicate: boolean } {
    if (this.role !== 'leader') return { error: 'NOT_LEADER_OR_FOLLOWER' };
    if (acks === 'all' && this.isr.length < this.effectiveMinIsr()) return { error: 'NOT_ENOUGH_REPLICAS' };
    try {
      const info = this.log.appendAsLeader(records, this.leaderEpoch);
      if (!info.duplicate) appended?.(info.firstOffset, info.lastOffset);
      if (!info.duplicate) this.maybeAdvanceHighWatermark();
      return { baseOffset: info.firstOffset, lastOffset: info.lastOffset, duplicate: info.duplicate };
    } catch (err) {
      if (err instanceof LogError) return { error: err.code };
      throw err;
    }
  }

  /**
   * Waits for the high watermark to pass `lastOffset` (Kafka's DelayedProduce). It fails
   * with NOT_ENOUGH_REPLICAS_AFTER_APPEND if, when it would complete, the ISR has fallen
   * below min.insync.replicas.
   */
  awaitCommit(lastOffset: number, done: (error: ProduceError | undefined) => void): void {
    this.watchCommit({ requiredOffset: lastOffset + 1, done });
  }

  /** As awaitCommit, for a waiter that is its own state object. */
  watchCommit(waiter: CommitWaiter): void {
    if (!this.tryComplete(waiter)) this.delayed.push(waiter);
  }

  /** Gives up on a waiting produce (its request timed out). */
  cancelDelayed(done: (error: ProduceError | undefined) => void): void {
    this.delayed = this.delayed.filter((d) => d.done !== done);
  }

  /** As cancelDelayed, for a waiter given to watchCommit. */
  cancelWatch(waiter: CommitWaiter): void {
    this.delayed = this.delayed.filter((d) => d !== waiter);
  }

  private tryComplete(d: CommitWaiter): boolean {
    if (this.role !== 'leader') {
      d.done('NOT_LEADER_OR_FOLLOWER');
      return true;
    }
    if (this.log.highWatermark < d.requiredOffset) return false;
    d.done(this.isr.length < this.effectiveMinIsr() ? 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' : undefined);
    return true;
  }

  private failDelayed(error: ProduceError): void {
    const waiting = this.delayed;
    this.delayed = [];
    for (const d of waiting) d.done(error);
  }

  // ------------------------------------------------------------------ leader: followers

  /**
   * Serves a follower's fetch (Kafka's Partition.fetchRecords for a follower): checks the
   * epoch it believes in, detects a diverging log from its last fetched epoch (KIP-320),
   * notes its progress, reads from its fetch offset, and moves the high watermark. A fetch
   * from an earlier incarnation of the follower's broker is refused (KIP-903).
   */
  fetchForFollower(replicaId: number, fetchOffset: number, lastFetchedEpoch: number, currentLeaderEpoch: number, nowMs: number, brokerEpoch = -1): FollowerFetchResult {
    const refused = this.checkFetch(currentLeaderEpoch);
    if (refused !== undefined) return refused;
    const follower = this.followers.get(replicaId);
    if (follower === undefined || this.isStaleFetch(replicaId, brokerEpoch)) return { error: 'NOT_LEADER_OR_FOLLOWER', leaderEpoch: this.leaderEpoch };
    const leo = this.log.logEndOffset;
    const diverged = this.divergence(fetchOffset, lastFetchedEpoch);
    if (diverged !== undefined) return diverged;
    if (fetchOffset > leo || fetchOffset < this.log.logStartOffset) return { error: 'OFFSET_OUT_OF_RANGE', leaderEpoch: this.leaderEpoch };
    // Kafka's updateFetchState: caught up if it fetched from the leader's current end, or
    // from where the leader's end was at its previous fetch.
    if (fetchOffset >= leo) follower.lastCaughtUpMs = nowMs;
    else if (fetchOffset >= follower.lastFetchLeaderLeo && follower.lastFetchLeaderLeo >= 0) follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.lastFetchMs);
    follower.logEndOffset = fetchOffset;
    follower.lastFetchLeaderLeo = leo;
    follower.lastFetchMs = nowMs;
    follower.brokerEpoch = brokerEpoch;
    this.maybeAdvanceHighWatermark();
    const { records } = this.log.read(fetchOffset, this.config.maxFetchBytes, leo, true);
    return { records, highWatermark: this.log.highWatermark, logStartOffset: this.log.logStartOffset };
  }

  /** Only the leader serves fetches, and only in the epoch the fetcher believes in (KIP-320's currentLeaderEpoch). */
  private checkFetch(currentLeaderEpoch: number): { error: FetchError; leaderEpoch: number } | undefined {
    if (this.role !== 'leader') return { error: 'NOT_LEADER_OR_FOLLOWER', leaderEpoch: this.leaderEpoch };
    // A consumer that knows no epoch sends -1 and skips the check (Kafka's Optional.empty()).
    if (currentLeaderEpoch < 0) return undefined;
    if (currentLeaderEpoch < this.leaderEpoch) return { error: 'FENCED_LEADER_EPOCH', leaderEpoch: this.leaderEpoch };
    if (currentLeaderEpoch > this.leaderEpoch) return { error: 'UNKNOWN_LEADER_EPOCH', leaderEpoch: this.leaderEpoch };
    return undefined;
  }

  /**
   * KIP-320: the fetcher's last fetched epoch ends, in this log, before its fetch offset
   * (or this log never had that epoch): its log diverged from the leader's.
   */
  private divergence(fetchOffset: number, lastFetchedEpoch: number): FollowerFetchResult | undefined {
    if (lastFetchedEpoch === UNDEFINED_EPOCH || fetchOffset <= 0) return undefined;
    const end = this.log.endOffsetForEpoch(lastFetchedEpoch);
    if (end.epoch === lastFetchedEpoch && end.endOffset >= fetchOffset) return undefined;
    return { records: Buffer.alloc(0), highWatermark: this.log.highWatermark, logStartOffset: this.log.logStartOffset, divergingEpoch: end };
  }

  /**
   * Serves a consumer's fetch (Kafka's Partition.fetchRecords with FetchIsolation.HIGH_WATERMARK):
   * the same epoch and divergence checks as for a follower (a consumer validates its
   * position after a leader change, KIP-320), but it reads only below the high watermark
   * and leaves the ISR alone. An offset between the high watermark and the log end is in
   * range and simply returns nothing yet.
   */
  fetchForConsumer(fetchOffset: number, lastFetchedEpoch: number, currentLeaderEpoch: number, maxBytes: number, isolation: 'read_uncommitted' | 'read_committed' = 'read_uncommitted'): ConsumerFetchResult {
    const refused = this.checkFetch(currentLeaderEpoch);
    if (refused !== undefined) return refused;
    const diverged = this.divergence(fetchOffset, lastFetchedEpoch);
    if (diverged !== undefined) return diverged;
    const hw = this.log.highWatermark;
    if (fetchOffset > this.log.logEndOffset || fetchOffset < this.log.logStartOffset) return { error: 'OFFSET_OUT_OF_RANGE', leaderEpoch: this.leaderEpoch };
    // read_committed (KIP-98, FetchIsolation.TXN_COMMITTED): up to the last stable offset,
    // with the aborted transactions of the range so the consumer can drop their records.
    const lso = this.log.lastStableOffset;
    const upTo = isolation === 'read_committed' ? lso : hw;
    const records = fetchOffset < upTo ? this.log.read(fetchOffset, maxBytes, upTo, true).records : Buffer.alloc(0);
    if (isolation === 'read_uncommitted') return { records, highWatermark: hw, logStartOffset: this.log.logStartOffset };
    const aborted = records.length === 0 ? [] : this.log.abortedTransactions(fetchOffset, upTo).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
    return { records, highWatermark: hw, logStartOffset: this.log.logStartOffset, lastStableOffset: lso, abortedTransactions: aborted };
  }

  /**
   * ListOffsets (Kafka's Partition.fetchOffsetForTimestamp): the earliest offset, or the
   * latest a consumer may read; for a follower replica (`isolation` none) the latest is the
   * log end offset.
   */
  listOffset(timestamp: -1 | -2, currentLeaderEpoch: number, isolation: 'read_uncommitted' | 'read_committed' | 'none' = 'read_uncommitted'): { error: FetchError; leaderEpoch: number } | { offset: number; leaderEpoch: number } {
    const refused = this.checkFetch(currentLeaderEpoch);
    if (refused !== undefined) return refused;
    const latest = isolation === 'read_committed' ? this.log.lastStableOffset : isolation === 'none' ? this.log.logEndOffset : this.log.highWatermark;
    return { offset: timestamp === -2 ? this.log.logStartOffset : latest, leaderEpoch: this.leaderEpoch };
  }

  /**
   * HW = the smallest log end offset in the ISR, never moving back (Kafka's
   * maybeIncrementLeaderHW). Completes produces that waited for it.
   */
  maybeAdvanceHighWatermark(): boolean {
    if (this.role !== 'leader') return false;
    if (this.config.holdHighWatermarkBelowMinIsr === true && this.isr.length < this.effectiveMinIsr()) {
      this.completeDelayed();
      return false;
    }
    const leo = this.log.logEndOffset;
    let min = leo;
    const maximal = this.maximalIsr;
    for (const r of this.replicas) {
      if (r === this.brokerId) continue;
      const f = this.followers.get(r);
      if (maximal.includes(r)) min = Math.min(min, f === undefined ? -1 : f.logEndOffset);
      // shouldWaitForReplicaToJoinIsr (KAFKA-4485): a caught-up follower about to join the ISR holds the high watermark too.
      else if (f !== undefined && f.logEndOffset >= 0 && f.logEndOffset < min && this.isCaughtUp(f, leo, this.context.nowMs()) && this.isIsrEligible(r, f)) min = f.logEndOffset;
    }
    if (min <= this.log.highWatermark) {
      this.completeDelayed();
      return false;
    }
    this.log.updateHighWatermark(min);
    this.completeDelayed();
    return true;
  }

  /** min.insync.replicas, capped at the replication factor when the high watermark is held below it (Partition.effectiveMinIsr). */
  private effectiveMinIsr(): number {
    const min = this.config.minInsyncReplicas;
    return this.config.holdHighWatermarkBelowMinIsr === true ? Math.min(min, this.replicas.length) : min;
  }

  /** Replica.isCaughtUp: at the leader's log end (since KAFKA-7152), or caught up within replica.lag.time.max.ms. */
  private isCaughtUp(f: FollowerState, leaderLeo: number, nowMs: number): boolean {
    return (this.config.caughtUpAtLogEnd === true && f.logEndOffset === leaderLeo) || nowMs - f.lastCaughtUpMs <= this.config.replicaLagTimeMaxMs;
  }

  /**
   * Completes the waiting produces the high watermark has passed. A completion may append
   * and so come back here: the waiting list is taken first, so none completes twice, and
   * those that start waiting meanwhile queue behind the ones still waiting.
   */
  private completeDelayed(): void {
    if (this.delayed.length === 0) return;
    if (this.role === 'leader' && !this.anyDelayedReached()) return; // the common case: nothing to complete yet
    const waiting = this.delayed;
    this.delayed = [];
    const still = waiting.filter((d) => !this.tryComplete(d));
    this.delayed = this.delayed.length === 0 ? still : still.concat(this.delayed);
  }

  private anyDelayedReached(): boolean {
    const hw = this.log.highWatermark;
    for (let i = 0; i < this.delayed.length; i++) if (this.delayed[i].requiredOffset <= hw) return true;
    return false;
  }

  /**
   * The ISR this leader wants now: without followers that have not caught up within
   * replica.lag.time.max.ms (ISR shrink), and with the follower `fetchedBy`, whose fetch this
   * is, once it has reached the high watermark in this leader's epoch (ISR expand).
   * Undefined when it is the ISR it has or has already asked for.
   */
  proposedIsr(nowMs: number, fetchedBy?: number): readonly number[] | undefined {
    if (this.role !== 'leader') return undefined;
    let epochStart = 0;
    for (const e of this.config.joinIsrPastEpochStart === false ? [] : this.log.epochs.all()) {
      if (e.epoch !== this.leaderEpoch) continue;
      epochStart = e.startOffset;
      break;
    }
    // It runs on every follower fetch, and nearly always wants what it has: find that out
    // before building a list.
    const current = this.pendingIsr ?? this.isr;
    let wanted = 0;
    let same = true;
    for (const r of this.replicas) {
      if (!this.wantsInIsr(r, nowMs, epochStart, fetchedBy)) continue;
      wanted++;
      if (!current.includes(r)) same = false;
    }
    if (same && wanted === current.length) return undefined;
    return this.replicas.filter((r) => this.wantsInIsr(r, nowMs, epochStart, fetchedBy));
  }

  /**
   * Whether replica `r` belongs in the ISR now. On a follower's fetch (`fetchedBy`), Kafka
   * only expands (Partition.maybeExpandIsr): every member stays, and the fetching follower
   * joins once it has reached the high watermark in this leader's epoch; a follower that
   * stopped fetching cannot be let back in on what it had when it stopped. The periodic
   * check (`fetchedBy` undefined) only shrinks (Partition.maybeShrinkIsr): members that have
   * not caught up within replica.lag.time.max.ms leave.
   */
  private wantsInIsr(r: number, nowMs: number, epochStart: number, fetchedBy: number | undefined): boolean {
    if (r === this.brokerId) return true;
    if (fetchedBy !== undefined && this.isr.includes(r)) return true;
    const f = this.followers.get(r);
    if (f === undefined) return false;
    if (this.isr.includes(r)) return this.isCaughtUp(f, this.log.logEndOffset, nowMs);
    return r === fetchedBy && f.logEndOffset >= this.log.highWatermark && f.logEndOffset >= epochStart && this.isIsrEligible(r, f);
  }

  /**
   * Partition.isReplicaIsrEligible: since KIP-841 registered, unfenced, not shutting down and,
   * since KIP-903, fetching by the broker epoch in the metadata, or by -1, which skips the
   * check (isBrokerEpochIsrEligible). A follower that has not fetched from this leader has no
   * epoch. Before 3.3, any follower.
   */
  private isIsrEligible(r: number, f: FollowerState): boolean {
    const eligibility = this.config.isrEligibility ?? 'unfenced';
    if (eligibility === 'any') return true;
    if (!this.context.isReplicaIsrEligible(r)) return false;
    if (eligibility !== 'broker-epoch') return true;
    const cached = this.context.aliveBrokerEpoch?.(r);
    return f.brokerEpoch !== undefined && cached !== undefined && (f.brokerEpoch === -1 || f.brokerEpoch === cached);
  }

  /** Replica.updateFetchStateOrThrow (KIP-903): a fetch by an epoch older than the broker's alive epoch comes from an earlier incarnation. */
  private isStaleFetch(r: number, brokerEpoch: number): boolean {
    if (this.config.isrEligibility !== 'broker-epoch' || brokerEpoch === -1) return false;
    const cached = this.context.aliveBrokerEpoch?.(r);
    return cached !== undefined && cached > brokerEpoch;
  }

  /**
   * The ISR with each member's broker epoch, for AlterPartition (Partition.addBrokerEpochToIsr):
   * this broker's own, and each follower's from its last fetch, or -1 (not checked) for one
   * that has not fetched from this leader yet.
   */
  isrWithBrokerEpochs(isr: readonly number[], ownEpoch: number): IsrMember[] {
    return isr.map((brokerId) => ({ brokerId, brokerEpoch: brokerId === this.brokerId ? ownEpoch : (this.followers.get(brokerId)?.brokerEpoch ?? -1) }));
  }

  /** The follower's broker epoch from its last fetch, as the leader keeps it (for tests). */
  followerBrokerEpoch(replicaId: number): number | undefined {
    return this.followers.get(replicaId)?.brokerEpoch;
  }

  /** The follower's log end offset as the leader knows it (for tests and metrics). */
  followerLogEndOffset(replicaId: number): number | undefined {
    return this.followers.get(replicaId)?.logEndOffset;
  }

  /** When the follower was last caught up, as the leader knows it (Kafka's ReplicaState.lastCaughtUpTimeMs; for tests). */
  followerLastCaughtUpMs(replicaId: number): number | undefined {
    return this.followers.get(replicaId)?.lastCaughtUpMs;
  }

  // ------------------------------------------------------------------ follower

  /**
   * Where to truncate when the leader reports a diverging epoch (Kafka's
   * AbstractFetcherThread.getOffsetTruncationState): look up this log's own end of the
   * largest epoch <= the leader's. If it is the same epoch, both logs agree up to the lower
   * end offset. If it is an older one, truncate to its end and let the next fetch check
   * again. If this log has no epoch that old, none of its records can match the leader's,
   * so it truncates to where its own epochs begin (Kafka truncates to the leader's end
   * offset here, a case it expects only after upgrades).
   */
  private truncationOffset(diverging: { readonly epoch: number; readonly endOffset: number }): number {
    const leo = this.log.logEndOffset;
    // KIP-101 as first shipped: the answer held an end offset and no epoch, so the follower
    // could only truncate to it, even when the leader never had the epoch it asked about:
    // the gap KIP-279 closed.
    if (this.config.truncation === 'leader-epoch-kip101') return Math.max(this.log.logStartOffset, Math.min(diverging.endOffset, leo));
    const mine = this.log.endOffsetForEpoch(diverging.epoch);
    if (mine.epoch === UNDEFINED_EPOCH) {
      const firstEpochStart = this.log.epochs.all()[0]?.startOffset ?? leo;
      return Math.max(this.log.logStartOffset, Math.min(diverging.endOffset < 0 ? firstEpochStart : diverging.endOffset, firstEpochStart, leo));
    }
    if (mine.epoch !== diverging.epoch) return Math.min(mine.endOffset, leo);
    return Math.min(mine.endOffset, diverging.endOffset, leo);
  }

  /** What this follower asks its leader for next. */
  nextFetch(): FetchPartition {
    // Before KIP-320 a fetch carried no epoch of the follower's log to check against; with
    // KIP-101 alone the follower asked once, on becoming follower (OffsetsForLeaderEpoch).
    const asks = this.config.truncation === 'leader-epoch' || (this.config.truncation === 'leader-epoch-kip101' && !this.epochChecked);
    const lastFetchedEpoch = asks ? this.log.epochs.latestEpoch : UNDEFINED_EPOCH;
    const currentLeaderEpoch = this.config.fetchEpochFencing === false ? -1 : this.leaderEpoch;
    return { topic: this.topic, partition: this.partition, fetchOffset: this.log.logEndOffset, lastFetchedEpoch, currentLeaderEpoch };
  }

  /**
   * Applies the leader's answer: truncates to the diverging epoch's end (KIP-320), or
   * appends the records and takes the leader's high watermark, capped at its own end.
   */
  applyFetch(result: Pick<Exclude<FollowerFetchResult, { error: FetchError }>, 'records' | 'highWatermark' | 'logStartOffset' | 'divergingEpoch'>): { truncatedTo?: number; appended: number } {
    this.epochChecked = true;
    if (result.divergingEpoch !== undefined) {
      this.log.truncateTo(this.truncationOffset(result.divergingEpoch));
      return { truncatedTo: this.log.logEndOffset, appended: 0 };
    }
    let appended = 0;
    if (result.records.length > 0) appended = this.log.appendAsFollower(result.records).records;
    this.log.updateHighWatermark(Math.min(result.highWatermark, this.log.logEndOffset));
    // ReplicaFetcherThread.processPartitionData: the follower's log starts where the leader's does.
    if (result.logStartOffset >= 0) this.log.maybeIncrementLogStartOffset(result.logStartOffset);
    return { appended };
  }
}
