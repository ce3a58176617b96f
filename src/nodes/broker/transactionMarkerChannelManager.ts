/**
 * Kafka's TransactionMarkerChannelManager: the transaction coordinator's COMMIT and ABORT
 * markers, sent to each partition's leader.
 */
import type { NodeContext } from '../../network/nodeHost.js';
import { millis } from '../../sim/time.js';
import type { MetadataImage } from '../controller/metadataImage.js';
import { brokerNode, message, type KafkaMessage, type WriteTxnMarkersRequest } from '../protocol.js';
import { Channel } from './channels.js';
import { parsePartitionName } from '../../log/topicPartition.js';

/** What the marker channel needs from the broker. */
export interface TransactionMarkerChannelDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly brokerId: number;
  /** request.timeout.ms (the broker's). */
  readonly requestTimeoutMs: number;
  /** Where each partition's leader is. */
  readonly image: MetadataImage;
  /** Writes markers to partitions this broker leads (KafkaApis' WriteTxnMarkers handler). */
  readonly writeLocally: (req: WriteTxnMarkersRequest, reply: (r: KafkaMessage) => void) => void;
}

export class TransactionMarkerChannelManager {
  constructor(private readonly deps: TransactionMarkerChannelDeps) {}

  /**
   * The coordinator's markers, to each partition's leader (TransactionMarkerChannelManager):
   * partitions this broker leads are written here, the others through WriteTxnMarkers.
   */
  sendMarkers(req: Omit<WriteTxnMarkersRequest, 'type' | 'bytes'>, done: (failed: readonly string[]) => void): void {
    const { ctx, image } = this.deps;
    const byLeader = new Map<number, string[]>();
    const failed: string[] = [];
    for (const name of req.partitions) {
      const tp = parsePartitionName(name);
      const leader = tp === undefined ? -1 : (image.partition(tp.topic, tp.partition)?.leader ?? -1);
      if (leader < 0) failed.push(name);
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), name]);
    }
    let waiting = byLeader.size;
    if (waiting === 0) {
      done(failed);
      return;
    }
    const settle = (more: readonly string[]): void => {
      failed.push(...more);
      if (--waiting === 0) done(failed);
    };
    for (const [leader, partitions] of byLeader) {
      const markers = message<WriteTxnMarkersRequest>('WriteTxnMarkers', { ...req, partitions });
      if (leader === this.deps.brokerId) {
        this.deps.writeLocally(markers, (r) => settle(r.type === 'WriteTxnMarkersResponse' ? r.errors.map((e) => e.partition) : partitions));
        continue;
      }
      ctx.request(brokerNode(leader), markers, { timeout: millis(this.deps.requestTimeoutMs), channel: Channel.TxnMarkers }, (r) => {
        settle(r.ok && r.response.type === 'WriteTxnMarkersResponse' ? r.response.errors.map((e) => e.partition) : partitions);
      });
    }
  }
}
