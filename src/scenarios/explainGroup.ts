import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';
import { timeline, type TimelineLine } from './timeline.js';
import { rebalanceWaits } from './explainRebalance.js';

/**
 * The causal chain of a consumer-group violation (skipped, reprocessed, stale-commit,
 * offset-regression, retention-loss, ownership), in plain sentences: who was assigned the
 * partition in which generation and from where, which polls returned the records in
 * question, who processed them and who committed past them, the members' crashes and
 * pauses, the coordinator's generations, seeks and retention. It keeps to one group and one
 * partition, and to the offsets in question.
 */

/** What a group violation is about: its group, one partition, and a range of offsets. */
export interface GroupFocus {
  readonly group: string;
  readonly partition: string;
  readonly lo: number;
  readonly hi: number;
}

/** The group, partition and offsets a group violation names; undefined for other violations. */
export function groupFocusOf(v: Violation): GroupFocus | undefined {
  const d = v.details;
  if (typeof d.group !== 'string') return undefined;
  const offsets: number[] = [];
  let partition = typeof d.partition === 'string' ? d.partition : undefined;
  const numbers = (x: unknown): number[] => (Array.isArray(x) ? x.filter((n): n is number => typeof n === 'number') : []);
  offsets.push(...numbers(d.offsets));
  // "orders-1@1419×2" (reprocessed) and "orders-1@1422" (stale-commit).
  for (const item of [...(Array.isArray(d.records) ? d.records : []), ...(Array.isArray(d.offsets) ? d.offsets : [])]) {
    if (typeof item !== 'string') continue;
    const m = /^(.*)@(\d+)/.exec(item);
    if (m === null) continue;
    partition ??= m[1];
    if (m[1] === partition) offsets.push(Number(m[2]));
  }
  for (const key of ['from', 'to'] as const) if (typeof d[key] === 'number') offsets.push(d[key]);
  if (partition === undefined || offsets.length === 0) return undefined;
  return { group: d.group, partition, lo: Math.min(...offsets), hi: Math.max(...offsets) };
}

interface PollValue {
  readonly generation: number;
  readonly records: readonly (readonly [string, number, string | null])[];
}

/** Offsets as a short range: "1418" or "1418–1425". */
function range(a: number, b: number): string {
  return a === b ? String(a) : `${a}–${b}`;
}

/**
 * Whether a member (its history name, "c1-2") belongs to `group`, as the coordinators' member
 * ids show: each is the client id, a dash and what makes it unique (KIP-394;
 * GroupCoordinator's newMemberId), and a member's history name is its client id and its
 * instance number. When the trace shows no such id, every member counts.
 */
export function memberOfGroup(records: readonly TraceRecord[], group: string): (member: string) => boolean {
  const clients = new Set<string>();
  const clientOf = (memberId: string): string | undefined => /^(.+)-\d+\.\d+\.\d+$/.exec(memberId)?.[1];
  for (const r of records) {
    if (r.kind === 'group.generation' && r.group === group) for (const m of r.members) clients.add(clientOf(m) ?? '');
    if (r.kind === 'group.commit' && r.group === group) clients.add(clientOf(r.member) ?? '');
  }
  clients.delete('');
  return (member) => clients.size === 0 || clients.has(member.replace(/-\d+$/, ''));
}

export function explainGroupViolation(records: readonly TraceRecord[], violation: Violation, focus: GroupFocus): TimelineLine[] {
  const { lines, say } = timeline();
  const { group, partition, lo, hi } = focus;
  const inGroup = memberOfGroup(records, group);
  const waits = rebalanceWaits(records, group, inGroup);
  const inFocus = (o: number): boolean => o >= lo && o <= hi;
  // Members of the group, as the trace reveals them (their history processes, "c1-2").
  const members = new Set<string>();
  /** Per member, the focus offsets it finished processing and has not reported yet. */
  const processed = new Map<string, { first: number; last: number; at: number; count: number }>();
  const flush = (member: string): void => {
    const run = processed.get(member);
    if (run === undefined) return;
    processed.delete(member);
    say(run.at, `${member} finished processing ${run.count} of them (${partition} ${range(run.first, run.last)})`);
  };
  /** The group's committed offset of the partition, as coordinators applied it. */
  let committed = -1;
  const committers = new Map<number, string>();
  let deletedUpTo = -1;

  for (const r of records) {
    switch (r.kind) {
      case 'client.op': {
        if ((r.type === 'invoke' && r.f !== 'commit') || !inGroup(r.process)) break;
        const v = r.value as Record<string, unknown> | undefined;
        if (v === undefined) break;
        if (r.f === 'assign' || r.f === 'revoke') {
          const partitions = (v.partitions as string[] | undefined) ?? [];
          if (!partitions.includes(partition)) break;
          members.add(r.process);
          flush(r.process);
          if (r.f === 'revoke') say(r.at, `${r.process} gave up ${partition} (a rebalance${v.generation === -1 ? ', after it learned it was out of the group' : ''})`);
          else if ((v.added as string[] | undefined)?.includes(partition)) say(r.at, `${r.process} was assigned ${partition} in generation ${String(v.generation)}`);
          else say(r.at, `${r.process} kept ${partition} in generation ${String(v.generation)} (a static member's or a cooperative rebalance: nothing revoked)`);
          break;
        }
        if (r.f === 'poll' && r.type === 'ok') {
          const offsets = (v as unknown as PollValue).records.filter((x) => x[0] === partition).map((x) => x[1]);
          if (!offsets.some(inFocus)) break;
          members.add(r.process);
          say(r.at, `${r.process} polled ${partition} ${range(offsets[0], offsets.at(-1) as number)} (generation ${(v as unknown as PollValue).generation})`);
          break;
        }
        if (r.f === 'process' && r.type === 'ok' && v.partition === partition && typeof v.offset === 'number' && inFocus(v.offset)) {
          const run = processed.get(r.process);
          if (run !== undefined && run.last === v.offset - 1) {
            run.last = v.offset;
            run.at = r.at;
            run.count++;
          } else {
            flush(r.process);
            processed.set(r.process, { first: v.offset, last: v.offset, at: r.at, count: 1 });
          }
          break;
        }
        if (r.f === 'commit' && members.has(r.process)) {
          const offset = (v.offsets as Record<string, number> | undefined)?.[partition];
          if (offset === undefined) break;
          // Who sent a commit of this offset: the coordinator's record of it names only a member id.
          if (r.type === 'invoke') committers.set(offset, r.process);
          else if (r.type !== 'ok' && offset > lo) say(r.at, `${r.process}'s commit of ${partition} up to ${offset} ${r.type === 'fail' ? 'was refused' : 'timed out'}: ${r.error ?? 'unknown'}`);
          break;
        }
        if (r.f === 'seek' && r.type === 'ok' && v.partition === partition) {
          const why: Record<string, string> = {
            'offset-out-of-range': 'its position was out of range (retention had deleted the records under it): auto.offset.reset',
            'log-truncation': 'its fetch found the log diverged (KIP-320): it went back to where the logs agree',
            'no-committed-offset': 'nothing was committed: auto.offset.reset',
          };
          say(r.at, `${r.process} moved its position in ${partition} from ${String(v.from)} to ${String(v.to)}: ${why[String(v.reason)] ?? `the application called ${String(v.reason)}`}`);
        }
        break;
      }
      case 'node.crash':
      case 'node.stop':
      case 'node.pause':
      case 'node.start': {
        const m = /^consumer-(.+)$/.exec(r.node);
        if (m === null || !members.has(m[1])) break;
        flush(m[1]);
        if (r.kind === 'node.crash') say(r.at, `${m[1]} crashed: whatever it had polled and not finished is dropped`);
        else if (r.kind === 'node.stop') say(r.at, `${m[1]} stopped on SIGTERM at once (no LeaveGroup): whatever it had polled and not finished is dropped`);
        else if (r.kind === 'node.pause') say(r.at, `${m[1]} paused until ${formatTime(r.until)} (a GC pause): no heartbeats, no polls, yet it still believes it owns its partitions`);
        else say(r.at, `${m[1]} restarted and rejoins the group`);
        break;
      }
      case 'group.generation':
        if (r.group !== group || members.size === 0) break;
        say(r.at, `the coordinator (broker-${r.broker}) moved ${group} to generation ${r.generation} (${r.state}, ${r.members.length} member${r.members.length === 1 ? '' : 's'})`);
        // Said once, with the generation it led to (a coordinator's load repeats the generation).
        if (waits.has(r.generation)) say(r.at, waits.get(r.generation) ?? '');
        waits.delete(r.generation);
        break;
      case 'group.commit': {
        if (r.group !== group || r.partition !== partition) break;
        const who = committers.get(r.offset) ?? r.member;
        if (r.stale) say(r.at, `broker-${r.broker} took a commit of ${partition} up to ${r.offset} from ${who} in generation ${r.generation}, though the group was in generation ${r.currentGeneration}`);
        // Commits that carry the committed offset across the offsets in question, or back.
        else if ((r.offset > lo && committed <= hi) || r.offset < committed) {
          flush(who);
          say(r.at, `the coordinator (broker-${r.broker}) committed ${group}'s offset of ${partition} at ${r.offset}, from ${who} in generation ${r.generation}`);
        }
        committed = r.offset;
        break;
      }
      case 'group.offset':
        if (r.group === group && r.partition === partition && r.source === 'load') {
          if (r.offset !== committed) say(r.at, `broker-${r.broker} became coordinator and loaded ${group}'s offset of ${partition}: ${r.offset}${r.offset < committed ? `, less than the ${committed} committed before` : ''}`);
          committed = r.offset;
        }
        break;
      case 'consumer.reset':
        // The seek history op narrates resets from a known position; this one, a start with none.
        if (r.partition === partition && r.reason === 'no-committed-offset' && r.offset > lo && members.has(r.member)) {
          say(r.at, `${r.member} found no committed offset for ${partition}: auto.offset.reset=${r.policy} put its position at ${r.offset}${r.policy === 'latest' ? ', the log end, past every record not yet read' : ', the log start'}`);
        }
        break;
      case 'group.expire': {
        const i = r.group === group ? r.partitions.indexOf(partition) : -1;
        if (i < 0) break;
        const why: Record<string, string> = {
          'expire-timestamp': r.rule === 'commit-timestamp' ? 'it was committed longer ago than offsets.retention.minutes, and before KIP-211 (Kafka 2.1) that was enough, even in a group still consuming' : 'the expire timestamp written with it passed',
          empty: 'the group had been Empty for offsets.retention.minutes (KIP-211 counts from when it emptied)',
          unsubscribed: 'no member subscribes to its topic any more, and it was committed longer ago than offsets.retention.minutes',
          standalone: 'the group has no members to protect it (standalone commits), and it was committed longer ago than offsets.retention.minutes',
        };
        say(r.at, `broker-${r.broker}'s offset cleanup deleted ${group}'s committed offset of ${partition} (${r.offsets[i]}, committed at ${formatTime(r.committedAt[i] * 1000)}): ${why[r.basis[i]] ?? r.basis[i]}`);
        committed = -1;
        break;
      }
      case 'consumer.leave':
        if (members.has(r.member)) say(r.at, `${r.member} left the group: ${r.reason}`);
        break;
      case 'log.retention':
        // Every replica deletes on its own schedule; once per new log start is enough.
        if (r.partition === partition && r.logStartOffset > Math.max(lo, deletedUpTo) && r.from < hi) {
          deletedUpTo = r.logStartOffset;
          say(r.at, `retention (broker-${r.broker} first) deleted ${partition} up to offset ${r.logStartOffset}: segments older than retention.ms, read or not`);
        }
        break;
      default:
        break;
    }
  }
  for (const member of [...processed.keys()]) flush(member);
  lines.push({ at: lines.at(-1)?.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` });
  return lines;
}
