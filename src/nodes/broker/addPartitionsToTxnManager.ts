/**
 * Kafka's AddPartitionsToTxnManager (KIP-890 part 1): before a transactional write starts a
 * transaction in a partition, the broker asks the producer's transaction coordinator
 * whether the partition is in its ongoing transaction.
 */
import type { NodeContext } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import type { MetadataImage } from '../controller/metadataImage.js';
import { brokerNode, message, type AddPartitionsToTxnRequest, type KafkaMessage } from '../protocol.js';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/transactionLog.js';
import type { TransactionCoordinator } from '../coordinator/transactionCoordinator.js';
import { Channel } from './channels.js';
import type { KafkaErrorCode } from '../errors.js';

/** What the verification client needs from the broker. */
export interface AddPartitionsToTxnDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly brokerId: number;
  /** request.timeout.ms (the broker's). */
  readonly requestTimeoutMs: number;
  /** Where each transaction coordinator is. */
  readonly image: MetadataImage;
  /** This broker's own coordinator, asked directly when it coordinates the transaction. */
  readonly txnCoordinator: Pick<TransactionCoordinator, 'partitionFor' | 'handle'>;
  readonly nowMs: () => number;
}

export class AddPartitionsToTxnManager {
  constructor(private readonly deps: AddPartitionsToTxnDeps) {}

  /** KIP-890: asks the transaction coordinator whether `partition` is in the producer's ongoing transaction. */
  verifyTransaction(transactionalId: string, producerId: number, producerEpoch: number, partition: string, done: (error: KafkaErrorCode | undefined) => void): void {
    const { ctx, image, txnCoordinator } = this.deps;
    const req = message<AddPartitionsToTxnRequest>('AddPartitionsToTxn', { transactionalId, producerId, producerEpoch, partitions: [partition], verifyOnly: true });
    const answer = (r: KafkaMessage): void => {
      const error = r.type === 'TxnResponse' ? r.error : 'UNKNOWN_SERVER_ERROR';
      done(error === undefined ? undefined : error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' ? 'NOT_ENOUGH_REPLICAS' : 'INVALID_TXN_STATE');
    };
    const coordinator = image.partition(TRANSACTION_STATE_TOPIC, txnCoordinator.partitionFor(transactionalId))?.leader ?? -1;
    if (coordinator === this.deps.brokerId) {
      txnCoordinator.handle(req, this.deps.nowMs(), answer);
      return;
    }
    if (coordinator < 0) {
      done('NOT_ENOUGH_REPLICAS');
      return;
    }
    ctx.request(brokerNode(coordinator), req, { timeout: millis(this.deps.requestTimeoutMs), channel: Channel.Verification }, (r) => (r.ok ? answer(r.response) : done('NOT_ENOUGH_REPLICAS')));
  }
}
