import type { MetadataRecord } from '../nodes/controller/metadataRecords.js';
import { brokerIdOf, brokerNode } from '../nodes/nodeId.js';
import { compareStrings } from '../sim/order.js';
import { time, type Time } from '../sim/time.js';
import type { Trace } from '../sim/trace.js';
import type { SendLog, SendRef } from '../sim/sendLog.js';
import { GroupStallRecorder, reportStalls, type ChargedStalls, type GroupMembers, type GroupStall } from './groupStalls.js';

/**
 * Availability, not only safety: for each fault, the partitions it left unable to take
 * writes and for how long, and the sends that failed meanwhile. A partition cannot take a
 * write while it has no leader (OfflinePartitionsCount: the controller found no eligible
 * replica) or while its leader is down and the controller has not yet moved its leadership
 * (it waits broker.session.timeout.ms for a crashed broker's heartbeats to stop,
 * BrokerHeartbeatManager; a paused one still holds it). Each outage is charged to the
 * latest fault applied before it began. A ghost observer: it reads the trace only.
 */

/** One partition's time unable to take writes after a fault. */
export interface PartitionOutage {
  readonly partition: string;
  /** Milliseconds in all, over the fault's outages of this partition. */
  readonly ms: number;
  /** Why, in order: "no leader", "leader broker-2 crashed", "leader broker-2 crashed, then no leader". */
  readonly why: string;
  /** True when the partition was still unavailable when the run ended. */
  readonly open: boolean;
}

/** What one fault (or the run's start) cost in availability. */
export interface FaultAvailability {
  /** The fault's label, as the summary names it ("faults[2] crash broker-2 (leader(orders-0))"), or "start". */
  readonly fault: string;
  /** When it was applied, in simulated milliseconds. */
  readonly at: number;
  readonly partitions: readonly PartitionOutage[];
  /** Sends that failed, and that ended unknown (timed out or given up after an attempt), after it and before the next fault. */
  readonly failedSends: number;
  readonly indeterminateSends: number;
  /** The consumer groups it left without progress on some partition (groupStalls.ts). */
  readonly groups: readonly GroupStall[];
}

interface Window {
  readonly fault: string;
  readonly at: number;
  readonly outages: Map<string, { ms: number; why: string; open: boolean }>;
  failed: number;
  indeterminate: number;
  readonly groups: Map<string, ChargedStalls>;
}

/** Names a fault from its place in the schedule and the nodes it hit. */
export type FaultLabeler = (index: number, nodes: readonly string[]) => string;

export class AvailabilityRecorder {
  private readonly windows: Window[] = [];
  /** Each partition's leader, as the metadata log says. */
  private readonly leaders = new Map<string, number>();
  /** Brokers down (crashed or stopped) or paused, with what happened. */
  private readonly downBrokers = new Map<number, string>();
  /** Partitions unable to take writes: since when, why, and which window it is charged to. */
  private readonly unavailable = new Map<string, { since: number; why: string; window: Window }>();
  private label: FaultLabeler = (index, nodes) => `faults[${index}] ${nodes.join(', ')}`;
  private lastCutOff: readonly string[] = [];
  /** Paused brokers, and when their pause ends. */
  private readonly pausedUntil = new Map<number, Time>();
  /** The consumer groups' stalls, once told which groups there are. */
  private groupStalls: GroupStallRecorder | undefined;

  constructor(start: Time) {
    this.windows.push({ fault: 'start', at: start / 1000, outages: new Map(), failed: 0, indeterminate: 0, groups: new Map() });
  }

  /** The latest fault's label ("start" before the first). */
  get currentFault(): string {
    return this.windows[this.windows.length - 1].fault;
  }

  /** How faults are named in the report: set once the schedule is known. */
  labelFaults(labeler: FaultLabeler): void {
    this.label = labeler;
  }

  /** Watches the consumer groups too: call after `attach`, so a leader's change is known before the groups hear of it. */
  watchGroups(trace: Trace, groups: GroupMembers): void {
    if (groups.members.length === 0) return;
    this.groupStalls = new GroupStallRecorder({ whyUnavailable: (p) => this.whyUnavailable(p), leaderOf: (p) => this.leaders.get(p) }, groups, (ms) => this.windowAt(ms).groups);
    this.groupStalls.attach(trace);
  }

  attach(trace: Trace): void {
    trace.observe('metadata.record', (r) => {
      this.expirePauses(r.at);
      this.onMetadata(r.at, JSON.parse(r.detail) as MetadataRecord);
      this.groupStalls?.recheck(r.at);
    });
    trace.observe('node.crash', (r) => this.onDown(r.at, r.node, r.mode === 'power' ? 'lost power' : 'crashed'));
    trace.observe('node.stop', (r) => this.onDown(r.at, r.node, 'stopped'));
    trace.observe('node.pause', (r) => {
      this.onDown(r.at, r.node, 'paused');
      const id = brokerIdOf(r.node);
      if (id !== undefined) this.pausedUntil.set(id, time(r.until));
    });
    trace.observe('node.start', (r) => this.onUp(r.at, r.node));
    trace.observe('net.partition', (r) => {
      this.lastCutOff = r.cutOff;
    });
    trace.observe('fault.apply', (r) => {
      this.expirePauses(r.at);
      const w: Window = { fault: this.label(r.index, r.action === 'partition' ? this.lastCutOff : r.targets), at: r.at / 1000, outages: new Map(), failed: 0, indeterminate: 0, groups: new Map() };
      this.windows.push(w);
      // A fault's own records (a crash's node.crash) come before its fault.apply: what began at this instant is its doing.
      for (const u of this.unavailable.values()) if (u.since === r.at) u.window = w;
    });
  }

  private onMetadata(at: Time, record: MetadataRecord): void {
    if (record.type === 'Partition' || (record.type === 'PartitionChange' && record.leader !== undefined)) {
      const name = `${record.topic}-${record.partition}`;
      this.leaders.set(name, record.leader ?? -1);
      this.update(at, name);
    }
  }

  /** Pauses end without a record: each is over at its `until`, told as the next record comes. */
  private expirePauses(now: Time): void {
    for (const [id, until] of this.pausedUntil) {
      if (until > now) continue;
      this.pausedUntil.delete(id);
      this.onUp(until, brokerNode(id));
    }
  }

  private onDown(at: Time, node: string, what: string): void {
    this.expirePauses(at);
    const id = brokerIdOf(node);
    if (id === undefined) return;
    this.downBrokers.set(id, what);
    for (const [name, leader] of this.leaders) if (leader === id) this.update(at, name);
  }

  private onUp(at: Time, node: string): void {
    this.expirePauses(at);
    const id = brokerIdOf(node);
    if (id === undefined || !this.downBrokers.delete(id)) return;
    for (const [name, leader] of this.leaders) if (leader === id) this.update(at, name);
  }

  /** Why the partition cannot take writes (nor be read) now, or undefined when it can. */
  private whyUnavailable(name: string): string | undefined {
    const leader = this.leaders.get(name) ?? -1;
    if (leader < 0) return 'no leader';
    const down = this.downBrokers.get(leader);
    return down === undefined ? undefined : `leader broker-${leader} ${down}`;
  }

  private update(at: Time, name: string): void {
    const why = this.whyUnavailable(name);
    const current = this.unavailable.get(name);
    if (why !== undefined && current === undefined) this.unavailable.set(name, { since: at, why, window: this.windows[this.windows.length - 1] });
    // Still unavailable, for another reason (a crashed leader, then none once the controller fences it): both are told.
    if (why !== undefined && current !== undefined && !current.why.split(', then ').includes(why)) current.why = `${current.why}, then ${why}`;
    if (why === undefined && current !== undefined) {
      this.unavailable.delete(name);
      this.charge(current.window, name, (at - current.since) / 1000, current.why, false);
    }
  }

  private charge(w: Window, name: string, ms: number, why: string, open: boolean): void {
    const o = w.outages.get(name);
    if (o === undefined) w.outages.set(name, { ms, why, open });
    else {
      o.ms += ms;
      o.open ||= open;
    }
  }

  /** Counts the sends that failed or ended unknown in the window of the fault before their completion. */
  private countSends(sends: SendLog): void {
    for (let i = 0; i < sends.length; i++) {
      const ref = i as SendRef;
      const outcome = sends.outcome(ref);
      const at = sends.completeTime(ref);
      if ((outcome !== 'fail' && outcome !== 'info') || at === undefined) continue;
      const w = this.windowAt(at / 1000);
      if (outcome === 'fail') w.failed++;
      else w.indeterminate++;
    }
  }

  /** The window open at `ms`: the last that began at or before it (windows are in time order). */
  private windowAt(ms: number): Window {
    let lo = 0;
    let hi = this.windows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.windows[mid].at <= ms) lo = mid;
      else hi = mid - 1;
    }
    return this.windows[lo];
  }

  /**
   * The report at the end of the run: every window with an outage, a failed send or a
   * stalled group, internal topics left out. Groups' stalls end at `clientsStop` (the
   * quiesce pauses every client) or the end; none is open for a group `caughtUp` with the partition.
   */
  finish(end: Time, sends: SendLog, clientsStop: Time = end, caughtUp: (group: string, partition: string) => boolean = () => false): FaultAvailability[] {
    this.expirePauses(end);
    this.groupStalls?.finish(clientsStop < end ? clientsStop : end, caughtUp);
    for (const [name, u] of this.unavailable) this.charge(u.window, name, (end - u.since) / 1000, u.why, true);
    this.unavailable.clear();
    this.countSends(sends);
    return this.windows
      .map((w) => ({
        fault: w.fault,
        at: w.at,
        partitions: [...w.outages]
          .filter(([name, o]) => !name.startsWith('__') && o.ms > 0)
          .sort(([a], [b]) => compareStrings(a, b))
          .map(([partition, o]) => ({ partition, ms: Math.round(o.ms), why: o.why, open: o.open })),
        failedSends: w.failed,
        indeterminateSends: w.indeterminate,
        groups: reportStalls(w.groups, (g) => this.groupStalls?.partitionsOf(g) ?? 0),
      }))
      .filter((w) => w.partitions.length > 0 || w.failedSends > 0 || w.indeterminateSends > 0 || w.groups.length > 0);
  }
}
