import type { MetadataImage } from './metadataImage.js';
import { elrAfter, type ElectionPolicy } from './election.js';
import type { PartitionChangeRecord } from './metadataRecords.js';
import type { AlterPartitionRequest as AlterPartitionMessage } from '../protocol.js';
import type { ControllerSettings } from './controller.js';

/** An ISR change a partition leader asks the controller for (AlterPartition, KIP-497): the request's fields. */
export type AlterPartitionRequest = Omit<AlterPartitionMessage, 'type' | 'bytes'>;

export type AlterPartitionError =
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'FENCED_LEADER_EPOCH'
  | 'INVALID_UPDATE_VERSION'
  | 'INELIGIBLE_REPLICA'
  | 'INVALID_REQUEST';

/**
 * Validates an AlterPartition request against the image, as the controller does
 * (ReplicationControlManager.alterPartition): only the current leader, in the current
 * leader epoch, with the current partition epoch, may change the ISR, and only to a set of
 * the partition's replicas that includes itself and, since 3.3, holds no fenced or shutting-down
 * broker (KIP-841), and since 3.5 no broker named by an epoch it no longer has (KIP-903).
 */
export function alterPartition(image: MetadataImage, req: AlterPartitionRequest, policy?: ElectionPolicy, eligibility: ControllerSettings['sim.isr.eligibility'] = 'broker-epoch'): { error: AlterPartitionError } | { change: PartitionChangeRecord } {
  const p = image.partition(req.topic, req.partition);
  if (p === undefined) return { error: 'UNKNOWN_TOPIC_OR_PARTITION' };
  if (req.leaderEpoch < p.leaderEpoch) return { error: 'FENCED_LEADER_EPOCH' };
  if (p.leader !== req.brokerId || req.leaderEpoch > p.leaderEpoch) return { error: 'NOT_LEADER_OR_FOLLOWER' };
  if (req.partitionEpoch !== p.partitionEpoch) return { error: 'INVALID_UPDATE_VERSION' };
  if (!req.newIsr.includes(req.brokerId) || req.newIsr.some((r) => !p.replicas.includes(r)) || new Set(req.newIsr).size !== req.newIsr.length) {
    return { error: 'INVALID_REQUEST' };
  }
  if (eligibility !== 'any' && (req.newIsr.some((r) => !image.isActive(r)) || hasStaleBrokerEpoch(image, req))) return { error: 'INELIGIBLE_REPLICA' };
  // KIP-966: members that leave an ISR below min.insync.replicas become eligible leaders.
  const elr = policy === undefined ? [] : elrAfter(p, req.newIsr, policy);
  const elrChanged = elr.length !== (p.elr ?? []).length || elr.some((r) => !(p.elr ?? []).includes(r));
  return { change: { type: 'PartitionChange', topic: req.topic, partition: req.partition, isr: [...req.newIsr], ...(elrChanged ? { elr } : {}) } };
}

/**
 * ReplicationControlManager.ineligibleReplicasForIsr (KIP-903): a member named with a broker
 * epoch other than -1 must be named by its current registration's epoch, or the ISR would
 * take in a broker that restarted (and may have lost its log) on a fetch of its earlier life.
 */
function hasStaleBrokerEpoch(image: MetadataImage, req: AlterPartitionRequest): boolean {
  return (req.newIsrWithEpochs ?? []).some((m) => m.brokerEpoch !== -1 && image.broker(m.brokerId)?.epoch !== m.brokerEpoch);
}
