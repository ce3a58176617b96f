import type { NodeContext, RequestOptions, RpcError } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import { encodeBatch, type RecordInput } from '../../log/recordBatch.js';
import { brokerNode, message, type KafkaMessage, type PartitionMetadata, type PartitionOffset, type TxnResponse } from '../protocol.js';
import { TransactionalSender, type AbortCause } from './transactionalSender.js';
import type { KafkaErrorCode } from '../errors.js';

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
const FATAL: ReadonlySet<KafkaErrorCode | RpcError> = new Set<KafkaErrorCode>(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_ID_MAPPING']);
/** Errors that mean "find the coordinator again and retry". */
const COORDINATOR: ReadonlySet<KafkaErrorCode | RpcError> = new Set<KafkaErrorCode | RpcError>(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS', 'timeout', 'disconnected']);
/** The network channel of a processor's producer: its consumer uses channel 0. */
export const PRODUCER_CHANNEL = 1;

/** TransactionManager's backoff for CONCURRENT_TRANSACTIONS (ADD_PARTITIONS_RETRY_BACKOFF_MS). */
const CONCURRENT_RETRY_MS = 20;

type State = 'uninitialized' | 'initializing' | 'ready' | 'in-transaction' | 'ending' | 'fatal';

/**
 * The transactional side of a KafkaProducer (its TransactionManager), used by a processor:
 * initTransactions (InitProducerId with the transactional.id, fencing older incarnations),
 * beginTransaction, sends to partitions added with AddPartitionsToTxn, sendOffsetsToTransaction
 * (AddOffsetsToTxn, then TxnOffsetCommit with the consumer's group metadata, KIP-447), and
 * commit or abort with EndTxn. Errors follow Kafka's classes: fatal ones (fenced) stop it;
 * abortable ones turn the commit into an abort; retriable ones are retried. After an abort
 * it asks for the next epoch (as KIP-360 clients do after errors), which restarts sequences.
 * It gives each batch its sequence; the batches' way to the partition leaders is the
 * TransactionalSender's (transactionalSender.ts).
 */
export class TransactionalProducer {
  state: State = 'uninitialized';
  producerId = -1;
  producerEpoch = -1;
  /** The fatal error that stopped the producer. */
  fatal: KafkaErrorCode | RpcError | undefined;
  /** Why the last transaction aborted ('abortTransaction': the application asked for it). */
  abortReason: AbortCause | 'abortTransaction' | undefined;
  private coordinator = -1;
  private readonly sequences = new Map<string, number>();
  private readonly added = new Set<string>();
  /** Partitions waiting to be added to the transaction, with who waits; one AddPartitionsToTxn out at a time. */
  private readonly addWaiters = new Map<string, ((error: KafkaErrorCode | RpcError | undefined) => void)[]>();
  private adding = false;
  /** Sends and offset commits not yet answered; commit and abort wait for none. */
  private inFlight = 0;
  private whenIdle: (() => void)[] = [];
  /** Why the open transaction can only abort. */
  private abortable: AbortCause | undefined;
  /** Its batches' way to the partition leaders (Kafka's Sender and RecordAccumulator). */
  private readonly sender: TransactionalSender;

  constructor(
    private readonly ctx: NodeContext<KafkaMessage>,
    private readonly host: TransactionalProducerHost,
    private readonly config: TransactionalProducerConfig,
  ) {
    const { transactionalId, requestTimeoutMs, retryBackoffMs, deliveryTimeoutMs } = config;
    this.sender = new TransactionalSender({
      ctx,
      transactionalId,
      requestTimeoutMs,
      retryBackoffMs,
      deliveryTimeoutMs,
      requestOptions: () => this.requestOptions(),
      leaderOf: (partition) => host.leaderOf(partition),
      refreshMetadata: () => host.refreshMetadata(),
      onlyAborts: () => this.transactional && this.abortable !== undefined,
      addToTransaction: (partitions, done) => this.addToTransaction(partitions, done),
      isFatal: () => this.state === 'fatal',
      failIfFatal: (error) => this.failIfFatal(error),
      markAbortable: (error) => this.markAbortable(error),
      nextBatch: (partition, records) => this.nextBatch(partition, records),
    });
  }

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

  private fail(error: KafkaErrorCode | RpcError): void {
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
    this.sender.send(partition, records, (ok) => {
      this.inFlight--;
      done(ok);
      this.settleIdle();
    });
  }

  /** The partition's next sequence for `records`, and the batch encoded with it under the current producer id and epoch. */
  private nextBatch(partition: string, records: readonly RecordInput[]): { readonly sequence: number; readonly batch: Buffer } {
    const sequence = this.sequences.get(partition) ?? 0;
    this.sequences.set(partition, sequence + records.length);
    const batch = encodeBatch(records, { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: sequence, isTransactional: this.transactional });
    return { sequence, batch };
  }

  /** A fatal error (fenced) stops the producer: true when `error` is one. */
  private failIfFatal(error: KafkaErrorCode | RpcError): boolean {
    if (!FATAL.has(error)) return false;
    this.fail(error);
    return true;
  }

  /**
   * AddPartitionsToTxn for partitions not in the transaction yet (a non-transactional
   * producer has nothing to add). Partitions asked for while a request is out go together in
   * the next one, as the TransactionManager collects newly used partitions.
   */
  private addToTransaction(partitions: readonly string[], done: (error: KafkaErrorCode | RpcError | undefined) => void): void {
    const missing = partitions.filter((p) => !this.added.has(p));
    if (!this.transactional || missing.length === 0) return done(undefined);
    let left = missing.length;
    let failed: KafkaErrorCode | RpcError | undefined;
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
  private coordinatorCall(build: () => KafkaMessage, done: (error: KafkaErrorCode | RpcError | undefined, response?: TxnResponse) => void): void {
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

  private markAbortable(error: AbortCause): void {
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
    'txn.fenced': { readonly node: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly error: KafkaErrorCode | RpcError };
  }
}

declareTraceKind('txn.producer', ['node', 'transactionalId', 'producerId', 'producerEpoch']);
declareTraceKind('txn.fenced', ['node', 'transactionalId', 'producerId', 'producerEpoch', 'error']);
