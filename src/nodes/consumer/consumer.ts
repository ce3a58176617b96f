import type { HostContext, Process } from '../../network/nodeHost.js';
import type { History, Op } from '../../sim/history.js';
import { declareTraceKind } from '../../sim/trace.js';
import { addDuration, micros, millis, type Duration } from '../../sim/time.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import type { FetchedRecord } from './fetchedRecords.js';
import { Fetcher } from './fetcher.js';
import { GroupMembership } from './groupMembership.js';
import { COORDINATOR_ERRORS } from './coordinatorErrors.js';
import { ProcessorStage, type ProcessorHost } from './processorStage.js';
import { withConnectionStates, type BackedOffContext } from '../networkClient.js';
import { PRODUCER_CHANNEL } from '../producer/transactionalProducer.js';
import { ClusterConnectionStates } from '../clusterConnectionStates.js';
import { MetadataMaxAge } from '../metadataMaxAge.js';
import { brokerNode, message, type KafkaMessage, type PartitionMetadata } from '../protocol.js';
import type { ClientException } from '../errors.js';
import type { ConsumerSettings, ProcessorSettings } from '../config/clientSettings.js';

/**
 * Consumer settings, by Kafka's names (ConsumerConfig, declared in
 * src/nodes/config/clientSettings.ts), as the scenario schema parses them: group.instance.id
 * left out when unset, and enable.auto.commit resolved by the cluster builder from the
 * processing mode.
 */
export type ConsumerConfig = Omit<ConsumerSettings, 'group.instance.id' | 'enable.auto.commit'> & {
  readonly 'group.instance.id'?: string;
  readonly 'enable.auto.commit': boolean;
};

/** One call the application makes on its consumer at a given local time (microseconds since the run began). */
export interface ConsumerAction {
  readonly at: number;
  readonly do: 'seek' | 'seekToBeginning' | 'seekToEnd' | 'pause' | 'resume' | 'commitSync' | 'commitAsync';
  /** "orders-0"; default every assigned partition. */
  readonly partition?: string;
  /** For seek. */
  readonly offset?: number;
  /** Which instance makes the call (from 1); default all. */
  readonly member?: number;
}

/**
 * A processor's output: each input record becomes one record of `topic` carrying the input's
 * message id. `transactional` produces and commits the input offsets in one transaction per
 * poll (KIP-98, KIP-447); `commit-after-process` produces idempotently, then commits.
 */
export interface ProcessorOutput {
  readonly topic: string;
  readonly mode: 'transactional' | 'commit-after-process';
  /** What the processor's producer adds to its consumer's settings, by Kafka name. */
  readonly settings: ProcessorSettings;
  readonly valueBytes: number;
  /** The cluster's transaction.version, which a client learns from ApiVersions. */
  readonly transactionVersion: 1 | 2;
}

/** When the application commits, relative to processing (the scenario's processing.mode). */
export type ProcessingMode = 'commit-before-process' | 'commit-after-process' | 'auto-commit';

export interface ConsumerDurable {
  /** The scenario client's id (`c1`); this member's name is `c1-<index>`. */
  readonly clientId: string;
  readonly index: number;
  readonly group: string;
  readonly topics: readonly string[];
  readonly brokers: readonly number[];
  readonly config: ConsumerConfig;
  readonly processing: { readonly mode: ProcessingMode; readonly time: readonly [Duration, Duration] };
  /** Local-clock instant the application starts, in microseconds since the run began. */
  readonly start: number;
  /** Calls the application makes at given times: seek, pause, commitSync … */
  readonly actions?: readonly ConsumerAction[];
  /** A processor (consume-transform-produce): where each processed record's output goes, and how. */
  readonly output?: ProcessorOutput;
  readonly history: History;
}

type Fetched = FetchedRecord;

/** The poll(Duration) an application calls in its loop. */
const POLL_TIMEOUT_MS = 100;

/**
 * One member of a consumer group (Kafka's KafkaConsumer with its ConsumerCoordinator and
 * heartbeat thread; positions and fetching are its Fetcher's, fetcher.ts), with the
 * application loop around it: poll, process each record for the scenario's processing time,
 * and commit before or after processing, or let auto-commit do it; or, for a processor,
 * produce each record's output and commit in a transaction. Its fields are the client's state; nothing survives a crash, so a
 * restarted member rejoins and resumes from the group's committed offsets, as a real one does.
 *
 * History operations, per member (the process is `client-index`): `assign` and `revoke`
 * when a rebalance gives or takes partitions, `poll` with the records it returned, `process`
 * (invoked when the application starts a record, ok when it finishes), `commit`, and `seek`
 * when the position jumps (auto.offset.reset after an out-of-range fetch, or a detected
 * truncation).
 */
/** KafkaConsumer.close()'s default timeout. */
const CLOSE_TIMEOUT_MS = 30_000;

export class Consumer implements Process<KafkaMessage> {
  private readonly name: string;
  private metadata = new Map<string, PartitionMetadata>();
  private partitionCounts: Record<string, number> = {};
  private metadataInFlight = false;

  /** This member's place in its group: coordinator, member id, generation, assignment. */
  private readonly membership: GroupMembership;

  /** metadata.max.age.ms: refreshes metadata that has grown that old. */
  private readonly metadataAge: MetadataMaxAge<KafkaMessage>;
  /** Positions, fetches and fetched records. */
  private readonly fetcher: Fetcher;

  /** A processor's consume-transform-produce stage. */
  private stage: ProcessorStage | undefined;
  // The application.
  private busy = false;
  private lastPollAt = 0;
  private lastAutoCommitAt = 0;
  private pollTimer: TimerHandle | undefined;
  /**
   * The end of a poll's processing: the next poll. One function, not a closure per poll: a closure
   * would share poll()'s scope, and so keep the polled records alive until a processor's
   * transaction ends.
   */
  private readonly pollDone = (): void => {
    this.busy = false;
    this.poll();
  };
  /** SIGTERM came: how to exit once the poll loop has ended and close() is done. */
  private closing: (() => void) | undefined;
  /** close() has begun: the poll loop is over. */
  private closed = false;

  /** The node's context, its requests under Kafka's reconnect backoff. */
  private readonly ctx: BackedOffContext<KafkaMessage>;

  constructor(
    ctx: HostContext<KafkaMessage>,
    private readonly durable: ConsumerDurable,
  ) {
    // A processor's producer has sockets of its own (channel 1), set up and backed off apart
    // from the consumer's, as a Streams thread's KafkaProducer has its own NetworkClient.
    const producerStates = new ClusterConnectionStates<KafkaMessage>({ ...ctx, rng: ctx.rng.fork('producer') }, durable.config, PRODUCER_CHANNEL);
    this.ctx = withConnectionStates(ctx, new ClusterConnectionStates(ctx, durable.config), producerStates);
    this.name = `${durable.clientId}-${durable.index}`;
    this.metadataAge = new MetadataMaxAge(this.ctx, durable.config['metadata.max.age.ms'], () => this.refreshMetadata());
    this.fetcher = new Fetcher({
      ctx: this.ctx,
      config: durable.config,
      group: durable.group,
      member: this.name,
      history: durable.history,
      assignment: () => this.membership.assignment,
      assignmentVersion: () => this.membership.assignmentVersion,
      partition: (name) => this.metadata.get(name),
      refreshMetadata: () => this.refreshMetadata(),
      coordinator: () => this.membership.coordinator,
      findCoordinator: () => this.membership.findCoordinator(),
      coordinatorLost: () => this.membership.coordinatorLost(),
      recordsArrived: () => {
        if (!this.busy && this.pollTimer !== undefined) {
          this.ctx.cancel(this.pollTimer);
          this.pollTimer = undefined;
          this.poll();
        }
      },
    });
    this.membership = new GroupMembership({
      ctx: this.ctx,
      config: durable.config,
      group: durable.group,
      topics: durable.topics,
      clientId: durable.clientId,
      index: durable.index,
      member: this.name,
      history: durable.history,
      brokers: durable.brokers,
      fetcher: this.fetcher,
      partitionCounts: () => this.partitionCounts,
      partitionCountsKnown: () => this.partitionCountsKnown(),
      refreshMetadata: () => this.refreshMetadata(),
      commitSync: (done) => this.commit(done, true),
      lastPollAt: () => this.lastPollAt,
    });
  }

  private get config(): ConsumerConfig {
    return this.durable.config;
  }

  onStart(): void {
    const delay = Math.max(0, this.durable.start - this.ctx.now());
    this.ctx.after(micros(delay), () => {
      this.lastPollAt = this.ctx.now();
      this.lastAutoCommitAt = this.ctx.now();
      this.refreshMetadata();
      this.metadataAge.start();
      const output = this.durable.output;
      if (output === undefined) return this.poll();
      // A processor first gets its producer id: initTransactions fences an older incarnation
      // of the same transactional.id before this one reads anything.
      this.stage = new ProcessorStage(this.processorHost(output));
      this.stage.start(() => this.poll());
    });
    // The application's own calls, at the times the scenario gives (those still ahead).
    for (const action of this.durable.actions ?? []) {
      if (action.member !== undefined && action.member !== this.durable.index) continue;
      if (action.at < this.ctx.now()) continue;
      this.ctx.after(micros(action.at - this.ctx.now()), () => this.apply(action));
    }
  }

  // ------------------------------------------------------------------ the consumer API

  private apply(action: ConsumerAction): void {
    const named = (): string[] => (action.partition === undefined ? this.membership.assignment.map((tp) => `${tp.topic}-${tp.partition}`) : [action.partition]);
    switch (action.do) {
      case 'seek':
        for (const p of named()) this.seek(p, action.offset ?? 0);
        return;
      case 'seekToBeginning':
      case 'seekToEnd':
        for (const p of named()) this.seekTo(p, action.do === 'seekToBeginning' ? 'earliest' : 'latest');
        return;
      case 'pause':
        for (const p of named()) this.fetcher.pause(p);
        return;
      case 'resume':
        for (const p of named()) this.fetcher.resume(p);
        this.fetcher.sendFetches();
        return;
      case 'commitSync':
      case 'commitAsync':
        this.commit(() => undefined, action.do === 'commitSync');
        return;
    }
  }

  /** KafkaConsumer.seek: the next poll of `partition` starts at `offset`. Only for an assigned partition, as in Kafka. */
  seek(partition: string, offset: number): void {
    this.fetcher.seek(partition, offset);
  }

  /** KafkaConsumer.seekToBeginning / seekToEnd: the position resets by ListOffsets at the next fetch. */
  seekTo(partition: string, where: 'earliest' | 'latest'): void {
    this.fetcher.seekTo(partition, where);
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * SIGTERM, as a Kafka application handles it: its shutdown hook calls wakeup(), so the
   * poll loop ends at its next poll() (a batch being processed is finished first, and
   * committed too if the application commits after processing), and then close().
   */
  onShutdown(exit: () => void): void {
    this.closing = exit;
    if (!this.busy) this.close();
  }

  /**
   * KafkaConsumer.close(), within its 30 s: with enable.auto.commit the positions are
   * committed synchronously (ConsumerCoordinator.maybeAutoCommitOffsetsSync), then a dynamic
   * member leaves the group and waits for the answer (AbstractCoordinator.close).
   */
  private close(): void {
    const exit = this.closing;
    if (exit === undefined) return;
    this.closing = undefined;
    this.closed = true;
    if (this.pollTimer !== undefined) this.ctx.cancel(this.pollTimer);
    this.pollTimer = undefined;
    this.ctx.after(millis(CLOSE_TIMEOUT_MS), exit);
    const leave = (): void => this.membership.leaveGroup('the consumer is being closed', exit);
    if (this.config['enable.auto.commit'] && this.stage === undefined && this.membership.generationId >= 0) this.commit(leave, true);
    else leave();
  }

  // ------------------------------------------------------------------ the application loop

  /**
   * KafkaConsumer.poll(): rejoin if a rebalance is due, auto-commit what the previous poll
   * returned (the position, not what was processed), then hand out up to max.poll.records.
   */
  private poll(): void {
    if (this.closing !== undefined) return this.close();
    if (this.closed || this.membership.fenced || this.busy) return;
    this.pollTimer = undefined;
    this.lastPollAt = this.ctx.now();
    if (this.membership.rejoinNeeded || this.membership.joinState !== 'stable') {
      this.membership.ensureGroup();
      this.pollLater();
      return;
    }
    if (this.config['enable.auto.commit'] && this.ctx.now() - this.lastAutoCommitAt >= millis(this.config['auto.commit.interval.ms'])) {
      this.lastAutoCommitAt = this.ctx.now();
      this.commit(() => undefined, false);
    }
    const records = this.fetcher.take(this.config['max.poll.records']);
    this.fetcher.sendFetches();
    if (records.length === 0) {
      this.pollLater();
      return;
    }
    const isolation = this.config['isolation.level'] === 'read_committed' ? { isolation: 'read_committed' } : {};
    this.durable.history.complete(this.invoke('poll', {}), 'ok', { generation: this.membership.generationId, ...isolation, member: this.name, records: records.map((r) => [r.partition, r.offset, r.id ?? null]) });
    const generation = this.membership.generationId;
    const processAll = (done: () => void): void => this.processRecords(records, generation, 0, done);
    this.busy = true;
    const finish = this.pollDone;
    if (this.stage !== undefined) {
      this.stage.transform(records, generation, finish);
      return;
    }
    switch (this.durable.processing.mode) {
      case 'commit-before-process':
        // At most once: the offsets are committed before the records are processed.
        this.commit((ok) => (ok ? processAll(finish) : finish()), true);
        return;
      case 'commit-after-process':
        // At least once: processed first, committed after.
        processAll(() => this.commit(finish, true));
        return;
      case 'auto-commit':
        processAll(finish);
        return;
    }
  }

  /** What a processor stage may use of this member: its loop, its group, its metadata. */
  private processorHost(output: ProcessorOutput): ProcessorHost {
    return {
      ctx: this.ctx,
      output,
      config: this.config,
      group: this.durable.group,
      member: this.name,
      history: this.durable.history,
      brokers: this.durable.brokers,
      partitionCount: (topic) => this.partitionCounts[topic] ?? 0,
      partition: (name) => this.metadata.get(name),
      refreshMetadata: () => this.refreshMetadata(),
      process: (records, generation, done, onProcessed) => this.processRecords(records, generation, 0, done, onProcessed),
      commitOffsets: (done) => this.commit(done, true),
      rewind: (done) => this.rewind(done),
      offsets: () => this.fetcher.offsets(),
      membership: () => ({ memberId: this.membership.memberId, generationId: this.membership.generationId, groupInstanceId: this.membership.groupInstanceId, stable: this.membership.generationId >= 0 && this.membership.joinState === 'stable' }),
      coordinator: () => this.membership.coordinator,
      fenced: () => {
        this.membership.setAssignment([], 'revoke');
        this.membership.rejoinNeeded = true;
      },
    };
  }

  /** After an abort, read again from the committed offsets (as an EOS application must). */
  private rewind(finish: () => void): void {
    const assigned = [...this.membership.assignment];
    this.membership.assignmentVersion++;
    this.fetcher.rewindToCommitted(assigned);
    finish();
  }

  private pollLater(): void {
    if (this.pollTimer !== undefined || this.membership.fenced) return;
    this.pollTimer = this.ctx.after(millis(POLL_TIMEOUT_MS), () => this.poll());
  }

  private processRecords(records: readonly Fetched[], generation: number, from: number, done: () => void, onProcessed?: (r: Fetched) => void): void {
    const [lo, hi] = this.durable.processing.time;
    for (let i = from; i < records.length; i++) {
      const r = records[i];
      // The key, and a tombstone's mark, let a checker rebuild the table a compacted topic stands for.
      const value = { generation, id: r.id ?? null, key: r.key, member: this.name, offset: r.offset, partition: r.partition, ...(r.tombstone ? { tombstone: true } : {}) };
      const op = this.invoke('process', value);
      const delay = hi > lo ? this.ctx.rng.int(lo, hi) : lo;
      if (delay === 0) {
        // Processing that takes no simulated time finishes at once, without a timer per record.
        this.durable.history.complete(op, 'ok', value);
        onProcessed?.(r);
        continue;
      }
      this.ctx.after(micros(delay), () => {
        this.durable.history.complete(op, 'ok', value);
        onProcessed?.(r);
        this.processRecords(records, generation, i + 1, done, onProcessed);
      });
      return;
    }
    done();
  }

  // ------------------------------------------------------------------ commits

  /**
   * commitSync (`sync`: retried on coordinator errors until it succeeds or fails for good)
   * or commitAsync of the current positions. `done(true)` when the coordinator took them.
   */
  private commit(done: (ok: boolean) => void, sync: boolean): void {
    const offsets = this.fetcher.offsets();
    if (offsets.length === 0) {
      done(true);
      return;
    }
    const value = { generation: this.membership.generationId, member: this.name, offsets: Object.fromEntries(offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset])) };
    const op = this.invoke('commit', value);
    if (this.membership.generationId < 0) {
      // Kafka's client does not even send it: a member that knows it is out of the group
      // fails the commit (ConsumerCoordinator.sendOffsetCommitRequest, CommitFailedException).
      this.durable.history.complete(op, 'fail', value, 'CommitFailedException');
      done(false);
      return;
    }
    const deadline = addDuration(this.ctx.now(), millis(60_000)); // default.api.timeout.ms
    const attempt = (): void => {
      if (this.membership.coordinator < 0) {
        this.membership.findCoordinator();
        if (sync && this.ctx.now() < deadline) this.ctx.after(millis(this.config['retry.backoff.ms']), attempt);
        else {
          this.durable.history.complete(op, 'fail', value, 'COORDINATOR_NOT_AVAILABLE');
          done(false);
        }
        return;
      }
      const req = message('OffsetCommit', { groupId: this.durable.group, memberId: this.membership.memberId, groupInstanceId: this.membership.groupInstanceId, generationId: this.membership.generationId, offsets });
      this.ctx.request(brokerNode(this.membership.coordinator), req, { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
        const error = !r.ok ? r.error : r.response.type === 'OffsetCommitResponse' ? r.response.error : 'UNKNOWN_SERVER_ERROR';
        if (error === undefined) {
          this.durable.history.complete(op, 'ok', value);
          done(true);
          return;
        }
        if (COORDINATOR_ERRORS.has(error)) {
          this.membership.coordinatorLost();
          if (sync && this.ctx.now() < deadline) {
            this.ctx.after(millis(this.config['retry.backoff.ms']), attempt);
            return;
          }
        }
        // A timed-out commit may still have been written.
        this.durable.history.complete(op, error === 'timeout' || error === 'disconnected' ? 'info' : 'fail', value, error);
        this.membership.onGroupError(error);
        done(false);
      });
    };
    attempt();
  }

  // ------------------------------------------------------------------ metadata

  private partitionCountsKnown(): boolean {
    return this.durable.topics.every((t) => (this.partitionCounts[t] ?? 0) > 0);
  }

  private refreshMetadata(): void {
    if (this.metadataInFlight) return;
    this.metadataInFlight = true;
    const broker = this.ctx.rng.pick(this.durable.brokers);
    const topics = this.durable.output === undefined ? this.durable.topics : [...this.durable.topics, this.durable.output.topic];
    this.ctx.request(brokerNode(broker), message('Metadata', { topics }), { timeout: millis(this.config['request.timeout.ms']) }, (r) => {
      this.metadataInFlight = false;
      if (r.ok && r.response.type === 'MetadataResponse') {
        const next = new Map<string, PartitionMetadata>();
        const counts: Record<string, number> = {};
        for (const p of r.response.partitions) {
          if (!topics.includes(p.topic)) continue;
          next.set(`${p.topic}-${p.partition}`, p);
          counts[p.topic] = Math.max(counts[p.topic] ?? 0, p.partition + 1);
        }
        if (next.size > 0) {
          this.metadata = next;
          this.partitionCounts = counts;
          this.metadataAge.refreshed();
        }
      }
      const complete = this.partitionCountsKnown() && [...this.metadata.values()].every((p) => p.leader >= 0);
      if (!complete) this.ctx.after(millis(this.config['retry.backoff.ms']), () => this.refreshMetadata());
      this.fetcher.sendFetches();
    });
  }

  onDisconnect(peer: string, channel: number): void {
    // Channel 1 is a processor's producer (TransactionalProducer): its sockets are not the consumer's.
    this.ctx.connectionLost(peer, channel);
    if (channel !== 0) return;
    if (peer === brokerNode(this.membership.coordinator)) this.membership.coordinatorLost();
    this.refreshMetadata();
  }

  private invoke(f: string, value: object): Op {
    return this.durable.history.invoke(this.name, f, value);
  }

  /**
   * For the harness's probe, read only: the member's side of its group (AbstractCoordinator's
   * state, generation and member id, ConsumerCoordinator's assignment) and its fetch positions
   * (SubscriptionState), as KafkaConsumer's groupMetadata(), assignment() and position() show them.
   */
  describe(): ConsumerDescription {
    const m = this.membership;
    return {
      joinState: m.joinState,
      memberId: m.memberId,
      generation: m.generationId,
      coordinator: m.coordinator,
      assignment: m.assignment.map((tp) => `${tp.topic}-${tp.partition}`),
      positions: this.fetcher.offsets().map((o) => ({ partition: `${o.topic}-${o.partition}`, offset: o.offset })),
    };
  }
}

/** A group member as its probe view reads it. */
export interface ConsumerDescription {
  readonly joinState: 'unjoined' | 'joining' | 'stable';
  readonly memberId: string;
  readonly generation: number;
  /** The coordinator's broker id; -1 while unknown. */
  readonly coordinator: number;
  readonly assignment: readonly string[];
  readonly positions: readonly { readonly partition: string; readonly offset: number }[];
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A member left its group on its own (max.poll.interval.ms passed without a poll). */
    'consumer.leave': { readonly member: string; readonly generation: number; readonly reason: string };
    'consumer.error': { readonly member: string; readonly partition: string; readonly error: ClientException };
    /** auto.offset.reset set a member's position: `reason` says why it had none (no committed offset, out of range, …). */
    'consumer.reset': { readonly member: string; readonly partition: string; readonly reason: string; readonly policy: 'earliest' | 'latest'; readonly offset: number };
  }
}

declareTraceKind('consumer.leave', ['member', 'generation', 'reason']);
declareTraceKind('consumer.error', ['member', 'partition', 'error']);
declareTraceKind('consumer.reset', ['member', 'partition', 'reason', 'policy', 'offset']);
