import type { NodeContext, RequestOptions, RpcError } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import type { RecordInput } from '../../log/recordBatch.js';
import { brokerNode, message, produceOutcome, type KafkaMessage, type PartitionMetadata, type ProduceRequest } from '../protocol.js';
import { topicPartitionOf } from '../../log/topicPartition.js';
import type { KafkaErrorCode } from '../errors.js';

/**
 * Why the open transaction can only abort: the error of a request (from a broker or the
 * network), or the producer's own reason: a batch retried past delivery.timeout.ms
 * ('delivery.timeout.ms'), or a send that found the producer stopped ('fatal').
 */
export type AbortCause = KafkaErrorCode | RpcError | 'delivery.timeout.ms' | 'fatal';

/** Produce errors retried with the same sequence. */
const RETRIABLE: ReadonlySet<KafkaErrorCode | RpcError> = new Set<KafkaErrorCode | RpcError>(['NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'timeout', 'disconnected']);

/**
 * Batches in flight per partition: Kafka's idempotent and transactional producers keep up to
 * five (max.in.flight.requests.per.connection, capped at 5 with idempotence), in order.
 */
const MAX_IN_FLIGHT_PER_PARTITION = 5;
/** max.in.flight.requests.per.connection: Produce requests unanswered per broker. */
const MAX_IN_FLIGHT_REQUESTS = 5;

/** A batch waiting in the outbox for its leader's next Produce request, and what to do with the answer. */
interface OutboxEntry {
  readonly leader: number;
  readonly topic: string;
  readonly partition: number;
  readonly batch: Buffer;
  readonly answer: (error: KafkaErrorCode | RpcError | undefined) => void;
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

/** What the processor producer's Sender needs of its TransactionManager and of the client it lives in. */
export interface TransactionalSenderDeps {
  readonly ctx: Pick<NodeContext<KafkaMessage>, 'now' | 'after' | 'request'>;
  readonly transactionalId: string | undefined;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** delivery.timeout.ms: how long a batch is retried before the transaction must abort. */
  readonly deliveryTimeoutMs: number;
  /** Its requests' options: a connection of its own. */
  requestOptions(): RequestOptions;
  leaderOf(partition: string): PartitionMetadata | undefined;
  refreshMetadata(): void;
  /** The open transaction can only abort: nothing more is sent. */
  onlyAborts(): boolean;
  /** AddPartitionsToTxn for partitions not in the transaction yet, then `done(error)`. */
  addToTransaction(partitions: readonly string[], done: (error: KafkaErrorCode | RpcError | undefined) => void): void;
  /** The producer stopped on a fatal error. */
  isFatal(): boolean;
  /** A fatal error stops the producer: true when `error` is one. */
  failIfFatal(error: KafkaErrorCode | RpcError): boolean;
  markAbortable(error: AbortCause): void;
  /** The partition's next sequence for `count` records, and the batch encoded with it under the current producer id and epoch. */
  nextBatch(partition: string, records: readonly RecordInput[]): { readonly sequence: number; readonly batch: Buffer };
}

/**
 * The send path of a processor's producer, as Kafka's Sender drains its RecordAccumulator
 * for a transactional producer: per partition, batches in sequence order, up to five in
 * flight, held while one backs off; one Produce request per leader (and topic) with a batch
 * of each of its partitions, at most five unanswered per broker.
 */
export class TransactionalSender {
  /** Per partition: batches waiting to be sent, and those in flight. */
  private readonly lanes = new Map<string, Lane>();
  /** Batches ready to send, by leader and topic, as the requests they will go in (see sendOutbox); `outboxDue` when a send is scheduled. */
  private readonly outbox = new Map<string, OutboxEntry[][]>();
  /** Produce requests unanswered, per broker. */
  private readonly produceRequestsTo = new Map<number, number>();
  private outboxDue = false;

  constructor(private readonly deps: TransactionalSenderDeps) {}

  private get ctx(): TransactionalSenderDeps['ctx'] {
    return this.deps.ctx;
  }

  /** Queues `records` for `partition` as one batch; `done(true)` once written. */
  send(partition: string, records: readonly RecordInput[], done: (ok: boolean) => void): void {
    const lane = this.lanes.get(partition) ?? { queue: [], inFlight: 0, retrying: 0, unacked: [] };
    this.lanes.set(partition, lane);
    lane.queue.push({ records, done });
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
    const done = next.done;
    // The records are let go once encoded: the batch is what waits for the answer and is retried.
    let records: readonly RecordInput[] | undefined = next.records;
    let sequence = -1;
    const finish = (ok: boolean): void => {
      lane.inFlight--;
      const i = lane.unacked.indexOf(sequence);
      if (i >= 0) lane.unacked.splice(i, 1);
      done(ok);
      this.pump(partition, lane);
    };
    // A transaction that can only abort sends nothing more (RecordAccumulator.abortUndrainedBatches).
    if (this.deps.onlyAborts()) return finish(false);
    this.deps.addToTransaction([partition], (error) => {
      if (error !== undefined || this.deps.isFatal()) {
        this.deps.markAbortable(error ?? 'fatal');
        return finish(false);
      }
      const stamped = this.deps.nextBatch(partition, records as readonly RecordInput[]);
      records = undefined;
      sequence = stamped.sequence;
      lane.unacked.push(sequence);
      this.produce(partition, lane, sequence, stamped.batch, this.ctx.now(), finish);
    });
    this.pump(partition, lane);
  }

  private produce(partition: string, lane: Lane, sequence: number, batch: Buffer, startedAt: number, finish: (ok: boolean) => void): void {
    const tp = topicPartitionOf(partition);
    const leader = this.deps.leaderOf(partition)?.leader ?? -1;
    const retry = (): void => {
      if (this.ctx.now() - startedAt >= millis(this.deps.deliveryTimeoutMs)) {
        this.deps.markAbortable('delivery.timeout.ms');
        return finish(false);
      }
      this.deps.refreshMetadata();
      lane.retrying++;
      this.ctx.after(millis(this.deps.retryBackoffMs), () => {
        lane.retrying--;
        this.produce(partition, lane, sequence, batch, startedAt, finish);
        this.pump(partition, lane);
      });
    };
    if (leader < 0) return retry();
    const answer = (error: KafkaErrorCode | RpcError | undefined): void => {
      if (error === undefined || error === 'DUPLICATE_SEQUENCE_NUMBER') return finish(true);
      if (this.deps.failIfFatal(error)) return finish(false);
      // A batch refused as out of order while an earlier one of the partition is still
      // unwritten only went ahead of it (TransactionManager.canRetry): retry it behind it.
      if (RETRIABLE.has(error) || (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && lane.unacked[0] !== sequence)) return retry();
      // INVALID_TXN_STATE (KIP-890 refused the write), OUT_OF_ORDER_SEQUENCE_NUMBER …: abortable.
      this.deps.markAbortable(error);
      finish(false);
    };
    this.enqueue({ leader, topic: tp.topic, partition: tp.partition, batch, answer });
  }

  /** One batch of a partition per request: a second goes in the next request, behind it. */
  private enqueue(send: OutboxEntry): void {
    const key = `${send.leader}\u0000${send.topic}`;
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
      timeoutMs: this.deps.requestTimeoutMs,
      topic: entries[0].topic,
      partitions: entries.map((e) => ({ partition: e.partition, records: e.batch })),
      transactionalId: this.deps.transactionalId,
    });
    this.produceRequestsTo.set(leader, (this.produceRequestsTo.get(leader) ?? 0) + 1);
    this.ctx.request(brokerNode(leader), req, this.deps.requestOptions(), (r) => {
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
}
