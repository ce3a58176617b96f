import { MessageIdSet } from './messageIds.js';
import type { Checker, Violation } from '../sim/checker.js';
import type { Op } from '../sim/history.js';
import type { SendRef } from '../sim/sendLog.js';
import { time, type Time } from '../sim/time.js';
import type { ClusterFinalState, GroupFinalState, KeyedRecord, MessageId, PartitionState } from './finalState.js';
import { summarize } from './summarize.js';

/**
 * Checkers of what consumer groups did: the delivery semantics on the consumer side
 * (skipped, reprocessed), the coordinator's fencing (stale-commit, ownership), the
 * committed offsets (offset-regression), retention outrunning a group (retention-loss),
 * and Jepsen's consumer anomalies under Jepsen's names (inconsistent-offsets, poll-skip,
 * nonmonotonic-poll, unseen). They read the members' history operations (see
 * nodes/consumer/consumer.ts), the final logs, the groups' final committed offsets, and the
 * commits the ghost observer saw coordinators apply.
 */

/** A polled record, as a poll operation lists it: [partition, offset, message id]. */
type PolledRecord = readonly [string, number, MessageId | null];

interface PollValue {
  readonly generation: number;
  readonly member: string;
  readonly records: readonly PolledRecord[];
}

interface ProcessValue {
  readonly generation: number;
  readonly id: MessageId | null;
  readonly key?: string | null;
  readonly member: string;
  readonly offset: number;
  readonly partition: string;
  /** Set on a record with a null value. */
  readonly tombstone?: true;
}

interface SeekValue {
  readonly from: number;
  readonly member: string;
  readonly partition: string;
  readonly reason: string;
  readonly to: number;
}

/**
 * How often each record was processed to the end, by partition and offset, and in which
 * order each was first processed. One map per partition, since an hour of a busy group (18 M
 * records at 5,000 msg/s) passes V8's 2^24 entries per Map; each entry packs the order and
 * the count into one number (order * 2^20 + count).
 */
class ProcessedRecords {
  private readonly byPartition = new Map<string, Map<number, number>>();
  private next = 0;

  add(partition: string, offset: number): void {
    let entries = this.byPartition.get(partition);
    if (entries === undefined) this.byPartition.set(partition, (entries = new Map()));
    const packed = entries.get(offset);
    entries.set(offset, packed === undefined ? this.next++ * COUNT_SPAN + 1 : packed + 1);
  }

  has(partition: string, offset: number): boolean {
    return this.byPartition.get(partition)?.has(offset) === true;
  }

  /** The records processed more than once, in the order they were first processed. */
  repeated(): { partition: string; offset: number; count: number }[] {
    const out: { partition: string; offset: number; count: number; order: number }[] = [];
    for (const [partition, entries] of this.byPartition) {
      for (const [offset, packed] of entries) {
        const count = packed % COUNT_SPAN;
        if (count >= 2) out.push({ partition, offset, count, order: Math.floor(packed / COUNT_SPAN) });
      }
    }
    return out.sort((a, b) => a.order - b.order);
  }
}

/** Packs a count beside the order of first processing (ProcessedRecords). */
const COUNT_SPAN = 1 << 20;

/** What one group's members did, gathered once per history. */
interface GroupActivity {
  readonly processed: ProcessedRecords;
  readonly processedIds: MessageIdSet;
  /** The lowest offset each partition was ever polled at. */
  readonly firstPolled: Map<string, number>;
  /** Records a live member was still processing when the run ended, by "partition@offset". */
  readonly inProgress: Set<string>;
  readonly seeks: { readonly at: Time; readonly value: SeekValue }[];
}

const CONSUMER_OPS = new Set(['poll', 'process', 'seek', 'assign', 'revoke']);

const activityMemo = new WeakMap<Iterable<Op>, { groups: readonly GroupFinalState[]; activity: Map<string, GroupActivity> }>();

/** Each group's activity, from the ok operations of its members (computed once per history and final state). */
function activityOf(history: Iterable<Op>, groups: readonly GroupFinalState[]): Map<string, GroupActivity> {
  const known = activityMemo.get(history);
  if (known !== undefined && known.groups === groups) return known.activity;
  const groupOf = new Map<string, string>();
  const out = new Map<string, GroupActivity>();
  for (const g of groups) {
    for (const m of g.members) groupOf.set(m, g.group);
    out.set(g.group, { processed: new ProcessedRecords(), processedIds: new MessageIdSet(), firstPolled: new Map(), seeks: [], inProgress: new Set() });
  }
  const alive = new Map<string, number>();
  for (const g of groups) for (const [m, since] of g.alive ?? []) alive.set(m, since);
  // What each live member was working on when the run ended: the records of its last poll
  // (in this incarnation) that it had not finished.
  const lastPoll = new Map<string, Op>();
  for (const op of history) {
    if (op.f !== 'poll' || op.type !== 'ok') continue;
    const since = alive.get(op.process);
    if (since !== undefined && op.time >= since) lastPoll.set(op.process, op);
  }
  for (const [member, op] of lastPoll) {
    const a = out.get(groupOf.get(member) as string);
    for (const [partition, offset] of (op.value as PollValue).records) a?.inProgress.add(`${partition}@${offset}`);
  }
  for (const op of history) {
    if (op.type !== 'ok' || !CONSUMER_OPS.has(op.f)) continue;
    const group = groupOf.get(op.process);
    const a = group === undefined ? undefined : out.get(group);
    if (a === undefined) continue;
    if (op.f === 'process') {
      const v = op.value as ProcessValue;
      a.processed.add(v.partition, v.offset);
      if (v.id !== null) a.processedIds.add(v.id);
    } else if (op.f === 'poll') {
      for (const [partition, offset] of (op.value as PollValue).records) {
        const first = a.firstPolled.get(partition);
        if (first === undefined || offset < first) a.firstPolled.set(partition, offset);
      }
    } else if (op.f === 'seek') a.seeks.push({ at: op.time, value: op.value as SeekValue });
  }
  activityMemo.set(history, { groups, activity: out });
  return out;
}

function partitionsByName(state: ClusterFinalState): Map<string, PartitionState> {
  return new Map(state.partitions.map((p) => [p.partition, p]));
}

/**
 * A checker that judges each consumer group by what its members did: `check` gets the group's
 * final state and activity and returns its violations.
 */
function perGroupChecker(kind: string, check: (g: GroupFinalState, a: GroupActivity, state: ClusterFinalState) => Violation[]): Checker<ClusterFinalState> {
  return {
    kind,
    check(history, state) {
      const groups = state.groups ?? [];
      const activity = activityOf(history.otherOps, groups);
      return groups.flatMap((g) => check(g, activity.get(g.group) as GroupActivity, state));
    },
  };
}

/**
 * skipped (at most once): the group's final committed offset of a partition is past a
 * committed record that no member of the group processed to the end. Only records from
 * where the group first read the partition count; records retention deleted are
 * retention-loss's; a record a live member was still processing when the run ended is
 * unfinished, not lost.
 */
export const skippedChecker = perGroupChecker('skipped', (g, a, state) => {
  const partitions = partitionsByName(state);
  const out: Violation[] = [];
  for (const name of g.partitions) {
    const committed = g.committed.get(name);
    const first = a.firstPolled.get(name);
    const p = partitions.get(name);
    if (committed === undefined || first === undefined || p === undefined) continue;
    const skipped = p.committed.filter((r) => r.offset >= first && r.offset < committed && !a.processed.has(name, r.offset) && !a.inProgress.has(`${name}@${r.offset}`) && (r.id === undefined || !a.processedIds.has(r.id)));
    if (skipped.length === 0) continue;
    out.push({
      kind: 'skipped',
      message: `group ${g.group} committed ${name} up to offset ${committed}, past ${skipped.length} record${skipped.length === 1 ? '' : 's'} no member processed (${summarize(skipped.map((r) => `${r.id ?? '?'}@${r.offset}`))})`,
      details: { group: g.group, partition: name, committedOffset: committed, offsets: skipped.map((r) => r.offset), ids: skipped.map((r) => r.id ?? null) },
    });
  }
  return out;
});

/** reprocessed (at least once): a record the group's members processed to the end more than once. */
export const reprocessedChecker = perGroupChecker('reprocessed', (g, a) => {
  const out: Violation[] = [];
  const byPartition = new Map<string, string[]>();
  for (const { partition, offset, count } of a.processed.repeated()) byPartition.set(partition, [...(byPartition.get(partition) ?? []), `${partition}@${offset}×${count}`]);
  for (const [partition, items] of byPartition) {
    out.push({
      kind: 'reprocessed',
      message: `group ${g.group} processed ${items.length} record${items.length === 1 ? '' : 's'} of ${partition} more than once (${summarize(items)})`,
      details: { group: g.group, partition, records: items },
    });
  }
  return out;
});

/** stale-commit: a coordinator applied a commit from a member that was not in the group's current generation. */
export const staleCommitChecker: Checker<ClusterFinalState> = {
  kind: 'stale-commit',
  check(_history, state) {
    const byMember = new Map<string, { first: number; generation: number; current: number; partitions: Set<string> }>();
    for (const c of state.commits ?? []) {
      if (!c.stale) continue;
      const key = `${c.group}\u0000${c.member}\u0000${c.generation}`;
      const e = byMember.get(key) ?? { first: c.at, generation: c.generation, current: c.currentGeneration, partitions: new Set<string>() };
      e.partitions.add(`${c.partition}@${c.offset}`);
      byMember.set(key, e);
    }
    return [...byMember].map(([key, e]) => {
      const [group, member] = key.split('\u0000');
      return {
        kind: 'stale-commit',
        message: `the coordinator of ${group} accepted a commit from ${member || 'an unknown member'} in generation ${e.generation} while the group was in generation ${e.current} (${summarize([...e.partitions])})`,
        at: time(e.first),
        details: { group, member, generation: e.generation, currentGeneration: e.current, offsets: [...e.partitions] },
      };
    });
  },
};

/**
 * ownership: two members both committed for one partition in the same generation, each
 * again after the other had: both believed they owned it at once. (A static member that
 * restarted takes over from its old incarnation, whose commits end before its own begin.)
 */
export const ownershipChecker: Checker<ClusterFinalState> = {
  kind: 'ownership',
  check(_history, state) {
    const sequences = new Map<string, { last: string; done: Set<string>; clash?: { members: [string, string]; at: number } }>();
    for (const c of state.commits ?? []) {
      if (c.generation < 0 || c.member === '') continue;
      const key = `${c.group}\u0000${c.generation}\u0000${c.partition}`;
      const e = sequences.get(key);
      if (e === undefined) {
        sequences.set(key, { last: c.member, done: new Set() });
        continue;
      }
      if (e.last === c.member) continue;
      // A member commits again after another one did: their ownerships overlapped.
      if (e.done.has(c.member) && e.clash === undefined) e.clash = { members: [e.last, c.member], at: c.at };
      e.done.add(e.last);
      e.last = c.member;
    }
    const out: Violation[] = [];
    for (const [key, e] of sequences) {
      if (e.clash === undefined) continue;
      const [group, generation, partition] = key.split('\u0000');
      out.push({
        kind: 'ownership',
        message: `${e.clash.members.join(' and ')} both committed for ${partition} in generation ${generation} of ${group}, each after the other`,
        at: time(e.clash.at),
        details: { group, generation: Number(generation), partition, members: e.clash.members },
      });
    }
    return out;
  },
};

/**
 * offset-regression: a group's committed offset for a partition, as coordinators held it,
 * moved backwards (a commit lower than the one before, or a coordinator loading less than
 * was committed), with no seek by a member in between. An offset that expired
 * (offsets.retention.minutes) is deleted, not moved: the next commit starts afresh.
 */
export const offsetRegressionChecker: Checker<ClusterFinalState> = {
  kind: 'offset-regression',
  check(history, state) {
    const groups = state.groups ?? [];
    const activity = activityOf(history.otherOps, groups);
    const past = new Map<string, { offset: number; at: number }[]>();
    const out: Violation[] = [];
    for (const c of state.offsetChanges ?? []) {
      const key = `${c.group}\u0000${c.partition}`;
      // An expired offset is gone, not moved: what the group commits next starts afresh.
      if (c.source === 'expire') {
        past.delete(key);
        continue;
      }
      let list = past.get(key);
      if (list === undefined) past.set(key, (list = []));
      const before = list.at(-1);
      list.push({ offset: c.offset, at: c.at });
      if (before === undefined || c.offset >= before.offset) continue;
      // A seek explains it if it came after the offset was last this low: commits of the
      // old position may still have landed after the seek.
      let since = 0;
      for (let i = list.length - 2; i >= 0; i--) {
        if (list[i].offset <= c.offset) {
          since = list[i].at;
          break;
        }
      }
      const seeks = activity.get(c.group)?.seeks ?? [];
      if (seeks.some((s) => s.value.partition === c.partition && s.at >= since && s.at <= c.at)) continue;
      out.push({
        kind: 'offset-regression',
        message: `the committed offset of ${c.group} for ${c.partition} went back from ${before.offset} to ${c.offset} (${c.source === 'load' ? `broker-${c.broker} loaded it so` : 'a commit'}), with no seek`,
        at: time(c.at),
        details: { group: c.group, partition: c.partition, from: before.offset, to: c.offset, source: c.source, broker: c.broker },
      });
    }
    return out;
  },
};

/**
 * retention-loss: a member's position fell out of range because retention deleted the
 * records under it, and it jumped forward past records the group never processed.
 */
export const retentionLossChecker = perGroupChecker('retention-loss', (g, a) => {
  const out: Violation[] = [];
  for (const s of a.seeks) {
    if (s.value.reason !== 'offset-out-of-range' || s.value.to <= s.value.from) continue;
    let lost = 0;
    for (let o = s.value.from; o < s.value.to; o++) if (!a.processed.has(s.value.partition, o)) lost++;
    if (lost === 0) continue;
    out.push({
      kind: 'retention-loss',
      message: `${s.value.member} of ${g.group} found ${s.value.partition} deleted up to offset ${s.value.to} when it was at ${s.value.from}: ${lost} record${lost === 1 ? '' : 's'} went by retention before the group processed them`,
      at: s.at,
      details: { group: g.group, member: s.value.member, partition: s.value.partition, from: s.value.from, to: s.value.to, lost },
    });
  }
  return out;
});

/** inconsistent-offsets (Jepsen): one offset of a partition read with two different messages. */
export const inconsistentOffsetsChecker: Checker<ClusterFinalState> = {
  kind: 'inconsistent-offsets',
  check(history) {
    // By partition, then offset: one map of every offset read in a long run passes the
    // 2^24 entries a Map can hold.
    const seen = new Map<string, Map<number, MessageId | null>>();
    const clashes = new Map<string, Set<string>>();
    for (const op of history.otherOps) {
      if (op.f !== 'poll' || op.type !== 'ok') continue;
      for (const [partition, offset, id] of (op.value as PollValue).records) {
        let read = seen.get(partition);
        if (read === undefined) seen.set(partition, (read = new Map()));
        const before = read.get(offset);
        const key = `${partition}@${offset}`;
        if (before === undefined) read.set(offset, id);
        else if (before !== id) clashes.set(key, new Set([...(clashes.get(key) ?? [String(before)]), String(id)]));
      }
    }
    const byPartition = new Map<string, string[]>();
    for (const [key, ids] of clashes) {
      const partition = key.slice(0, key.lastIndexOf('@'));
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), `${key.slice(partition.length + 1)}: ${[...ids].join(' / ')}`]);
    }
    return [...byPartition].map(([partition, items]) => ({
      kind: 'inconsistent-offsets',
      message: `${items.length} offset${items.length === 1 ? '' : 's'} of ${partition} ${items.length === 1 ? 'was' : 'were'} read with two different messages (${summarize(items, 3)})`,
      details: { partition, count: items.length, offsets: items.slice(0, 20) },
    }));
  },
};

/**
 * poll-skip and nonmonotonic-poll (Jepsen): within one member, with no rebalance or seek in
 * between, consecutive reads of a partition that skip offsets the committed log holds, or
 * that go backwards.
 */
function pollOrder(kind: 'poll-skip' | 'nonmonotonic-poll'): Checker<ClusterFinalState> {
  return {
    kind,
    check(history, state) {
      const partitions = partitionsByName(state);
      const last = new Map<string, Map<string, number>>();
      const found = new Map<string, { at: Time; items: string[] }>();
      for (const op of history.otherOps) {
        if (op.type !== 'ok') continue;
        if (op.f === 'assign' || op.f === 'revoke') last.delete(op.process);
        else if (op.f === 'seek') last.get(op.process)?.delete((op.value as SeekValue).partition);
        if (op.f !== 'poll') continue;
        let mine = last.get(op.process);
        if (mine === undefined) last.set(op.process, (mine = new Map()));
        for (const [partition, offset] of (op.value as PollValue).records) {
          const before = mine.get(partition);
          mine.set(partition, offset);
          if (before === undefined) continue;
          let anomaly: string | undefined;
          if (kind === 'nonmonotonic-poll' && offset <= before) anomaly = `${partition} ${before} then ${offset}`;
          if (kind === 'poll-skip' && offset > before + 1) {
            const log = partitions.get(partition)?.committed ?? [];
            const missed = log.filter((r) => r.offset > before && r.offset < offset).length;
            if (missed > 0) anomaly = `${partition} ${before} then ${offset}, skipping ${missed}`;
          }
          if (anomaly === undefined) continue;
          const key = `${op.process}\u0000${partition}`;
          const e = found.get(key) ?? { at: op.time, items: [] };
          e.items.push(anomaly);
          found.set(key, e);
        }
      }
      return [...found].map(([key, e]) => {
        const [member, partition] = key.split('\u0000');
        return {
          kind,
          message: `${member} read ${partition} ${kind === 'poll-skip' ? 'skipping offsets' : 'going backwards'} with no rebalance or seek between (${summarize(e.items)})`,
          at: e.at,
          details: { member, partition, anomalies: e.items.slice(0, 20), count: e.items.length },
        };
      });
    },
  };
}

export const pollSkipChecker = pollOrder('poll-skip');
export const nonmonotonicPollChecker = pollOrder('nonmonotonic-poll');

/**
 * Where each group began reading each partition it never had a committed offset for, when
 * `auto.offset.reset=latest` put it at the log end: by group, then partition, the highest
 * such position taken before the group's first commit for it. Records below it were written
 * before the group was there to read them, and `latest` skips them by design (ConsumerConfig's
 * auto.offset.reset: "automatically reset the offset to the latest offset"). Once the group
 * has committed, a reset to latest (after its offsets expired, say) skips records it owed.
 */
function latestStarts(groups: readonly GroupFinalState[], state: ClusterFinalState): Map<string, Map<string, number>> {
  const groupOf = new Map<string, string>();
  for (const g of groups) for (const m of g.members) groupOf.set(m, g.group);
  const firstCommit = new Map<string, number>();
  for (const c of state.commits ?? []) {
    const key = `${c.group}\u0000${c.partition}`;
    const at = firstCommit.get(key);
    if (at === undefined || c.at < at) firstCommit.set(key, c.at);
  }
  const out = new Map<string, Map<string, number>>();
  for (const r of state.resets ?? []) {
    const group = groupOf.get(r.member);
    if (r.policy !== 'latest' || group === undefined) continue;
    const committedAt = firstCommit.get(`${group}\u0000${r.partition}`);
    if (committedAt !== undefined && committedAt <= r.at) continue;
    const starts = out.get(group) ?? new Map<string, number>();
    starts.set(r.partition, Math.max(starts.get(r.partition) ?? 0, r.offset));
    out.set(group, starts);
  }
  return out;
}

/**
 * unseen (Jepsen): an acknowledged write that no consumer ever read, in a partition that the
 * consumers caught up with at the end (some group committed up to its high watermark), at an
 * offset some caught-up group was there to read: not below where `auto.offset.reset=latest`
 * started every such group ({@link latestStarts}).
 */
export const unseenChecker: Checker<ClusterFinalState> = {
  kind: 'unseen',
  check(history, state) {
    const groups = state.groups ?? [];
    if (groups.length === 0) return [];
    const partitions = partitionsByName(state);
    const starts = latestStarts(groups, state);
    /** By caught-up partition: the lowest offset a caught-up group was there to read from. */
    const caughtUp = new Map<string, number>();
    for (const g of groups) {
      for (const [name, offset] of g.committed) {
        const hw = partitions.get(name)?.highWatermark;
        if (hw === undefined || offset < hw) continue;
        const from = starts.get(g.group)?.get(name) ?? 0;
        caughtUp.set(name, Math.min(caughtUp.get(name) ?? from, from));
      }
    }
    const read = new MessageIdSet();
    for (const op of history.otherOps) {
      if (op.f !== 'poll' || op.type !== 'ok') continue;
      for (const [, , id] of (op.value as PollValue).records) if (id !== null) read.add(id);
    }
    const unseen = new Map<string, MessageId[]>();
    const sends = history.sends;
    for (let i = 0; i < sends.length; i++) {
      const ref = i as SendRef;
      const partition = sends.partition(ref);
      if (!sends.isOk(ref) || partition === undefined || !caughtUp.has(partition)) continue;
      const id = sends.id(ref);
      if (read.has(id)) continue;
      // Below the log start, retention took it before anyone read it (retention-loss's case);
      // compaction may remove a record before anyone reads it, by design.
      const p = partitions.get(partition);
      const offset = sends.offset(ref) ?? -1;
      if (offset >= 0 && (offset < (p?.logStartOffset ?? 0) || p?.compactedAway?.has(offset) === true)) continue;
      // Written before every caught-up group started reading at the log end (auto.offset.reset=latest).
      if (offset >= 0 && offset < (caughtUp.get(partition) ?? 0)) continue;
      const list = unseen.get(partition);
      if (list === undefined) unseen.set(partition, [id]);
      else list.push(id);
    }
    return [...unseen].map(([partition, ids]) => ({
      kind: 'unseen',
      message: `${ids.length} acknowledged message${ids.length === 1 ? ' was' : 's were'} never read from ${partition}, though consumers caught up with it (${summarize(ids)})`,
      details: { partition, ids },
    }));
  },
};

/**
 * tombstone-loss: a group that rebuilds a table from a compacted topic (each record sets
 * its key; a tombstone deletes it) ends with keys the topic has deleted. The cleaner keeps a
 * tombstone only delete.retention.ms after it first cleans it; a group that reads slower
 * than that never sees the deletion, and the key lives on in its table (Kafka's docs: that
 * setting bounds the time a consumer starting at offset 0 has to finish its scan). Judged
 * for the partitions of compacted topics that the group read to their last record.
 */
export const tombstoneLossChecker: Checker<ClusterFinalState> = {
  kind: 'tombstone-loss',
  check(history, state) {
    const groups = state.groups ?? [];
    const tables = new Map(state.partitions.filter((p) => p.keyTable !== undefined).map((p) => [p.partition, p]));
    if (groups.length === 0 || tables.size === 0) return [];
    const groupOf = new Map<string, string>();
    for (const g of groups) for (const m of g.members) groupOf.set(m, g.group);
    // Each group's table of each compacted partition, applying records as they were processed.
    const views = new Map<string, { keys: Map<string, { offset: number; id: MessageId | null }>; last: number }>();
    for (const op of history.otherOps) {
      if (op.f !== 'process' || op.type !== 'ok') continue;
      const v = op.value as ProcessValue;
      const group = groupOf.get(op.process);
      if (group === undefined || !tables.has(v.partition) || v.key === undefined || v.key === null) continue;
      const name = `${group}\u0000${v.partition}`;
      let view = views.get(name);
      if (view === undefined) views.set(name, (view = { keys: new Map(), last: -1 }));
      if (v.tombstone === true) view.keys.delete(v.key);
      else view.keys.set(v.key, { offset: v.offset, id: v.id });
      view.last = Math.max(view.last, v.offset);
    }
    const out: Violation[] = [];
    for (const [name, view] of views) {
      const [group, partition] = name.split('\u0000');
      const p = tables.get(partition) as PartitionState;
      const table = p.keyTable as ReadonlyMap<string, KeyedRecord>;
      let lastOffset = -1;
      for (const r of table.values()) lastOffset = Math.max(lastOffset, r.offset);
      if (view.last < lastOffset) continue; // it never read to the end
      const resurrected = [...view.keys].filter(([key]) => table.get(key) === undefined || (table.get(key) as KeyedRecord).tombstone).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (resurrected.length === 0) continue;
      // A key with no record left at all lost its tombstone to the cleaner; one whose tombstone is still there, the group passed over.
      const gone = resurrected.filter(([key]) => table.get(key) === undefined).length;
      const cause = gone === resurrected.length ? 'the cleaner had removed their tombstones before the group read that far' : gone === 0 ? 'the group never applied their tombstones, which are still in the log' : `the cleaner had removed ${gone} of their tombstones before the group read that far, and the group never applied the rest`;
      out.push({
        kind: 'tombstone-loss',
        message: `group ${group}'s table of ${partition} still holds ${resurrected.length} key${resurrected.length === 1 ? '' : 's'} the topic deleted (${summarize(resurrected.map(([key, r]) => `${key}=${r.id ?? '?'}@${r.offset}`))}): ${cause}`,
        details: { group, partition, keys: resurrected.map(([key]) => key), offsets: resurrected.map(([, r]) => r.offset), ids: resurrected.map(([, r]) => r.id) },
      });
    }
    return out;
  },
};

export const groupCheckers: readonly Checker<ClusterFinalState>[] = [
  skippedChecker,
  reprocessedChecker,
  staleCommitChecker,
  offsetRegressionChecker,
  retentionLossChecker,
  ownershipChecker,
  inconsistentOffsetsChecker,
  pollSkipChecker,
  nonmonotonicPollChecker,
  unseenChecker,
  tombstoneLossChecker,
];

/** Per partition, how far the group's committed offset is behind the high watermark at the end. */
export function groupLag(state: ClusterFinalState): Record<string, number> {
  const partitions = partitionsByName(state);
  const lag: Record<string, number> = {};
  for (const g of state.groups ?? []) {
    for (const name of g.partitions) {
      const hw = partitions.get(name)?.highWatermark;
      if (hw === undefined) continue;
      const committed = g.committed.get(name) ?? partitions.get(name)?.logStartOffset ?? 0;
      lag[name] = Math.max(lag[name] ?? 0, hw - committed);
    }
  }
  return lag;
}
