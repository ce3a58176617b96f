import type { Rng } from '../../sim/rng.js';
import type { NodeMetrics } from '../../sim/metrics.js';
import { JMX } from '../jmx.js';
import type { AlterPartitionRequest } from '../protocol.js';
import { alterPartition, type AlterPartitionError } from './alterPartition.js';
import { electIfOffline, electPreferred, excludeUnclean, placeReplicas, removeBroker, type ElectionPolicy } from './election.js';
import type { ControllerSettings, TopicSpec } from './controller.js';
import type { MetadataImage, PartitionState } from './metadataImage.js';
import { NO_LEADER, type MetadataRecord, type PartitionChangeRecord } from './metadataRecords.js';

/** The cluster defaults a topic's election policy falls back on. */
export type ReplicationDefaults = Pick<ControllerSettings, 'unclean.leader.election.enable' | 'min.insync.replicas' | 'eligible.leader.replicas.version' | 'sim.isr.eligibility'>;

/** What replication control needs of the controller: the image, the defaults, the placement stream, metrics, and when brokers were last heard from. */
export interface ReplicationControlDeps {
  readonly image: MetadataImage;
  readonly defaults: () => ReplicationDefaults;
  /** The cluster's placement stream; each topic draws from its own fork, named by the topic. */
  readonly placement: Rng;
  readonly metrics: NodeMetrics | undefined;
  readonly lastContactMs: (brokerId: number) => number | undefined;
}

/**
 * The partitions' side of the controller, as KRaft's ReplicationControlManager: it decides
 * the records that create topics, move brokers out of ISRs, elect leaders (offline,
 * preferred) and apply AlterPartition. It only decides: the controller commits what it
 * returns, so each decision reads the image as the records before it left it.
 */
export class ReplicationControlManager {
  /** Since when each partition has had no leader, for LeaderElectionRateAndTimeMs. */
  private readonly offlineSinceMs = new Map<string, number>();

  constructor(private readonly deps: ReplicationControlDeps) {}

  /** Since when partition `name` has had no leader (controller milliseconds), if it has none; read only, for the probe. */
  offlineSince(name: string): number | undefined {
    return this.offlineSinceMs.get(name);
  }

  /** The records that create topic `t` (its replicas placed), or none while it exists or fewer than its replication factor of brokers are active. */
  createTopic(t: TopicSpec, activeBrokers: number): MetadataRecord[] {
    const image = this.deps.image;
    if (image.topic(t.name) !== undefined || activeBrokers < t.replicationFactor) return [];
    return [{ type: 'Topic', name: t.name, config: t.config }, ...placeReplicas(image, t.name, t.partitions, t.replicationFactor, this.deps.placement.fork(`topic/${t.name}`))];
  }

  /** Takes `brokerId` out of every ISR, electing new leaders where it led (generateLeaderAndIsrUpdates with brokerToRemove). */
  removeFromIsrs(brokerId: number): MetadataRecord[] {
    return this.changes((p) => removeBroker(this.deps.image, p, brokerId, this.policy(p.topic)));
  }

  /** Unclean exclusion (KIP-966): a broker back from a crash leaves every ISR and ELR. */
  excludeUnclean(brokerId: number): MetadataRecord[] {
    return this.changes((p) => excludeUnclean(this.deps.image, p, brokerId, this.policy(p.topic)));
  }

  /** Leaders for offline partitions, once a replica is back. */
  electOffline(): MetadataRecord[] {
    const changes: MetadataRecord[] = [];
    for (const p of this.deps.image.offlinePartitions()) {
      const change = electIfOffline(this.deps.image, p, this.policy(p.topic));
      if (change !== undefined) changes.push(change);
    }
    return changes;
  }

  /** A preferred leader election over every partition (QuorumController.maybeBalancePartitionLeaders). */
  balanceLeaders(): MetadataRecord[] {
    return this.changes((p) => electPreferred(this.deps.image, p));
  }

  /** Whether every partition is led by its preferred replica (the first in its assignment). */
  isBalanced(): boolean {
    return this.deps.image.partitions().every((p) => p.leader === p.replicas[0]);
  }

  hasLeaderships(brokerId: number): boolean {
    return this.deps.image.partitions().some((p) => p.leader === brokerId);
  }

  /** An AlterPartition request, validated against the image (see alterPartition). */
  alterPartition(req: AlterPartitionRequest): { error: AlterPartitionError } | { change: PartitionChangeRecord } {
    return alterPartition(this.deps.image, req, this.policy(req.topic), this.deps.defaults()['sim.isr.eligibility']);
  }

  /**
   * LeaderElectionRateAndTimeMs and UncleanLeaderElectionsPerSec, for a change about to be
   * applied. The time is how long the partition went without a usable leader: since its old
   * leader's last heartbeat when that leader was fenced, or since it went offline.
   */
  measureElection(change: PartitionChangeRecord, nowMs: number): void {
    if (change.leader === undefined) return;
    const { image, metrics } = this.deps;
    const key = `${change.topic}-${change.partition}`;
    if (change.leader === NO_LEADER) {
      this.offlineSinceMs.set(key, nowMs);
      return;
    }
    const old = image.partition(change.topic, change.partition)?.leader ?? NO_LEADER;
    const since = old === NO_LEADER ? this.offlineSinceMs.get(key) : image.broker(old)?.fenced === true ? this.deps.lastContactMs(old) : undefined;
    this.offlineSinceMs.delete(key);
    metrics?.time(JMX.leaderElections, since === undefined ? 0 : Math.max(0, nowMs - since));
    if (change.unclean === true) metrics?.mark(JMX.uncleanLeaderElections);
  }

  /** The changes `decide` makes to each partition, by topic then number. */
  private changes(decide: (p: PartitionState) => PartitionChangeRecord | undefined): MetadataRecord[] {
    const changes: MetadataRecord[] = [];
    for (const p of this.deps.image.partitions()) {
      const change = decide(p);
      if (change !== undefined) changes.push(change);
    }
    return changes;
  }

  private policy(topic: string): ElectionPolicy {
    const defaults = this.deps.defaults();
    const config = this.deps.image.topic(topic)?.config;
    const unclean = config?.['unclean.leader.election.enable'];
    const minIsr = config?.['min.insync.replicas'];
    return {
      unclean: typeof unclean === 'boolean' ? unclean : defaults['unclean.leader.election.enable'],
      elr: defaults['eligible.leader.replicas.version'] === 1,
      minIsr: typeof minIsr === 'number' ? minIsr : defaults['min.insync.replicas'],
    };
  }
}
