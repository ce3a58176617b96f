import type { NodeContext } from '../../network/nodeHost.js';
import type { History, Op } from '../../sim/history.js';
import { millis, toMillis } from '../../sim/time.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { partitionForKey } from '../../log/partitioner.js';
import type { RecordInput } from '../../log/recordBatch.js';
import { TransactionalProducer, type TxnOutcome } from '../producer/transactionalProducer.js';
import type { KafkaMessage, PartitionMetadata, PartitionOffset } from '../protocol.js';
import type { ConsumerConfig, ProcessorOutput } from './consumer.js';
import type { FetchedRecord } from './fetchedRecords.js';

/** A processor's producer sends what has accumulated every linger.ms (Kafka's default is 5 ms). */
const OUTPUT_LINGER_MS = 5;

/** What the stage needs from the group member it runs in. */
export interface ProcessorHost {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly output: ProcessorOutput;
  readonly config: ConsumerConfig;
  readonly group: string;
  /** The member's name, which is also its transactional.id. */
  readonly member: string;
  readonly history: History;
  readonly brokers: readonly number[];
  partitionCount(topic: string): number;
  partition(name: string): PartitionMetadata | undefined;
  refreshMetadata(): void;
  /** The member's processing of each record, for the scenario's processing time. */
  process(records: readonly FetchedRecord[], generation: number, done: () => void, onProcessed: (r: FetchedRecord) => void): void;
  /** commitSync of the positions. */
  commitOffsets(done: () => void): void;
  /** Back to the committed offsets, to read the batch again. */
  rewind(done: () => void): void;
  offsets(): PartitionOffset[];
  membership(): { memberId: string; generationId: number; groupInstanceId?: string; stable: boolean };
  coordinator(): number;
  /** The producer was fenced: give up the assignment and rejoin. */
  fenced(): void;
}

/**
 * The consume-transform-produce stage of a processor: each polled record becomes one output
 * record carrying the input's message id. Transactional, a poll's outputs and its input
 * offsets commit in one transaction (sendOffsetsToTransaction, commitTransaction; KIP-98,
 * KIP-447); otherwise the outputs are produced idempotently and the offsets committed once
 * they are acknowledged (at least once).
 */
export class ProcessorStage {
  private producer: TransactionalProducer;
  private outputValue: Buffer | undefined;

  constructor(private readonly host: ProcessorHost) {
    this.producer = this.newProducer();
  }

  /** initTransactions: fences an older incarnation of the same transactional.id. */
  start(done: () => void): void {
    this.producer.init(done);
  }

  /** A processor's producer: transactional (transactional.id = the member's name) or only idempotent. */
  private newProducer(): TransactionalProducer {
    const { output, config } = this.host;
    return new TransactionalProducer(
      this.host.ctx,
      { brokers: this.host.brokers, leaderOf: (p) => this.host.partition(p), refreshMetadata: () => this.host.refreshMetadata() },
      {
        transactionalId: output.mode === 'transactional' ? this.host.member : undefined,
        transactionTimeoutMs: output.settings['transaction.timeout.ms'],
        requestTimeoutMs: config['request.timeout.ms'],
        retryBackoffMs: config['retry.backoff.ms'],
        deliveryTimeoutMs: output.settings['delivery.timeout.ms'],
        transactionVersion: output.transactionVersion,
      },
    );
  }

  /**
   * A processor's batch: process each record, produce its output (one record carrying the
   * input's message id), and either commit the input offsets in the same transaction
   * (sendOffsetsToTransaction, commitTransaction) or, without transactions, commit them once
   * the outputs are acknowledged.
   */
  transform(records: readonly FetchedRecord[], generation: number, finish: () => void): void {
    const { output, ctx } = this.host;
    const producer = this.producer;
    const transactional = output.mode === 'transactional';
    if (transactional) producer.begin();
    const txn = transactional ? this.host.history.invoke(this.host.member, 'txn', { generation, member: this.host.member, records: records.length }) : undefined;
    // Outputs leave as they are made, a batch per partition every linger.ms (the producer's
    // accumulator), so a crash mid-batch leaves some written: in a transaction that aborts,
    // or, without one, to be written again when the batch is processed again.
    const queued = new Map<string, RecordInput[]>();
    let sending = 0;
    let allSent = true;
    let processed = false;
    let lingering: TimerHandle | undefined;
    const afterSends = (): void => {
      if (!processed || sending > 0 || queued.size > 0) return;
      if (!transactional) {
        // At least once: offsets only after the outputs are in; a failure reprocesses.
        if (allSent) this.host.commitOffsets(finish);
        else this.host.rewind(finish);
        return;
      }
      // A member that knows it has lost its group (its heartbeat was refused, or it left on
      // max.poll.interval.ms) must not commit what it read under the old assignment: Kafka
      // would take offsets with generation -1 unchecked, so an EOS application aborts here
      // (Kafka Streams' TaskMigratedException).
      const member = this.host.membership();
      if (!member.stable) {
        producer.abort((outcome) => this.afterTransaction(txn as Op, outcome, finish));
        return;
      }
      producer.sendOffsets(this.host.group, this.host.offsets(), { memberId: member.memberId, generationId: member.generationId, groupInstanceId: member.groupInstanceId }, () => this.host.coordinator(), () =>
        producer.commit((outcome) => this.afterTransaction(txn as Op, outcome, finish)),
      );
    };
    const flush = (): void => {
      lingering = undefined;
      for (const [name, list] of queued) {
        sending++;
        producer.send(name, list, (ok) => {
          allSent &&= ok;
          sending--;
          afterSends();
        });
      }
      queued.clear();
      afterSends();
    };
    const count = this.host.partitionCount(output.topic);
    this.host.process(
      records,
      generation,
      () => {
        processed = true;
        if (lingering !== undefined) ctx.cancel(lingering);
        flush();
      },
      (r) => {
        const id = r.id ?? `${r.partition}@${r.offset}`;
        const key = Buffer.from(id);
        const name = `${output.topic}-${count > 0 ? partitionForKey(key, count) : 0}`;
        const list = queued.get(name) ?? [];
        list.push({ key, value: (this.outputValue ??= Buffer.alloc(output.valueBytes, 0x2a)), headers: [{ key: 'id', value: id }], timestamp: toMillis(ctx.now()) });
        queued.set(name, list);
        lingering ??= ctx.after(millis(OUTPUT_LINGER_MS), flush);
      },
    );
  }

  /** The end of a processor's transaction: go on, start over from the committed offsets, or start a new producer. */
  private afterTransaction(txn: Op, outcome: TxnOutcome, finish: () => void): void {
    const producer = this.producer;
    const history = this.host.history;
    const value = { outcome, producerEpoch: producer.producerEpoch };
    if (outcome === 'committed') {
      history.complete(txn, 'ok', value);
      return finish();
    }
    history.complete(txn, 'fail', value, outcome === 'fenced' ? (producer.fatal ?? 'PRODUCER_FENCED') : (producer.abortReason ?? 'aborted'));
    if (outcome === 'fenced') {
      // A fenced producer is fatal (ProducerFencedException). As Kafka Streams does (its
      // TaskMigratedException), the application drops what it had, makes a new producer
      // (initTransactions: the next epoch) and rejoins the group to be given work again.
      const member = this.host.member;
      history.complete(history.invoke(member, 'fenced', { member }), 'ok', { member });
      this.host.fenced();
      this.producer = this.newProducer();
      this.producer.init(finish);
      return;
    }
    this.host.rewind(finish);
  }
}
