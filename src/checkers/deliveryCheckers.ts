import type { Checker, Violation } from '../sim/checker.js';
import type { History } from '../sim/history.js';
import type { SendRef } from '../sim/sendLog.js';
import type { BatchSummary, ClusterFinalState, LoggedRecord, MessageId, PartitionState } from './finalState.js';
import { LogIds } from './logIds.js';
import { summarize } from './summarize.js';

const idsMemo = new WeakMap<PartitionState, LogIds>();

/** The committed log of `p` in columns: as the runner read it, or built once from its records. */
export function committedIds(p: PartitionState): LogIds {
  if (p.committedIds !== undefined) return p.committedIds;
  let ids = idsMemo.get(p);
  if (ids === undefined) idsMemo.set(p, (ids = LogIds.fromRecords(p.committed)));
  return ids;
}

/**
 * Visits each acknowledged send to a partition the final state knows, with the offset of
 * its message in that partition's committed log (undefined when it is not there).
 */
function forEachAckedSend(history: History, partitions: ReadonlyMap<string, PartitionState>, visit: (ref: SendRef, partition: string, committedAt: number | undefined) => void): void {
  const sends = history.sends;
  for (let i = 0; i < sends.length; i++) {
    const ref = i as SendRef;
    const partition = sends.partition(ref);
    if (!sends.isOk(ref) || partition === undefined) continue;
    const p = partitions.get(partition);
    if (p === undefined) continue;
    const ids = committedIds(p);
    const acked = sends.offset(ref);
    // The acknowledged offset almost always holds it: a direct look, without building the id.
    visit(ref, partition, acked !== undefined && ids.holds(acked, sends.process(ref), sends.seq(ref)) ? acked : ids.firstOffsetOf(sends.id(ref)));
  }
}

function partitionsByName(state: ClusterFinalState): Map<string, PartitionState> {
  return new Map(state.partitions.map((p) => [p.partition, p]));
}

/**
 * lost-write: a message the producer saw acknowledged (ok; for acks=0 the producer calls a
 * send ok once it is on the wire) that is absent from the committed log of its partition.
 * An indeterminate send (info) may be present or absent and is never a lost write, and
 * neither is a message acknowledged below the log start offset (retention took it) or at an
 * offset a cleaner removed (compaction: a later record of its key superseded it, or it was
 * a tombstone past its delete horizon).
 */
export const lostWriteChecker: Checker<ClusterFinalState> = {
  kind: 'lost-write',
  check(history: History, state: ClusterFinalState): Violation[] {
    const lost: { id: MessageId; partition: string; offset?: number; at: number }[] = [];
    const sends = history.sends;
    const byName = partitionsByName(state);
    forEachAckedSend(history, byName, (ref, partition, committedAt) => {
      const acked = sends.offset(ref);
      const p = byName.get(partition);
      const retained = acked === undefined || acked < 0 || (acked >= (p?.logStartOffset ?? 0) && p?.compactedAway?.has(acked) !== true);
      if (committedAt === undefined && retained) lost.push({ id: sends.id(ref), partition, offset: sends.offset(ref), at: sends.completeTime(ref) ?? sends.invokeTime(ref) });
    });
    return groupByPartition(lost).map(([partition, items]) => ({
      kind: 'lost-write',
      message: `${items.length} acknowledged message${items.length === 1 ? ' is' : 's are'} not in the committed log of ${partition} (${summarize(items.map((i) => i.id))})`,
      at: items[0].at as Violation['at'],
      details: { partition, ids: items.map((i) => i.id), ackedOffsets: items.map((i) => i.offset ?? null) },
    }));
  },
};

/**
 * Where consumers processed each message id, per partition: offsets as they read them, which
 * may since have left the log (retention).
 */
function consumedOffsets(history: History): Map<string, Map<MessageId, number[]>> {
  const out = new Map<string, Map<MessageId, number[]>>();
  for (const op of history.otherOps) {
    if (op.f !== 'process' || op.type !== 'ok') continue;
    const v = op.value as { readonly partition: string; readonly offset: number; readonly id: MessageId | null };
    if (v.id === null) continue;
    let ids = out.get(v.partition);
    if (ids === undefined) out.set(v.partition, (ids = new Map()));
    const offsets = ids.get(v.id);
    if (offsets === undefined) ids.set(v.id, [v.offset]);
    else if (!offsets.includes(v.offset)) offsets.push(v.offset);
  }
  return out;
}

/**
 * duplicate: one message id at two or more offsets of a partition's log: in the committed
 * log at the end, or as consumers read it. A copy retention has since deleted was still read
 * twice (a retry the leader no longer recognised, before KIP-360).
 */
export const duplicateChecker: Checker<ClusterFinalState> = {
  kind: 'duplicate',
  check(history: History, state: ClusterFinalState): Violation[] {
    const out: Violation[] = [];
    const consumed = consumedOffsets(history);
    for (const p of state.partitions) {
      const ids = committedIds(p);
      let dups = ids.duplicates();
      const read = consumed.get(p.partition);
      if (read !== undefined) {
        const merged = new Map(dups.map(([id, offsets]) => [id, new Set(offsets)]));
        for (const [id, offsets] of read) {
          const known = merged.get(id);
          if (known !== undefined) {
            for (const o of offsets) known.add(o);
            continue;
          }
          const all = new Set(offsets);
          const inLog = ids.firstOffsetOf(id);
          if (inLog !== undefined) all.add(inLog);
          if (all.size > 1) merged.set(id, all);
        }
        dups = [...merged].map(([id, all]) => [id, [...all].sort((x, y) => x - y)]);
      }
      if (dups.length === 0) continue;
      out.push({
        kind: 'duplicate',
        message: `${dups.length} message${dups.length === 1 ? ' appears' : 's appear'} more than once in ${p.partition} (${summarize(dups.map(([id, o]) => `${id}@${o.join('/')}`))})`,
        details: { partition: p.partition, duplicates: dups.map(([id, offsets]) => ({ id, offsets })) },
      });
    }
    return out;
  },
};

/**
 * reorder: two messages of one producer to one partition, both acknowledged, sent in
 * sequence order a before b, whose committed offsets are in the other order.
 */
export const reorderChecker: Checker<ClusterFinalState> = {
  kind: 'reorder',
  check(history: History, state: ClusterFinalState): Violation[] {
    // Per (producer, partition), in sequence order (the send log is: a producer's sends are
    // invoked in the order of their sequence numbers), the message with the highest offset
    // so far; one that lands below it is an inversion.
    type Stream = { producer: string; partition: string; top: SendRef; topOffset: number; inversions: { earlier: MessageId; later: MessageId; offsets: [number, number] }[] };
    const streams: Stream[] = [];
    const byProducer = new Map<string, Map<string, Stream>>();
    const sends = history.sends;
    forEachAckedSend(history, partitionsByName(state), (ref, partition, offset) => {
      if (offset === undefined) return;
      const producer = sends.process(ref);
      let mine = byProducer.get(producer);
      if (mine === undefined) byProducer.set(producer, (mine = new Map()));
      const stream = mine.get(partition);
      if (stream === undefined) {
        const first = { producer, partition, top: ref, topOffset: offset, inversions: [] };
        mine.set(partition, first);
        streams.push(first);
      } else if (offset < stream.topOffset) stream.inversions.push({ earlier: sends.id(stream.top), later: sends.id(ref), offsets: [stream.topOffset, offset] });
      else {
        stream.top = ref;
        stream.topOffset = offset;
      }
    });
    const out: Violation[] = [];
    for (const { producer, partition, inversions } of streams) {
      if (inversions.length > 0) {
        out.push({
          kind: 'reorder',
          message: `${producer}'s messages to ${partition} are out of order in the log ${inversions.length} time${inversions.length === 1 ? '' : 's'} (${summarize(inversions.map((i) => `${i.later}@${i.offsets[1]} before ${i.earlier}@${i.offsets[0]}`))})`,
          // The first inversions are evidence enough; the count says how many there were.
          details: { producer, partition, count: inversions.length, inversions: inversions.slice(0, 20) },
        });
      }
    }
    return out;
  },
};

/**
 * divergence: two replicas of a partition that disagree on a record below the lower of
 * their high watermarks (after the drain, the committed prefix every replica must share),
 * from where both still hold records: a replica whose retention ran later starts later, and
 * what it deleted is not a disagreement.
 */
export const divergenceChecker: Checker<ClusterFinalState> = {
  kind: 'divergence',
  check(_history: History, state: ClusterFinalState): Violation[] {
    const out: Violation[] = [];
    for (const p of state.partitions) {
      for (let i = 0; i < p.replicas.length; i++) {
        for (let j = i + 1; j < p.replicas.length; j++) {
          const a = p.replicas[i];
          const b = p.replicas[j];
          const from = Math.max(a.logStartOffset, b.logStartOffset);
          const bound = Math.min(a.highWatermark, b.highWatermark);
          // Identical batches in the range mean identical records: skip decoding them.
          if (a.batches !== undefined && b.batches !== undefined && sameBatchesIn(a.batches, b.batches, from, bound)) continue;
          const inRange = (r: LoggedRecord): boolean => r.offset >= from && r.offset < bound;
          const aAt = new Map(a.records.filter(inRange).map((r) => [r.offset, r]));
          const bAt = new Map(b.records.filter(inRange).map((r) => [r.offset, r]));
          const offsets = [...new Set([...aAt.keys(), ...bAt.keys()])].sort((x, y) => x - y);
          // A record one replica's cleaner removed and the other's has not yet is compaction, not divergence.
          const disagree = (o: number): boolean => {
            const x = aAt.get(o);
            const y = bAt.get(o);
            if ((x === undefined || y === undefined) && p.compactedAway?.has(o) === true) return false;
            return x?.id !== y?.id || x?.epoch !== y?.epoch;
          };
          const at = offsets.find(disagree);
          if (at === undefined) continue;
          const show = (r: LoggedRecord | undefined): string => (r === undefined ? 'nothing' : `${r.id ?? 'no id'} epoch ${r.epoch}`);
          out.push({
            kind: 'divergence',
            message: `${a.broker} and ${b.broker} disagree on ${p.partition} at offset ${at}, below both high watermarks (${a.broker}: ${show(aAt.get(at))}; ${b.broker}: ${show(bAt.get(at))})`,
            details: { partition: p.partition, brokers: [a.broker, b.broker], offset: at },
          });
        }
      }
    }
    return out;
  },
};

/** True when both lists hold the same batches wherever either has records in [from, bound). */
function sameBatchesIn(a: readonly BatchSummary[], b: readonly BatchSummary[], from: number, bound: number): boolean {
  let i = firstEndingAtOrAfter(a, from);
  let j = firstEndingAtOrAfter(b, from);
  for (; i < a.length && j < b.length; i++, j++) {
    const x = a[i];
    const y = b[j];
    if (x.baseOffset >= bound && y.baseOffset >= bound) return true;
    if (x.baseOffset !== y.baseOffset || x.lastOffset !== y.lastOffset || x.epoch !== y.epoch || x.crc !== y.crc) return false;
  }
  const rest = i < a.length ? a[i] : j < b.length ? b[j] : undefined;
  return rest === undefined || rest.baseOffset >= bound;
}

/** The index of the first batch with records at or after `offset`. */
function firstEndingAtOrAfter(batches: readonly BatchSummary[], offset: number): number {
  let i = 0;
  while (i < batches.length && batches[i].lastOffset < offset) i++;
  return i;
}

/** split-brain: two brokers that both accepted writes as leader of one partition in one leader epoch. */
export const splitBrainChecker: Checker<ClusterFinalState> = {
  kind: 'split-brain',
  check(_history: History, state: ClusterFinalState): Violation[] {
    return (state.leaderClaims ?? [])
      .filter((c) => c.brokers.length > 1)
      .map((c) => ({
        kind: 'split-brain',
        message: `brokers ${c.brokers.join(' and ')} both accepted writes as leader of ${c.partition} in leader epoch ${c.leaderEpoch}`,
        at: c.at as Violation['at'],
        details: { partition: c.partition, leaderEpoch: c.leaderEpoch, brokers: c.brokers },
      }));
  },
};

/**
 * hw-regression: a record a leader had made visible to consumers (below its high watermark)
 * that is not in the final committed log as it was: its batch at that offset is now another
 * batch (other records, or another epoch), or gone. The ghost keeps exposed batches, not
 * records, so this compares batches: offsets of a batch that changed are all reported.
 */
export const hwRegressionChecker: Checker<ClusterFinalState> = {
  kind: 'hw-regression',
  check(_history: History, state: ClusterFinalState): Violation[] {
    const out: Violation[] = [];
    for (const p of state.partitions) {
      const exposed = state.exposed?.get(p.partition);
      if (exposed === undefined) continue;
      const start = p.logStartOffset ?? 0;
      const hw = p.highWatermark ?? 0;
      const committed = new Map((p.committedBatches ?? []).map((b) => [b.baseOffset, b]));
      const gone = new Set<number>();
      let firstAt: number | undefined;
      for (const e of exposed) {
        if (e.exposedUpTo <= start) continue;
        const now = committed.get(e.baseOffset);
        if (now !== undefined && now.lastOffset === e.lastOffset && now.epoch === e.epoch && now.crc === e.crc && e.exposedUpTo <= hw) continue;
        for (let o = Math.max(start, e.baseOffset); o < e.exposedUpTo; o++) gone.add(o);
        firstAt = firstAt === undefined ? e.at : Math.min(firstAt, e.at);
      }
      if (gone.size === 0) continue;
      const offsets = [...gone].sort((x, y) => x - y);
      out.push({
        kind: 'hw-regression',
        message: `${offsets.length} record${offsets.length === 1 ? '' : 's'} of ${p.partition} that consumers could read (below a leader's high watermark) later vanished or were replaced (offsets ${summarize(offsets.map(String))})`,
        at: firstAt as Violation['at'],
        details: { partition: p.partition, offsets: offsets.slice(0, 100), count: offsets.length },
      });
    }
    return out;
  },
};

export const deliveryCheckers: readonly Checker<ClusterFinalState>[] = [lostWriteChecker, duplicateChecker, reorderChecker, divergenceChecker, splitBrainChecker, hwRegressionChecker];

function groupByPartition<T extends { partition: string }>(items: readonly T[]): [string, T[]][] {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.partition) ?? [];
    list.push(item);
    out.set(item.partition, list);
  }
  return [...out];
}

