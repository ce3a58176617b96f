import type { Log } from '../../log/log.js';
import { decodeRecords, encodeBatch, isControl, isTransactional, parseControlRecord, type RecordInput } from '../../log/recordBatch.js';
import { declareTraceKind, type Trace } from '../../sim/trace.js';
import { compareStrings } from '../../sim/order.js';
import { message, splitPartitionName, type KafkaMessage, type PartitionOffset } from '../protocol.js';
import { ConsumerGroup, type CommittedOffset, type GroupConfig, type GroupSummary, type MemberRef } from './consumerGroup.js';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataValue,
  encodeKey,
  encodeOffsetCommitValue,
  OffsetsTopicFormatError,
  partitionForGroup,
  type GroupMetadataValue,
} from './offsetsTopic.js';
import type { KafkaErrorCode } from '../errors.js';

/** What the coordinator needs from the broker it lives on. */
export interface CoordinatorHost {
  readonly trace: Trace;
  readonly brokerId: number;
  /** The broker process's incarnation (restarts count up): member ids must not repeat across them. */
  readonly incarnation?: number;
  /**
   * Appends records to a `__consumer_offsets` partition this broker leads, with acks=all,
   * and calls `done` once they are committed, or with the produce error that stopped them.
   */
  append(partition: number, records: Buffer, done: (error: KafkaErrorCode | undefined) => void): void;
  /**
   * Calls `done(true)` once the high watermark of a `__consumer_offsets` partition this
   * broker leads reaches `offset`, or `done(false)` if the broker stops leading it first.
   */
  awaitHighWatermark(partition: number, offset: number, done: (reached: boolean) => void): void;
}

export interface GroupCoordinatorConfig extends GroupConfig {
  /** offsets.topic.num.partitions */
  readonly offsetsPartitions: number;
  /** group.min.session.timeout.ms and group.max.session.timeout.ms */
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /**
   * sim.group.fencing: check a commit's member and generation. Off, the coordinator takes
   * commits from anyone, so stale members' commits land (the bug generations prevent).
   */
  readonly fencing: boolean;
  /** offsets.retention.minutes, in milliseconds: how long a committed offset outlives its group's use of it. */
  readonly offsetsRetentionMs: number;
  /**
   * sim.offsets.expiration: `kip-211` expires offsets as Kafka does since 2.1 (an Empty
   * group's once it has been empty for the retention; a live consumer group's only for
   * topics it no longer subscribes to); `commit-timestamp` as before, each offset the
   * retention after its last commit, even in a group that is still consuming.
   */
  readonly offsetExpiration: 'kip-211' | 'commit-timestamp';
  /**
   * sim.group.coordinator is `runtime` (Kafka 4.0's CoordinatorRuntime): answers wait until
   * the high watermark reaches what a load read. Otherwise GroupMetadataManager's rule:
   * what was loaded, committed or not, is served at once.
   */
  readonly runtime: boolean;
}

/** A partition loaded past its high watermark: what waits for the high watermark to reach the end of the load. */
interface UncommittedLoad {
  /** Answers held meanwhile, and how each fails if the coordinator resigns first. */
  readonly held: { readonly send: () => void; readonly fail: () => void }[];
  /** The loaded offsets, traced once they are committed (exposed to readers). */
  readonly offsets: readonly { readonly group: string; readonly partition: string; readonly offset: number }[];
}

type GroupRequest = Extract<KafkaMessage, { type: 'JoinGroup' | 'SyncGroup' | 'Heartbeat' | 'LeaveGroup' | 'OffsetCommit' | 'OffsetFetch' | 'TxnOffsetCommit' }>;

const EMPTY = new Uint8Array(0);

/**
 * The group coordinator of one broker (Kafka's GroupCoordinator with its
 * GroupMetadataManager): it hosts the groups whose `__consumer_offsets` partition this
 * broker leads. It loads them from that partition when it becomes leader, unloads them when
 * it stops, and writes every committed offset and every completed rebalance to the
 * partition before acting on it, so the next coordinator finds them there.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  /** `__consumer_offsets` partitions this broker leads and has loaded. */
  private readonly owned = new Set<number>();
  /**
   * Offsets committed inside transactions that have not ended, by producer id then group
   * (Kafka's pendingTransactionalOffsetCommits): applied by a COMMIT marker, dropped by ABORT.
   */
  private readonly pendingTxn = new Map<number, Map<string, Map<string, CommittedOffset>>>();
  /** Offset commits being written, by group and partition (Kafka's pendingOffsetCommits): such offsets do not expire meanwhile. */
  private readonly writing = new Map<string, number>();
  /** Rebalances being written, by group and generation: who waits for the write. */
  private readonly storing = new Map<string, { done: boolean; waiters: ((error: KafkaErrorCode | undefined) => void)[] }>();

  /**
   * Partitions loaded past their high watermark, under the runtime coordinator (Kafka's
   * CoordinatorRuntime: lastWrittenOffset above lastCommittedOffset after the load).
   */
  private readonly uncommittedLoads = new Map<number, UncommittedLoad>();

  /** Member ids this coordinator has handed out, over every group it holds. */
  private memberSeq = 0;

  constructor(
    private readonly host: CoordinatorHost,
    private readonly config: GroupCoordinatorConfig,
  ) {}

  /**
   * A new member id (KIP-394). Kafka's is the client id and a random UUID, unique for ever;
   * here the coordinating broker, its incarnation and a counter make it unique as surely
   * (and deterministically): a group that lost its state to a coordinator change or a
   * restart must not hand a new member the id an old one still holds, or the old one, coming
   * back, would be taken for the new one and handed its assignment.
   */
  private readonly newMemberId = (clientId: string): string => `${clientId}-${this.host.brokerId}.${this.host.incarnation ?? 0}.${++this.memberSeq}`;

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsPartitions);
  }

  /** Whether this broker coordinates `groupId` now (FindCoordinator points at the leader either way). */
  coordinates(groupId: string): boolean {
    return this.owned.has(this.partitionFor(groupId));
  }

  // ------------------------------------------------------------------ loading

  /**
   * Became leader of `__consumer_offsets-<partition>`: replay it (Kafka's
   * GroupMetadataManager.doLoadGroupsAndOffsets reads up to the log end, and so does
   * CoordinatorLoaderImpl), last record per key winning and tombstones deleting. Loading
   * here is instant; Kafka answers COORDINATOR_LOAD_IN_PROGRESS while it reads. The runtime
   * coordinator then holds its answers until the high watermark reaches the log end it
   * loaded (see `hold`); the classic one serves what it loaded at once.
   */
  load(partition: number, log: Log, nowMs: number): void {
    const offsets = new Map<string, Map<string, CommittedOffset>>();
    const metadata = new Map<string, GroupMetadataValue | null>();
    // Transactional offset commits wait for their transaction's marker (KIP-98).
    const pendingLoad = new Map<number, Map<string, Map<string, CommittedOffset>>>();
    const applyTo = (target: Map<string, Map<string, CommittedOffset>>, group: string, name: string, value: CommittedOffset | null): void => {
      let g = target.get(group);
      if (g === undefined) target.set(group, (g = new Map()));
      if (value === null) g.delete(name);
      else g.set(name, value);
    };
    log.forEachBatch(log.logStartOffset, log.logEndOffset, (bytes, pos, header) => {
      if (isControl(header)) {
        const marker = parseControlRecord(decodeRecords(bytes, pos, header)[0]);
        const txn = pendingLoad.get(header.producerId);
        pendingLoad.delete(header.producerId);
        if (marker?.type === 'COMMIT' && txn !== undefined) for (const [group, list] of txn) for (const [name, v] of list) applyTo(offsets, group, name, v);
        return;
      }
      let txn: Map<string, Map<string, CommittedOffset>> | undefined;
      if (isTransactional(header)) {
        txn = pendingLoad.get(header.producerId);
        if (txn === undefined) pendingLoad.set(header.producerId, (txn = new Map()));
      }
      for (const r of decodeRecords(bytes, pos, header)) {
        if (r.key === null) continue;
        try {
          const key = decodeKey(r.key);
          if (key.type === 'group') metadata.set(key.group, r.value === null ? null : decodeGroupMetadataValue(r.value));
          else applyTo(txn ?? offsets, key.group, `${key.topic}-${key.partition}`, r.value === null ? null : decodeOffsetCommitValue(r.value));
        } catch (err) {
          // Kafka skips records it cannot read (unknown versions) rather than failing the load.
          if (!(err instanceof OffsetsTopicFormatError)) throw err;
        }
      }
    });
    for (const [producerId, txn] of pendingLoad) this.pendingTxn.set(producerId, txn);
    // A group whose records are all tombstones (expired offsets, a Dead group) is gone.
    const names = new Set([...[...offsets].filter(([, o]) => o.size > 0).map(([g]) => g), ...[...metadata].filter(([, v]) => v !== null).map(([g]) => g)]);
    const loaded: { group: string; partition: string; offset: number }[] = [];
    for (const groupId of [...names].sort(compareStrings)) {
      if (this.partitionFor(groupId) !== partition) continue;
      const group = new ConsumerGroup(groupId, this.config, this.newMemberId);
      const value = metadata.get(groupId);
      if (value !== undefined && value !== null) group.restore(value, nowMs);
      const committed = offsets.get(groupId) ?? new Map<string, CommittedOffset>();
      group.applyOffsets(committed);
      this.groups.set(groupId, group);
      for (const [tp, o] of committed) loaded.push({ group: groupId, partition: tp, offset: o.offset });
      this.host.trace.emit('group.generation', { broker: this.host.brokerId, group: groupId, generation: group.generationId, state: group.state, members: group.memberIds });
    }
    this.owned.add(partition);
    this.host.trace.emit('group.load', { broker: this.host.brokerId, partition, groups: [...names].filter((g) => this.partitionFor(g) === partition).length });
    if (this.config.runtime && log.highWatermark < log.logEndOffset) this.awaitLoadCommitted(partition, log.logEndOffset, loaded);
    else this.traceLoaded(loaded);
  }

  /**
   * CoordinatorRuntime after a load that read past the high watermark: every answer waits
   * until the high watermark reaches the loaded end (CoordinatorRuntime.appendRecords puts
   * even a write with no records behind lastWrittenOffset, KAFKA-16973), and they all fail
   * with NOT_COORDINATOR if the broker resigns first (deferredEventQueue.failAll), so no
   * client reads an offset the partition may still lose.
   */
  private awaitLoadCommitted(partition: number, end: number, offsets: UncommittedLoad['offsets']): void {
    const load: UncommittedLoad = { held: [], offsets };
    this.uncommittedLoads.set(partition, load);
    this.host.awaitHighWatermark(partition, end, (reached) => {
      if (this.uncommittedLoads.get(partition) !== load) return;
      this.uncommittedLoads.delete(partition);
      if (!reached) return;
      this.traceLoaded(offsets);
      for (const h of load.held) h.send();
    });
  }

  /** The offsets a load made readable, traced: what the group's committed offsets now are. */
  private traceLoaded(offsets: UncommittedLoad['offsets']): void {
    for (const o of offsets) this.host.trace.emit('group.offset', { broker: this.host.brokerId, group: o.group, partition: o.partition, offset: o.offset, source: 'load' });
  }

  /** `reply`, held while the group's partition waits for its load to be committed. */
  private hold(req: GroupRequest, reply: (r: KafkaMessage) => void): (r: KafkaMessage) => void {
    const partition = this.partitionFor(req.groupId);
    return (r) => {
      const load = this.uncommittedLoads.get(partition);
      if (load === undefined) reply(r);
      else load.held.push({ send: () => reply(r), fail: () => reply(notCoordinator(req)) });
    };
  }

  /** No longer leader of the partition: its groups go (Kafka's onResignation / removeGroupsForPartition). */
  unload(partition: number): void {
    if (!this.owned.delete(partition)) return;
    const load = this.uncommittedLoads.get(partition);
    this.uncommittedLoads.delete(partition);
    for (const h of load?.held ?? []) h.fail();
    for (const txn of this.pendingTxn.values()) for (const group of [...txn.keys()]) if (this.partitionFor(group) === partition) txn.delete(group);
    for (const [groupId, group] of [...this.groups]) {
      if (this.partitionFor(groupId) !== partition) continue;
      group.unload();
      this.groups.delete(groupId);
    }
    for (const [key, entry] of [...this.storing]) {
      if (this.partitionFor(key.slice(0, key.lastIndexOf('@'))) !== partition) continue;
      this.storing.delete(key);
      for (const w of entry.waiters) w('NOT_COORDINATOR');
    }
  }

  // ------------------------------------------------------------------ requests

  handle(req: GroupRequest, nowMs: number, answer: (r: KafkaMessage) => void): void {
    if (!this.coordinates(req.groupId)) {
      answer(notCoordinator(req));
      return;
    }
    const reply = this.hold(req, answer);
    switch (req.type) {
      case 'JoinGroup': {
        if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
          reply(message('JoinGroupResponse', { error: 'INVALID_SESSION_TIMEOUT', memberId: req.memberId, generationId: -1, members: [] }));
          return;
        }
        const group = this.groupFor(req.groupId, true) as ConsumerGroup;
        this.observing(group, nowMs, () =>
          group.join({ ...req, protocols: req.protocols }, nowMs, (r) => reply(message('JoinGroupResponse', { error: r.error, memberId: r.memberId, generationId: r.generationId, protocol: r.protocol, leaderId: r.leaderId, members: r.members }))),
        );
        return;
      }
      case 'SyncGroup': {
        const group = this.groupFor(req.groupId, false);
        if (group === undefined) {
          reply(message('SyncGroupResponse', { error: 'UNKNOWN_MEMBER_ID', assignment: EMPTY }));
          return;
        }
        const assignments = req.assignments === undefined ? undefined : new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
        const generation = group.generationId;
        this.observing(group, nowMs, () =>
          group.sync({ ...req, assignments }, nowMs, (r) => {
            if (r.error !== undefined) {
              reply(message('SyncGroupResponse', { error: r.error, assignment: EMPTY }));
              return;
            }
            // Kafka answers SyncGroup only once the group's new assignment is written.
            this.whenStored(group, generation, nowMs, (error) => reply(message('SyncGroupResponse', { error, assignment: error === undefined ? r.assignment : EMPTY })));
          }),
        );
        return;
      }
      case 'Heartbeat': {
        const group = this.groupFor(req.groupId, false);
        const error = group === undefined ? 'UNKNOWN_MEMBER_ID' : this.observing(group, nowMs, () => group.heartbeat(req, nowMs));
        reply(message('HeartbeatResponse', { error }));
        return;
      }
      case 'LeaveGroup': {
        const group = this.groupFor(req.groupId, false);
        const error = group === undefined ? 'UNKNOWN_MEMBER_ID' : this.observing(group, nowMs, () => group.leave(req.memberId, req.groupInstanceId, nowMs));
        reply(message('LeaveGroupResponse', { error }));
        return;
      }
      case 'OffsetCommit':
        this.commit(req, nowMs, reply);
        return;
      case 'TxnOffsetCommit':
        this.txnCommit(req, nowMs, reply);
        return;
      case 'OffsetFetch': {
        const group = this.groupFor(req.groupId, false);
        // KIP-447: a read_committed consumer waits while a transaction holds offsets of its partitions.
        if (req.requireStable === true && req.partitions.some((tp) => this.hasPendingTxn(req.groupId, `${tp.topic}-${tp.partition}`))) {
          reply(message('OffsetFetchResponse', { error: 'UNSTABLE_OFFSET_COMMIT', offsets: [] }));
          return;
        }
        const offsets: PartitionOffset[] = req.partitions.map((tp) => {
          const o = group?.fetchOffset(`${tp.topic}-${tp.partition}`);
          return { topic: tp.topic, partition: tp.partition, offset: o?.offset ?? -1, leaderEpoch: o?.leaderEpoch ?? -1 };
        });
        reply(message('OffsetFetchResponse', { offsets }));
        return;
      }
    }
  }

  /**
   * OffsetCommit: check the member and generation, write the offsets to
   * `__consumer_offsets`, and only when that write is committed apply them and answer.
   */
  private commit(req: Extract<GroupRequest, { type: 'OffsetCommit' }>, nowMs: number, reply: (r: KafkaMessage) => void): void {
    const group = this.groupFor(req.groupId, req.generationId < 0 || !this.config.fencing) ?? new ConsumerGroup(req.groupId, this.config, this.newMemberId);
    const ref: MemberRef = { memberId: req.memberId, groupInstanceId: req.groupInstanceId, generationId: req.generationId };
    const stale = !group.isCurrent(req.memberId, req.groupInstanceId, req.generationId);
    const error = this.config.fencing ? this.observing(group, nowMs, () => group.checkCommit(ref, nowMs)) : group.state === 'Dead' ? 'COORDINATOR_NOT_AVAILABLE' : undefined;
    if (error !== undefined) {
      reply(message('OffsetCommitResponse', { error }));
      return;
    }
    const { values, records } = offsetRecords(req.groupId, req.offsets, nowMs, this.expireTimestampFor(nowMs));
    const keys = [...values.keys()].map((tp) => `${req.groupId}\u0000${tp}`);
    for (const k of keys) this.writing.set(k, (this.writing.get(k) ?? 0) + 1);
    this.host.append(this.partitionFor(req.groupId), encodeBatch(records), (appendError) => {
      for (const k of keys) {
        const n = (this.writing.get(k) ?? 1) - 1;
        if (n === 0) this.writing.delete(k);
        else this.writing.set(k, n);
      }
      const mapped = appendError === undefined ? undefined : coordinatorError(appendError);
      if (mapped === undefined && this.groups.get(req.groupId) === group) {
        group.applyOffsets(values);
        for (const o of req.offsets) {
          const partition = `${o.topic}-${o.partition}`;
          this.host.trace.emit('group.commit', { broker: this.host.brokerId, group: req.groupId, member: req.memberId, generation: req.generationId, currentGeneration: group.generationId, stale, partition, offset: o.offset });
          this.host.trace.emit('group.offset', { broker: this.host.brokerId, group: req.groupId, partition, offset: o.offset, source: 'commit' });
        }
      }
      reply(message('OffsetCommitResponse', { error: this.groups.get(req.groupId) === group ? mapped : 'NOT_COORDINATOR' }));
    });
  }

  /**
   * TxnOffsetCommit (KIP-98, KIP-447): offsets sent to the transaction, checked against the
   * member's generation, written to `__consumer_offsets` as part of the producer's
   * transaction, and held until its marker says commit or abort.
   */
  private txnCommit(req: Extract<GroupRequest, { type: 'TxnOffsetCommit' }>, nowMs: number, reply: (r: KafkaMessage) => void): void {
    const group = this.groupFor(req.groupId, false);
    if (group !== undefined && this.config.fencing && req.generationId >= 0) {
      const error = group.checkCommit({ memberId: req.memberId, groupInstanceId: req.groupInstanceId, generationId: req.generationId }, nowMs);
      if (error !== undefined && error !== 'REBALANCE_IN_PROGRESS') {
        reply(message('TxnOffsetCommitResponse', { error }));
        return;
      }
    }
    const { values, records } = offsetRecords(req.groupId, req.offsets, nowMs, this.expireTimestampFor(nowMs));
    const batch = encodeBatch(records, { producerId: req.producerId, producerEpoch: req.producerEpoch, isTransactional: true });
    this.host.append(this.partitionFor(req.groupId), batch, (appendError) => {
      if (appendError === undefined) {
        let txn = this.pendingTxn.get(req.producerId);
        if (txn === undefined) this.pendingTxn.set(req.producerId, (txn = new Map()));
        const pending = txn.get(req.groupId) ?? new Map<string, CommittedOffset>();
        for (const [name, v] of values) pending.set(name, v);
        txn.set(req.groupId, pending);
      }
      const error = appendError === undefined ? undefined : appendError === 'INVALID_PRODUCER_EPOCH' || appendError === 'PRODUCER_FENCED' ? 'PRODUCER_FENCED' : coordinatorError(appendError);
      reply(message('TxnOffsetCommitResponse', { error }));
    });
  }

  /** A transaction marker landed in `__consumer_offsets-<partition>`: its offsets take effect, or are dropped. */
  onTxnMarker(partition: number, producerId: number, commit: boolean): void {
    const txn = this.pendingTxn.get(producerId);
    if (txn === undefined) return;
    for (const [groupId, offsets] of [...txn]) {
      if (this.partitionFor(groupId) !== partition) continue;
      txn.delete(groupId);
      const group = this.groupFor(groupId, commit);
      if (!commit || group === undefined) continue;
      group.applyOffsets(offsets);
      for (const [name, o] of offsets) this.host.trace.emit('group.offset', { broker: this.host.brokerId, group: groupId, partition: name, offset: o.offset, source: 'commit' });
    }
    if (txn.size === 0) this.pendingTxn.delete(producerId);
  }

  private hasPendingTxn(groupId: string, partition: string): boolean {
    for (const txn of this.pendingTxn.values()) if (txn.get(groupId)?.has(partition) === true) return true;
    return false;
  }

  /** Calls `done` once the group's rebalance of `generation` is written to `__consumer_offsets` (Kafka's storeGroup). */
  private whenStored(group: ConsumerGroup, generation: number, nowMs: number, done: (error: KafkaErrorCode | undefined) => void): void {
    const key = `${group.groupId}@${generation}`;
    const entry = this.storing.get(key);
    if (entry?.done === true) {
      done(undefined);
      return;
    }
    if (entry !== undefined) {
      entry.waiters.push(done);
      return;
    }
    const fresh = { done: false, waiters: [done] };
    this.storing.set(key, fresh);
    this.store(group, nowMs, (error) => {
      if (this.storing.get(key) !== fresh) return;
      // A failed write is forgotten, so the members' retries write it again.
      if (error === undefined) fresh.done = true;
      else this.storing.delete(key);
      for (const w of fresh.waiters) w(error === undefined ? undefined : coordinatorError(error));
      fresh.waiters = [];
    });
  }

  private store(group: ConsumerGroup, nowMs: number, done: (error: KafkaErrorCode | undefined) => void): void {
    const record: RecordInput = { key: encodeKey({ type: 'group', group: group.groupId }), value: encodeGroupMetadataValue(group.snapshot(nowMs)), timestamp: nowMs };
    this.host.append(this.partitionFor(group.groupId), encodeBatch([record]), done);
  }

  private groupFor(groupId: string, create: boolean): ConsumerGroup | undefined {
    let group = this.groups.get(groupId);
    if (group === undefined && create) {
      group = new ConsumerGroup(groupId, this.config, this.newMemberId);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /**
   * Runs `fn` on `group` and traces the generation it moved to, if it moved: the
   * rebalances a run went through. A group that became Empty is written down too.
   */
  private observing<T>(group: ConsumerGroup, nowMs: number, fn: () => T): T {
    const before = group.generationId;
    const result = fn();
    if (group.generationId !== before) {
      this.host.trace.emit('group.generation', { broker: this.host.brokerId, group: group.groupId, generation: group.generationId, state: group.state, members: group.memberIds });
      if (group.state === 'Empty') this.store(group, nowMs, () => undefined);
    }
    return result;
  }

  /** Brokers before 2.1 stamped every offset with its expiry (OffsetCommitValue v1); since KIP-211, none. */
  private expireTimestampFor(nowMs: number): number | undefined {
    return this.config.offsetExpiration === 'commit-timestamp' ? nowMs + this.config.offsetsRetentionMs : undefined;
  }

  /**
   * Kafka's GroupMetadataManager.cleanupGroupMetadata, run every
   * offsets.retention.check.interval.ms: each group drops its expired offsets (see
   * ConsumerGroup.expireOffsets), writing a tombstone for each to `__consumer_offsets`, and
   * an Empty group with no offsets left goes Dead: its metadata gets a tombstone too and
   * the coordinator forgets it. Kafka writes these tombstones without waiting for the ISR
   * (acks 0 from the coordinator's side), so nothing waits for them here either.
   */
  cleanupGroupMetadata(nowMs: number): void {
    for (const groupId of [...this.groups.keys()].sort(compareStrings)) {
      const group = this.groups.get(groupId) as ConsumerGroup;
      const expired = group.expireOffsets(nowMs, this.config.offsetsRetentionMs, this.config.offsetExpiration, (tp) => this.writing.has(`${groupId}\u0000${tp}`) || this.hasPendingTxn(groupId, tp));
      const dead = group.isDisposable;
      if (expired.length === 0 && !dead) continue;
      const tombstones: RecordInput[] = expired.map((e) => {
        const [topic, partition] = splitPartitionName(e.partition);
        return { key: encodeKey({ type: 'offset', group: groupId, topic, partition }), value: null, timestamp: nowMs };
      });
      if (dead) {
        tombstones.push({ key: encodeKey({ type: 'group', group: groupId }), value: null, timestamp: nowMs });
        group.markDead();
        this.groups.delete(groupId);
      }
      this.host.append(this.partitionFor(groupId), encodeBatch(tombstones), () => undefined);
      for (const e of expired) this.host.trace.emit('group.offset', { broker: this.host.brokerId, group: groupId, partition: e.partition, offset: e.offset.offset, source: 'expire' });
      this.host.trace.emit('group.expire', {
        broker: this.host.brokerId,
        group: groupId,
        state: dead ? 'Dead' : group.state,
        partitions: expired.map((e) => e.partition),
        offsets: expired.map((e) => e.offset.offset),
        committedAt: expired.map((e) => e.offset.commitTimestamp),
        basis: expired.map((e) => e.basis),
        rule: this.config.offsetExpiration,
      });
    }
  }

  /** Session timeouts and rebalance deadlines (Kafka's heartbeat and join purgatories). */
  tick(nowMs: number): void {
    for (const group of this.groups.values()) this.observing(group, nowMs, () => group.tick(nowMs));
  }

  /** GroupCoordinator.handleDescribeGroup: the group's summary, if this broker coordinates it (read only, for the probe). */
  describeGroup(groupId: string): GroupSummary | undefined {
    return this.coordinates(groupId) ? this.groups.get(groupId)?.summary() : undefined;
  }

  /** For tests and the runner's final state: the offsets a group has committed here. */
  committedOffsets(groupId: string): ReadonlyMap<string, CommittedOffset> | undefined {
    return this.groups.get(groupId)?.offsets;
  }
}

/** The offsets of a commit, by partition, and the `__consumer_offsets` records that hold them. */
function offsetRecords(groupId: string, offsets: readonly PartitionOffset[], nowMs: number, expireTimestamp: number | undefined): { values: Map<string, CommittedOffset>; records: RecordInput[] } {
  const values = new Map<string, CommittedOffset>();
  const records: RecordInput[] = [];
  for (const o of offsets) {
    // An offset written in the v1 layout (pre-2.1) has no leader epoch: it reads back as -1.
    const value: CommittedOffset = expireTimestamp === undefined ? { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: '', commitTimestamp: nowMs } : { offset: o.offset, leaderEpoch: -1, metadata: '', commitTimestamp: nowMs, expireTimestamp };
    values.set(`${o.topic}-${o.partition}`, value);
    records.push({ key: encodeKey({ type: 'offset', group: groupId, topic: o.topic, partition: o.partition }), value: encodeOffsetCommitValue(value), timestamp: nowMs });
  }
  return { values, records };
}

/**
 * What a failed write to `__consumer_offsets` becomes for the client (Kafka's
 * GroupMetadataManager maps produce errors so that clients rediscover the coordinator).
 */
function coordinatorError(produceError: KafkaErrorCode): 'NOT_COORDINATOR' | 'COORDINATOR_NOT_AVAILABLE' {
  switch (produceError) {
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'KAFKA_STORAGE_ERROR':
      return 'NOT_COORDINATOR';
    default:
      return 'COORDINATOR_NOT_AVAILABLE';
  }
}

function notCoordinator(req: GroupRequest): KafkaMessage {
  const error = 'NOT_COORDINATOR';
  switch (req.type) {
    case 'JoinGroup':
      return message('JoinGroupResponse', { error, memberId: req.memberId, generationId: -1, members: [] });
    case 'SyncGroup':
      return message('SyncGroupResponse', { error, assignment: EMPTY });
    case 'Heartbeat':
      return message('HeartbeatResponse', { error });
    case 'LeaveGroup':
      return message('LeaveGroupResponse', { error });
    case 'OffsetCommit':
      return message('OffsetCommitResponse', { error });
    case 'OffsetFetch':
      return message('OffsetFetchResponse', { error, offsets: [] });
    case 'TxnOffsetCommit':
      return message('TxnOffsetCommitResponse', { error });
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A group moved to a new generation (a rebalance completed, or the group emptied), or was loaded. */
    'group.generation': { readonly broker: number; readonly group: string; readonly generation: number; readonly state: string; readonly members: readonly string[] };
    /** A coordinator applied a committed offset: `stale` when the member or generation would fail the checks. */
    'group.commit': { readonly broker: number; readonly group: string; readonly member: string; readonly generation: number; readonly currentGeneration: number; readonly stale: boolean; readonly partition: string; readonly offset: number };
    /** A group's committed offset for a partition, as its coordinator now holds it. */
    'group.offset': { readonly broker: number; readonly group: string; readonly partition: string; readonly offset: number; readonly source: 'commit' | 'load' | 'expire' };
    /**
     * A coordinator's offset cleanup expired offsets of a group (offsets.retention.minutes),
     * each for its `basis`, and the group's state after it (Dead when it was Empty with
     * nothing left).
     */
    'group.expire': {
      readonly broker: number;
      readonly group: string;
      readonly state: string;
      readonly partitions: readonly string[];
      readonly offsets: readonly number[];
      readonly committedAt: readonly number[];
      readonly basis: readonly string[];
      readonly rule: 'kip-211' | 'commit-timestamp';
    };
    /** A broker became coordinator of the groups in a `__consumer_offsets` partition. */
    'group.load': { readonly broker: number; readonly partition: number; readonly groups: number };
  }
}

declareTraceKind('group.generation', ['broker', 'group', 'generation', 'state', 'members']);
declareTraceKind('group.commit', ['broker', 'group', 'member', 'generation', 'currentGeneration', 'stale', 'partition', 'offset']);
declareTraceKind('group.offset', ['broker', 'group', 'partition', 'offset', 'source']);
declareTraceKind('group.load', ['broker', 'partition', 'groups']);
declareTraceKind('group.expire', ['broker', 'group', 'state', 'partitions', 'offsets', 'committedAt', 'basis', 'rule']);
