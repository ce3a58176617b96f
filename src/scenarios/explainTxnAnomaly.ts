import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { timeline, type TimelineLine } from './timeline.js';

/** What a transaction anomaly is about: one partition, some offsets, and the producers whose writes they are. */
interface AnomalyFocus {
  readonly partition: string;
  /** The offsets in question: the open transaction's first write, the zombie batches, the records read. */
  readonly offsets: readonly [number, number][];
  /** Producer ids involved, when the violation names them. */
  readonly producerIds: ReadonlySet<number>;
  /** For aborted-read: the member that read what it should not have. */
  readonly member?: string;
}

const KINDS = new Set(['aborted-read', 'zombie-write', 'hanging-txn']);

function focusOf(v: Violation): AnomalyFocus | undefined {
  const d = v.details;
  if (!KINDS.has(v.kind) || typeof d.partition !== 'string') return undefined;
  const offsets: [number, number][] = [];
  const producerIds = new Set<number>();
  if (v.kind === 'hanging-txn') {
    if (typeof d.producerId === 'number') producerIds.add(d.producerId);
    if (typeof d.firstOffset === 'number') offsets.push([d.firstOffset, d.firstOffset]);
  } else if (v.kind === 'zombie-write') {
    for (const b of (d.batches ?? []) as { producerId: number; baseOffset: number; lastOffset: number }[]) {
      producerIds.add(b.producerId);
      offsets.push([b.baseOffset, b.lastOffset]);
    }
  } else {
    for (const r of (d.records ?? []) as string[]) {
      const m = /@(\d+) \(/.exec(r);
      if (m !== null) offsets.push([Number(m[1]), Number(m[1])]);
    }
  }
  return { partition: d.partition, offsets, producerIds, member: typeof d.member === 'string' ? d.member : undefined };
}

/**
 * The causal chain of a transaction anomaly: `aborted-read` (a read_committed consumer handed
 * records of a transaction that did not commit), `zombie-write` (a fenced producer epoch's
 * write that was committed) and `hanging-txn` (a transaction that nothing will end, holding
 * the last stable offset back). It follows the producers involved (their transactional ids
 * and epochs, fencing, timeouts, crashes and pauses), the coordinator's record of their
 * transactions, the batches and markers in the partition, and the consumer's reads.
 */
export function explainTxnAnomaly(records: readonly TraceRecord[], violation: Violation): TimelineLine[] | undefined {
  const focus = focusOf(violation);
  if (focus === undefined) return undefined;
  const { partition } = focus;
  const inFocus = (from: number, to: number): boolean => focus.offsets.some(([a, b]) => from <= b && to >= a);
  const { lines, say } = timeline();
  /** Producer ids and the transactional ids and client nodes behind them. */
  const transactionalIdOf = new Map<number, string>();
  const nodesOf = new Map<string, string>();
  /** Whether the coordinator's record of a focus producer's transaction ever listed the partition. */
  let coordinatorListed = false;
  let appendedAt: number | undefined;
  let endedAfterAppend = false;
  const watched = (producerId: number): boolean => focus.producerIds.size === 0 || focus.producerIds.has(producerId);

  for (const r of records) {
    switch (r.kind) {
      case 'txn.producer':
        if (!watched(r.producerId)) break;
        transactionalIdOf.set(r.producerId, r.transactionalId);
        nodesOf.set(r.node, r.transactionalId);
        if (focus.producerIds.size > 0) say(r.at, `${r.node} (transactional.id ${r.transactionalId}) holds producer ${r.producerId} at epoch ${r.producerEpoch}`);
        break;
      case 'txn.fenced':
        if (watched(r.producerId)) say(r.at, `${r.node}'s producer ${r.producerId} (epoch ${r.producerEpoch}) was fenced: ${r.error}`);
        break;
      case 'txn.abort':
        if (watched(r.producerId)) say(r.at, `the coordinator (broker-${r.broker}) aborted ${r.transactionalId}'s transaction and bumped producer ${r.producerId} past epoch ${r.fencedEpoch} (${r.reason === 'timeout' ? 'transaction.timeout.ms passed' : 'a new incarnation called initTransactions'})`);
        break;
      case 'txn.state': {
        if (!watched(r.producerId) || !r.partitions.includes(partition)) break;
        if (appendedAt !== undefined) coordinatorListed = true;
        if (r.state === 'PrepareCommit' || r.state === 'PrepareAbort') say(r.at, `the coordinator (broker-${r.broker}) moved ${r.transactionalId}'s transaction (epoch ${r.producerEpoch}) to ${r.state}, with ${partition} among its partitions`);
        break;
      }
      case 'replica.append':
        if (r.partition !== partition || r.role !== 'leader' || !inFocus(r.baseOffset, r.lastOffset)) break;
        appendedAt ??= r.at;
        say(r.at, `broker-${r.broker}, leader of ${partition} in epoch ${r.leaderEpoch}, appended offsets ${r.baseOffset}–${r.lastOffset}: the records in question`);
        break;
      case 'txn.marker':
        if (r.partition !== partition || !watched(r.producerId)) break;
        if (appendedAt !== undefined) endedAfterAppend = true;
        say(r.at, `broker-${r.broker} wrote the ${r.commit ? 'COMMIT' : 'ABORT'} marker of producer ${r.producerId} (epoch ${r.producerEpoch}${transactionalIdOf.has(r.producerId) ? `, ${transactionalIdOf.get(r.producerId)}` : ''}) to ${partition} at offset ${r.offset}`);
        break;
      case 'rpc.timeout':
        if (r.type === 'Produce' && nodesOf.has(r.from)) say(r.at, `${r.from}'s produce request to ${r.to} timed out; the request itself may still be on its way`);
        break;
      case 'client.op': {
        if (focus.member === undefined || r.process !== focus.member || r.f !== 'poll' || r.type !== 'ok') break;
        const read = ((r.value as { records?: [string, number, string | null][] }).records ?? []).filter(([p, o]) => p === partition && inFocus(o, o));
        if (read.length > 0) say(r.at, `${r.process} (read_committed) polled ${read.length} of the records in question (offsets ${read.map((x) => x[1]).join(', ')})`);
        break;
      }
      case 'node.crash':
      case 'node.stop':
      case 'node.pause':
        if (nodesOf.has(r.node) || (focus.member !== undefined && r.node === `consumer-${focus.member}`)) say(r.at, `${r.node} ${r.kind === 'node.crash' ? 'crashed' : r.kind === 'node.stop' ? 'shut down' : 'paused (a GC pause)'}`);
        break;
      default:
        break;
    }
  }
  const end = lines.at(-1)?.at ?? violation.at ?? 0;
  if (violation.kind === 'hanging-txn' && appendedAt !== undefined && !endedAfterAppend) {
    say(
      end,
      coordinatorListed
        ? `no marker followed: the coordinator knew the transaction but never completed it`
        : `no marker followed, and the coordinator never listed ${partition} in that transaction (no AddPartitionsToTxn for it): nothing will ever write its marker, so read_committed consumers of ${partition} stay stuck at the last stable offset`,
    );
  }
  lines.push({ at: end, text: `→ ${violation.kind}: ${violation.message}` });
  return lines;
}
