/**
 * A quorum on the simulated network for tests, after the Cluster, MessageRouter and
 * EventScheduler of Kafka's RaftEventSimulationTest: N voters and M observers, each a
 * KafkaRaftClient on its own host with its own disk; crash, restart, shut down, wipe and
 * partition them; append at the leader on a schedule (SequentialAppendAction); and run
 * until a condition holds, checking the invariants after every event. With `counter`, each
 * member runs RaftEventSimulationTest's state machine (ReplicatedCounter), which writes
 * KIP-630 snapshots and loads them; LeaderNeverLoadSnapshot is checked after every event.
 */
import { Simulation } from '../../../../src/sim/simulation.js';
import { Network } from '../../../../src/network/network.js';
import { NodeHost, type CrashMode, type NodeId } from '../../../../src/network/nodeHost.js';
import { MemoryDisk } from '../../../../src/log/memoryDisk.js';
import { addDuration, millis } from '../../../../src/sim/time.js';
import { QUORUM_SETTING_DEFAULTS, type QuorumSettings } from '../../../../src/nodes/config/quorumSettings.js';
import { KafkaRaftClient, LATEST_RAFT_FEATURES, type RaftDurable, type RaftFeatures, type RaftListener } from '../../../../src/nodes/controller/raft/kafkaRaftClient.js';
import { QuorumStateStore } from '../../../../src/nodes/controller/raft/quorumStateStore.js';
import { RaftLog } from '../../../../src/nodes/controller/raft/raftLog.js';
import type { RaftMessage, RaftRecord } from '../../../../src/nodes/controller/raft/raftMessages.js';
import type { RaftSnapshot } from '../../../../src/nodes/controller/raft/raftSnapshots.js';
import { RaftInvariants, snapshotView, type RaftInvariantKind, type RaftMemberView } from '../../../../src/nodes/controller/raft/raftInvariants.js';

export interface RaftClusterOptions {
  readonly seed: number;
  readonly voters: number;
  readonly observers?: number;
  readonly features?: RaftFeatures;
  readonly settings?: Partial<QuorumSettings>;
  /** Invariants left out (RaftEventSimulationTest leaves some out when a member loses its disk). */
  readonly skip?: readonly RaftInvariantKind[];
  readonly trace?: 'memory' | 'none';
  /** Each member runs a {@link ReplicatedCounter}, which snapshots and loads snapshots. */
  readonly counter?: boolean;
  /** The most bytes one FetchSnapshot asks for. */
  readonly snapshotChunkBytes?: number;
}

/**
 * RaftEventSimulationTest's state machine (ReplicatedCounter), for a log whose values are
 * not consecutive (a stale leader's appends are truncated): how many data records it has
 * applied, and the last value. A snapshot holds both; loading one counts (handleLoadSnapshotCalls,
 * reset by every leader change).
 */
export class ReplicatedCounter implements RaftListener {
  count = 0;
  last = 0;
  /** The offset its state stands at: past the last record applied, or the end of the snapshot loaded. */
  offset = 0;
  /** Snapshots loaded since the last leader change (handleLoadSnapshotCalls), and in this life. */
  loads = 0;
  totalLoads = 0;
  /** The epoch this member leads in, as its listener heard (claimedEpoch). */
  claimedEpoch: number | undefined;
  /** Every leader change the listener heard in this life, in order. */
  readonly leaderChanges: { readonly leaderId: number | undefined; readonly epoch: number }[] = [];

  constructor(private readonly id: number) {}

  handleCommit(records: readonly RaftRecord[]): void {
    for (const r of records) {
      if (r.kind !== 'data') continue;
      this.count++;
      this.last = Number(r.data);
    }
    if (records.length > 0) this.offset = records[records.length - 1].offset + 1;
  }

  handleLoadSnapshot(snapshot: RaftSnapshot): void {
    const [count, last] = snapshot.data;
    this.count = Number(count);
    this.last = Number(last);
    this.offset = snapshot.id.offset;
    this.loads++;
    this.totalLoads++;
  }

  handleLeaderChange(leaderId: number | undefined, epoch: number): void {
    this.leaderChanges.push({ leaderId, epoch });
    this.claimedEpoch = leaderId === this.id ? epoch : undefined;
    this.loads = 0;
  }

  snapshotData(): readonly string[] {
    return [String(this.count), String(this.last)];
  }
}

type RaftHost = NodeHost<RaftMessage, RaftDurable, KafkaRaftClient>;

export class RaftCluster {
  readonly sim: Simulation;
  readonly net: Network<RaftMessage>;
  readonly invariants: RaftInvariants;
  readonly voterIds: readonly number[];
  readonly ids: readonly number[];
  private readonly hosts = new Map<number, RaftHost>();
  private readonly disks = new Map<number, MemoryDisk>();
  private nextValue = 1;
  private appending = false;
  private stillAt = -1;
  private readonly downLogEnds = new Map<number, number>();
  private stillFor = 0;
  /** Each member's state machine, its latest life's. */
  private readonly counters = new Map<number, ReplicatedCounter>();
  /** Breaches of LeaderNeverLoadSnapshot. */
  private readonly leaderLoads: string[] = [];

  constructor(options: RaftClusterOptions) {
    this.sim = new Simulation({ seed: options.seed, trace: options.trace ?? 'none' });
    this.net = new Network<RaftMessage>(this.sim.scheduler, this.sim.trace, this.sim.rng.fork('network'), {
      defaultLink: { latency: { dist: 'uniform', min: millis(1), max: millis(5) } },
    });
    this.invariants = new RaftInvariants(options.skip);
    const observers = options.observers ?? 0;
    this.voterIds = range(1, options.voters);
    this.ids = range(1, options.voters + observers);
    const settings = { ...QUORUM_SETTING_DEFAULTS, ...options.settings };
    const features = options.features ?? LATEST_RAFT_FEATURES;
    for (const id of this.ids) {
      const disk = new MemoryDisk();
      this.disks.set(id, disk);
      const config = { nodeId: id, voters: this.voterIds, settings, features, hostOf: (n: number) => this.nodeOf(n), snapshotChunkBytes: options.snapshotChunkBytes };
      const factory = (ctx: ConstructorParameters<typeof KafkaRaftClient>[0], durable: RaftDurable): KafkaRaftClient => {
        if (options.counter !== true) return new KafkaRaftClient(ctx, durable, config);
        const counter = new ReplicatedCounter(id);
        this.counters.set(id, counter);
        return new KafkaRaftClient(ctx, durable, { ...config, listener: counter });
      };
      const host: RaftHost = new NodeHost({ id: this.nodeOf(id), roles: ['controller'], durable: { disk }, devices: [disk], factory });
      this.net.addHost(host);
      this.hosts.set(id, host);
    }
  }

  nodeOf(id: number): NodeId {
    return this.voterIds.includes(id) ? `controller-${id}` : `observer-${id}`;
  }

  get majority(): number {
    return Math.floor(this.voterIds.length / 2) + 1;
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  /** Starts a member that is down, or one that is shutting down as soon as it exits; a running one is left alone. */
  start(id: number): void {
    this.host(id).restart();
  }

  kill(id: number, mode: CrashMode = 'process'): void {
    this.host(id).crash(mode);
  }

  killAll(): void {
    for (const id of this.ids) this.kill(id);
  }

  shutdown(id: number): void {
    this.host(id).shutdown();
  }

  /** Kills a member and deletes its disk's files: the log and the quorum-state file are gone (Cluster.killAndDeletePersistentState). */
  killAndDeletePersistentState(id: number): void {
    this.kill(id);
    const disk = this.disks.get(id);
    for (const file of disk?.allFiles() ?? []) disk?.delete(file);
  }

  /** Cuts a member off from everyone, both ways (DropAllTraffic). */
  isolate(id: number): string {
    const name = `isolate-${id}`;
    this.net.partition(name, { kind: 'isolate', nodes: [this.nodeOf(id)] });
    return name;
  }

  /** Splits the members into groups that cannot reach each other. */
  split(name: string, groups: readonly (readonly number[])[]): void {
    this.net.partition(name, { kind: 'groups', groups: groups.map((g) => g.map((id) => this.nodeOf(id))) });
  }

  heal(name: string): void {
    this.net.heal(name);
  }

  client(id: number): KafkaRaftClient | undefined {
    return this.host(id).process;
  }

  running(): KafkaRaftClient[] {
    return this.ids.map((id) => this.client(id)).filter((c) => c !== undefined);
  }

  /**
   * Appends the next sequence number every `intervalMs`, from now on, at every member that
   * believes it leads: a stale leader too (SequentialAppendAction, Cluster.withCurrentLeader).
   */
  appendEvery(intervalMs: number): void {
    if (this.appending) return;
    this.appending = true;
    const tick = (): void => {
      if (!this.appending) return;
      for (const c of this.running()) if (c.quorum.state.kind === 'leader' && c.append([String(this.nextValue)]) !== undefined) this.nextValue++;
      this.sim.scheduler.after(millis(intervalMs), tick);
    };
    this.sim.scheduler.after(millis(intervalMs), tick);
  }

  /** Stops the appends appendEvery started. */
  stopAppending(): void {
    this.appending = false;
  }

  /** The leader of the highest epoch among running members (Cluster.latestLeader). */
  latestLeader(): number | undefined {
    let best: KafkaRaftClient | undefined;
    for (const c of this.running()) if (c.quorum.state.kind === 'leader' && (best === undefined || c.quorum.epoch > best.quorum.epoch)) best = c;
    return best?.id;
  }

  /** Every running member's quorum-state file names the same leader and epoch (Cluster.hasConsistentLeader). */
  hasConsistentLeader(): boolean {
    const elections = this.ids.filter((id) => this.client(id) !== undefined).map((id) => this.storedElection(id));
    const first = elections[0];
    if (first?.leaderId === undefined) return false;
    return elections.every((e) => e?.epoch === first.epoch && e.leaderId === first.leaderId);
  }

  /** Member `id`'s state machine, while it runs. */
  counter(id: number): ReplicatedCounter | undefined {
    return this.client(id) === undefined ? undefined : this.counters.get(id);
  }

  highWatermarkOf(id: number): number {
    return this.client(id)?.highWatermark ?? 0;
  }

  allReachedHighWatermark(offset: number, ids: readonly number[] = this.ids.filter((id) => this.client(id) !== undefined)): boolean {
    return ids.every((id) => this.highWatermarkOf(id) >= offset);
  }

  anyReachedHighWatermark(offset: number): boolean {
    return this.running().some((c) => (c.highWatermark ?? 0) > offset);
  }

  maxHighWatermarkReached(ids: readonly number[] = this.ids): number {
    return Math.max(0, ...ids.map((id) => this.highWatermarkOf(id)));
  }

  maxLogEndOffset(): number {
    return Math.max(0, ...this.running().map((c) => c.log.endOffset));
  }

  /** A down member's log end, read from its disk once per stay down (nothing writes to it meanwhile). */
  private diskLogEnd(id: number): number {
    let end = this.downLogEnds.get(id);
    if (end === undefined) {
      const disk = this.disks.get(id);
      end = disk === undefined ? 0 : RaftLog.peekEndOffset(disk);
      this.downLogEnds.set(id, end);
    }
    return end;
  }

  storedElection(id: number): ReturnType<QuorumStateStore['read']> {
    const disk = this.disks.get(id);
    return disk === undefined ? undefined : new QuorumStateStore(disk).read();
  }

  /** What the invariants read of each member. */
  views(): RaftMemberView[] {
    return this.ids.map((id) => {
      const c = this.client(id);
      const live =
        c === undefined
          ? undefined
          : {
              epoch: c.quorum.epoch,
              isLeader: c.quorum.state.kind === 'leader',
              highWatermark: c.highWatermark,
              logEndOffset: c.log.endOffset,
              incarnation: this.host(id).incarnation,
              records: (from: number, end: number) => c.log.read(from, end - from),
              ...snapshotView(c),
            };
      if (c !== undefined) this.downLogEnds.delete(id);
      const logEndOffset = c?.log.endOffset ?? this.diskLogEnd(id);
      return { id, node: this.nodeOf(id), voter: this.voterIds.includes(id), storedElection: this.storedElection(id), logEndOffset, live };
    });
  }

  /**
   * Runs until `condition` holds, checking the invariants after every event
   * (EventScheduler.runUntil); fails if it does not hold within `limitMs` of simulated time.
   */
  runUntil(condition: () => boolean, limitMs = 30_000, what = 'the condition'): void {
    let met = false;
    const until = addDuration(this.sim.now, millis(limitMs));
    this.sim.run({
      until,
      stopWhen: () => {
        this.afterEvent();
        met = condition();
        return met;
      },
    });
    if (!met) throw new Error(`seed ${this.sim.seed}: ${what} did not hold within ${limitMs} ms (t=${this.sim.now / 1000} ms)`);
    // EventScheduler.runUntil runs the validations (ConsistentCommittedData) as each run ends.
    this.invariants.validate(this.views(), this.sim.now);
  }

  /** Runs for `ms` of simulated time, checking the invariants after every event. */
  runFor(ms: number): void {
    const until = addDuration(this.sim.now, millis(ms));
    this.sim.run({ until, stopWhen: () => (this.afterEvent(), false) });
    this.invariants.validate(this.views(), this.sim.now);
  }

  /** The invariants after every event; and a run whose clock stands still for 100,000 events is a livelock. */
  private afterEvent(): void {
    this.invariants.verify(this.views(), this.sim.now);
    this.checkLeaderNeverLoadSnapshot();
    if (this.sim.now !== this.stillAt) {
      this.stillAt = this.sim.now;
      this.stillFor = 0;
    } else if (++this.stillFor > 100_000) {
      throw new Error(`seed ${this.sim.seed}: 100,000 events at t=${this.sim.now / 1000} ms without the clock moving`);
    }
  }

  /** RaftEventSimulationTest.LeaderNeverLoadSnapshot: a member that claimed the lead has loaded no snapshot since. */
  private checkLeaderNeverLoadSnapshot(): void {
    for (const [id, counter] of this.counters) {
      if (counter.claimedEpoch === undefined || counter.loads === 0 || this.client(id) === undefined) continue;
      this.leaderLoads.push(`LeaderNeverLoadSnapshot at ${this.sim.now / 1000} ms on ${this.nodeOf(id)}: it leads epoch ${counter.claimedEpoch} and loaded ${counter.loads} snapshot(s)`);
      counter.loads = 0;
    }
  }

  /** ConsistentCommittedData, then every violation seen. */
  finish(): readonly string[] {
    this.invariants.validate(this.views(), this.sim.now);
    return [...this.invariants.violations.map((v) => `${v.kind} at ${v.at / 1000} ms on ${v.node}: ${v.message}`), ...this.leaderLoads];
  }

  private host(id: number): RaftHost {
    const h = this.hosts.get(id);
    if (h === undefined) throw new Error(`no quorum member ${id}`);
    return h;
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

