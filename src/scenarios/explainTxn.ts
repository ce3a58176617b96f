import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { timeline, type TimelineLine } from './timeline.js';

/**
 * The causal chain of an exactly-once violation, for one input record: which processor
 * polled and processed it in which transaction, how each of those transactions ended
 * (committed, aborted and why, fenced), where its outputs were written and when, and the
 * COMMIT and ABORT markers around them, so a write that landed after its transaction's abort
 * marker (KIP-890's late write) or a doubled output shows how it came about.
 */
export function explainExactlyOnce(records: readonly TraceRecord[], violation: Violation): TimelineLine[] | undefined {
  const d = violation.details;
  const outputs = (d.outputs ?? {}) as Record<string, string[]>;
  const outputEpochs = (d.outputEpochs ?? {}) as Record<string, number>;
  const firstMissing = Array.isArray(d.missing) && typeof d.missing[0] === 'string' ? /^(.*)@\d+$/.exec(d.missing[0])?.[1] : undefined;
  const id = Object.keys(outputs)[0] ?? firstMissing;
  if (id === undefined) return undefined;
  const focus = new Map<string, Set<number>>();
  for (const place of outputs[id] ?? []) {
    const m = /^(.*)@(\d+)$/.exec(place);
    if (m === null) continue;
    const set = focus.get(m[1]) ?? new Set<number>();
    set.add(Number(m[2]));
    focus.set(m[1], set);
  }
  const { lines, say } = timeline();
  /** Members that processed the record, with whether their transaction since is still open. */
  const handling = new Map<string, boolean>();
  /** Producer id of each processor member (its transactional.id is the member's name). */
  const memberOf = new Map<number, string>();
  /** Per output partition, the last marker of each producer: when, and which kind. */
  const lastMarker = new Map<string, { at: number; commit: boolean }>();
  /** Output partitions where an output of the record landed since their last marker. */
  const landed = new Set<string>();
  const processedAt = new Map<string, number>();
  /** When each transactional id last entered PrepareCommit or PrepareAbort. */
  const prepared = new Map<string, number>();
  /** When each member last began a transaction. */
  const txnStarted = new Map<string, number>();
  /** EndTxn requests whose sender gave up on them (timed out), by request id: when. */
  const timedOutEndTxn = new Map<number, number>();
  /** Each member's producer epoch now. */
  const epochOfMember = new Map<string, number>();
  const transactional = d.transactional === true;

  for (const r of records) {
    switch (r.kind) {
      case 'client.op': {
        if (r.type === 'invoke' && r.f === 'txn') txnStarted.set(r.process, r.at);
        if (r.type === 'invoke') break;
        const v = r.value as Record<string, unknown> | undefined;
        if (v === undefined) break;
        if (r.f === 'poll' && r.type === 'ok') {
          const hit = (v.records as [string, number, string | null][]).find((x) => x[2] === id);
          if (hit !== undefined) say(r.at, `${r.process} polled ${id} from ${hit[0]} at offset ${hit[1]} (generation ${String(v.generation)})`);
        } else if (r.f === 'process' && r.type === 'ok' && v.id === id) {
          handling.set(r.process, true);
          processedAt.set(r.process, r.at);
          say(r.at, `${r.process} processed ${id} and queued its output${transactional ? ', inside its open transaction' : ''}`);
        } else if (r.f === 'commit' && handling.get(r.process) === true) {
          handling.set(r.process, false);
          say(r.at, r.type === 'ok' ? `${r.process} committed its input offsets, past ${id}` : `${r.process}'s offset commit failed (${r.error ?? 'unknown'}): the batch will be processed again`);
        } else if (r.f === 'txn' && handling.get(r.process) === true) {
          handling.set(r.process, false);
          const epoch = String(v.producerEpoch);
          if (r.type === 'ok') say(r.at, `${r.process} committed that transaction (EndTxn): its outputs and input offsets together`);
          else if (v.outcome === 'fenced') say(r.at, `${r.process} was fenced (${r.error ?? 'PRODUCER_FENCED'}): that transaction is lost to it; it starts a new producer`);
          else say(r.at, `${r.process} aborted that transaction (${r.error ?? 'aborted'}) and will process the batch again from the committed offsets; its producer moves to epoch ${epoch}`);
        }
        break;
      }
      case 'txn.producer': {
        const member = r.node.replace(/^consumer-/, '');
        memberOf.set(r.producerId, member);
        epochOfMember.set(member, r.producerEpoch);
        break;
      }
      case 'rpc.timeout': {
        const member = r.from.replace(/^consumer-/, '');
        if (r.type === 'Produce' && handling.get(member) === true) say(r.at, `${member}'s produce request to ${r.to} timed out; the request itself may still be on its way`);
        if (r.type === 'EndTxn') timedOutEndTxn.set(r.id, r.at);
        break;
      }
      case 'net.deliver': {
        // An EndTxn its sender gave up on, arriving while the record's transaction is open:
        // under transaction version 1 it carries that transaction's epoch too (KAFKA-17754).
        const since = r.type === 'EndTxn' ? timedOutEndTxn.get(r.id) : undefined;
        const member = r.from.replace(/^consumer-/, '');
        if (since === undefined || handling.get(member) !== true) break;
        say(r.at, `an EndTxn ${member} sent earlier, which timed out at ${(since / 1e6).toFixed(3)}s, reaches the coordinator on ${r.to} only now, while another transaction is open: with transaction.version=1 both have the same producer epoch, and the coordinator takes it as the end of the open one (KAFKA-17754)`);
        break;
      }
      case 'txn.marker': {
        if (!focus.has(r.partition)) break;
        lastMarker.set(`${r.partition}\u0000${r.producerId}`, { at: r.at, commit: r.commit });
        const who = memberOf.get(r.producerId);
        // Only the markers that end a transaction holding the record (prepared after it was
        // processed), or one an output of it has landed in since the last marker.
        const ends = who !== undefined && handling.get(who) === true && (prepared.get(who) ?? -1) >= (processedAt.get(who) ?? Infinity);
        if (who === undefined || !(landed.delete(r.partition) || ends)) break;
        say(r.at, `broker-${r.broker} wrote the ${r.commit ? 'COMMIT' : 'ABORT'} marker of ${who}'s transaction (epoch ${r.producerEpoch}) to ${r.partition} at offset ${r.offset}${r.commit ? '' : ': what that transaction wrote there is now aborted'}`);
        break;
      }
      case 'replica.append': {
        const offsets = focus.get(r.partition);
        if (r.role !== 'leader' || offsets === undefined) break;
        const hits = [...offsets].filter((o) => o >= r.baseOffset && o <= r.lastOffset);
        if (hits.length === 0) break;
        landed.add(r.partition);
        // An output that lands after an ABORT marker of a producer that handled the record came
        // from a request older than the abort when it was written under an epoch the producer
        // has left, or before the producer began another transaction: nothing checked it (KIP-890).
        const written = hits.map((o) => outputEpochs[`${r.partition}@${o}`]).find((e) => e !== undefined);
        const late = [...memberOf].find(([pid, member]) => {
          const marker = lastMarker.get(`${r.partition}\u0000${pid}`);
          if (!handling.has(member) || marker?.commit !== false) return false;
          if (written !== undefined && written < (epochOfMember.get(member) ?? -1)) return true;
          return marker.at > (txnStarted.get(member) ?? -Infinity);
        });
        say(
          r.at,
          `broker-${r.broker} appended an output of ${id} to ${r.partition} at offset ${hits.join(', ')}` +
            (late !== undefined ? ` — after the ABORT marker of ${late[1]}'s transaction: a delayed request of the aborted transaction, taken as the start of a new one since no one checked it against the coordinator (transaction.partition.verification.enable=false)` : ''),
        );
        break;
      }
      case 'txn.state':
        if (r.state === 'PrepareCommit' || r.state === 'PrepareAbort') prepared.set(r.transactionalId, r.at);
        break;
      case 'node.crash':
      case 'node.stop':
      case 'node.pause': {
        const member = r.node.replace(/^consumer-/, '');
        if (handling.get(member) !== true) break;
        say(r.at, r.kind !== 'node.pause' ? `${member} ${r.kind === 'node.crash' ? 'crashed' : 'stopped on SIGTERM at once'} with ${id} processed and ${transactional ? 'its transaction open' : 'its offsets not committed'}` : `${member} paused (a GC pause) with ${id} processed and ${transactional ? 'its transaction open' : 'its offsets not committed'}`);
        handling.set(member, false);
        break;
      }
      case 'txn.abort':
        if (handling.has(r.transactionalId)) say(r.at, `the coordinator (broker-${r.broker}) aborted ${r.transactionalId}'s transaction and bumped its epoch past ${r.fencedEpoch} (${r.reason === 'timeout' ? 'transaction.timeout.ms passed' : 'a new incarnation called initTransactions'})`);
        break;
      default:
        break;
    }
  }
  lines.push({ at: lines.at(-1)?.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` });
  return lines;
}
