import type { Violation } from '../sim/checker.js';
import type { TraceRecord } from '../sim/trace.js';
import { timeline, type TimelineLine } from './timeline.js';

/**
 * The causal chain of a tombstone-loss, told for the first key the group kept by mistake:
 * the group read the key's value, the key's tombstone was written, each cleaner that
 * removed the tombstone once delete.retention.ms had passed, and the group's read past the
 * tombstone's offset, which no longer held it. Undefined for other violations.
 */
export function explainTombstoneLoss(records: readonly TraceRecord[], violation: Violation): TimelineLine[] | undefined {
  const d = violation.details;
  if (violation.kind !== 'tombstone-loss' || typeof d.partition !== 'string' || !Array.isArray(d.keys) || typeof d.keys[0] !== 'string') return undefined;
  const partition = d.partition;
  const key = d.keys[0];
  const valueOffset = Array.isArray(d.offsets) && typeof d.offsets[0] === 'number' ? d.offsets[0] : -1;
  // The tombstone's offset: the first cleaner that removed it says.
  let tombstone = -1;
  for (const r of records) {
    if (r.kind !== 'log.clean' || r.partition !== partition) continue;
    const i = r.removedTombstoneKeys.indexOf(key);
    if (i >= 0) {
      tombstone = r.removedTombstones[i];
      break;
    }
  }
  const { lines, say } = timeline();
  const removedBy: number[] = [];
  let passed = false;
  for (const r of records) {
    switch (r.kind) {
      case 'client.op': {
        if (r.type !== 'ok') break;
        const v = r.value as Record<string, unknown> | undefined;
        if (v === undefined) break;
        if (r.f === 'process' && v.partition === partition && v.key === key && v.offset === valueOffset) {
          say(r.at, `${r.process} processed ${key}=${String(v.id)} (offset ${valueOffset}): its table now holds ${key}`);
        } else if (r.f === 'poll' && tombstone >= 0 && !passed) {
          const offsets = (v.records as readonly (readonly [string, number, string | null])[] | undefined)?.filter((x) => x[0] === partition).map((x) => x[1]) ?? [];
          const after = offsets.find((o) => o > tombstone);
          if (after === undefined) break;
          passed = true;
          const before = [...offsets].reverse().find((o) => o < tombstone);
          const read = before === undefined ? `'s poll started at ${after}` : `'s poll read ${before} then ${after}`;
          say(r.at, `${r.process}${read}, past offset ${tombstone}: the tombstone was no longer there, so ${key} stays in its table`);
        }
        break;
      }
      case 'replica.append':
        if (tombstone >= 0 && r.partition === partition && r.role === 'leader' && r.baseOffset <= tombstone && tombstone <= r.lastOffset) {
          say(r.at, `the leader (broker-${r.broker}) appended ${key}'s tombstone at offset ${tombstone}: the topic deletes ${key}`);
        }
        break;
      case 'log.clean':
        if (r.partition === partition && r.removedTombstoneKeys.includes(key) && r.removedTombstones.includes(tombstone) && !removedBy.includes(r.broker)) {
          removedBy.push(r.broker);
          say(r.at, `broker-${r.broker}'s cleaner removed ${key}'s tombstone (offset ${tombstone}): delete.retention.ms had passed since it first compacted it, whether or not every reader had seen it`);
        }
        break;
      default:
        break;
    }
  }
  lines.push({ at: lines.at(-1)?.at ?? 0, text: `→ ${violation.kind}: ${violation.message}` });
  return lines;
}
