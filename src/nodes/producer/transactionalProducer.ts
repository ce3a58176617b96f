import type { NodeContext, RequestOptions } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import { encodeBatch, type RecordInput } from '../../log/recordBatch.js';
import { brokerNode, message, produceOutcome, type KafkaMessage, type PartitionMetadata, type PartitionOffset, type ProduceRequest, type TxnResponse } from '../protocol.js';

/** How a transaction ended for the application. */
export type TxnOutcome = 'committed' | 'aborted' | 'fenced';

export interface TransactionalProducerConfig {
  /** transactional.id; without one the producer is only idempotent and commit() just waits for the sends. */
  readonly transactionalId: string | undefined;
  readonly transactionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** delivery.timeout.ms: how long a batch is retried before the transaction must abort. */
  readonly deliveryTimeoutMs: number;
  /** The cluster's transaction.version: with 2, every EndTxn answer brings the next epoch (KIP-890 part 2). */
  readonly transactionVersion: 1 | 2;
}

/** What the producer asks of the client it lives in: brokers, leaders, and its member identity for KIP-447. */
export interface TransactionalProducerHost {
  readonly brokers: readonly number[];
  leaderOf(partition: string): PartitionMetadata | undefined;
  refreshMetadata(): void;
}

/** Fatal errors (Kafka's ProducerFencedException and friends): the producer can do nothing more. */
const FATAL = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_ID_MAPPING']);
/** Errors that mean "find the coordinator again and retry". */
const COORDINATOR = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS', 'timeout', 'disconnected']);
/** Produce errors retried with the same sequence. */
const RETRIABLE = new Set(['NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'timeout', 'disconnected']);

/** The network channel of a processor's producer: its consumer uses channel 0. */
const PRODUCER_CHANNEL = 1;

/** TransactionManager's backoff for CONCURRENT_TRANSACTIONS (ADD_PARTITIONS_RETRY_BACKOFF_MS). */
const CONCURRENT_RETRY_MS = 20;

type State = 'uninitialized' | 'initializing' | 'ready' | 'in-transaction' | 'ending' | 'fatal';

/** A batch waiting in the outbox for its leader's next Produce request, and what to do with the answer. */
interface OutboxEntry {
  readonly leader: number;
  readonly topic: string;
  readonly partition: number;
  readonly batch: Buffer;
  readonly answer: (error: string | undefined) => void;
}

/** One partition's batches: waiting to go, in flight (up to MAX_IN_FLIGHT_PER_PARTITION), backing off. */
interface Lane {
  readonly queue: { readonly records: readonly RecordInput[]; readonly done: (ok: boolean) => void }[];
  /** Batches sent (or being added to the transaction) and not yet answered for good. */
  inFlight: number;
  /** Batches waiting out retry.backoff.ms: nothing new goes until they are sent again. */
  retrying: number;
  /** Sequences of the batches not yet written, in order: the first is the one the broker expects next. */
  readonly unacked: number[];
}

/**
 * Batches in flight per partition: Kafka's idempotent and transactional producers keep up to
 * five (max.in.flight.requests.per.connection, capped at 5 with idempotence), in order.
 */
const MAX_IN_FLIGHT_PER_PARTITION = 5;
/** max.in.flight.requests.per.connection: Produce requests unanswered per broker. */
const MAX_IN_FLIGHT_REQUESTS = 5;

/**
 * The transactional side of a KafkaProducer (its TransactionManager), used by a processor:
 * initTransactions (InitProducerId with the transactional.id, fencing older incarnations),
 * beginTransaction, sends to partitions added with AddPartitionsToTxn, sendOffsetsToTransaction
 * (AddOffsetsToTxn, then TxnOffsetCommit with the consumer's group metadata, KIP-447), and
 * commit or abort with EndTxn. Errors follow Kafka's classes: fatal ones (fenced) stop it;
 * abortable ones turn the commit into an abort; retriable ones are retried. After an abort
 * it asks for the next epoch (as KIP-360 clients do after errors), which restarts sequences.
 */
export class TransactionalProducer {
  state: State = 'uninitialized';
  producerId = -1;
  producerEpoch = -1;
  private coordinator = -1;
  private readonly sequences = new Map<string, number>();
  /** Per partition: batches waiting to be sent, and those in flight. */
  private readonly lanes = new Map<string, Lane>();
  private readonly added = new Set<string>();
  /** Partitions waiting to be added to the transaction, with who waits; one AddPartitionsToTxn out at a time. */
  private readonly addWaiters = new Map<string, ((error: string | undefined) => void)[]>();
  private adding = false;
  private inFlight = 0;
  /** Batches ready to send, by leader and topic, as the requests they will go in (see sendOutbox); `outboxDue` when a send is scheduled. */
  private readonly outbox = new Map<string, OutboxEntry[][]>();
  /** Produce requests unanswered, per broker. */
  private readonly produceRequestsTo = new Map<number, number>();
  private outboxDue = false;
  private whenIdle: (() => void)[] = [];
  /** Why the open transaction can only abort. */
  private abortable: string | undefined;
  /** The fatal error that stopped the producer. */
  fatal: string | undefined;
  /** Why the last transaction aborted. */
  abortReason: string | undefined;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly host: TransactionalProducerHost,
    private readonly config: TransactionalProducerConfig,
  ) {}

  /**
   * Its requests go on a connection of their own (channel 1): in Kafka the application's
   * KafkaProducer has its own NetworkClient beside its KafkaConsumer's, so a timeout that
   * closes the producer's connection leaves the consumer's fetches alone.
   */
  private requestOptions(): RequestOptions {
    return { timeout: millis(this.config.requestTimeoutMs), channel: PRODUCER_CHANNEL };
  }

  get transactional(): boolean {
    return this.config.transactionalId !== undefined;
  }

  // ------------------------------------------------------------------ initTransactions

  init(done: () => void): void {
    if (this.state === 'fatal') return;
    this.state = 'initializing';
    const attempt = (): void => {
      const transactionalId = this.config.transactionalId;
      const to = transactionalId === undefined ? this.ctx.rng.pick(this.host.brokers) : this.coordinator;
      if (to < 0) return this.findCoordinator(attempt);
      const req = message('InitProducerId', transactionalId === undefined ? {} : { transactionalId, transactionTimeoutMs: this.config.transactionTimeoutMs });
      this.ctx.request(brokerNode(to), req, this.requestOptions(), (r) => {
        const error = !r.ok ? r.error : r.response.type === 'InitProducerIdResponse' ? r.response.error : 'UNKNOWN_SERVER_ERROR';
        if (error === undefined && r.ok && r.response.type === 'InitProducerIdResponse') {
          this.takeEpoch(r.response.producerId, r.response.producerEpoch);
          this.state = 'ready';
          done();
          return;
        }
        if (error !== undefined && FATAL.has(error)) return this.fail(error);
        if (error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'timeout' || error === 'disconnected') this.coordinator = -1;
        this.ctx.after(millis(this.config.retryBackoffMs), attempt);
      });
    };
    attempt();
  }

  /** A new producer id and epoch: sequences start over, and requests of older epochs are fenced. */
  private takeEpoch(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.sequences.clear();
    this.ctx.trace.emit('txn.producer', { node: this.ctx.id, transactionalId: this.config.transactionalId ?? '', producerId, producerEpoch });
  }

  private findCoordinator(then: () => void): void {
    const broker = this.ctx.rng.pick(this.host.brokers);
    const req = message('FindCoordinator', { keyType: 'transaction', key: this.config.transactionalId as string });
    this.ctx.request(brokerNode(broker), req, this.requestOptions(), (r) => {
      if (r.ok && r.response.type === 'FindCoordinatorResponse' && r.response.error === undefined) this.coordinator = r.response.nodeId;
      this.ctx.after(millis(this.coordinator < 0 ? this.config.retryBackoffMs : 0), then);
    });
  }

  private fail(error: string): void {
    this.state = 'fatal';
    this.fatal = error;
    this.ctx.trace.emit('txn.fenced', { node: this.ctx.id, transactionalId: this.config.transactionalId ?? '', producerId: this.producerId, producerEpoch: this.producerEpoch, error });
    this.settleIdle();
  }

  // ------------------------------------------------------------------ a transaction

  begin(): void {
    if (this.state !== 'ready') return;
    this.state = 'in-transaction';
    this.abortable = undefined;
    this.added.clear();
  }

  /**
   * Sends `records` to `partition` as one batch, acks=all (inside the transaction, once the
   * partition has been added to it). `done(true)` once written.
   */
  send(partition: string, records: readonly RecordInput[], done: (ok: boolean) => void): void {
    if (this.state === 'fatal' || records.length === 0) return done(this.state !== 'fatal');
    this.inFlight++;
    const lane = this.lanes.get(partition) ?? { queue: [], inFlight: 0, retrying: 0, unacked: [] };
    this.lanes.set(partition, lane);
    lane.queue.push({
      records,
      done: (ok) => {
        this.inFlight--;
        done(ok);
        this.settleIdle();
      },
    });
    this.pump(partition, lane);
  }

  /**
   * Sends a partition's batches in order once the partition is in the transaction, up to
   * five in flight (Kafka's idempotent producer), none while one of them waits to be retried
   * (the accumulator holds a partition whose batch is being retried), so sequences reach the
   * broker in the order they were given.
   */
  private pump(partition: string, lane: Lane): void {
    if (lane.inFlight >= MAX_IN_FLIGHT_PER_PARTITION || lane.retrying > 0 || lane.queue.length === 0) return;
    lane.inFlight++;
    const next = lane.queue.shift() as Lane['queue'][number];
    let sequence = -1;
    const finish = (ok: boolean): void => {
      lane.inFlight--;
      const i = lane.unacked.indexOf(sequence);
      if (i >= 0) lane.unacked.splice(i, 1);
      next.done(ok);
      this.pump(partition, lane);
    };
    // A transaction that can only abort sends nothing more (RecordAccumulator.abortUndrainedBatches).
    if (this.transactional && this.abortable !== undefined) return finish(false);
    this.addToTransaction([partition], (error) => {
      if (error !== undefined || this.state === 'fatal') {
        this.markAbortable(error ?? 'fatal');
        return finish(false);
      }
      sequence = this.sequences.get(partition) ?? 0;
      this.sequences.set(partition, sequence + next.records.length);
      lane.unacked.push(sequence);
      const batch = encodeBatch(next.records, { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: sequence, isTransactional: this.transactional });
      this.produce(partition, lane, sequence, batch, this.ctx.now(), finish);
    });
    this.pump(partition, lane);
  }

  private produce(partition: string, lane: Lane, sequence: number, batch: Buffer, startedAt: number, finish: (ok: boolean) => void): void {
    const m = /^(.*)-(\d+)$/.exec(partition) as RegExpExecArray;
    const leader = this.host.leaderOf(partition)?.leader ?? -1;
    const retry = (): void => {
      if (this.ctx.now() - startedAt >= this.config.deliveryTimeoutMs * 1000) {
        this.markAbortable('delivery.timeout.ms');
        return finish(false);
      }
      this.host.refreshMetadata();
      lane.retrying++;
      this.ctx.after(millis(this.config.retryBackoffMs), () => {
        lane.retrying--;
        this.produce(partition, lane, sequence, batch, startedAt, finish);
        this.pump(partition, lane);
      });
    };
    if (leader < 0) return retry();
    const answer = (error: string | undefined): void => {
      if (error === undefined || error === 'DUPLICATE_SEQUENCE_NUMBER') return finish(true);
      if (FATAL.has(error)) {
        this.fail(error);
        return finish(false);
      }
      // A batch refused as out of order while an earlier one of the partition is still
      // unwritten only went ahead of it (TransactionManager.canRetry): retry it behind it.
      if (RETRIABLE.has(error) || (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && lane.unacked[0] !== sequence)) return retry();
      // INVALID_TXN_STATE (KIP-890 refused the write), OUT_OF_ORDER_SEQUENCE_NUMBER …: abortable.
      this.markAbortable(error);
      finish(false);
    };
    const send: OutboxEntry = { leader, topic: m[1], partition: Number(m[2]), batch, answer };
    // One batch of a partition per request: a second goes in the next request, behind it.
    const key = `${leader}\u0000${send.topic}`;
    const requests = this.outbox.get(key);
    const last = requests?.at(-1);
    if (requests === undefined) this.outbox.set(key, [[send]]);
    else if (last === undefined || last.some((e) => e.partition === send.partition)) requests.push([send]);
    else last.push(send);
    this.scheduleOutbox();
  }

  /**
   * Sends what is ready, one Produce request per leader (and topic) with a batch of each of
   * its partitions, as Kafka's Sender drains a ready node: the batches a processor hands over
   * while it works through a poll go together.
   */
  private sendOutbox(): void {
    this.outboxDue = false;
    for (const [key, requests] of [...this.outbox]) {
      // At most max.in.flight.requests.per.connection (5) Produce requests per broker: the
      // rest wait, in order, for an answer (Kafka's NetworkClient.isReady / InFlightRequests).
      while (requests.length > 0 && (this.produceRequestsTo.get(requests[0][0].leader) ?? 0) < MAX_IN_FLIGHT_REQUESTS) this.sendProduce(requests.shift() as OutboxEntry[]);
      if (requests.length === 0) this.outbox.delete(key);
    }
  }

  private sendProduce(entries: readonly OutboxEntry[]): void {
    const { leader } = entries[0];
    const req = message<ProduceRequest>('Produce', {
      acks: 'all',
      timeoutMs: this.config.requestTimeoutMs,
      topic: entries[0].topic,
      partitions: entries.map((e) => ({ partition: e.partition, records: e.batch })),
      transactionalId: this.config.transactionalId,
    });
    this.produceRequestsTo.set(leader, (this.produceRequestsTo.get(leader) ?? 0) + 1);
    this.ctx.request(brokerNode(leader), req, this.requestOptions(), (r) => {
      this.produceRequestsTo.set(leader, (this.produceRequestsTo.get(leader) ?? 1) - 1);
      for (const e of entries) e.answer(produceOutcome(r, e.partition).error);
      if (this.outbox.size > 0) this.scheduleOutbox();
    });
  }

  /** Sends the outbox once the current event is done, so batches handed over together go together. */
  private scheduleOutbox(): void {
    if (this.outboxDue) return;
    this.outboxDue = true;
    this.ctx.after(millis(0), () => this.sendOutbox());
  }

  /**
   * AddPartitionsToTxn for partitions not in the transaction yet (a non-transactional
   * producer has nothing to add). Partitions asked for while a request is out go together in
   * the next one, as the TransactionManager collects newly used partitions.
   */
  private addToTransaction(partitions: readonly string[], done: (error: string | undefined) => void): void {
    const missing = partitions.filter((p) => !this.added.has(p));
    if (!this.transactional || missing.length === 0) return done(undefined);
    let left = missing.length;
    let failed: string | undefined;
    for (const p of missing) {
      const list = this.addWaiters.get(p) ?? [];
      list.push((error) => {
        failed ??= error;
        if (--left === 0) done(failed);
      });
      this.addWaiters.set(p, list);
    }
    this.flushAdds();
  }

  private flushAdds(): void {
    if (this.adding || this.addWaiters.size === 0) return;
    this.adding = true;
    const waiting = new Map(this.addWaiters);
    this.addWaiters.clear();
    const partitions = [...waiting.keys()];
    this.coordinatorCall(() => message('AddPartitionsToTxn', { ...this.ids(), partitions }), (error) => {
      this.adding = false;
      if (error === undefined) for (const p of partitions) this.added.add(p);
      for (const list of waiting.values()) for (const cb of list) cb(error);
      this.flushAdds();
    });
  }

  /**
   * sendOffsetsToTransaction (KIP-447): the group's partition of `__consumer_offsets` joins
   * the transaction, then the offsets go to the group coordinator with the member's
   * generation, to be committed with the transaction.
   */
  sendOffsets(groupId: string, offsets: readonly PartitionOffset[], member: { memberId: string; generationId: number; groupInstanceId?: string }, groupCoordinator: () => number, done: (ok: boolean) => void): void {
    if (!this.transactional || this.state !== 'in-transaction') return done(false);
    this.inFlight++;
    const finish = (ok: boolean): void => {
      this.inFlight--;
      done(ok);
      this.settleIdle();
    };
    this.coordinatorCall(
      () => message('AddOffsetsToTxn', { ...this.ids(), groupId }),
      (error) => {
        if (error !== undefined) {
          this.markAbortable(error);
          return finish(false);
        }
        const attempt = (): void => {
          const to = groupCoordinator();
          const req = message('TxnOffsetCommit', { ...this.ids(), groupId, memberId: member.memberId, generationId: member.generationId, groupInstanceId: member.groupInstanceId, offsets });
          if (to < 0) return void this.ctx.after(millis(this.config.retryBackoffMs), attempt);
          this.ctx.request(brokerNode(to), req, this.requestOptions(), (r) => {
            const e = !r.ok ? r.error : r.response.type === 'TxnOffsetCommitResponse' ? r.response.error : 'UNKNOWN_SERVER_ERROR';
            if (e === undefined) return finish(true);
            if (FATAL.has(e)) {
              this.fail(e);
              return finish(false);
            }
            if (COORDINATOR.has(e)) return void this.ctx.after(millis(this.config.retryBackoffMs), attempt);
            // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID: this member's offsets may not commit.
            this.markAbortable(e);
            finish(false);
          });
        };
        attempt();
      },
    );
  }

  /** commitTransaction: once every send is in, EndTxn(commit); an abortable error makes it an abort. */
  commit(done: (outcome: TxnOutcome) => void): void {
    this.end(true, done);
  }

  abort(done: (outcome: TxnOutcome) => void): void {
    this.end(false, done);
  }

  private end(commit: boolean, done: (outcome: TxnOutcome) => void): void {
    this.onIdle(() => {
      if (this.state === 'fatal') return done('fenced');
      if (!this.transactional) {
        this.state = 'ready';
        return done(this.abortable === undefined && commit ? 'committed' : 'aborted');
      }
      const doCommit = commit && this.abortable === undefined;
      this.abortReason = doCommit ? undefined : (this.abortable ?? 'abortTransaction');
      this.state = 'ending';
      // A transaction that never added a partition has nothing for the coordinator to end.
      if (this.added.size === 0) {
        this.state = 'ready';
        return done(doCommit ? 'committed' : 'aborted');
      }
      this.coordinatorCall(
        () => message('EndTxn', { ...this.ids(), commit: doCommit }),
        (error, response) => {
          if (this.state === 'fatal') return done('fenced');
          if (error !== undefined && !doCommit) {
            this.fail(error);
            return done('fenced');
          }
          if (error !== undefined) {
            // The commit cannot go through: abort instead.
            this.abortable = error;
            this.state = 'in-transaction';
            return this.end(false, done);
          }
          // Transaction version 2: the coordinator bumped the epoch as it ended the transaction.
          if (response?.producerEpoch !== undefined) {
            this.takeEpoch(response.producerId ?? this.producerId, response.producerEpoch);
            this.state = 'ready';
            return done(doCommit ? 'committed' : 'aborted');
          }
          if (doCommit) {
            this.state = 'ready';
            return done('committed');
          }
          // After an abort, the next epoch: sequences start over, and older requests are fenced.
          this.init(() => done('aborted'));
        },
      );
    });
  }

  /** A request to the transaction coordinator, retried on coordinator errors; fatal errors stop the producer. */
  private coordinatorCall(build: () => KafkaMessage, done: (error: string | undefined, response?: TxnResponse) => void): void {
    const attempt = (): void => {
      if (this.state === 'fatal') return done(this.fatal);
      if (this.coordinator < 0) return this.findCoordinator(attempt);
      this.ctx.request(brokerNode(this.coordinator), build(), this.requestOptions(), (r) => {
        const error = !r.ok ? r.error : r.response.type === 'TxnResponse' ? r.response.error : 'UNKNOWN_SERVER_ERROR';
        if (error === undefined) return done(undefined, r.ok && r.response.type === 'TxnResponse' ? r.response : undefined);
        if (FATAL.has(error)) {
          this.fail(error);
          return done(error);
        }
        if (COORDINATOR.has(error)) {
          if (error !== 'CONCURRENT_TRANSACTIONS') this.coordinator = -1;
          // The previous transaction is still completing: Kafka retries these after 20 ms.
          return void this.ctx.after(millis(error === 'CONCURRENT_TRANSACTIONS' ? CONCURRENT_RETRY_MS : this.config.retryBackoffMs), attempt);
        }
        done(error);
      });
    };
    attempt();
  }

  private ids(): { transactionalId: string; producerId: number; producerEpoch: number } {
    return { transactionalId: this.config.transactionalId as string, producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  private markAbortable(error: string): void {
    this.abortable ??= error;
  }

  private onIdle(fn: () => void): void {
    if (this.inFlight === 0) fn();
    else this.whenIdle.push(fn);
  }

  private settleIdle(): void {
    if (this.inFlight > 0 && this.state !== 'fatal') return;
    const waiting = this.whenIdle;
    this.whenIdle = [];
    for (const fn of waiting) fn();
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A producer got its id and epoch (InitProducerId): a transactional one fences older epochs. */
    'txn.producer': { readonly node: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number };
    /** A producer was fenced (or failed fatally): it does nothing more. */
    'txn.fenced': { readonly node: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly error: string };
  }
}

declareTraceKind('txn.producer', ['node', 'transactionalId', 'producerId', 'producerEpoch']);
declareTraceKind('txn.fenced', ['node', 'transactionalId', 'producerId', 'producerEpoch', 'error']);
