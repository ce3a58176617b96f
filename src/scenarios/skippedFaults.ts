import type { Trace, TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';
import type { FaultAction, FaultKind, TimedFault } from '../network/faults.js';
import { parseTarget } from '../network/faultTarget.js';
import type { NodeId } from '../network/nodeHost.js';
import type { TimelineLine } from './timeline.js';

/**
 * Faults that fired but did nothing: a restart of a node that was running, a crash of
 * `leader(orders-0)` while no leader was known. The injector skips them (its `fault.skip`
 * records); a run reports them, so that "no violations" is never said of a run whose faults
 * never happened.
 */
export interface SkippedFault {
  /** Its position in the run's schedule: the scenario's faults first (`faults[index]`), then the nemesis's. */
  readonly index: number;
  /** When it fired, in simulated milliseconds. */
  readonly at: number;
  readonly action: FaultKind;
  /** Its target as the schedule wrote it ("leader(orders-0)"; for a partition, its sides). */
  readonly target: string;
  /** Why it did nothing. */
  readonly reason: string;
  /** Drawn by the nemesis (random by design), rather than written in the scenario's `faults`. */
  readonly nemesis: boolean;
}

/** What the run can tell about the world at the instant a fault is skipped. */
export interface SkipWitness {
  /** Whether the controller's metadata image could be read (the controller was up). */
  knowsLeaders(): boolean;
  isUp(node: NodeId): boolean;
}

/**
 * Collects the faults the injector skips, as it skips them (the world is still as the fault
 * found it). `ownFaults`: how many faults of `schedule` are the scenario's own.
 */
export function observeSkippedFaults(trace: Trace, schedule: readonly TimedFault[], ownFaults: number, witness: SkipWitness): readonly SkippedFault[] {
  const skipped: SkippedFault[] = [];
  trace.observe('fault.skip', (r) => {
    const fault = schedule[r.index]?.fault;
    const target = fault === undefined ? '' : faultTargetText(fault);
    skipped.push({ index: r.index, at: r.at / 1000, action: r.action, target, reason: skipReason(r, target, witness), nemesis: r.index >= ownFaults });
  });
  return skipped;
}

/** A fault's target, as the schedule wrote it. */
export function faultTargetText(fault: FaultAction): string {
  switch (fault.action) {
    case 'partition':
      if (fault.groups !== undefined) return fault.groups.map((g) => g.join(', ')).join(' | ');
      if (fault.isolate !== undefined) return `isolate ${fault.isolate}`;
      return fault.oneWay === undefined ? '' : `${fault.oneWay.from} -> ${fault.oneWay.to}`;
    case 'heal':
      return fault.name ?? 'everything';
    case 'degrade':
      if (fault.target !== undefined) return fault.target;
      if (fault.between !== undefined) return `${fault.between[0]} <-> ${fault.between[1]}`;
      return fault.oneWay === undefined ? '' : `${fault.oneWay.from} -> ${fault.oneWay.to}`;
    default:
      return fault.target;
  }
}

/** The injector's reason, told in terms of the world at that instant where it can be. */
function skipReason(r: TraceRecord<'fault.skip'>, target: string, witness: SkipWitness): string {
  const nodes = r.nodes;
  const were = (what: string): string => `${nodes.join(', ')} ${nodes.length === 1 ? 'was' : 'were'} ${what}`;
  if (nodes.length > 0) {
    switch (r.action) {
      case 'restart':
        return were('running');
      case 'crash':
        return were('already down');
      case 'pause':
        return were('down');
      case 'shutdown':
        return nodes.map((n) => `${n} was ${witness.isUp(n) ? 'already shutting down' : 'down'}`).join(', ');
      case 'disk':
        return `the disk fault does not apply to ${nodes.join(', ')} (no such disk, a fault it does not support, or a wipe of a node still running)`;
      default:
        return r.reason;
    }
  }
  if (!r.reason.endsWith('resolved to no node')) return r.reason;
  const kind = parseTargetKind(target);
  if ((kind === 'leader' || kind === 'follower' || kind === 'coordinator') && !witness.knowsLeaders()) return 'resolved to no node: the controller was down, so no leader was known';
  if (kind === 'leader') return 'resolved to no node: the partition had no leader';
  if (kind === 'follower') return 'resolved to no node: the partition had no leader, or no other replica';
  if (kind === 'coordinator') return 'resolved to no node: its partition had no leader';
  return 'resolved to no node';
}

function parseTargetKind(target: string): string | undefined {
  try {
    return parseTarget(target).kind;
  } catch {
    return undefined;
  }
}

/** "faults[3] at 5.000s restart broker-2: broker-2 was running" (a nemesis fault says so). */
export function describeSkippedFault(f: SkippedFault): string {
  return `${faultLabel(f)} at ${formatTime(f.at * 1000)} ${faultText(f)}: ${f.reason}`;
}

/** The skipped faults as moments of a narrated timeline. */
export function skippedFaultMoments(skipped: readonly SkippedFault[]): TimelineLine[] {
  return skipped.map((f) => ({ at: f.at * 1000, text: `${faultLabel(f)} (${faultText(f)}) did nothing: ${f.reason}` }));
}

function faultLabel(f: SkippedFault): string {
  return scheduleLabel(f.index, f.nemesis);
}

/** A fault by its place: `faults[2]` of the file, or the nemesis's `#7` of the schedule. */
function scheduleLabel(index: number, nemesis: boolean): string {
  return nemesis ? `nemesis fault #${index}` : `faults[${index}]`;
}

/**
 * A fault that was applied, as the summary names it: its place in the file, its action, the
 * nodes it hit, and the target as written when that differs ("faults[2] crash broker-2
 * (leader(orders-0))"). A partition that isolates names only the nodes it cut off
 * ("faults[0] isolate broker-3 (follower(orders-0))"), not every node on the other side.
 */
export function appliedFaultLabel(index: number, fault: FaultAction | undefined, nemesis: boolean, nodes: readonly string[]): string {
  const head = scheduleLabel(index, nemesis);
  if (fault === undefined) return `${head} ${nodes.join(', ')}`;
  const hit = nodes.join(', ');
  const written = faultTargetText(fault);
  if (fault.action === 'partition' && fault.isolate !== undefined) return `${head} isolate ${hit}${fault.isolate === hit ? '' : ` (${fault.isolate})`}${fault.name === undefined ? '' : ` "${fault.name}"`}`;
  if (fault.action === 'partition') return `${head} partition ${written}${fault.name === undefined ? '' : ` "${fault.name}"`}`;
  if (fault.action === 'heal' || fault.action === 'degrade') return `${head} ${fault.action} ${written}`.trim();
  return `${head} ${fault.action} ${hit}${written === hit || written === '' ? '' : ` (${written})`}`;
}

function faultText(f: SkippedFault): string {
  return f.target === '' ? f.action : `${f.action} ${f.target}`;
}

/** A timeline with the skipped faults told at their instants, before its closing "→" line. */
export function withSkippedFaults(lines: readonly TimelineLine[], skipped: readonly SkippedFault[]): TimelineLine[] {
  const out = [...lines];
  for (const moment of skippedFaultMoments(skipped)) {
    let i = out.length;
    while (i > 0 && (out[i - 1].at > moment.at || out[i - 1].text.startsWith('→'))) i--;
    out.splice(i, 0, moment);
  }
  return out;
}
