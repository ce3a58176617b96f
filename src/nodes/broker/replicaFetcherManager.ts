/**
 * Kafka's ReplicaFetcherManager (AbstractFetcherManager): which partitions this broker
 * fetches from their leaders, and the fetcher threads that do it, num.replica.fetchers per
 * source broker.
 */
import type { NodeContext } from '../../network/nodeHost.js';
import type { KafkaMessage } from '../protocol.js';
import { javaStringHashCode, kafkaAbs } from '../coordinator/offsetsTopic.js';
import type { Partition } from './partition.js';
import type { BrokerConfig } from './broker.js';
import { ReplicaFetcherThread } from './replicaFetcherThread.js';

/** What the fetcher manager needs from the broker. */
export interface ReplicaFetcherManagerDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: BrokerConfig;
  /** Traces a follower's append (ReplicaManager's replica.append). */
  readonly traceAppend: (partition: Partition, baseOffset: number, lastOffset: number) => void;
  /** This incarnation's broker epoch, from its registration. */
  readonly brokerEpoch: () => number;
  /** unclean.leader.election.enable for the topic, as the metadata has it. */
  readonly uncleanLeaderElection: (topic: string) => boolean;
}

export class ReplicaFetcherManager {
  /** Partitions with a replica fetcher running, by name, with the leader epoch it fetches in. */
  private readonly fetching = new Map<string, number>();
  /** Replica fetchers, by source broker and fetcher id (see startFetcher). */
  private readonly fetchers = new Map<number, ReplicaFetcherThread>();

  constructor(private readonly deps: ReplicaFetcherManagerDeps) {}

  /**
   * Adds `partition` to a replica fetcher for its leader, starting one if there is none. As
   * Kafka's ReplicaFetcherManager does, each source broker gets num.replica.fetchers
   * fetchers, a partition goes to the one its topic and number hash to
   * (AbstractFetcherManager.getFetcherId), and each fetcher fetches all of its partitions
   * there in one request at a time.
   */
  startFetcher(partition: Partition): void {
    this.fetching.set(partition.name, partition.leaderEpoch);
    const n = Math.max(1, this.deps.config.settings['num.replica.fetchers']);
    const id = fetcherIdOf(partition.topic, partition.partition, n);
    const key = partition.leader * n + id;
    let fetcher = this.fetchers.get(key);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcherThread(key, id, partition.leader, {
        ctx: this.deps.ctx,
        config: this.deps.config,
        isFetching: (name, epoch) => this.fetching.get(name) === epoch,
        stopFetching: (name) => this.stopFetching(name),
        isCurrent: (f) => this.fetchers.get(f.key) === f,
        removed: (f) => this.fetchers.delete(f.key),
        traceAppend: this.deps.traceAppend,
        brokerEpoch: this.deps.brokerEpoch,
        uncleanLeaderElection: this.deps.uncleanLeaderElection,
      });
      this.fetchers.set(key, fetcher);
    }
    fetcher.addPartition(partition);
  }

  /** Stops fetching a partition: its fetcher drops it at its next round. */
  stopFetching(name: string): void {
    this.fetching.delete(name);
  }
}

/** The fetcher a partition goes to among `n` (AbstractFetcherManager.getFetcherId: Utils.abs(31 * topic.hashCode + partition) % n). */
export function fetcherIdOf(topic: string, partition: number, n: number): number {
  return kafkaAbs((Math.imul(31, javaStringHashCode(topic)) + partition) | 0) % n;
}
