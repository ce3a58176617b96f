import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';
import { explainGroupViolation, memberOfGroup } from './explainGroup.js';
import type { TimelineLine } from './timeline.js';

/**
 * The causal chain of an `unseen` violation: acknowledged records that no consumer ever
 * read, in a partition the consumers caught up with. It finds the records' offsets from
 * their acknowledgements, tells the group's side with the group narrator (assignments,
 * expired offsets, resets, commits past them, members' faults) and the replicas' side with
 * the partition narrator (appends, faults, elections, truncations), and ends with the
 * cause: a position reset by auto.offset.reset (ConsumerConfig.AUTO_OFFSET_RESET_DOC;
 * SubscriptionState.resetInitializingPositions) or a jump out of range, records cut from
 * the log after their acknowledgement, or a commit past them that no member read.
 */

/** The partition narrator of explain.ts, for the offsets in question. */
export type PartitionNarrator = (records: readonly TraceRecord[], partition: string, offsets: readonly number[]) => TimelineLine[];

interface Acked {
  readonly offsets: number[];
  readonly first: number;
  readonly last: number;
  readonly producers: Set<string>;
}

/** The acknowledgements of the messages in question: their offsets and when they came. */
function ackedOf(records: readonly TraceRecord[], partition: string, ids: ReadonlySet<string>): Acked | undefined {
  const offsets: number[] = [];
  const producers = new Set<string>();
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const r of records) {
    if (r.kind !== 'client.send' || r.type !== 'ok' || r.partition !== partition || r.offset === undefined || !ids.has(`${r.process}#${r.seq}`)) continue;
    offsets.push(r.offset);
    producers.add(r.process);
    first = Math.min(first, r.at);
    last = Math.max(last, r.at);
  }
  return offsets.length === 0 ? undefined : { offsets, first, last, producers };
}

/** The groups that committed offsets of the partition, in the order they first did (the checker judges groups that caught up with it). */
function groupsOf(records: readonly TraceRecord[], partition: string): string[] {
  const groups: string[] = [];
  for (const r of records) if (r.kind === 'group.commit' && r.partition === partition && !groups.includes(r.group)) groups.push(r.group);
  return groups;
}

/** Undefined when the violation is not an `unseen` one with records the trace acknowledged. */
export function explainUnseen(records: readonly TraceRecord[], violation: Violation, narrate: PartitionNarrator): TimelineLine[] | undefined {
  const d = violation.details;
  if (violation.kind !== 'unseen' || typeof d.partition !== 'string' || !Array.isArray(d.ids)) return undefined;
  const partition = d.partition;
  const acked = ackedOf(records, partition, new Set(d.ids.filter((x): x is string => typeof x === 'string')));
  if (acked === undefined) return undefined;
  const lo = Math.min(...acked.offsets);
  const hi = Math.max(...acked.offsets);
  const groups = groupsOf(records, partition);
  const who = [...acked.producers].join(', ');
  const own: TimelineLine[] = [{ at: acked.first, text: `${who} began to be told its writes to ${partition} succeeded: the records in question, offsets ${lo}–${hi} (${acked.offsets.length} of them), acknowledged until ${formatTime(acked.last)}` }];
  // No consumer of any group read them: each group's side, and its own cause, is told; with several, each line names its group.
  const named = (group: string, text: string): string => (groups.length > 1 ? `[${group}] ${text}` : text);
  const groupSides = groups.flatMap((group) => explainGroupViolation(records, violation, { group, partition, lo, hi }).slice(0, -1).map((l) => ({ at: l.at, text: named(group, l.text) })));
  const replicaSide = narrate(records, partition, acked.offsets).filter((l) => !l.text.startsWith('→') && !/was told its write at offset/.test(l.text));
  const lines = [...own, ...groupSides, ...replicaSide].sort((a, b) => a.at - b.at);
  const causes = (groups.length === 0 ? [undefined] : groups).map((group) => causeOf(records, partition, lo, hi, acked.first, group));
  causes.forEach((cause, i) => {
    if (cause !== undefined) lines.push({ at: lines.at(-1)?.at ?? 0, text: groups.length > 1 ? cause.replace(/^why: /, `why, for ${groups[i]}: `) : cause });
  });
  lines.push({ at: lines.at(-1)?.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` });
  return lines;
}

/** Why nobody read them, when the trace shows a reason: said in one sentence. */
function causeOf(records: readonly TraceRecord[], partition: string, lo: number, hi: number, after: number, group: string | undefined): string | undefined {
  let expired = false;
  const inGroup = group === undefined ? () => true : memberOfGroup(records, group);
  for (const r of records) {
    if (r.kind === 'group.expire' && r.group === group && r.partitions.includes(partition)) expired = true;
    if (r.kind === 'consumer.reset' && r.partition === partition && r.offset > lo && inGroup(r.member)) {
      const lost = expired ? ' (the committed offset had expired: offsets.retention.minutes)' : '';
      if (r.reason === 'no-committed-offset' && r.policy === 'latest') return `why: ${r.member} found no committed offset${lost} and auto.offset.reset=latest put it at the log end, ${r.offset}, past the records in question; with auto.offset.reset=earliest (or a committed offset kept) it would have read them`;
      return `why: ${r.member}'s position of ${partition} was reset to ${r.offset} (${r.reason}, auto.offset.reset=${r.policy}), past the records in question`;
    }
    if (r.kind === 'replica.truncate' && r.partition === partition && r.at >= after && r.to <= hi) {
      return `why: the records were cut from ${partition}'s log after they were acknowledged (see lost-write): there was nothing left to read`;
    }
  }
  return undefined;
}
