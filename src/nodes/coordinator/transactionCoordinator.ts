import type { Log } from '../../log/log.js';
import { decodeRecords, encodeBatch, isControl } from '../../log/recordBatch.js';
import { compareStrings } from '../../sim/order.js';
import { declareTraceKind, type Trace } from '../../sim/trace.js';
import { message, type KafkaMessage } from '../protocol.js';
import { OFFSETS_TOPIC, partitionForGroup } from './offsetsTopic.js';
import {
  decodeTransactionKey,
  decodeTransactionValue,
  encodeTransactionKey,
  encodeTransactionValue,
  partitionForTransactionalId,
  type TransactionLogValue,
  type TransactionState,
} from './transactionLog.js';
import type { KafkaErrorCode } from '../errors.js';

/** What the transaction coordinator needs from the broker it lives on. */
export interface TxnCoordinatorHost {
  readonly trace: Trace;
  readonly brokerId: number;
  /** Appends to a `__transaction_state` partition this broker leads, acks=all; `done` once committed or failed. */
  append(partition: number, records: Buffer, done: (error: KafkaErrorCode | undefined) => void): void;
  /**
   * Writes COMMIT or ABORT markers to `partitions` through their leaders (WriteTxnMarkers);
   * `done` gets the partitions whose marker was not written.
   */
  writeMarkers(req: { producerId: number; producerEpoch: number; coordinatorEpoch: number; commit: boolean; partitions: readonly string[] }, done: (failed: readonly string[]) => void): void;
  /** A fresh producer id (Kafka takes them from blocks the controller allocates). */
  nextProducerId(): number;
  /** Runs `fn` after `ms` of local time, unless the broker dies first. */
  after(ms: number, fn: () => void): void;
}

export interface TxnCoordinatorConfig {
  /** transaction.state.log.num.partitions */
  readonly partitions: number;
  /** transaction.max.timeout.ms: a producer asking for more gets INVALID_TRANSACTION_TIMEOUT. */
  readonly maxTimeoutMs: number;
  /** offsets.topic.num.partitions, to find a group's partition for AddOffsetsToTxn. */
  readonly offsetsPartitions: number;
  /** The finalized transaction.version: 2 bumps the epoch as every transaction ends (KIP-890 part 2). */
  readonly version: 1 | 2;
}

/** A transactional id's state on its coordinator (Kafka's TransactionMetadata). */
interface TxnMeta {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  partitions: string[];
  startMs: number;
  updateMs: number;
  /** A transition written to the log and not yet taken (Kafka's pendingState). */
  pending: TransactionState | undefined;
  /**
   * The producer id before the last rotation at an exhausted epoch (transaction version 2),
   * to recognise a retry of the EndTxn that rotated it; -1 if none. Kafka persists it as a
   * tagged field of the transaction log value; kafkasim keeps it in memory.
   */
  previousProducerId: number;
}

/** A transaction as DescribeTransactions shows it (DescribeTransactionsResponseData.TransactionState). */
export interface TransactionDescription {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly state: TransactionState;
  readonly partitions: readonly string[];
  readonly startMs: number;
  readonly timeoutMs: number;
}

/** Short.MaxValue: a producer epoch's largest value. */
const MAX_PRODUCER_EPOCH = 32_767;

type TxnRequest = Extract<KafkaMessage, { type: 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'EndTxn' }>;

const MARKER_RETRY_MS = 100;

/**
 * The transaction coordinator of one broker (Kafka's TransactionCoordinator with its
 * TransactionStateManager and TransactionMarkerChannelManager): it owns the transactional ids
 * whose `__transaction_state` partition this broker leads. Every transition is written to
 * that partition (acks=all) before it takes effect; a commit or abort is answered once
 * PrepareCommit / PrepareAbort is written, then the markers go to every partition of the
 * transaction, and CompleteCommit / CompleteAbort is written when all are in. A broker that
 * becomes leader of the partition loads the ids and finishes what was prepared.
 */
export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMeta>();
  /** Loaded partitions, with the coordinator epoch (the partition's leader epoch) each was loaded in. */
  private readonly owned = new Map<number, number>();

  constructor(
    private readonly host: TxnCoordinatorHost,
    private readonly config: TxnCoordinatorConfig,
  ) {}

  partitionFor(transactionalId: string): number {
    return partitionForTransactionalId(transactionalId, this.config.partitions);
  }

  /**
   * The transactions this coordinator holds, as DescribeTransactions (KIP-664,
   * TransactionCoordinator.handleDescribeTransactions) shows them, by transactional id. Read
   * only, for the probe.
   */
  describeTransactions(): TransactionDescription[] {
    return [...this.txns.values()]
      .filter((m) => this.owns(m.transactionalId))
      .sort((a, b) => compareStrings(a.transactionalId, b.transactionalId))
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, state: m.state, partitions: [...m.partitions], startMs: m.startMs, timeoutMs: m.timeoutMs }));
  }

  private owns(transactionalId: string): boolean {
    return this.owned.has(this.partitionFor(transactionalId));
  }

  // ------------------------------------------------------------------ loading

  /** Became leader of `__transaction_state-<partition>` in `leaderEpoch`: replay it, then finish prepared transactions. */
  load(partition: number, log: Log, leaderEpoch: number, nowMs: number): void {
    const values = new Map<string, TransactionLogValue | null>();
    log.forEachBatch(log.logStartOffset, log.logEndOffset, (bytes, pos, header) => {
      if (isControl(header)) return;
      for (const r of decodeRecords(bytes, pos, header)) {
        if (r.key === null) continue;
        const id = decodeTransactionKey(r.key);
        values.set(id, r.value === null ? null : decodeTransactionValue(r.value));
      }
    });
    this.owned.set(partition, leaderEpoch);
    for (const [id, v] of [...values].sort((a, b) => compareStrings(a[0], b[0]))) {
      if (v === null || this.partitionFor(id) !== partition) continue;
      const meta: TxnMeta = { transactionalId: id, producerId: v.producerId, producerEpoch: v.producerEpoch, timeoutMs: v.transactionTimeoutMs, state: v.state, partitions: [...v.partitions], startMs: v.startTimestampMs, updateMs: v.lastUpdateTimestampMs, pending: undefined, previousProducerId: -1 };
      this.txns.set(id, meta);
      this.traceState(meta);
      // Prepared before the old coordinator went: the decision stands, the markers go again.
      if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') this.sendMarkers(meta, nowMs);
    }
  }

  unload(partition: number): void {
    if (!this.owned.delete(partition)) return;
    for (const id of [...this.txns.keys()]) if (this.partitionFor(id) === partition) this.txns.delete(id);
  }

  // ------------------------------------------------------------------ requests

  handle(req: TxnRequest, nowMs: number, reply: (r: KafkaMessage) => void): void {
    const transactionalId = req.transactionalId as string;
    if (!this.owns(transactionalId)) {
      reply(req.type === 'InitProducerId' ? message('InitProducerIdResponse', { error: 'NOT_COORDINATOR', producerId: -1, producerEpoch: -1 }) : message('TxnResponse', { error: 'NOT_COORDINATOR' }));
      return;
    }
    switch (req.type) {
      case 'InitProducerId':
        return this.initProducerId(transactionalId, req.transactionTimeoutMs ?? 60_000, nowMs, reply);
      case 'AddPartitionsToTxn':
        return this.addPartitions(req, req.partitions, nowMs, reply);
      case 'AddOffsetsToTxn':
        return this.addPartitions(req, [`${OFFSETS_TOPIC}-${partitionForGroup(req.groupId, this.config.offsetsPartitions)}`], nowMs, reply);
      case 'EndTxn':
        return this.endTxn(req, nowMs, reply);
    }
  }

  /**
   * InitProducerId with a transactional.id (TransactionCoordinator.handleInitProducerId):
   * the next epoch, which fences every older incarnation. A transaction the previous one
   * left open is aborted first, under the new epoch; the caller is told to retry
   * (CONCURRENT_TRANSACTIONS) until that is complete.
   */
  private initProducerId(transactionalId: string, timeoutMs: number, nowMs: number, reply: (r: KafkaMessage) => void): void {
    const fail = (error: KafkaErrorCode): void => reply(message('InitProducerIdResponse', { error, producerId: -1, producerEpoch: -1 }));
    if (timeoutMs > this.config.maxTimeoutMs) return fail('INVALID_TRANSACTION_TIMEOUT');
    const meta = this.txns.get(transactionalId);
    if (meta === undefined) {
      const fresh: TxnMeta = { transactionalId, producerId: this.host.nextProducerId(), producerEpoch: -1, timeoutMs, state: 'Empty', partitions: [], startMs: -1, updateMs: nowMs, pending: undefined, previousProducerId: -1 };
      this.txns.set(transactionalId, fresh);
      return this.transition(fresh, { state: 'Empty', producerEpoch: 0, partitions: [], timeoutMs }, nowMs, (error) => (error === undefined ? reply(message('InitProducerIdResponse', { producerId: fresh.producerId, producerEpoch: fresh.producerEpoch })) : fail(error)));
    }
    if (meta.pending !== undefined || meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') return fail('CONCURRENT_TRANSACTIONS');
    if (meta.state === 'Ongoing') {
      this.abortAndFence(meta, nowMs, 'init');
      return fail('CONCURRENT_TRANSACTIONS');
    }
    this.transition(meta, { state: 'Empty', producerEpoch: meta.producerEpoch + 1, partitions: [], timeoutMs }, nowMs, (error) => (error === undefined ? reply(message('InitProducerIdResponse', { producerId: meta.producerId, producerEpoch: meta.producerEpoch })) : fail(error)));
  }

  /**
   * The producer id and epoch a request carries against the coordinator's: any other epoch,
   * older or newer, is PRODUCER_FENCED (TransactionCoordinator.handleAddPartitionsToTransaction
   * and endTransaction's isValidEpoch, which a client's request passes only with the
   * coordinator's own epoch).
   */
  private check(meta: TxnMeta | undefined, req: { producerId: number; producerEpoch: number }): 'INVALID_PRODUCER_ID_MAPPING' | 'PRODUCER_FENCED' | undefined {
    if (meta === undefined || meta.producerId !== req.producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    if (req.producerEpoch !== meta.producerEpoch) return 'PRODUCER_FENCED';
    return undefined;
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn; with verifyOnly, KIP-890's question from a partition leader. */
  private addPartitions(req: Extract<TxnRequest, { type: 'AddPartitionsToTxn' | 'AddOffsetsToTxn' }>, partitions: readonly string[], nowMs: number, reply: (r: KafkaMessage) => void): void {
    const answer = (error?: KafkaErrorCode): void => reply(message('TxnResponse', { error }));
    const meta = this.txns.get(req.transactionalId);
    const bad = this.check(meta, req);
    if (bad !== undefined || meta === undefined) return answer(bad);
    if (req.type === 'AddPartitionsToTxn' && req.verifyOnly === true) {
      const inTxn = meta.state === 'Ongoing' && partitions.every((p) => meta.partitions.includes(p));
      return answer(inTxn ? undefined : 'INVALID_TXN_STATE');
    }
    if (meta.pending !== undefined || meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') return answer('CONCURRENT_TRANSACTIONS');
    const missing = partitions.filter((p) => !meta.partitions.includes(p));
    if (meta.state === 'Ongoing' && missing.length === 0) return answer();
    const startMs = meta.state === 'Ongoing' ? meta.startMs : nowMs;
    const base = meta.state === 'Ongoing' ? meta.partitions : [];
    this.transition(meta, { state: 'Ongoing', partitions: [...base, ...missing.filter((p) => !base.includes(p))], startMs }, nowMs, answer);
  }

  /**
   * EndTxn (TransactionCoordinator.endTransaction): PrepareCommit or PrepareAbort is written
   * and answered; the markers follow. A retried EndTxn for a transaction already ending or
   * ended the same way is answered in kind.
   *
   * With transaction version 2 (KIP-890 part 2, Kafka 4.0) the transition also bumps the
   * producer epoch: the markers carry the new one, the answer hands it to the producer for its
   * next transaction, and a late copy of this EndTxn can no longer end that next transaction,
   * as under version 1 it does (KAFKA-17754). A retry is recognised by the epoch stored in
   * `__transaction_state` being the request's plus one (isValidEpoch's retryOnEpochBump), so
   * the recognition survives a coordinator failover; an EndTxn(ABORT) with no transaction open
   * (Empty, CompleteCommit, CompleteAbort at the current epoch) aborts an empty one, bumping
   * the epoch too; and at an exhausted epoch the producer gets a new producer id instead.
   */
  private endTxn(req: Extract<TxnRequest, { type: 'EndTxn' }>, nowMs: number, reply: (r: KafkaMessage) => void): void {
    const meta = this.txns.get(req.transactionalId);
    const tv2 = this.config.version >= 2;
    // With transaction version 2 a successful answer carries the producer's (bumped) epoch.
    const answer = (error?: KafkaErrorCode): void => reply(message('TxnResponse', error === undefined && tv2 && meta !== undefined ? { producerId: meta.producerId, producerEpoch: meta.producerEpoch } : { error }));
    if (meta === undefined) return answer('INVALID_PRODUCER_ID_MAPPING');
    const epoch = tv2 ? this.endTxnEpochV2(meta, req) : { error: this.check(meta, req), retry: false };
    if (epoch.error !== undefined) return answer(epoch.error);
    const retry = epoch.retry;
    if (meta.pending !== undefined) return answer('CONCURRENT_TRANSACTIONS');
    const outcome = this.endTxnOutcome(meta.state, req.commit, retry, tv2);
    if (outcome !== 'prepare') return answer(outcome === 'done' ? undefined : outcome);
    const prepare: TransactionState = req.commit ? 'PrepareCommit' : 'PrepareAbort';
    const partitions = meta.state === 'Ongoing' ? meta.partitions : [];
    this.transition(meta, tv2 ? { state: prepare, partitions, ...this.nextProducerIdAndEpoch(meta) } : { state: prepare }, nowMs, (error) => {
      answer(error);
      if (error === undefined) this.sendMarkers(meta, nowMs);
    });
  }

  /**
   * endTransaction's producer id and isValidEpoch checks with transaction version 2. A retry
   * is an EndTxn whose epoch is one below the stored one (retryOnEpochBump: the stored epoch
   * was bumped by the EndTxn being retried), or the old id's last epoch after the id was
   * rotated at an exhausted epoch (retryOnOverflow). An open or Empty transaction needs the
   * stored epoch; a prepared one only takes a retry (the same epoch would be the next EndTxn);
   * a completed one takes either.
   */
  private endTxnEpochV2(meta: TxnMeta, req: { producerId: number; producerEpoch: number }): { error?: KafkaErrorCode; retry: boolean } {
    const overflow = meta.previousProducerId === req.producerId && req.producerEpoch === MAX_PRODUCER_EPOCH - 1 && meta.producerEpoch === 0;
    if (meta.producerId !== req.producerId && !overflow) return { error: 'INVALID_PRODUCER_ID_MAPPING', retry: false };
    const bumped = meta.producerId === req.producerId && meta.producerEpoch === req.producerEpoch + 1;
    const current = meta.producerId === req.producerId && meta.producerEpoch === req.producerEpoch;
    const retry = bumped || overflow;
    // Kafka rotates the id as the transaction completes (prepareComplete); kafkasim as it is
    // prepared, so a retry under the old id is recognised in the Prepare states too.
    const valid = meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort' ? retry : meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort' ? retry || current : current;
    return valid ? { retry } : { error: 'PRODUCER_FENCED', retry };
  }

  /** What endTransaction does in `state`: prepare the transition, answer success ('done'), or refuse. */
  private endTxnOutcome(state: TransactionState, commit: boolean, retry: boolean, tv2: boolean): 'prepare' | 'done' | KafkaErrorCode {
    switch (state) {
      case 'Ongoing':
        return 'prepare';
      case 'PrepareCommit':
        return commit ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE';
      case 'PrepareAbort':
        return commit ? 'INVALID_TXN_STATE' : 'CONCURRENT_TRANSACTIONS';
      case 'CompleteCommit':
        if (commit) return !tv2 || retry ? 'done' : 'INVALID_TXN_STATE';
        return tv2 && !retry ? 'prepare' : 'INVALID_TXN_STATE';
      case 'CompleteAbort':
        if (commit) return 'INVALID_TXN_STATE';
        return tv2 && !retry ? 'prepare' : 'done';
      case 'Empty':
        return tv2 && !commit ? 'prepare' : 'INVALID_TXN_STATE';
      default:
        return 'INVALID_TXN_STATE';
    }
  }

  /**
   * The producer id and epoch a version 2 EndTxn moves to: the next epoch, or, once the epoch
   * is exhausted (TransactionMetadata.isProducerEpochExhausted: Short.MaxValue - 1), a new
   * producer id at epoch 0, remembering the old one for a retry.
   */
  private nextProducerIdAndEpoch(meta: TxnMeta): Pick<TxnMeta, 'producerId' | 'producerEpoch' | 'previousProducerId'> {
    if (meta.producerEpoch < MAX_PRODUCER_EPOCH - 1) return { producerId: meta.producerId, producerEpoch: meta.producerEpoch + 1, previousProducerId: meta.previousProducerId };
    return { producerId: this.host.nextProducerId(), producerEpoch: 0, previousProducerId: meta.producerId };
  }

  /**
   * Aborts an ongoing transaction under a bumped epoch, fencing the producer that opened it:
   * for InitProducerId from a new incarnation, and for transaction.timeout.ms. A timed-out
   * transaction under transaction version 2 is bumped twice, as Kafka's abortTimedOutTransactions
   * does (prepareFenceProducerEpoch, then the bump every version 2 EndTxn makes), so that
   * the fenced producer's own EndTxn is neither current nor a retry.
   */
  private abortAndFence(meta: TxnMeta, nowMs: number, why: 'init' | 'timeout'): void {
    this.host.trace.emit('txn.abort', { broker: this.host.brokerId, transactionalId: meta.transactionalId, producerId: meta.producerId, fencedEpoch: meta.producerEpoch, reason: why });
    const bumps = why === 'timeout' && this.config.version >= 2 ? 2 : 1;
    this.transition(meta, { state: 'PrepareAbort', producerEpoch: meta.producerEpoch + bumps }, nowMs, (error) => {
      if (error === undefined) this.sendMarkers(meta, nowMs);
    });
  }

  /** Sends the markers of a prepared transaction until every partition has one, then completes it. */
  private sendMarkers(meta: TxnMeta, nowMs: number, only?: readonly string[]): void {
    const commit = meta.state === 'PrepareCommit';
    const partitions = only ?? meta.partitions;
    const coordinatorEpoch = this.owned.get(this.partitionFor(meta.transactionalId)) ?? -1;
    const epoch = meta.producerEpoch;
    if (partitions.length === 0) return this.complete(meta, commit, nowMs);
    this.host.writeMarkers({ producerId: meta.producerId, producerEpoch: epoch, coordinatorEpoch, commit, partitions }, (failed) => {
      if (this.txns.get(meta.transactionalId) !== meta || meta.state !== (commit ? 'PrepareCommit' : 'PrepareAbort') || meta.producerEpoch !== epoch) return;
      if (failed.length === 0) return this.complete(meta, commit, nowMs);
      // TransactionMarkerChannelManager retries a partition until its marker is in.
      this.host.after(MARKER_RETRY_MS, () => {
        if (this.txns.get(meta.transactionalId) === meta) this.sendMarkers(meta, nowMs + MARKER_RETRY_MS, failed);
      });
    });
  }

  private complete(meta: TxnMeta, commit: boolean, nowMs: number): void {
    this.transition(meta, { state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: [] }, nowMs, (error) => {
      // A failed write is tried again: the transaction must not stay prepared.
      if (error !== undefined && this.txns.get(meta.transactionalId) === meta) this.host.after(MARKER_RETRY_MS, () => this.complete(meta, commit, nowMs + MARKER_RETRY_MS));
    });
  }

  /**
   * Writes the transition to `__transaction_state` and takes it once committed (Kafka's
   * prepareTransitionTo / completeTransitionTo around appendTransactionToLog).
   */
  private transition(meta: TxnMeta, change: Partial<Pick<TxnMeta, 'state' | 'producerId' | 'producerEpoch' | 'previousProducerId' | 'partitions' | 'timeoutMs' | 'startMs'>>, nowMs: number, done: (error: KafkaErrorCode | undefined) => void): void {
    const next = { ...meta, ...change, updateMs: nowMs };
    meta.pending = next.state;
    const value: TransactionLogValue = { producerId: next.producerId, producerEpoch: next.producerEpoch, transactionTimeoutMs: next.timeoutMs, state: next.state, partitions: next.partitions, lastUpdateTimestampMs: nowMs, startTimestampMs: next.startMs };
    const record = { key: encodeTransactionKey(meta.transactionalId), value: encodeTransactionValue(value), timestamp: nowMs };
    this.host.append(this.partitionFor(meta.transactionalId), encodeBatch([record]), (error) => {
      if (this.txns.get(meta.transactionalId) !== meta) return done('NOT_COORDINATOR');
      meta.pending = undefined;
      if (error !== undefined) return done(error === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : 'COORDINATOR_NOT_AVAILABLE');
      Object.assign(meta, change, { updateMs: nowMs });
      this.traceState(meta);
      done(undefined);
    });
  }

  /** transaction.timeout.ms: ongoing transactions that ran too long are aborted, their producer fenced. */
  tick(nowMs: number): void {
    for (const meta of this.txns.values()) {
      if (meta.state === 'Ongoing' && meta.pending === undefined && nowMs - meta.startMs > meta.timeoutMs) this.abortAndFence(meta, nowMs, 'timeout');
    }
  }

  private traceState(meta: TxnMeta): void {
    this.host.trace.emit('txn.state', { broker: this.host.brokerId, transactionalId: meta.transactionalId, producerId: meta.producerId, producerEpoch: meta.producerEpoch, state: meta.state, partitions: meta.partitions });
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A transactional id's state as its coordinator took it (after writing it to __transaction_state). */
    'txn.state': { readonly broker: number; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly state: string; readonly partitions: readonly string[] };
    /** The coordinator aborts an ongoing transaction and fences its producer. */
    'txn.abort': { readonly broker: number; readonly transactionalId: string; readonly producerId: number; readonly fencedEpoch: number; readonly reason: string };
  }
}

declareTraceKind('txn.state', ['broker', 'transactionalId', 'producerId', 'producerEpoch', 'state', 'partitions']);
declareTraceKind('txn.abort', ['broker', 'transactionalId', 'producerId', 'fencedEpoch', 'reason']);
