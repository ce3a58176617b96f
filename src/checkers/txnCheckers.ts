import { MessageIdCounts, MessageIdMap, MessageIdSet } from './messageIds.js';
import type { Checker, Violation } from '../sim/checker.js';
import type { Op } from '../sim/history.js';
import { time } from '../sim/time.js';
import type { ClusterFinalState, MessageId, PartitionState, TxnBatch } from './finalState.js';
import { summarize } from './summarize.js';
import { partitionForKey } from '../log/partitioner.js';

/**
 * Checkers of transactions and exactly-once (KIP-98, KIP-447, KIP-890): what read_committed
 * readers saw, what fenced producers managed to commit, whether each processor's pipeline
 * produced every input exactly once, and whether a transaction was left hanging. They read
 * the final logs (transactional batches with how each transaction ended), the groups'
 * committed offsets and the members' polls.
 */

function partitionsByName(state: ClusterFinalState): Map<string, PartitionState> {
  return new Map(state.partitions.map((p) => [p.partition, p]));
}

function partitionsOf(state: ClusterFinalState, topic: string): PartitionState[] {
  return state.partitions.filter((p) => p.partition.slice(0, p.partition.lastIndexOf('-')) === topic);
}

/** The transactional batch holding `offset`, by binary search over batches in log order. */
function batchAt(batches: readonly TxnBatch[] | undefined, offset: number): TxnBatch | undefined {
  if (batches === undefined) return undefined;
  let lo = 0;
  let hi = batches.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = batches[mid];
    if (offset < b.baseOffset) hi = mid - 1;
    else if (offset > b.lastOffset) lo = mid + 1;
    else return b;
  }
  return undefined;
}

/**
 * exactly-once: for each processor, every input record below the group's committed offset
 * has its output exactly once in the committed (read_committed) output topic, and no input
 * at or past the committed offset has one: outputs and offsets commit together or not at all.
 *
 * Retention deletes the output topic's old segments on its own schedule, so an input may
 * outlive its output. The processor writes an input's output to the partition its id hashes
 * to (processorStage), and the outputs of one input partition reach one output partition in
 * input order (each transaction starts from the offsets the one before committed). So an
 * input below the lowest input whose output is still there, in an output partition whose
 * log no longer starts at 0, may have had its output deleted: it is not counted missing.
 */
export const exactlyOnceChecker: Checker<ClusterFinalState> = {
  kind: 'exactly-once',
  check(history, state) {
    const out: Violation[] = [];
    for (const pipe of state.pipelines ?? []) {
      const group = state.groups?.find((g) => g.group === pipe.group);
      if (group === undefined) continue;
      const outputs = new MessageIdCounts();
      for (const p of partitionsOf(state, pipe.to)) for (const r of p.committed) if (r.id !== undefined) outputs.increment(r.id);
      const firstRead = firstPolled(history.otherOps, group.members);
      const mayBeDeleted = retainedOutputs(partitionsOf(state, pipe.from), pipe.to, partitionsOf(state, pipe.to));
      const inputs = inputRecords(state, pipe.from, group.committed, firstRead);
      // How many copies of each input message lie below the committed offset: a message its
      // producer wrote twice (an idempotent producer's epoch bump, KIP-360, sends again what
      // may have landed; `duplicate` judges that on the input topic) is two input records, and
      // exactly-once owes each its own output (the offsets the group commits are per record).
      const copies = new MessageIdCounts();
      const below = new MessageIdCounts();
      for (const r of inputs) {
        copies.increment(r.id);
        if (r.below) below.increment(r.id);
      }
      const seen = new MessageIdCounts();
      const reported = new MessageIdSet();
      const missing: string[] = [];
      const duplicated: string[] = [];
      const early: string[] = [];
      for (const r of inputs) {
        const n = outputs.count(r.id);
        if (r.below) {
          const copy = seen.increment(r.id);
          if (copy >= n) {
            if (!mayBeDeleted(r.partition, r.offset, r.id)) missing.push(`${r.id}@${r.offset}`);
          }
          else if (n > copies.count(r.id) && !reported.has(r.id)) {
            reported.add(r.id);
            duplicated.push(`${r.id}×${n}`);
          }
        } else if (n > below.count(r.id) && !reported.has(r.id)) {
          reported.add(r.id);
          early.push(`${r.id}@${r.offset}`);
        }
      }
      if (missing.length + duplicated.length + early.length === 0) continue;
      const parts = [
        missing.length > 0 ? `${missing.length} input${missing.length === 1 ? ' has' : 's have'} no committed output (${summarize(missing, 3)})` : '',
        duplicated.length > 0 ? `${duplicated.length} input${duplicated.length === 1 ? ' has' : 's have'} more than one (${summarize(duplicated, 3)})` : '',
        early.length > 0 ? `${early.length} output${early.length === 1 ? ' is' : 's are'} committed for input${early.length === 1 ? '' : 's'} whose offset is not (${summarize(early, 3)})` : '',
      ].filter((x) => x !== '');
      const shown = [...duplicated, ...early].slice(0, 5).map((x) => /^(.*?)(?:×\d+|@\d+)$/.exec(x)?.[1] ?? x);
      const { where, epochOf } = placesOf(partitionsOf(state, pipe.to), new Set(shown));
      out.push({
        kind: 'exactly-once',
        message: `processor ${pipe.client} (${pipe.from} → ${pipe.to}${pipe.transactional ? ', transactional' : ''}): ${parts.join('; ')}`,
        details: {
          client: pipe.client,
          group: pipe.group,
          transactional: pipe.transactional,
          missing: missing.slice(0, 50),
          duplicated: duplicated.slice(0, 50),
          early: early.slice(0, 50),
          counts: { missing: missing.length, duplicated: duplicated.length, early: early.length },
          // Where the first doubled or early outputs sit in the output topic, and under which
          // producer epoch each was written, for explain.
          outputs: Object.fromEntries(shown.map((id) => [id, where.get(id) ?? []])),
          outputEpochs: Object.fromEntries(shown.flatMap((id) => where.get(id) ?? []).flatMap((place) => (epochOf.has(place) ? [[place, epochOf.get(place)]] : []))),
        },
      });
    }
    return out;
  },
};

/**
 * Where each of `ids` sits in the output partitions ("orders-out-1@17"), and the producer
 * epoch each place was written under: tells a late write from a redone one, for explain.
 */
function placesOf(outputs: readonly PartitionState[], ids: ReadonlySet<MessageId>): { where: Map<MessageId, string[]>; epochOf: Map<string, number> } {
  const where = new Map<MessageId, string[]>();
  const epochOf = new Map<string, number>();
  if (ids.size === 0) return { where, epochOf };
  for (const p of outputs) {
    for (const r of p.committed) {
      if (r.id === undefined || !ids.has(r.id)) continue;
      const place = `${p.partition}@${r.offset}`;
      where.set(r.id, [...(where.get(r.id) ?? []), place]);
      const batch = batchAt(p.txnBatches, r.offset);
      if (batch !== undefined) epochOf.set(place, batch.producerEpoch);
    }
  }
  return { where, epochOf };
}

/** The input records a pipeline's group has read from (from its first poll on), each with whether it lies below the group's committed offset. */
function inputRecords(state: ClusterFinalState, topic: string, committed: ReadonlyMap<string, number>, firstRead: ReadonlyMap<string, number>): { id: MessageId; partition: string; offset: number; below: boolean }[] {
  const out: { id: MessageId; partition: string; offset: number; below: boolean }[] = [];
  for (const p of partitionsOf(state, topic)) {
    const first = firstRead.get(p.partition);
    if (first === undefined) continue;
    const upTo = committed.get(p.partition) ?? -1;
    for (const r of p.committed) if (r.id !== undefined && r.offset >= first) out.push({ id: r.id, partition: p.partition, offset: r.offset, below: r.offset < upTo });
  }
  return out;
}

/**
 * Whether retention may have deleted the output of input `id` at `offset` of `partition`:
 * its output partition's log starts above 0 and still holds no output of an input of
 * `partition` at or below `offset`.
 */
function retainedOutputs(inputs: readonly PartitionState[], topic: string, outputs: readonly PartitionState[]): (partition: string, offset: number, id: MessageId) => boolean {
  const inputAt = new MessageIdMap<{ partition: string; offset: number }>();
  for (const p of inputs) for (const r of p.committed) if (r.id !== undefined) inputAt.set(r.id, { partition: p.partition, offset: r.offset });
  /** By input partition and output partition: the lowest input offset whose output is still in the log. */
  const lowestKept = new Map<string, number>();
  for (const p of outputs) {
    for (const r of p.committed) {
      const input = r.id === undefined ? undefined : inputAt.get(r.id);
      if (input === undefined) continue;
      const key = `${input.partition}\u0000${p.partition}`;
      lowestKept.set(key, Math.min(lowestKept.get(key) ?? Number.POSITIVE_INFINITY, input.offset));
    }
  }
  const byName = new Map(outputs.map((p) => [p.partition, p]));
  return (partition, offset, id) => {
    const out = `${topic}-${partitionForKey(Buffer.from(id), outputs.length)}`;
    if ((byName.get(out)?.logStartOffset ?? 0) === 0) return false;
    return offset < (lowestKept.get(`${partition}\u0000${out}`) ?? Number.POSITIVE_INFINITY);
  };
}

/** The lowest offset each partition was polled at by any of `members`. */
function firstPolled(history: Iterable<Op>, members: readonly string[]): Map<string, number> {
  const set = new Set(members);
  const first = new Map<string, number>();
  for (const op of history) {
    if (op.f !== 'poll' || op.type !== 'ok' || !set.has(op.process)) continue;
    for (const [partition, offset] of (op.value as { records: readonly [string, number, unknown][] }).records) {
      const f = first.get(partition);
      if (f === undefined || offset < f) first.set(partition, offset);
    }
  }
  return first;
}

/** aborted-read: a read_committed consumer was handed a record of an aborted transaction, or of one never committed. */
export const abortedReadChecker: Checker<ClusterFinalState> = {
  kind: 'aborted-read',
  check(history, state) {
    const partitions = partitionsByName(state);
    const seen = new Map<string, { at: number; items: string[] }>();
    for (const op of history.otherOps) {
      if (op.f !== 'poll' || op.type !== 'ok') continue;
      const v = op.value as { isolation?: string; records: readonly [string, number, string | null][] };
      if (v.isolation !== 'read_committed') continue;
      for (const [partition, offset, id] of v.records) {
        const b = batchAt(partitions.get(partition)?.txnBatches, offset);
        if (b === undefined || b.outcome === 'committed') continue;
        const e = seen.get(`${op.process}\u0000${partition}`) ?? { at: op.time, items: [] };
        e.items.push(`${id ?? '?'}@${offset} (${b.outcome})`);
        seen.set(`${op.process}\u0000${partition}`, e);
      }
    }
    return [...seen].map(([key, e]) => {
      const [member, partition] = key.split('\u0000');
      return {
        kind: 'aborted-read',
        message: `${member} (read_committed) read ${e.items.length} record${e.items.length === 1 ? '' : 's'} of ${partition} from transactions that did not commit (${summarize(e.items, 3)})`,
        at: time(e.at),
        details: { member, partition, records: e.items.slice(0, 50), count: e.items.length },
      };
    });
  },
};

/**
 * zombie-write: a committed record written under a producer epoch older than one the same
 * producer id had already used in that partition: a fenced incarnation's write that landed.
 */
export const zombieWriteChecker: Checker<ClusterFinalState> = {
  kind: 'zombie-write',
  check(_history, state) {
    const out: Violation[] = [];
    for (const p of state.partitions) {
      const newest = new Map<number, number>();
      const zombies: { producerId: number; producerEpoch: number; baseOffset: number; lastOffset: number; after: number }[] = [];
      for (const b of p.txnBatches ?? []) {
        const before = newest.get(b.producerId) ?? -1;
        if (b.producerEpoch > before) newest.set(b.producerId, b.producerEpoch);
        else if (!b.control && b.producerEpoch < before && b.outcome === 'committed') zombies.push({ producerId: b.producerId, producerEpoch: b.producerEpoch, baseOffset: b.baseOffset, lastOffset: b.lastOffset, after: before });
      }
      if (zombies.length > 0) {
        const writes = zombies.map((z) => `producer ${z.producerId} epoch ${z.producerEpoch} at ${z.baseOffset}–${z.lastOffset} (after epoch ${z.after})`);
        out.push({ kind: 'zombie-write', message: `${p.partition} has committed writes of fenced producer epochs: ${summarize(writes, 3)}`, details: { partition: p.partition, writes, batches: zombies } });
      }
    }
    return out;
  },
};

/** How long past transaction.timeout.ms a transaction may stay open before it counts as hanging. */
export const HANGING_GRACE_MS = 30_000;

/**
 * hanging-txn: a transaction still open at the end of the run, older than
 * transaction.timeout.ms plus a grace period, holding the last stable offset back (its
 * coordinator would have aborted it by then if it knew of it).
 */
export const hangingTxnChecker: Checker<ClusterFinalState> = {
  kind: 'hanging-txn',
  check(_history, state) {
    const timeout = Math.max(60_000, ...(state.pipelines ?? []).map((p) => p.transactionTimeoutMs));
    const out: Violation[] = [];
    for (const p of state.partitions) {
      if (state.endMs === undefined || p.lastStableOffset === undefined || p.highWatermark === undefined || p.lastStableOffset >= p.highWatermark) continue;
      const stuck = (p.txnBatches ?? []).find((b) => b.outcome === 'open' && !b.control);
      if (stuck === undefined || state.endMs - stuck.timestampMs <= timeout + HANGING_GRACE_MS) continue;
      out.push({
        kind: 'hanging-txn',
        message: `${p.partition}: a transaction of producer ${stuck.producerId} (epoch ${stuck.producerEpoch}) has been open since offset ${stuck.baseOffset} for ${Math.round((state.endMs - stuck.timestampMs) / 1000)} s; the last stable offset is stuck at ${p.lastStableOffset} with the high watermark at ${p.highWatermark}`,
        details: { partition: p.partition, producerId: stuck.producerId, producerEpoch: stuck.producerEpoch, firstOffset: stuck.baseOffset, lastStableOffset: p.lastStableOffset, highWatermark: p.highWatermark },
      });
    }
    return out;
  },
};

export const txnCheckers: readonly Checker<ClusterFinalState>[] = [abortedReadChecker, zombieWriteChecker, exactlyOnceChecker, hangingTxnChecker];
