import type { NodeContext, RpcError } from '../../network/nodeHost.js';
import type { History } from '../../sim/history.js';
import { addDuration, micros, millis } from '../../sim/time.js';
import { brokerNode, message, type FetchPartitionResponse, type FetchRequest, type KafkaMessage, type PartitionMetadata, type PartitionOffset } from '../protocol.js';
import type { TopicPartition } from '../../log/topicPartition.js';
import type { ConsumerConfig } from './consumer.js';
import { COORDINATOR_ERRORS } from './coordinatorErrors.js';
import { readFetched, type FetchedRecord } from './fetchedRecords.js';
import type { KafkaErrorCode } from '../errors.js';

/** Where the consumer reads a partition next, and the epoch of what it last consumed there (KIP-320). */
interface Position {
  offset: number;
  epoch: number;
}

/** What the fetcher needs from the consumer it works for: its settings, its assignment, its group and metadata. */
export interface FetcherHost {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: ConsumerConfig;
  readonly group: string;
  /** The member's name in the history ("c1-2"). */
  readonly member: string;
  readonly history: History;
  assignment(): readonly TopicPartition[];
  /** Bumped whenever the assignment changes: answers for an older one are dropped. */
  assignmentVersion(): number;
  partition(name: string): PartitionMetadata | undefined;
  refreshMetadata(): void;
  coordinator(): number;
  findCoordinator(): void;
  coordinatorLost(): void;
  /** Records arrived for the application: an idle poll loop may return them now. */
  recordsArrived(): void;
}

/**
 * A consumer's fetcher and positions (Kafka's Fetcher with SubscriptionState): where each
 * assigned partition is read next (from the group's committed offset, or auto.offset.reset
 * through ListOffsets), one fetch per broker held at the leader, fetched records
 * buffered until poll() takes them, pauses, seeks, and KIP-320 truncation detection.
 */
export class Fetcher {
  private readonly positions = new Map<string, Position>();
  /** Per partition, the records of its last fetch and how many of them poll() has taken. */
  private readonly buffered = new Map<string, { readonly records: readonly FetchedRecord[]; next: number }>();
  /** Partitions with buffered records, in the order their fetches completed. */
  private readonly ready: string[] = [];
  /** Partitions in a fetch on its way. */
  private readonly fetchesInFlight = new Set<string>();
  /** Brokers with a fetch pending: Kafka sends a node no second fetch before the first is answered. */
  private readonly brokersFetching = new Set<number>();
  /** After an error, local microseconds until which a partition is not fetched (retry.backoff.ms). */
  private readonly backoffUntil = new Map<string, number>();
  private retryScheduled = false;
  /** An answer is being handled: the fetches it makes go out together once it is done. */
  private handlingFetch = false;
  private readonly resolving = new Set<string>();
  /** Partitions the application paused: assigned, but neither fetched nor returned by poll. */
  private readonly paused = new Set<string>();

  constructor(private readonly host: FetcherHost) {}

  pause(partition: string): void {
    this.paused.add(partition);
  }

  resume(partition: string): void {
    this.paused.delete(partition);
  }

  /** Forgets revoked partitions, and buffered records of partitions outside `kept`. */
  revoke(revoked: readonly string[], kept: ReadonlySet<string>): void {
    for (const p of revoked) {
      this.positions.delete(p);
      this.buffered.delete(p);
      this.resolving.delete(p);
    }
    for (let i = this.ready.length - 1; i >= 0; i--) if (!kept.has(this.ready[i])) this.ready.splice(i, 1);
  }

  /**
   * After an aborted transaction, every assigned partition goes back to its committed
   * offset, as an EOS application seeks there (Kafka's ExactlyOnceMessageProcessor,
   * resetToLastCommittedPositions: committed() then seek()); each move is a seek in the
   * history, so a read that goes back is explained.
   */
  rewindToCommitted(partitions: readonly TopicPartition[]): void {
    const from = new Map<string, number>();
    for (const tp of partitions) {
      const name = `${tp.topic}-${tp.partition}`;
      const position = this.positions.get(name);
      if (position !== undefined) from.set(name, position.offset);
      this.forget(name);
    }
    if (partitions.length > 0) this.fetchCommitted(partitions, from);
  }

  /** Forgets where `partition` was: the next position comes from the committed offset. */
  forget(partition: string): void {
    this.drop(partition);
    this.positions.delete(partition);
  }

  /** KafkaConsumer.seek: the next poll of `partition` starts at `offset`. Only for an assigned partition, as in Kafka. */
  seek(partition: string, offset: number): void {
    if (!this.isAssigned(partition)) return;
    const from = this.positions.get(partition)?.offset ?? -1;
    this.drop(partition);
    this.positions.set(partition, { offset, epoch: -1 });
    this.resolving.delete(partition);
    this.host.history.complete(this.host.history.invoke(this.host.member, 'seek', {}), 'ok', { from, member: this.host.member, partition, reason: 'seek', to: offset });
    this.sendFetches();
  }

  /** KafkaConsumer.seekToBeginning / seekToEnd: the position resets by ListOffsets at the next fetch. */
  seekTo(partition: string, where: 'earliest' | 'latest'): void {
    if (!this.isAssigned(partition)) return;
    const from = this.positions.get(partition)?.offset ?? -1;
    this.drop(partition);
    this.resetPosition(partition, from, where === 'earliest' ? 'seekToBeginning' : 'seekToEnd', where);
  }

  isAssigned(partition: string): boolean {
    return this.host.assignment().some((tp) => `${tp.topic}-${tp.partition}` === partition);
  }

  drop(partition: string): void {
    this.buffered.delete(partition);
    const i = this.ready.indexOf(partition);
    if (i >= 0) this.ready.splice(i, 1);
  }

  /** Up to `max` records (max.poll.records) from the fetched buffers, advancing the positions past them. */
  take(max: number): FetchedRecord[] {
    const out: FetchedRecord[] = [];
    // Paused partitions keep what was fetched for them, and give none of it out.
    const held = this.ready.filter((p) => this.paused.has(p));
    if (held.length > 0) for (let i = this.ready.length - 1; i >= 0; i--) if (this.paused.has(this.ready[i])) this.ready.splice(i, 1);
    while (out.length < max && this.ready.length > 0) {
      const partition = this.ready[0];
      const buffer = this.buffered.get(partition);
      const records = buffer?.records ?? [];
      let next = buffer?.next ?? 0;
      const position = this.positions.get(partition);
      while (out.length < max && next < records.length) {
        const r = records[next++];
        if (position === undefined || r.offset < position.offset) continue;
        out.push(r);
        position.offset = r.offset + 1;
        position.epoch = r.epoch;
      }
      if (buffer !== undefined) buffer.next = next;
      if (next === records.length) {
        this.buffered.delete(partition);
        this.ready.shift();
      }
    }
    this.ready.push(...held);
    return out;
  }

  /** OffsetFetch for newly assigned partitions; those with nothing committed reset by auto.offset.reset. */
  fetchCommitted(partitions: readonly TopicPartition[], rewoundFrom?: ReadonlyMap<string, number>): void {
    const version = this.host.assignmentVersion();
    for (const tp of partitions) this.resolving.add(`${tp.topic}-${tp.partition}`);
    const retry = (): void => {
      if (version === this.host.assignmentVersion()) this.fetchCommitted(partitions, rewoundFrom);
    };
    if (this.host.coordinator() < 0) {
      this.host.findCoordinator();
      this.host.ctx.after(millis(this.host.config['retry.backoff.ms']), retry);
      return;
    }
    // KIP-447: read_committed asks for stable offsets, and waits out a transaction holding some.
    const req = message('OffsetFetch', { groupId: this.host.group, requireStable: this.host.config['isolation.level'] === 'read_committed', partitions: partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition })) });
    this.host.ctx.request(brokerNode(this.host.coordinator()), req, { timeout: millis(this.host.config['request.timeout.ms']) }, (r) => {
      if (version !== this.host.assignmentVersion()) return;
      if (!r.ok || r.response.type !== 'OffsetFetchResponse' || r.response.error !== undefined) {
        const error = !r.ok ? r.error : r.response.type === 'OffsetFetchResponse' ? r.response.error : 'UNKNOWN_SERVER_ERROR';
        if (error !== undefined && COORDINATOR_ERRORS.has(error)) this.host.coordinatorLost();
        this.host.ctx.after(millis(this.host.config['retry.backoff.ms']), retry);
        return;
      }
      for (const o of r.response.offsets) {
        const name = `${o.topic}-${o.partition}`;
        const from = rewoundFrom?.get(name);
        if (o.offset >= 0) {
          this.positions.set(name, { offset: o.offset, epoch: o.leaderEpoch });
          this.resolving.delete(name);
          if (from !== undefined) this.host.history.complete(this.host.history.invoke(this.host.member, 'seek', {}), 'ok', { from, member: this.host.member, partition: name, reason: 'abort', to: o.offset });
        } else this.resetPosition(name, from, 'no-committed-offset');
      }
      this.sendFetches();
    });
  }

  /**
   * auto.offset.reset: ListOffsets for the earliest or latest offset. With `none` Kafka
   * throws NoOffsetForPartitionException; the member then stops reading the partition.
   */
  resetPosition(name: string, from: number | undefined, reason: string, policy: 'earliest' | 'latest' | 'none' = this.host.config['auto.offset.reset']): void {
    this.resolving.add(name);
    this.positions.delete(name);
    if (policy === 'none') {
      this.host.ctx.trace.emit('consumer.error', { member: this.host.member, partition: name, error: 'NoOffsetForPartitionException' });
      return;
    }
    const meta = this.host.partition(name);
    const version = this.host.assignmentVersion();
    const retry = (): void => {
      if (version === this.host.assignmentVersion()) this.resetPosition(name, from, reason, policy);
    };
    if (meta === undefined || meta.leader < 0) {
      this.host.refreshMetadata();
      this.host.ctx.after(millis(this.host.config['retry.backoff.ms']), retry);
      return;
    }
    const req = message('ListOffsets', { topic: meta.topic, partition: meta.partition, timestamp: policy === 'earliest' ? -2 : -1, currentLeaderEpoch: this.knownLeaderEpoch(meta), isolationLevel: this.host.config['isolation.level'] });
    this.host.ctx.request(brokerNode(meta.leader), req, { timeout: millis(this.host.config['request.timeout.ms']) }, (r) => {
      if (version !== this.host.assignmentVersion()) return;
      if (!r.ok || r.response.type !== 'ListOffsetsResponse' || r.response.error !== undefined) {
        this.host.refreshMetadata();
        this.host.ctx.after(millis(this.host.config['retry.backoff.ms']), retry);
        return;
      }
      this.positions.set(name, { offset: r.response.offset, epoch: -1 });
      this.resolving.delete(name);
      this.host.ctx.trace.emit('consumer.reset', { member: this.host.member, partition: name, reason, policy, offset: r.response.offset });
      if (from !== undefined) this.host.history.complete(this.host.history.invoke(this.host.member, 'seek', {}), 'ok', { from, member: this.host.member, partition: name, reason, to: r.response.offset });
      this.sendFetches();
    });
  }

  /**
   * Kafka's Fetcher (prepareFetchRequests): one fetch per broker, for every assigned
   * partition it leads that has a position, nothing buffered, no fetch in flight and no
   * backoff running, and none to a broker that still has a fetch pending. The leader holds
   * it up to fetch.max.wait.ms while none of its partitions has anything to read.
   */
  sendFetches(): void {
    if (this.handlingFetch) return; // the answer being handled sends once it is done
    const now = this.host.ctx.now();
    let retryAt = Number.POSITIVE_INFINITY;
    const byLeader = new Map<number, { name: string; meta: PartitionMetadata; position: Position }[]>();
    for (const tp of this.host.assignment()) {
      const name = `${tp.topic}-${tp.partition}`;
      const position = this.positions.get(name);
      if (position === undefined || this.fetchesInFlight.has(name) || this.buffered.has(name) || this.paused.has(name)) continue;
      const backoff = this.backoffUntil.get(name);
      if (backoff !== undefined && backoff > now) {
        retryAt = Math.min(retryAt, backoff);
        continue;
      }
      const meta = this.host.partition(name);
      if (meta === undefined || meta.leader < 0) {
        this.host.refreshMetadata();
        continue;
      }
      if (this.brokersFetching.has(meta.leader)) continue;
      const list = byLeader.get(meta.leader) ?? [];
      list.push({ name, meta, position });
      byLeader.set(meta.leader, list);
    }
    for (const [leader, parts] of byLeader) this.fetch(leader, parts);
    if (retryAt !== Number.POSITIVE_INFINITY && !this.retryScheduled) {
      this.retryScheduled = true;
      this.host.ctx.after(micros(retryAt - now), () => {
        this.retryScheduled = false;
        this.sendFetches();
      });
    }
  }

  /** KIP-320 on the consumer (Kafka 2.3, sim.consumer.truncation.detection): requests carry the epochs to check. */
  private detectsTruncation(): boolean {
    return this.host.config['sim.consumer.truncation.detection'];
  }

  /** The leader epoch a request names: the one the metadata shows, or none (-1) before KIP-320's consumer side. */
  private knownLeaderEpoch(meta: PartitionMetadata): number {
    return this.detectsTruncation() ? meta.leaderEpoch : -1;
  }

  private fetch(leader: number, parts: readonly { name: string; meta: PartitionMetadata; position: Position }[]): void {
    this.brokersFetching.add(leader);
    for (const p of parts) this.fetchesInFlight.add(p.name);
    const version = this.host.assignmentVersion();
    const req = message<FetchRequest>('Fetch', {
      replicaId: -1,
      partitions: parts.map(({ meta, position }) => ({
        topic: meta.topic,
        partition: meta.partition,
        fetchOffset: position.offset,
        lastFetchedEpoch: this.detectsTruncation() ? position.epoch : -1,
        currentLeaderEpoch: this.knownLeaderEpoch(meta),
        partitionMaxBytes: this.host.config['max.partition.fetch.bytes'],
      })),
      maxWaitMs: this.host.config['fetch.max.wait.ms'],
      minBytes: this.host.config['fetch.min.bytes'],
      isolationLevel: this.host.config['isolation.level'],
    });
    const timeout = millis(this.host.config['request.timeout.ms'] + this.host.config['fetch.max.wait.ms']);
    this.host.ctx.request(brokerNode(leader), req, { timeout }, (r) => {
      this.brokersFetching.delete(leader);
      const responses = r.ok && r.response.type === 'FetchResponse' ? r.response.responses : undefined;
      this.handlingFetch = true;
      parts.forEach(({ name, position }, i) => {
        this.fetchesInFlight.delete(name);
        const current = this.positions.get(name);
        if (version !== this.host.assignmentVersion() && current === undefined) return;
        // Moved meanwhile (a seek, a reset): the answer is for a position no longer wanted.
        if (current === undefined || current.offset !== position.offset) return;
        const res = responses?.[i];
        this.onFetch(name, current, res, !r.ok ? r.error : (res?.error ?? (res === undefined ? 'UNKNOWN_SERVER_ERROR' : undefined)));
      });
      this.handlingFetch = false;
      this.sendFetches();
    });
  }

  /** One partition's answer: records for the application, a truncation to follow, or an error to back off from. */
  private onFetch(name: string, position: Position, res: FetchPartitionResponse | undefined, error: KafkaErrorCode | RpcError | undefined): void {
    if (error !== undefined || res === undefined) {
      if (error === 'OFFSET_OUT_OF_RANGE') {
        this.resetPosition(name, position.offset, 'offset-out-of-range');
        return;
      }
      this.host.refreshMetadata();
      this.backoffUntil.set(name, addDuration(this.host.ctx.now(), millis(this.host.config['retry.backoff.ms'])));
      return;
    }
    if (res.divergingEpoch !== undefined) {
      // KIP-320: the log was truncated under this consumer. With a reset policy Kafka seeks
      // to where the logs agree (SubscriptionState.maybeCompleteValidation); with
      // auto.offset.reset=none it raises LogTruncationException and reads no further.
      if (this.host.config['auto.offset.reset'] === 'none') {
        this.positions.delete(name);
        this.host.ctx.trace.emit('consumer.error', { member: this.host.member, partition: name, error: 'LogTruncationException' });
        return;
      }
      // SubscriptionState.maybeCompleteValidation: an undefined end offset (the leader has no
      // epoch that old) cannot say where the logs agree, so the position is reset by
      // auto.offset.reset instead.
      if (res.divergingEpoch.endOffset < 0 || res.divergingEpoch.epoch < 0) {
        this.resetPosition(name, position.offset, 'log-truncation-undefined-epoch');
        return;
      }
      const to = Math.min(position.offset, res.divergingEpoch.endOffset);
      this.host.history.complete(this.host.history.invoke(this.host.member, 'seek', {}), 'ok', { from: position.offset, member: this.host.member, partition: name, reason: 'log-truncation', to });
      this.positions.set(name, { offset: to, epoch: res.divergingEpoch.epoch });
      return;
    }
    const { records, nextOffset, lastEpoch } = readFetched(res.records, position.offset, this.host.config['isolation.level'], res.abortedTransactions, name);
    if (records.length > 0) {
      this.buffered.set(name, { records, next: 0 });
      this.ready.push(name);
      // An idle application loop wakes up for new records (poll returns as soon as it has some).
      this.host.recordsArrived();
      return;
    }
    // Nothing for the application (markers, aborted transactions): the position moves past it,
    // with the epoch of the last batch read, skipped ones included (CompletedFetch's lastEpoch),
    // so the next fetch's last fetched epoch does not point back before them.
    if (nextOffset > position.offset) {
      position.offset = nextOffset;
      if (lastEpoch >= 0) position.epoch = lastEpoch;
    }
  }

  /** The positions of the assigned partitions, as offsets to commit. */
  offsets(): PartitionOffset[] {
    const offsets: PartitionOffset[] = [];
    for (const tp of this.host.assignment()) {
      const p = this.positions.get(`${tp.topic}-${tp.partition}`);
      if (p !== undefined) offsets.push({ topic: tp.topic, partition: tp.partition, offset: p.offset, leaderEpoch: p.epoch });
    }
    return offsets;
  }
}
