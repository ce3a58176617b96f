import type { NodeContext, RequestOptions, RpcError, RpcResult } from '../../network/nodeHost.js';
import type { History } from '../../sim/history.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import type { Rng } from '../../sim/rng.js';
import { micros, millis, toMillis } from '../../sim/time.js';
import { JMX } from '../jmx.js';
import { exponentialBackoffMs } from '../reconnectBackoff.js';
import type { ClusterConnectionStates } from '../clusterConnectionStates.js';
import { brokerNode, produceOutcome, produceRequest, type KafkaMessage, type ProduceOutcome, type ProducePartitionData } from '../protocol.js';
import type { ClientException, KafkaErrorCode } from '../errors.js';
import type { ProducerConfig } from './producer.js';
import { RETRIABLE, UNKNOWN_OUTCOME, type ProducerBatch } from './producerBatch.js';
import type { RecordAccumulator } from './recordAccumulator.js';
import type { TransactionManager } from './transactionManager.js';

/** What the Sender needs of the producer it serves. */
export interface SenderDeps {
  readonly ctx: Pick<NodeContext<KafkaMessage>, 'rng' | 'now' | 'after' | 'request' | 'requestWith' | 'send'>;
  /** The producer's connection states (its NetworkClient's), shared with its other requests. */
  readonly connections: ClusterConnectionStates<KafkaMessage>;
  readonly config: ProducerConfig;
  readonly clientId: string;
  readonly topic: string;
  readonly brokers: readonly number[];
  readonly history: History;
  readonly metrics: NodeMetrics | undefined;
  readonly accumulator: RecordAccumulator;
  readonly transactions: TransactionManager;
  partitionName(partition: number): string;
  /** An error asks for fresh metadata (Metadata.requestUpdate). */
  requestMetadataUpdate(): void;
  /** Records got their outcome: the producer may be done closing. */
  afterCompletion(): void;
}

/**
 * Kafka's Sender (with the connection bookkeeping of its NetworkClient): drains the
 * accumulator into one Produce request per leader, keeps count of requests in flight per
 * broker, completes, retries or fails each batch by its partition's answer, and keeps each
 * broker's connection state (ClusterConnectionStates: reconnect backoff, connection setup).
 */
export class Sender {
  /** Produce requests unanswered, per broker. */
  private readonly inFlight = new Map<number, number>();
  /** Batches sent at least once and not yet done (in flight, backing off, or queued for a retry). */
  private readonly outstanding = new Set<ProducerBatch>();
  /** Batches in a Produce request not yet answered (Sender.inFlightBatches). */
  private readonly inFlightBatches = new Set<ProducerBatch>();
  /** When the next in-flight batch reaches delivery.timeout.ms (local µs), if a check is armed. */
  private inFlightExpiryAt = Number.POSITIVE_INFINITY;
  /** The retry backoff's jitter (KIP-580), a stream of its own so other draws stay where they were. */
  private readonly retryJitter: Rng;
  /** Brokers whose backoff ends with a drain already scheduled. */
  private readonly drainAfterBackoff = new Set<number>();
  /** Every Produce request's options (request.timeout.ms), one object the network only reads. */
  private readonly requestOptions: RequestOptions;

  constructor(private readonly deps: SenderDeps) {
    this.requestOptions = { timeout: millis(deps.config['request.timeout.ms']) };
    this.retryJitter = deps.ctx.rng.fork('retry-backoff');
  }

  private get ctx(): SenderDeps['ctx'] {
    return this.deps.ctx;
  }

  private get config(): ProducerConfig {
    return this.deps.config;
  }

  /** Batches sent at least once and not yet done. */
  get unfinished(): ReadonlySet<ProducerBatch> {
    return this.outstanding;
  }

  /**
   * Sends what may go, as Kafka's Sender does. A broker is ready when the head batch of some
   * partition it leads is ready (full, followed by another, retried, or lingered) and it can
   * take a request (within max.in.flight.requests.per.connection, not in reconnect backoff,
   * its connection established: NetworkClient.ready starts connecting to a node that has none,
   * and the node's batches wait in the accumulator until it is ready).
   * Each round drains, for every ready broker, the head batch of each partition it leads,
   * ready or not, up to max.request.size, into one Produce request
   * (RecordAccumulator.ready, then drainBatchesForOneNode); rounds go on while anything is
   * ready. Nothing of a partition goes while one of its batches waits out a retry backoff
   * (Kafka keeps it at the head of the deque), nor, with
   * max.in.flight.requests.per.connection=1, while one is in flight (the partition is muted).
   * Each round starts one partition further on (Kafka's drainIndex), so none always goes last.
   */
  drain(): void {
    // Sender.runOnce: an epoch bump that a partition asked for happens before anything more is drained.
    this.deps.transactions.beforeDrain();
    while (this.deps.accumulator.size > 0) {
      const requests = this.deps.accumulator.drain(this.canTake);
      if (requests === undefined) return;
      requests.forEach(this.dispatchTo);
    }
  }

  /**
   * Whether `leader` can take a request now (Sender.sendProducerData's client.ready: within
   * the in-flight limit, not in reconnect backoff, and connected; a node it is still
   * connecting to is drained once the connection is made).
   */
  private readonly canTake = (leader: number): boolean => {
    if ((this.inFlight.get(leader) ?? 0) >= this.config['max.in.flight.requests.per.connection'] || this.inBackoff(leader)) return false;
    return this.deps.connections.ready(brokerNode(leader), this.drainWhenConnected);
  };

  /** drain, once a connection is made. */
  private readonly drainWhenConnected = (): void => this.drain();

  /** dispatch, in the argument order of Map.forEach over a drain's requests. */
  private readonly dispatchTo = (batches: readonly ProducerBatch[], leader: number): void => this.dispatch(batches, leader);

  /** Sends `batches`, one per partition, to their leader in one Produce request. */
  private dispatch(batches: readonly ProducerBatch[], leader: number): void {
    const partitions = new Array<ProducePartitionData>(batches.length);
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i];
      batch.attempts++;
      this.outstanding.add(batch);
      const options = this.deps.transactions.sequence(batch);
      partitions[i] = { partition: batch.partition, records: this.deps.accumulator.closeBatch(batch).stamp(options) };
    }
    const req = produceRequest(this.config.acks, this.config['request.timeout.ms'], this.deps.topic, partitions);
    if (this.config.acks === '0') {
      // acks=0: the send is complete once it is on the wire; nothing will come back.
      this.ctx.send(brokerNode(leader), req);
      for (const batch of batches) for (const ref of batch.refs) this.deps.history.completeSend(ref, 'ok', this.deps.partitionName(batch.partition), -1);
      return;
    }
    this.inFlight.set(leader, (this.inFlight.get(leader) ?? 0) + 1);
    for (const batch of batches) {
      batch.sentTo = leader;
      this.inFlightBatches.add(batch);
      this.armInFlightExpiry(this.deadlineOf(batch));
    }
    const mutes = this.config['max.in.flight.requests.per.connection'] === 1;
    if (mutes) for (const batch of batches) this.deps.accumulator.mutePartition(batch.partition);
    this.ctx.requestWith(brokerNode(leader), req, this.requestOptions, this.onProduceAnswer, batches);
  }

  /**
   * The answer to a Produce request, for its batches (one function for every request; the
   * batches are its argument). They all went to one leader, which each notes (sentTo), and
   * max.in.flight.requests.per.connection, which says whether they muted their partitions, is fixed.
   */
  private readonly onProduceAnswer = (batches: readonly ProducerBatch[], r: RpcResult<KafkaMessage>): void =>
    this.onProduceResponse(batches[0].sentTo as number, batches, this.config['max.in.flight.requests.per.connection'] === 1, r);

  private onProduceResponse(leader: number, batches: readonly ProducerBatch[], mutes: boolean, r: RpcResult<KafkaMessage>): void {
    this.inFlight.set(leader, (this.inFlight.get(leader) ?? 1) - 1);
    this.noteConnection(leader, r);
    for (const batch of batches) {
      this.inFlightBatches.delete(batch);
      this.completeBatch(batch, produceOutcome(r, batch.partition));
      if (mutes) this.deps.accumulator.unmutePartition(batch.partition);
    }
    this.drain();
    this.deps.afterCompletion();
  }

  /** Sender.completeBatch: the partition's answer written, retried or failed. */
  private completeBatch(batch: ProducerBatch, outcome: ProduceOutcome): void {
    const error = outcome.error;
    // Failed already, at its delivery timeout while in flight: the answer changes nothing but
    // what an idempotent producer knows was acknowledged (completeBatch calls
    // TransactionManager.handleCompletedBatch before batch.complete, which then returns false).
    if (!this.outstanding.has(batch)) {
      if (error === undefined && this.config['enable.idempotence']) this.deps.transactions.onAcked(batch, outcome.baseOffset);
      return;
    }
    if (error === undefined) {
      const base = outcome.baseOffset;
      const partition = this.deps.partitionName(batch.partition);
      this.outstanding.delete(batch);
      this.deps.transactions.onAcked(batch, base);
      for (let i = 0; i < batch.refs.length; i++) this.deps.history.completeSend(batch.refs[i], 'ok', partition, base + i);
      return;
    }
    const code = error;
    if (UNKNOWN_OUTCOME.has(code)) batch.uncertain = true;
    if (code === 'timeout') batch.mayStillArrive = true;
    // Sender.canRetry: the delivery timeout and the retries are checked before the
    // TransactionManager is asked, which may then ask for an epoch bump.
    // Before KIP-91 (sim.batch.expiry request-timeout) only retries bound a failing batch.
    const expired = this.config['sim.batch.expiry'] === 'delivery-timeout' && toMillis(this.ctx.now()) - batch.createdMs >= this.config['delivery.timeout.ms'];
    const retriesLeft = batch.attempts <= this.config.retries;
    if (!expired && retriesLeft && (this.config['enable.idempotence'] ? this.deps.transactions.canRetry(batch, code, outcome.logStartOffset ?? -1) : RETRIABLE.has(code))) {
      this.retryAfterBackoff(batch);
      return;
    }
    // Sequences are adjusted (since KIP-360: the epoch bumped) only for a batch that did not
    // run out of retries: for one that did, Kafka cannot know whether its sequence was taken.
    this.failBatch(batch, code, retriesLeft);
  }

  /**
   * How long a batch waits before its next attempt: retry.backoff.ms, or since KIP-580 (3.7)
   * ExponentialBackoff.backoff(attempts - 1) up to retry.backoff.max.ms
   * (RecordAccumulator.shouldBackoff), jittered from its own stream.
   */
  private retryBackoffMs(batch: ProducerBatch): number {
    if (this.config['sim.retry.backoff'] === 'constant') return this.config['retry.backoff.ms'];
    return exponentialBackoffMs(this.retryJitter, this.config['retry.backoff.ms'], this.config['retry.backoff.max.ms'], Math.max(0, batch.attempts - 1));
  }

  /** The batch goes back to the accumulator after its retry backoff, with a metadata refresh asked for meanwhile. */
  private retryAfterBackoff(batch: ProducerBatch): void {
    this.deps.metrics?.add(JMX.producer(this.deps.clientId), 'record-retry-total', batch.refs.length);
    this.deps.requestMetadataUpdate();
    this.deps.accumulator.startBackoff(batch.partition);
    this.ctx.after(millis(this.retryBackoffMs(batch)), () => {
      this.deps.accumulator.endBackoff(batch.partition);
      // Kafka keeps a retried batch in its deque, where RecordAccumulator.expiredBatches fails
      // it at its deadline; here it expires as its backoff ends, before it could go again.
      if (this.ctx.now() >= this.deadlineOf(batch)) {
        this.expireBatch(batch);
        this.drain();
        this.deps.afterCompletion();
        return;
      }
      // Sender.completeBatch: a batch whose producer id was reset meanwhile is not sent again
      // under another id ("the producer id changed"); it fails. Only a client before KIP-360 resets its id.
      if (this.config['enable.idempotence'] && this.deps.transactions.producerIdChanged(batch)) {
        this.failBatch(batch, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false);
        this.deps.afterCompletion();
        return;
      }
      this.deps.accumulator.reenqueue(batch);
      this.drain();
    });
  }

  /**
   * Sender.sendProducerData: a batch that waited in the accumulator for delivery.timeout.ms
   * fails with a TimeoutException; one sent before leaves its partition's sequence unresolved
   * (TransactionManager.markSequenceUnresolved).
   */
  expireBatch(batch: ProducerBatch): void {
    this.failBatch(batch, 'TimeoutException', false);
    if (this.config['enable.idempotence']) this.deps.transactions.markSequenceUnresolved(batch);
  }

  /**
   * When `batch` reaches delivery.timeout.ms, local µs. Before KIP-91 (sim.batch.expiry
   * request-timeout) there is no such deadline for a batch in flight or backing off: only the
   * accumulator expires queued batches, and only retries bound a failing one.
   */
  private deadlineOf(batch: ProducerBatch): number {
    if (this.config['sim.batch.expiry'] !== 'delivery-timeout') return Number.POSITIVE_INFINITY;
    return batch.createdAt + millis(this.config['delivery.timeout.ms']);
  }

  /** Makes sure the in-flight batches are looked at by `at`, local µs (the Sender's poll timeout is at most nextExpiryTimeMs). */
  private armInFlightExpiry(at: number): void {
    if (at >= this.inFlightExpiryAt) return;
    this.inFlightExpiryAt = at;
    this.ctx.after(micros(Math.max(0, at - this.ctx.now())), () => {
      if (this.inFlightExpiryAt === at) this.expireInFlight();
    });
  }

  /**
   * Sender.getExpiredInflightBatches (KIP-91): a batch still in flight at delivery.timeout.ms
   * fails then with a TimeoutException, its fate unknown, without waiting for the answer or
   * the request's timeout; one sent before leaves its partition's sequence unresolved
   * (sendProducerData: markSequenceUnresolved if expiredBatch.inRetry()). Its sequences are
   * not adjusted: a late OUT_OF_ORDER_SEQUENCE_NUMBER for it no longer bumps the epoch and
   * rewrites the batches after it, which may already be written (soak finding, issue 21).
   */
  private expireInFlight(): void {
    this.inFlightExpiryAt = Number.POSITIVE_INFINITY;
    const now = this.ctx.now();
    let next = Number.POSITIVE_INFINITY;
    let expired = false;
    for (const batch of [...this.inFlightBatches]) {
      const deadline = this.deadlineOf(batch);
      if (deadline > now) {
        next = Math.min(next, deadline);
        continue;
      }
      expired = true;
      this.inFlightBatches.delete(batch);
      batch.uncertain = true;
      this.failBatch(batch, 'TimeoutException', false);
      if (this.config['enable.idempotence'] && batch.attempts > 1) this.deps.transactions.markSequenceUnresolved(batch);
    }
    if (next !== Number.POSITIVE_INFINITY) this.armInFlightExpiry(next);
    if (!expired) return;
    this.drain();
    this.deps.afterCompletion();
  }

  /** Sender.failBatch: the batch fails for good: info if some attempt may have been written, fail if none was. */
  failBatch(batch: ProducerBatch, code: KafkaErrorCode | RpcError | ClientException, adjustSequenceNumbers: boolean): void {
    this.outstanding.delete(batch);
    const type = batch.uncertain ? 'info' : 'fail';
    if (this.config['enable.idempotence']) this.deps.transactions.handleFailedBatch(batch, code, adjustSequenceNumbers);
    this.deps.metrics?.add(JMX.producer(this.deps.clientId), 'record-error-total', batch.refs.length);
    const partition = this.deps.partitionName(batch.partition);
    for (const ref of batch.refs) this.deps.history.completeSend(ref, type, partition, undefined, code);
  }

  /**
   * The leader is in reconnect backoff (NetworkClient.ready is false): its batches wait in
   * the accumulator, and a drain is due when the backoff ends.
   */
  private inBackoff(broker: number): boolean {
    const now = this.ctx.now();
    const until = this.deps.connections.blackedOutUntil(brokerNode(broker), now);
    if (until === undefined) return false;
    if (!this.drainAfterBackoff.has(broker)) {
      this.drainAfterBackoff.add(broker);
      this.ctx.after(micros(until - now), () => {
        this.drainAfterBackoff.delete(broker);
        this.drain();
      });
    }
    return true;
  }

  /**
   * A broker for a request any broker can answer, among those not in reconnect backoff (as
   * Kafka's leastLoadedNode picks); when every one is, none: the request waits for the
   * first backoff to end (`until`, local microseconds).
   */
  private readyBroker(): { readonly broker: number } | { readonly until: number } {
    const now = this.ctx.now();
    const ready: number[] = [];
    let until = Number.POSITIVE_INFINITY;
    for (const b of this.deps.brokers) {
      const end = this.deps.connections.blackedOutUntil(brokerNode(b), now);
      if (end === undefined) ready.push(b);
      else until = Math.min(until, end);
    }
    return ready.length > 0 ? { broker: this.ctx.rng.pick(ready) } : { until };
  }

  /** A broker to ask (see readyBroker), or none, with `retry` arranged for when the first comes out of its backoff. */
  brokerOrRetry(retry: () => void): number | undefined {
    const next = this.readyBroker();
    if ('broker' in next) return next.broker;
    this.ctx.after(micros(Math.max(0, next.until - this.ctx.now())), retry);
    return undefined;
  }

  /** What an answer (or its absence) says of the connection to `broker`: a broken one puts it in reconnect backoff. */
  noteConnection(broker: number, r: RpcResult<KafkaMessage>): void {
    if (!r.ok && r.error === 'disconnected') this.deps.connections.onFailure(brokerNode(broker));
  }
}
