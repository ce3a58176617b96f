import { OFFSETS_TOPIC, partitionForGroup } from '../nodes/coordinator/offsetsTopic.js';
import { compareStrings } from '../sim/order.js';
import { formatTime, millis, time, type Time } from '../sim/time.js';
import type { Trace } from '../sim/trace.js';

/**
 * Availability, the consumers' side: which consumer groups stopped making progress, on
 * which partitions, for how long and why. A partition of a group is stalled while records
 * acknowledged to its producers (and below the leader's high watermark, so readable) wait
 * beyond the group's position and no member processes any record of it for at least
 * {@link STALL_MS}. Why, as the trace shows it while it lasts: the partition had no leader
 * (its leader down, or none elected), nobody owned it (a rebalance: JoinGroup/SyncGroup,
 * AbstractCoordinator), the member owning it was down or paused, the group had no
 * coordinator (its __consumer_offsets partition had no leader: FindCoordinator answers
 * COORDINATOR_NOT_AVAILABLE, GroupCoordinator), an open transaction held a read_committed
 * group at the last stable offset, a network partition cut a member or a leader off, or the
 * member owning it sat in a commitSync that took the stall (its poll loop fetches nothing
 * meanwhile). Each stall is charged to the latest fault applied before it had lasted
 * STALL_MS. A ghost observer: it reads the trace only.
 */

/** How long a partition may go without a record processed while records wait, before it counts as stalled. */
export const STALL_MS = 1000;

/** One group's stalls after a fault. */
export interface GroupStall {
  readonly group: string;
  /** The longest time one of its partitions went without progress, in milliseconds (its stalls added up). */
  readonly ms: number;
  /** The partitions that stalled. */
  readonly partitions: readonly string[];
  /** Of how many partitions the group was reading. */
  readonly of: number;
  /** Why, in the order the trace showed it: "orders-0: leader broker-2 crashed; nobody owned orders-0 (a rebalance)". */
  readonly why: string;
  /** True when a stall was still on when the run ended. */
  readonly open: boolean;
  /** The group as `kafkasim state` would show it when its last stall here ended (or at the end). */
  readonly state: string;
}

/** What the stall recorder needs from the availability recorder: why a partition cannot be written or read now. */
export interface PartitionView {
  whyUnavailable(partition: string): string | undefined;
  leaderOf(partition: string): number | undefined;
}

/** The groups to watch: each member's history name ("c1-2") with its group and node. */
export interface GroupMembers {
  readonly members: readonly { readonly process: string; readonly node: string; readonly group: string }[];
  /** offsets.topic.num.partitions: where each group's coordinator lives. */
  readonly offsetsPartitions: number;
  /** The groups whose members read with isolation.level=read_committed. */
  readonly readCommitted?: readonly string[];
}

/** A member's call that blocks its poll loop: commitSync, or a processor's transaction. */
interface BlockingCall {
  readonly f: 'commit' | 'txn';
  readonly invoked: number;
  returned: number | undefined;
}

/** One partition of one group. */
interface Track {
  readonly group: string;
  readonly partition: string;
  /** The __consumer_offsets partition of the group's coordinator. */
  readonly offsetsPartition: string;
  /** The next offset the group has to process: past the last processed, committed or reset to. */
  position: number;
  /** Since when records have waited with nothing processed; undefined while nothing waits. */
  waitingSince: Time | undefined;
  /** The reasons seen while they waited. */
  reasons: string[];
  owner: string | undefined;
}

interface Charged {
  ms: Map<string, number>;
  reasons: string[];
  open: boolean;
  state: string;
}

type StallWindows = (atMs: number) => Map<string, Charged>;

export class GroupStallRecorder {
  private readonly tracks = new Map<string, Track>();
  private readonly byPartition = new Map<string, Track[]>();
  private readonly groupOf = new Map<string, string>();
  private readonly nodeOf = new Map<string, string>();
  /** Per partition: the end of the records acknowledged, and the highest high watermark. */
  private readonly ackedEnd = new Map<string, number>();
  private readonly highWatermark = new Map<string, number>();
  /** Members down, or paused until a time. */
  private readonly memberDown = new Map<string, { what: string; until: number }>();
  private readonly cutOff = new Map<string, readonly string[]>();
  /** The latest generation each group's coordinator reported. */
  private readonly generation = new Map<string, { state: string; readonly generation: number; readonly members: number }>();
  private now: Time = time(0);
  /**
   * Each member's latest blocking call: an offset commit (commitSync), or a processor's
   * transaction (its records processed, then sendOffsetsToTransaction and commitTransaction);
   * when it was called, and when it returned (undefined while it has not).
   */
  private readonly commits = new Map<string, BlockingCall>();
  /** The call before it, each member's (a stall may end just after a new one began). */
  private readonly previousCommits = new Map<string, BlockingCall>();
  /** Transactions not yet ended (their markers not written), by transactional id: the partitions whose last stable offset they hold. */
  private readonly openTxns = new Map<string, readonly string[]>();

  constructor(
    private readonly view: PartitionView,
    private readonly groups: GroupMembers,
    private readonly windowFor: StallWindows,
  ) {
    for (const m of groups.members) {
      this.groupOf.set(m.process, m.group);
      this.nodeOf.set(m.process, m.node);
    }
  }

  attach(trace: Trace): void {
    trace.observeFields('client.send', (f, at) => {
      const r = f as { type: string; partition: string | undefined; offset: number | undefined };
      if (r.type !== 'ok' || r.partition === undefined || r.offset === undefined) return;
      if (r.offset + 1 > (this.ackedEnd.get(r.partition) ?? 0)) this.ackedEnd.set(r.partition, r.offset + 1);
      this.wake(at, r.partition);
    });
    trace.observeFields('replica.hw', (f, at) => {
      const r = f as { broker: number; partition: string; highWatermark: number };
      if (r.highWatermark <= (this.highWatermark.get(r.partition) ?? 0)) return;
      this.highWatermark.set(r.partition, r.highWatermark);
      this.wake(at, r.partition);
    });
    trace.observeFields('client.op', (f, at) => this.onOp(at, f as { process: string; type: string; f: string; value?: unknown }));
    trace.observe('consumer.reset', (r) => this.advance(r.at, this.groupOf.get(r.member), r.partition, r.offset, false));
    trace.observe('group.offset', (r) => {
      if (r.source !== 'expire') this.advance(r.at, r.group, r.partition, r.offset, false);
    });
    trace.observe('group.generation', (r) => {
      this.generation.set(r.group, { state: r.state, generation: r.generation, members: r.members.length });
    });
    const member = (node: string): string | undefined => (node.startsWith('consumer-') ? node.slice('consumer-'.length) : undefined);
    trace.observe('node.crash', (r) => this.onMember(r.at, member(r.node), { what: 'crashed', until: Number.POSITIVE_INFINITY }));
    trace.observe('node.stop', (r) => this.onMember(r.at, member(r.node), { what: 'stopped', until: Number.POSITIVE_INFINITY }));
    trace.observe('node.pause', (r) => this.onMember(r.at, member(r.node), { what: 'paused', until: r.until }));
    trace.observe('node.start', (r) => this.onMember(r.at, member(r.node), undefined));
    trace.observe('net.partition', (r) => {
      this.cutOff.set(r.name, r.cutOff);
      this.recheck(r.at);
    });
    // TransactionMetadata's states: until the markers are written (CompleteCommit/CompleteAbort) the LSO stays below the transaction's first batch.
    trace.observe('txn.state', (r) => {
      if (r.state === 'Ongoing' || r.state === 'PrepareCommit' || r.state === 'PrepareAbort') this.openTxns.set(r.transactionalId, r.partitions);
      else this.openTxns.delete(r.transactionalId);
    });
    trace.observe('net.heal', (r) => {
      for (const name of r.names) this.cutOff.delete(name);
    });
  }

  /** Something that may keep partitions from progressing changed (a leader, a broker, a member): note why for those waiting. */
  recheck(at: Time): void {
    this.now = at;
    for (const t of this.tracks.values()) if (t.waitingSince !== undefined) this.note(t);
  }

  private onMember(at: Time, process: string | undefined, down: { what: string; until: number } | undefined): void {
    // A broker's going down or coming back may matter too: the availability recorder has noted it already.
    if (process !== undefined && down === undefined) this.memberDown.delete(process);
    if (process !== undefined && down !== undefined && this.groupOf.has(process)) this.memberDown.set(process, down);
    this.recheck(at);
  }

  private onOp(at: Time, r: { process: string; type: string; f: string; value?: unknown }): void {
    if (r.f === 'commit' || r.f === 'txn') this.onCommit(at, r.process, r.f, r.type);
    if (r.type !== 'ok') return;
    const group = this.groupOf.get(r.process);
    if (group === undefined) return;
    const v = r.value as { partition?: unknown; offset?: unknown; partitions?: unknown } | undefined;
    if (r.f === 'process' && typeof v?.partition === 'string' && typeof v.offset === 'number') {
      this.advance(at, group, v.partition, v.offset + 1, true);
      return;
    }
    if ((r.f !== 'assign' && r.f !== 'revoke') || !Array.isArray(v?.partitions)) return;
    // A member is handed its assignment once the leader's SyncGroup made the group Stable (GroupCoordinator.onCompleteJoin, then doSyncGroup).
    const g = this.generation.get(group);
    if (r.f === 'assign' && g !== undefined && (v as { generation?: unknown }).generation === g.generation) g.state = 'Stable';
    for (const p of v.partitions as string[]) {
      const t = this.track(group, p);
      if (r.f === 'assign') t.owner = r.process;
      else if (t.owner === r.process) t.owner = undefined;
    }
    this.recheck(at);
  }

  /** A member called commitSync or began a transaction (or that returned, whichever way). */
  private onCommit(at: Time, process: string, f: 'commit' | 'txn', type: string): void {
    if (type === 'invoke') {
      const last = this.commits.get(process);
      if (last !== undefined) this.previousCommits.set(process, last);
      this.commits.set(process, { f, invoked: at, returned: undefined });
    }
    else {
      const c = this.commits.get(process);
      if (c !== undefined) c.returned = at;
    }
  }

  /**
   * Why the owner of `t` may have processed nothing from `since` to `end`: it sat in
   * commitSync (or in a transaction) for a stall's length or more of that time.
   * The application thread waits in commitSync (ConsumerCoordinator.commitOffsetsSync retries
   * until it succeeds or default.api.timeout.ms) or in commitTransaction, so it polls, and
   * fetches, nothing meanwhile: a commit waits for the group's __consumer_offsets partition to
   * replicate it (a transaction's end, for __transaction_state), which an ISR member that
   * cannot fetch holds up for as long as it stays in the ISR.
   */
  private blockedInCommit(t: Track, since: Time, end: Time): string | undefined {
    if (t.owner === undefined) return undefined;
    const during = (c: BlockingCall | undefined): boolean => c !== undefined && Math.min(c.returned ?? end, end) - Math.max(c.invoked, since) >= millis(STALL_MS);
    const current = this.commits.get(t.owner);
    const previous = this.previousCommits.get(t.owner);
    const c = during(current) ? current : during(previous) ? previous : undefined;
    if (c === undefined) return undefined;
    const took = (c.returned ?? end) - c.invoked;
    if (c.f === 'txn') return `${t.owner}, owning ${t.partition}, spent ${formatTime(took)} in one transaction, polling nothing (its records, sendOffsetsToTransaction and commitTransaction block the poll loop; the commit ends once __transaction_state has replicated it)`;
    const offsets = `${OFFSETS_TOPIC}-${partitionForGroup(t.group, this.groups.offsetsPartitions)}`;
    return `${t.owner}, owning ${t.partition}, waited ${formatTime(took)} in commitSync, polling nothing (commitSync blocks the poll loop until the coordinator answers, once ${offsets} has replicated the commit)`;
  }

  private track(group: string, partition: string): Track {
    const key = `${group}\u0000${partition}`;
    let t = this.tracks.get(key);
    if (t === undefined) {
      t = { group, partition, offsetsPartition: `${OFFSETS_TOPIC}-${partitionForGroup(group, this.groups.offsetsPartitions)}`, position: -1, waitingSince: undefined, reasons: [], owner: undefined };
      this.tracks.set(key, t);
      const list = this.byPartition.get(partition) ?? [];
      list.push(t);
      this.byPartition.set(partition, list);
    }
    return t;
  }

  /** The end of what the group may read of the partition: acknowledged and below the high watermark. */
  private readable(partition: string): number {
    const hw = this.highWatermark.get(partition) ?? 0;
    return Math.min(this.ackedEnd.get(partition) ?? hw, hw);
  }

  /** The group's position moved to `offset` (processed when `progress`): a stall ends there. */
  private advance(at: Time, group: string | undefined, partition: string, offset: number, progress: boolean): void {
    if (group === undefined) return;
    this.now = at;
    const t = this.track(group, partition);
    if (offset > t.position) t.position = offset;
    if (progress && t.waitingSince !== undefined) {
      this.charge(t, at, false);
      t.waitingSince = undefined;
    }
    this.waitIfBehind(t, at);
  }

  /** New records may be readable in `partition`: groups that were caught up now wait for them. */
  private wake(at: Time, partition: string): void {
    const list = this.byPartition.get(partition);
    if (list === undefined) return;
    for (const t of list) if (t.waitingSince === undefined) this.waitIfBehind(t, at);
  }

  private waitIfBehind(t: Track, at: Time): void {
    if (t.waitingSince !== undefined || t.position < 0 || this.readable(t.partition) <= t.position) return;
    this.now = at;
    t.waitingSince = at;
    t.reasons.length = 0;
    this.note(t);
  }

  private note(t: Track): void {
    for (const why of this.reasonsNow(t)) if (!t.reasons.includes(why)) t.reasons.push(why);
  }

  /** Why the group cannot progress on the partition now, as far as the trace shows. */
  private reasonsNow(t: Track): string[] {
    const out: string[] = [];
    const leader = this.view.whyUnavailable(t.partition);
    if (leader !== undefined) out.push(`${t.partition}: ${leader}`);
    if (t.owner === undefined) out.push(`nobody owned ${t.partition} (a rebalance)`);
    const down = t.owner === undefined ? undefined : this.memberDown.get(t.owner);
    if (t.owner !== undefined && down !== undefined && down.until > this.now) out.push(`${t.owner}, owning ${t.partition}, ${down.what}`);
    const coordinator = this.view.whyUnavailable(t.offsetsPartition);
    if (coordinator !== undefined) out.push(`no coordinator (${t.offsetsPartition}: ${coordinator})`);
    if (this.groups.readCommitted?.includes(t.group) === true) {
      for (const [id, partitions] of this.openTxns) if (partitions.includes(t.partition)) out.push(`an open transaction of ${id} held ${t.partition}'s last stable offset (read_committed reads only below it; it ends by commit, abort or transaction.timeout.ms)`);
    }
    if (this.cutOff.size === 0) return out;
    const leaderNode = `broker-${this.view.leaderOf(t.partition) ?? -1}`;
    const ownerNode = t.owner === undefined ? undefined : this.nodeOf.get(t.owner);
    for (const nodes of this.cutOff.values()) {
      const hit = [ownerNode, leaderNode].filter((n): n is string => n !== undefined && nodes.includes(n));
      if (hit.length > 0) out.push(`a network partition cut off ${hit.join(' and ')}`);
    }
    return out;
  }

  private charge(t: Track, end: Time, open: boolean): void {
    const since = t.waitingSince;
    if (since === undefined || end - since < millis(STALL_MS)) return;
    const groups = this.windowFor((since + millis(STALL_MS)) / 1000);
    let c = groups.get(t.group);
    if (c === undefined) groups.set(t.group, (c = { ms: new Map(), reasons: [], open: false, state: '' }));
    c.ms.set(t.partition, (c.ms.get(t.partition) ?? 0) + (end - since) / 1000);
    const commit = this.blockedInCommit(t, since, end);
    const seen = commit === undefined ? t.reasons : [...t.reasons, commit];
    const reasons = seen.length > 0 ? seen : ['its members fetched nothing (no fetch progress)'];
    for (const why of reasons) if (!c.reasons.includes(why)) c.reasons.push(why);
    c.open ||= open;
    c.state = this.stateLine(t.group, end);
  }

  /** The group as `kafkasim state` shows it: its coordinator, state and generation, and its lag. */
  private stateLine(group: string, at: Time): string {
    const offsets = `${OFFSETS_TOPIC}-${partitionForGroup(group, this.groups.offsetsPartitions)}`;
    const coordinator = this.view.whyUnavailable(offsets) === undefined ? `broker-${this.view.leaderOf(offsets) ?? -1}` : 'none';
    const g = this.generation.get(group);
    const mine = [...this.tracks.values()].filter((t) => t.group === group && t.position >= 0);
    const lag = mine.reduce((n, t) => n + Math.max(0, this.readable(t.partition) - t.position), 0);
    const owned = mine.filter((t) => t.owner !== undefined).length;
    const gen = g === undefined ? ' (not loaded)' : `, ${g.state}, generation ${g.generation}, ${g.members} member${g.members === 1 ? '' : 's'}`;
    return `t=${formatTime(at)} group ${group}: coordinator ${coordinator}${gen}; ${owned} of ${mine.length} partitions owned; lag ${lag}`;
  }

  /**
   * Ends the stalls still on at `end` (open). A group whose final committed offset reached
   * the partition's final high watermark read all it could (what it waited for was never
   * readable: aborted or lost records) and was not stalled at the end.
   */
  finish(end: Time, caughtUp: (group: string, partition: string) => boolean): void {
    this.now = end;
    for (const t of this.tracks.values()) if (t.waitingSince !== undefined && this.readable(t.partition) > t.position && !caughtUp(t.group, t.partition)) this.charge(t, end, true);
  }

  /** How many partitions the group was reading. */
  partitionsOf(group: string): number {
    let n = 0;
    for (const t of this.tracks.values()) if (t.group === group && t.position >= 0) n++;
    return n;
  }
}

/** A window's charged stalls, as the report gives them, groups in name order. */
export function reportStalls(groups: ReadonlyMap<string, Charged>, of: (group: string) => number): GroupStall[] {
  return [...groups]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([group, c]) => ({
      group,
      ms: Math.round(Math.max(...c.ms.values())),
      partitions: [...c.ms.keys()].sort(compareStrings),
      of: of(group),
      why: c.reasons.join('; '),
      open: c.open,
      state: c.state,
    }));
}

export type { Charged as ChargedStalls };
