/**
 * Kafka's KafkaApis: the broker's request dispatch, one handler per request type. Produce
 * and Fetch go to the replica manager (held in the purgatory when they must wait), group
 * requests to the GroupCoordinator, transaction requests to the TransactionCoordinator. The
 * dispatch is exhaustive: a request this broker does not serve gets INVALID_REQUEST at once.
 */
import type { NodeContext } from '../../network/nodeHost.js';
import { declareTraceKind } from '../../sim/trace.js';
import type { MetadataImage } from '../controller/metadataImage.js';
import { metadataResponse } from '../controller/controller.js';
import {
  message,
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  type FindCoordinatorRequest,
  type InitProducerIdRequest,
  type KafkaMessage,
  type ListOffsetsRequest,
  type ProducePartitionData,
  type ProduceRequest,
  type WriteTxnMarkersRequest,
} from '../protocol.js';
import type { GroupCoordinator } from '../coordinator/groupCoordinator.js';
import { OFFSETS_TOPIC } from '../coordinator/offsetsTopic.js';
import type { TransactionCoordinator } from '../coordinator/transactionCoordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/transactionLog.js';
import { encodeControlBatch, isTransactional, readBatchHeader } from '../../log/recordBatch.js';
import type { Partition } from './partition.js';
import type { BrokerConfig } from './broker.js';
import type { ReplicaManager } from './replicaManager.js';
import { DelayedProduce, type DelayedOperationPurgatory } from './delayedOperations.js';
import type { AddPartitionsToTxnManager } from './addPartitionsToTxnManager.js';
import type { ProducerIdManager } from './producerIdManager.js';
import type { KafkaErrorCode } from '../errors.js';

/** What the request handlers need from the broker. */
export interface KafkaApisDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: BrokerConfig;
  readonly image: MetadataImage;
  readonly replicaManager: ReplicaManager;
  readonly purgatory: DelayedOperationPurgatory;
  readonly groupCoordinator: GroupCoordinator;
  readonly txnCoordinator: TransactionCoordinator;
  readonly addPartitionsToTxn: AddPartitionsToTxnManager;
  readonly producerIds: ProducerIdManager;
  readonly nowMs: () => number;
}

type Reply = (r: KafkaMessage) => void;

export class KafkaApis {
  constructor(private readonly deps: KafkaApisDeps) {}

  private get id(): number {
    return this.deps.config.brokerId;
  }

  /** KafkaApis.handle: one handler per request type; what this broker does not serve is refused at once. */
  handle(req: KafkaMessage, reply: Reply): void {
    switch (req.type) {
      case 'Produce':
        this.handleProduce(req, reply);
        return;
      case 'Fetch':
        if (req.replicaId < 0) this.handleConsumerFetch(req, reply);
        else this.handleReplicaFetch(req, reply);
        return;
      case 'Metadata':
        reply(metadataResponse(this.deps.image, req.topics));
        return;
      case 'ListOffsets':
        this.handleListOffsets(req, reply);
        return;
      case 'FindCoordinator':
        this.handleFindCoordinator(req, reply);
        return;
      case 'JoinGroup':
      case 'SyncGroup':
      case 'Heartbeat':
      case 'LeaveGroup':
      case 'OffsetCommit':
      case 'OffsetFetch':
      case 'TxnOffsetCommit':
        this.deps.groupCoordinator.handle(req, this.deps.nowMs(), reply);
        return;
      case 'InitProducerId':
        this.handleInitProducerId(req, reply);
        return;
      case 'AddPartitionsToTxn':
      case 'AddOffsetsToTxn':
      case 'EndTxn':
        this.deps.txnCoordinator.handle(req, this.deps.nowMs(), reply);
        return;
      case 'WriteTxnMarkers':
        this.handleWriteTxnMarkers(req, reply);
        return;
      // The controller's requests (its listener, not the broker's) and every response.
      case 'BrokerRegistration':
      case 'BrokerHeartbeat':
      case 'Raft':
      case 'AlterPartition':
      case 'BrokerRegistrationResponse':
      case 'BrokerHeartbeatResponse':
      case 'AlterPartitionResponse':
      case 'MetadataResponse':
      case 'ProduceResponse':
      case 'FetchResponse':
      case 'InitProducerIdResponse':
      case 'ListOffsetsResponse':
      case 'FindCoordinatorResponse':
      case 'JoinGroupResponse':
      case 'SyncGroupResponse':
      case 'HeartbeatResponse':
      case 'LeaveGroupResponse':
      case 'OffsetCommitResponse':
      case 'OffsetFetchResponse':
      case 'TxnResponse':
      case 'WriteTxnMarkersResponse':
      case 'TxnOffsetCommitResponse':
      case 'ErrorResponse':
        reply(message('ErrorResponse', { requestType: req.type, error: 'INVALID_REQUEST' }));
        return;
      default: {
        const unhandled: never = req;
        throw new Error(`unhandled request ${String(unhandled)}`);
      }
    }
  }

  /**
   * acks=0 produces arrive as one-way messages: nothing is sent back, even on error. With no
   * response to carry an error, Kafka's KafkaApis closes the connection instead, once every
   * partition of the request has been tried: the producer notices and refreshes its metadata.
   */
  handleOneWay(from: string, msg: KafkaMessage): void {
    if (msg.type !== 'Produce') return;
    const { replicaManager } = this.deps;
    let failed = false;
    const appended: Partition[] = [];
    for (const data of msg.partitions) {
      const partition = replicaManager.partition(msg.topic, data.partition);
      if (partition === undefined) {
        failed = true;
        continue;
      }
      const result = replicaManager.appendOneWay(partition, data.records);
      if ('error' in result) {
        failed = true;
        continue;
      }
      appended.push(partition);
    }
    for (const partition of appended) this.deps.purgatory.wakeFetches(partition.name);
    if (failed) this.deps.ctx.closeConnection(from);
  }

  // ------------------------------------------------------------------ produce

  /**
   * Produce (KafkaApis.handleProduceRequest and ReplicaManager.appendRecords): each
   * partition's batch is appended, and the request is answered once for all of them. With
   * acks=all the answer waits, as Kafka's DelayedProduce does, until every partition has
   * committed its batch or the request's timeout passes. With
   * transaction.partition.verification.enable (KIP-890), a transactional write that would
   * start a transaction in a partition is first checked with the producer's transaction
   * coordinator: a write the coordinator does not know to be in an ongoing transaction (a
   * late retry of an aborted one) is refused.
   */
  private handleProduce(req: ProduceRequest, reply: Reply): void {
    const { replicaManager, purgatory } = this.deps;
    const request = new DelayedProduce(this.deps.ctx, req.timeoutMs, req.partitions.length, reply);
    // Fetches held for these partitions are answered once every partition the request
    // could append at once is appended (Kafka completes delayed fetches after the appends,
    // ReplicaManager's action queue), so a follower fetching several of them gets them all.
    request.startHandling();
    for (let i = 0; i < req.partitions.length; i++) {
      const data = req.partitions[i];
      const partition = replicaManager.partition(req.topic, data.partition);
      if (partition !== undefined && partition.role === 'leader' && req.transactionalId !== undefined && this.deps.config.settings['transaction.partition.verification.enable'] && data.records.length > 0) {
        const h = readBatchHeader(data.records, 0);
        if (isTransactional(h) && partition.log.producers.entry(h.producerId)?.currentTxnFirstOffset === undefined) {
          this.deps.addPartitionsToTxn.verifyTransaction(req.transactionalId, h.producerId, h.producerEpoch, partition.name, (error) => {
            if (error !== undefined) request.answer(i, { partition: data.partition, error, baseOffset: -1 });
            else this.produceTo(partition, data, req.acks, request, i);
          });
          continue;
        }
      }
      this.produceTo(partition, data, req.acks, request, i);
    }
    request.endHandling(purgatory);
  }

  /** Appends the `i`th partition's batch of a Produce request; `request` gets its outcome, at once or (acks=all) once committed. */
  private produceTo(partition: Partition | undefined, data: ProducePartitionData, acks: ProduceRequest['acks'], request: DelayedProduce, i: number): void {
    if (partition === undefined) {
      request.answer(i, { partition: data.partition, error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1 });
      return;
    }
    const result = this.deps.replicaManager.appendToLocalLog(partition, data.records, acks);
    if ('error' in result) {
      request.answer(i, { partition: data.partition, error: result.error, baseOffset: -1, logStartOffset: partition.log.logStartOffset });
      return;
    }
    request.appended(partition, this.deps.purgatory);
    if (acks !== 'all') {
      request.answer(i, { partition: data.partition, baseOffset: result.baseOffset });
      return;
    }
    // A recognised duplicate is answered with its original offsets, but under acks=all
    // only once those are committed too, as Kafka's DelayedProduce waits for them.
    request.watch(i, partition, data.partition, result.baseOffset, result.lastOffset);
  }

  // ------------------------------------------------------------------ fetch

  /**
   * A follower's fetch (KafkaApis.handleFetchRequest from a replica): each partition's
   * records from the follower's fetch offset, the high watermark, and the diverging epoch
   * if its log went another way (KIP-320). The fetch offset also tells the leader how far
   * the follower has come, which moves the high watermark and the ISR. Kafka's
   * DelayedFetch: when every partition asked for is already at its log end, the leader holds
   * the fetch until any of them has records or replica.fetch.wait.max.ms passes, so
   * replication is as quick as a round trip without the follower spinning.
   */
  private handleReplicaFetch(req: FetchRequest, reply: Reply): void {
    const fetch = new FollowerFetch(req, reply, this.deps.replicaManager);
    if (!fetch.caughtUp()) {
      fetch.answer();
      return;
    }
    fetch.followAll();
    // Moving the high watermark can append at once (a waiting internal write completes and
    // the coordinator writes its next record): look again before waiting, as Kafka's
    // DelayedOperationPurgatory.tryCompleteElseWatch does, or that append's wake-up is lost
    // and the follower waits out replica.fetch.wait.max.ms.
    if (!fetch.caughtUp()) {
      fetch.answer();
      return;
    }
    this.deps.purgatory.parkFollowerFetch(fetch.names(), fetch.answer, this.deps.config.settings['replica.fetch.wait.max.ms']);
  }

  /**
   * A consumer's fetch (KafkaApis.handleFetchRequest for a consumer): read below the high
   * watermark; with less than fetch.min.bytes readable over the partitions asked for (by
   * default, nothing at all), wait up to the request's fetch.max.wait.ms for high watermarks
   * to move until there is (Kafka's DelayedFetch.tryComplete).
   */
  private handleConsumerFetch(req: FetchRequest, reply: Reply): void {
    const { replicaManager, config } = this.deps;
    const parts = req.partitions.map((fp) => ({ fp, partition: replicaManager.partition(fp.topic, fp.partition) }));
    const answer = (): void => {
      const responses = parts.map(({ fp, partition }): FetchPartitionResponse => {
        const r = partition === undefined ? ({ error: 'NOT_LEADER_OR_FOLLOWER' } as const) : partition.fetchForConsumer(fp.fetchOffset, fp.lastFetchedEpoch, fp.currentLeaderEpoch, fp.partitionMaxBytes ?? config.settings['replica.fetch.max.bytes'], req.isolationLevel);
        if (r.error !== undefined) return fetchError(fp, r.error);
        return { topic: fp.topic, partition: fp.partition, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, records: r.records, divergingEpoch: r.divergingEpoch, lastStableOffset: r.lastStableOffset, abortedTransactions: r.abortedTransactions };
      });
      reply(message<FetchResponse>('FetchResponse', { responses }));
    };
    const waitMs = req.maxWaitMs ?? 0;
    const minBytes = req.minBytes ?? 1;
    // Anything that must be answered now (an error, a divergence) completes the fetch, as a
    // partition's error completes Kafka's DelayedFetch.
    const mustAnswer = (): boolean => parts.length === 0 || parts.some(({ fp, partition }) => partition === undefined || partition.role !== 'leader' || fp.fetchOffset > partition.log.logEndOffset);
    const readableBytes = (): number => {
      let bytes = 0;
      for (const { fp, partition } of parts) {
        const p = partition as Partition;
        const readable = req.isolationLevel === 'read_committed' ? p.log.lastStableOffset : p.highWatermark;
        if (fp.fetchOffset >= readable) continue;
        if (minBytes <= 1) return 1;
        const r = p.fetchForConsumer(fp.fetchOffset, fp.lastFetchedEpoch, fp.currentLeaderEpoch, minBytes, req.isolationLevel);
        if (r.error !== undefined || r.divergingEpoch !== undefined) return Number.POSITIVE_INFINITY;
        bytes += r.records.length;
        if (bytes >= minBytes) return bytes;
      }
      return bytes;
    };
    if (waitMs > 0 && !mustAnswer() && readableBytes() < minBytes) {
      this.deps.purgatory.parkConsumerFetch(
        parts.map(({ partition }) => (partition as Partition).name),
        answer,
        waitMs,
        // With the default of 1, any news for a partition answers the fetch.
        minBytes <= 1 ? undefined : () => mustAnswer() || readableBytes() >= minBytes,
      );
      return;
    }
    answer();
  }

  // ------------------------------------------------------------------ offsets, coordinators, producer ids

  private handleListOffsets(req: ListOffsetsRequest, reply: Reply): void {
    const partition = this.deps.replicaManager.partition(req.topic, req.partition);
    const r = partition === undefined ? { error: 'NOT_LEADER_OR_FOLLOWER' as const, leaderEpoch: -1 } : partition.listOffset(req.timestamp, req.currentLeaderEpoch, req.replicaId !== undefined && req.replicaId >= 0 ? 'none' : req.isolationLevel);
    reply(message('ListOffsetsResponse', 'error' in r ? { error: r.error, offset: -1, leaderEpoch: r.leaderEpoch } : { offset: r.offset, leaderEpoch: r.leaderEpoch }));
  }

  private handleFindCoordinator(req: FindCoordinatorRequest, reply: Reply): void {
    const { image } = this.deps;
    // The coordinator is the leader of the group's partition of __consumer_offsets
    // (Kafka's KafkaApis.handleFindCoordinatorRequest, from this broker's metadata).
    const p =
      req.keyType === 'transaction'
        ? image.partition(TRANSACTION_STATE_TOPIC, this.deps.txnCoordinator.partitionFor(req.key))
        : image.partition(OFFSETS_TOPIC, this.deps.groupCoordinator.partitionFor(req.key));
    if (p === undefined || p.leader < 0) reply(message('FindCoordinatorResponse', { error: 'COORDINATOR_NOT_AVAILABLE', nodeId: -1 }));
    else reply(message('FindCoordinatorResponse', { nodeId: p.leader }));
  }

  private handleInitProducerId(req: InitProducerIdRequest, reply: Reply): void {
    if (req.transactionalId !== undefined) {
      this.deps.txnCoordinator.handle(req, this.deps.nowMs(), reply);
      return;
    }
    if (req.producerId !== undefined && req.producerId >= 0 && req.producerEpoch !== undefined) {
      // KIP-360: the same producer id in the next epoch, so its sequences start over at 0.
      reply(message('InitProducerIdResponse', { producerId: req.producerId, producerEpoch: req.producerEpoch + 1 }));
      return;
    }
    // Each broker hands out producer ids from its own range (Kafka gets blocks from the controller).
    reply(message('InitProducerIdResponse', { producerId: this.deps.producerIds.generateProducerId(), producerEpoch: 0 }));
  }

  /**
   * WriteTxnMarkers (KafkaApis.handleWriteTxnMarkersRequest): a COMMIT or ABORT control batch
   * in each partition this broker leads, under the producer's id and the coordinator's
   * epoch, acks=all. A marker in `__consumer_offsets` also settles the transaction's offsets.
   */
  handleWriteTxnMarkers(req: WriteTxnMarkersRequest, reply: Reply): void {
    const { replicaManager, ctx } = this.deps;
    const errors: { partition: string; error: KafkaErrorCode }[] = [];
    let waiting = req.partitions.length;
    const settle = (partition: string, error: KafkaErrorCode | undefined): void => {
      if (error !== undefined) errors.push({ partition, error });
      if (--waiting === 0) reply(message('WriteTxnMarkersResponse', { errors }));
    };
    for (const name of req.partitions) {
      const partition = replicaManager.get(name);
      if (partition === undefined || partition.role !== 'leader') {
        settle(name, 'NOT_LEADER_OR_FOLLOWER');
        continue;
      }
      const marker = encodeControlBatch({ type: req.commit ? 'COMMIT' : 'ABORT', coordinatorEpoch: req.coordinatorEpoch }, { producerId: req.producerId, producerEpoch: req.producerEpoch, timestamp: this.deps.nowMs() });
      replicaManager.appendInternal(partition.topic, partition.partition, marker, (error, offset) => {
        if (error === undefined) {
          ctx.trace.emit('txn.marker', { broker: this.id, partition: name, commit: req.commit, producerId: req.producerId, producerEpoch: req.producerEpoch, offset: offset ?? -1 });
          if (partition.topic === OFFSETS_TOPIC) this.deps.groupCoordinator.onTxnMarker(partition.partition, req.producerId, req.commit);
        }
        settle(name, error);
      });
    }
  }
}

/** A partition's answer when it cannot be read. */
/**
 * One follower's Fetch while the leader serves or holds it (Kafka's DelayedFetch for a
 * replica): the partitions asked for and the answer, one object for the request instead of
 * a closure for each step.
 */
class FollowerFetch {
  /** The leader's partition for each one asked for, in the request's order (undefined: not here). */
  private readonly partitions: (Partition | undefined)[];
  /** Answers with what the partitions have now; what the purgatory calls when it wakes or expires the fetch. */
  readonly answer = (): void => this.respond();

  constructor(
    private readonly req: FetchRequest,
    private readonly reply: Reply,
    private readonly replicaManager: ReplicaManager,
  ) {
    const asked = req.partitions;
    this.partitions = new Array<Partition | undefined>(asked.length);
    for (let i = 0; i < asked.length; i++) this.partitions[i] = replicaManager.partition(asked[i].topic, asked[i].partition);
  }

  /** Every partition is led here, in the epoch the follower knows, and the follower is at its log end: nothing to send yet. */
  caughtUp(): boolean {
    const asked = this.req.partitions;
    if (asked.length === 0) return false;
    for (let i = 0; i < asked.length; i++) {
      const fp = asked[i];
      const partition = this.partitions[i];
      if (partition === undefined || partition.role !== 'leader' || (fp.currentLeaderEpoch !== partition.leaderEpoch && fp.currentLeaderEpoch >= 0) || fp.fetchOffset !== partition.log.logEndOffset) return false;
    }
    return true;
  }

  /** Records the follower's fetch state on each partition (all led here: after caughtUp). */
  followAll(): void {
    for (let i = 0; i < this.partitions.length; i++) this.follow(i, this.partitions[i] as Partition);
  }

  /** The partitions' names, for the purgatory (all led here: after caughtUp). */
  names(): string[] {
    return this.partitions.map((p) => (p as Partition).name);
  }

  private follow(i: number, partition: Partition): ReturnType<ReplicaManager['fetchForFollower']> {
    return this.replicaManager.fetchForFollower(partition, this.req.replicaId, this.req.partitions[i], this.req.replicaEpoch);
  }

  private respond(): void {
    const asked = this.req.partitions;
    const responses = new Array<FetchPartitionResponse>(asked.length);
    for (let i = 0; i < asked.length; i++) {
      const fp = asked[i];
      const partition = this.partitions[i];
      const r = partition === undefined ? ({ error: 'NOT_LEADER_OR_FOLLOWER' } as const) : this.follow(i, partition);
      responses[i] = r.error !== undefined ? fetchError(fp, r.error) : { topic: fp.topic, partition: fp.partition, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, records: r.records, divergingEpoch: r.divergingEpoch };
    }
    this.reply(message<FetchResponse>('FetchResponse', { responses }));
  }
}

function fetchError(fp: FetchPartition, error: KafkaErrorCode): FetchPartitionResponse {
  return { topic: fp.topic, partition: fp.partition, error, highWatermark: -1, logStartOffset: -1, records: EMPTY_RECORDS };
}

const EMPTY_RECORDS = Buffer.alloc(0);

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** A transaction marker, committed to a partition this broker leads. */
    'txn.marker': { readonly broker: number; readonly partition: string; readonly commit: boolean; readonly producerId: number; readonly producerEpoch: number; readonly offset: number };
  }
}

declareTraceKind('txn.marker', ['broker', 'partition', 'commit', 'producerId', 'producerEpoch', 'offset']);
