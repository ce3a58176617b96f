/**
 * Kafka's ReplicaFetcherThread (with AbstractFetcherThread): the partitions this broker
 * follows on one leader, fetched together in one request at a time; out-of-range fetch
 * offsets are resolved with the leader's ListOffsets, and what comes back is appended.
 */
import type { NodeContext, RequestOptions, RpcResult } from '../../network/nodeHost.js';
import { LogError } from '../../log/log.js';
import { addDuration, micros, millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import { brokerNode, message, type FetchPartition, type FetchPartitionResponse, type FetchRequest, type KafkaMessage } from '../protocol.js';
import type { Partition } from './partition.js';
import type { BrokerConfig } from './broker.js';
import { Channel } from './channels.js';

/** A partition in a replica fetcher, for the leader epoch it was added in. */
interface FetchedPartition {
  readonly partition: Partition;
  readonly epoch: number;
  /** After an error, local microseconds until which it is left out of fetches (Kafka's fetch backoff). */
  delayedUntil: number;
  /** Its fetch offset was out of the leader's range: left out of fetches while ListOffsets finds where to go on. */
  resolving?: boolean;
}

/** What a fetcher needs from the broker and from its manager. */
export interface ReplicaFetcherDeps {
  readonly ctx: NodeContext<KafkaMessage>;
  readonly config: BrokerConfig;
  /** The partition is still fetched, in leader epoch `epoch` (the manager's record). */
  readonly isFetching: (name: string, epoch: number) => boolean;
  /** Stops fetching the partition until its leadership changes (markPartitionFailed). */
  readonly stopFetching: (name: string) => void;
  /** This fetcher is still the manager's for its leader and id. */
  readonly isCurrent: (fetcher: ReplicaFetcherThread) => boolean;
  /** This fetcher has nothing left to fetch: the manager forgets it. */
  readonly removed: (fetcher: ReplicaFetcherThread) => void;
  /** Traces a follower's append (ReplicaManager's replica.append). */
  readonly traceAppend: (partition: Partition, baseOffset: number, lastOffset: number) => void;
  /** This incarnation's broker epoch (ReplicaFetcherThread's brokerEpochSupplier); -1 before it registered. */
  readonly brokerEpoch: () => number;
  /** unclean.leader.election.enable for the topic, as the metadata has it. */
  readonly uncleanLeaderElection: (topic: string) => boolean;
}

/** A replica fetcher (Kafka's ReplicaFetcherThread): partitions this broker follows on one leader, fetched together. */
export class ReplicaFetcherThread {
  readonly partitions = new Map<string, FetchedPartition>();
  /** A fetch or a backoff is under way: added partitions join the next fetch. */
  private running = false;
  private options: RequestOptions | undefined;
  /**
   * The partitions of the fetch in flight, in its request's order: one list, refilled by
   * each round, since a fetcher has one fetch out at a time (`running`), answered once.
   */
  private readonly live: FetchedPartition[] = [];
  /** The one answer handler of every fetch this fetcher sends. */
  private readonly onFetchAnswer = (r: RpcResult<KafkaMessage>): void => this.applyAnswer(r);

  constructor(
    readonly key: number,
    /** Its number among the fetchers to its leader (AbstractFetcherManager.getFetcherId). */
    readonly id: number,
    readonly leader: number,
    private readonly deps: ReplicaFetcherDeps,
  ) {}

  /**
   * Every request's options, one object the network only reads: replica.socket.timeout.ms,
   * how long a replica fetcher waits for the leader's answer (ReplicaFetcherBlockingSend),
   * on this fetcher's own channel.
   */
  private get requestOptions(): RequestOptions {
    return (this.options ??= { timeout: millis(this.deps.config.settings['replica.socket.timeout.ms']), channel: Channel.Fetchers + this.id });
  }

  private get brokerId(): number {
    return this.deps.config.brokerId;
  }

  /** Adds `partition`, fetched in its current leader epoch; a fetcher not running starts. */
  addPartition(partition: Partition): void {
    this.partitions.set(partition.name, { partition, epoch: partition.leaderEpoch, delayedUntil: 0 });
    if (!this.running) {
      this.running = true;
      this.doWork();
    }
  }

  /**
   * One round of a replica fetcher (AbstractFetcherThread.doWork): a Fetch for each of its
   * partitions still followed in the epoch it was added for and not backing off after an
   * error; each answer is applied partition by partition. An answered fetch goes straight
   * out again (the leader held it while it had nothing); a failed one backs off.
   */
  private doWork(): void {
    const { ctx, config } = this.deps;
    const now = ctx.now();
    const live = this.live;
    live.length = 0;
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const [name, e] of this.partitions) {
      const p = e.partition;
      if (p.role !== 'follower' || p.leaderEpoch !== e.epoch || p.leader !== this.leader || !this.deps.isFetching(name, e.epoch)) this.partitions.delete(name);
      else if (e.resolving === true) continue;
      else if (e.delayedUntil > now) wakeAt = Math.min(wakeAt, e.delayedUntil);
      else live.push(e);
    }
    if (live.length === 0) {
      if (this.partitions.size === 0) {
        this.running = false;
        this.deps.removed(this);
      } else if (wakeAt < Number.POSITIVE_INFINITY) ctx.after(micros(wakeAt - now), () => this.doWork());
      // Only partitions resolving an out-of-range fetch: the last to finish starts it again.
      else this.running = false;
      return;
    }
    const partitions = new Array<FetchPartition>(live.length);
    for (let i = 0; i < live.length; i++) partitions[i] = live[i].partition.nextFetch();
    // Fetch v15 (KIP-903, 3.5+) carries the broker epoch in its ReplicaState.
    const req =
      config.settings['sim.isr.eligibility'] === 'broker-epoch'
        ? message<FetchRequest>('Fetch', { replicaId: this.brokerId, replicaEpoch: this.deps.brokerEpoch(), partitions })
        : message<FetchRequest>('Fetch', { replicaId: this.brokerId, partitions });
    ctx.request(brokerNode(this.leader), req, this.requestOptions, this.onFetchAnswer);
  }

  /**
   * The answer to the fetch in flight, partition by partition. A failed request (a timeout,
   * a lost connection) backs every partition off; an error backs off its partition only.
   * replica.fetch.backoff.ms: how long a fetcher leaves a partition alone after its fetch
   * failed, or after the whole request did (AbstractFetcherThread.handlePartitionsWithErrors
   * and processFetchRequest both delay by it).
   */
  private applyAnswer(r: RpcResult<KafkaMessage>): void {
    const { ctx, config } = this.deps;
    const live = this.live;
    const backoffUntil = addDuration(ctx.now(), millis(config.settings['replica.fetch.backoff.ms']));
    const responses = r.ok && r.response.type === 'FetchResponse' ? r.response.responses : undefined;
    for (let i = 0; i < live.length; i++) {
      const e = live[i];
      const partition = e.partition;
      if (partition.role !== 'follower' || partition.leaderEpoch !== e.epoch) continue;
      const res = responses?.[i];
      if (res?.error === 'OFFSET_OUT_OF_RANGE') this.resolveOutOfRange(e);
      else if (res === undefined || res.error !== undefined || !this.processPartitionData(partition, e.epoch, res)) e.delayedUntil = backoffUntil;
    }
    this.doWork();
  }

  /**
   * The leader refused a fetch offset outside its log (AbstractFetcherThread
   * .handleOutOfRangeError and fetchOffsetAndTruncate): ask the leader for its log end
   * offset; a follower ahead of it (possible only after an unclean election) truncates to
   * it, and one behind the leader's log start offset (retention went on while it was away)
   * empties its log and starts again there. The partition sits out fetches meanwhile.
   */
  private resolveOutOfRange(e: FetchedPartition): void {
    const { ctx, config } = this.deps;
    const partition = e.partition;
    e.resolving = true;
    const resume = (backoff: boolean): void => {
      e.resolving = false;
      e.delayedUntil = backoff ? addDuration(ctx.now(), millis(config.settings['replica.fetch.backoff.ms'])) : 0;
      if (!this.running && this.deps.isCurrent(this)) {
        this.running = true;
        this.doWork();
      }
    };
    const still = (): boolean => partition.role === 'follower' && partition.leaderEpoch === e.epoch;
    const ask = (timestamp: -1 | -2, then: (offset: number) => void): void => {
      const req = message('ListOffsets', { topic: partition.topic, partition: partition.partition, timestamp, currentLeaderEpoch: e.epoch, replicaId: this.brokerId });
      ctx.request(brokerNode(this.leader), req, this.requestOptions, (r) => {
        if (!still()) return resume(false);
        if (!r.ok || r.response.type !== 'ListOffsetsResponse' || r.response.error !== undefined) return resume(true);
        then(r.response.offset);
      });
    };
    ask(-1, (leaderEnd) => {
      const leo = partition.log.logEndOffset;
      if (leaderEnd < leo) {
        if (this.exitsRatherThanTruncate(partition.topic)) {
          ctx.trace.emit('broker.fatal', { broker: this.brokerId, partition: partition.name, reason: 'log truncation is not allowed', leaderEndOffset: leaderEnd, logEndOffset: leo });
          return ctx.exit();
        }
        partition.log.truncateTo(leaderEnd);
        ctx.trace.emit('replica.truncate', { broker: this.brokerId, partition: partition.name, to: partition.log.logEndOffset, reason: 'out-of-range' });
        return resume(false);
      }
      ask(-2, (leaderStart) => {
        if (leaderStart > partition.log.logEndOffset) {
          partition.log.truncateFullyAndStartAt(leaderStart);
          ctx.trace.emit('replica.truncate', { broker: this.brokerId, partition: partition.name, to: leaderStart, reason: 'out-of-range' });
        }
        resume(false);
      });
    });
  }

  /**
   * Before KAFKA-7414 (Kafka 2.0.1, 2.1: sim.follower.ahead.of.leader `exit`) a follower ahead
   * of its leader with unclean election off did not truncate: ReplicaFetcherThread
   * .handleOffsetOutOfRange threw FatalExitError and the broker exited.
   */
  private exitsRatherThanTruncate(topic: string): boolean {
    return this.deps.config.settings['sim.follower.ahead.of.leader'] === 'exit' && !this.deps.uncleanLeaderElection(topic);
  }

  /**
   * Appends (or truncates to) what the leader sent for one partition. False when the
   * records failed their checksum: the partition backs off and fetches them again.
   */
  private processPartitionData(partition: Partition, epoch: number, res: FetchPartitionResponse): boolean {
    const { trace } = this.deps.ctx;
    const leoBefore = partition.log.logEndOffset;
    let applied: ReturnType<Partition['applyFetch']>;
    try {
      // The answer itself, not a copy of its fields: an error was handled before (applyAnswer).
      applied = partition.applyFetch(res);
    } catch (err) {
      if (!(err instanceof LogError)) throw err;
      if (err.code === 'CORRUPT_MESSAGE') {
        // AbstractFetcherThread.processFetchRequest: a CorruptRecordException is logged and the
        // partition retried after replica.fetch.backoff.ms, in case the damage was passing
        // (a partial write, a truncation). A batch that rotted on the leader's disk fails
        // every time: the follower stays where it is and drops out of the ISR.
        trace.emit('replica.fetch.corrupt', { broker: this.brokerId, partition: partition.name, fetchOffset: leoBefore, reason: err.message });
        return false;
      }
      // Any other error marks the partition failed, and the fetcher stops fetching it until
      // its leadership changes (markPartitionFailed); the replica falls out of the ISR.
      // Before KIP-101 this is how a follower that truncated to a high watermark inside the
      // leader's batch ended up.
      trace.emit('replica.fetch.failed', { broker: this.brokerId, partition: partition.name, leaderEpoch: epoch, reason: err.message });
      this.deps.stopFetching(partition.name);
      return true;
    }
    if (applied.truncatedTo !== undefined) trace.emit('replica.truncate', { broker: this.brokerId, partition: partition.name, to: applied.truncatedTo, reason: 'diverging-epoch' });
    if (applied.appended > 0) this.deps.traceAppend(partition, leoBefore, partition.log.logEndOffset - 1);
    return true;
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /** The replica fetcher gave up on a partition until its leadership changes. */
    'replica.fetch.failed': { readonly broker: number; readonly partition: string; readonly leaderEpoch: number; readonly reason: string };
    /** A follower fetched records that failed their checksum; it fetches them again after replica.fetch.backoff.ms. */
    'replica.fetch.corrupt': { readonly broker: number; readonly partition: string; readonly fetchOffset: number; readonly reason: string };
    /** A follower's fetcher brought its broker down (before KAFKA-7414: ahead of its leader, unclean election off). */
    'broker.fatal': { readonly broker: number; readonly partition: string; readonly reason: string; readonly leaderEndOffset: number; readonly logEndOffset: number };
  }
}

declareTraceKind('replica.fetch.failed', ['broker', 'partition', 'leaderEpoch', 'reason']);
declareTraceKind('replica.fetch.corrupt', ['broker', 'partition', 'fetchOffset', 'reason']);
declareTraceKind('broker.fatal', ['broker', 'partition', 'reason', 'leaderEndOffset', 'logEndOffset']);
