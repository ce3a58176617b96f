import type { TraceRecord } from '../sim/trace.js';
import { formatTime } from '../sim/time.js';

/**
 * Why a rebalance waited, from the trace (the coordinator's own PreparingRebalance is not
 * traced; what starts and holds one is). The classic protocol's rules
 * (GroupCoordinator / GroupMetadataManager, and the member's AbstractCoordinator /
 * ConsumerCoordinator):
 * - a member that dies without a LeaveGroup (a crash, SIGKILL, a stop here) stays in the
 *   group until session.timeout.ms passes without its heartbeat (the coordinator's heartbeat
 *   expiry), and only then is it removed and the group rebalanced; a paused one likewise;
 * - a member whose application has not called poll() for max.poll.interval.ms leaves the
 *   group from its heartbeat thread (the poll timeout), and the others must rejoin;
 * - a rebalance completes once every known member has sent JoinGroup, or at the rebalance
 *   timeout (the longest of the members' max.poll.interval.ms): a member rejoins only from
 *   poll(), so one busy processing what it polled holds the group up;
 * - the first rebalance of an empty group is held open group.initial.rebalance.delay.ms,
 *   longer while members keep joining (KIP-134, InitialDelayedJoin);
 * - nothing happens without a coordinator: when the broker leading the group's
 *   __consumer_offsets partition goes down, the members wait for the controller to elect a
 *   new leader (after broker.session.timeout.ms) and for it to load the group; with no
 *   active controller there is no election at all.
 */

/** A rebalance shorter than this is not worth a reason. */
export const LONG_REBALANCE_MS = 1000;

interface Pending {
  readonly since: number;
  /** Set while a member's pause is all that happened: if it polls again before anyone rejoins, its session outlived the pause, and nothing rebalanced. */
  pausedOnly?: string;
  readonly waits: string[];
  /** When each member began to rejoin (its revocation, in onJoinPrepare). */
  readonly rejoins: Map<string, number>;
}

/** Per generation the group completed after a long rebalance: why it took long, in one sentence. */
export function rebalanceWaits(records: readonly TraceRecord[], group: string, inGroup: (member: string) => boolean): Map<number, string> {
  const out = new Map<number, string>();
  let pending: Pending | undefined;
  let generation = 0;
  let lastState = 'Empty';
  let coordinator: number | undefined;
  let coordinatorGone: { readonly broker: number; readonly at: number } | undefined;
  const activeControllers = new Set<string>();
  /** The latest stretch with no active controller (`to` unset while it lasts). */
  let noController: { readonly from: number; to?: number } | undefined;
  const wait = (at: number, text: string): void => {
    pending ??= { since: at, waits: [], rejoins: new Map() };
    pending.pausedOnly = undefined;
    if (!pending.waits.includes(text)) pending.waits.push(text);
  };
  const member = (node: string): string | undefined => {
    const m = /^consumer-(.+)$/.exec(node);
    return m !== null && inGroup(m[1]) ? m[1] : undefined;
  };
  for (const r of records) {
    switch (r.kind) {
      case 'node.crash':
      case 'node.stop':
      case 'node.pause': {
        const m = member(r.node);
        if (m !== undefined) {
          const fresh = pending === undefined;
          const what = r.kind === 'node.pause' ? `paused at ${formatTime(r.at)} (a GC pause: no heartbeats)` : `${r.kind === 'node.crash' ? 'crashed' : 'stopped'} at ${formatTime(r.at)} without a LeaveGroup`;
          wait(r.at, `${m} ${what}, so the coordinator kept it in the group until session.timeout.ms passed without its heartbeat`);
          if (pending !== undefined) pending.pausedOnly = fresh && r.kind === 'node.pause' ? m : undefined;
        }
        if (coordinator !== undefined && r.node === `broker-${coordinator}` && r.kind !== 'node.pause') coordinatorGone = { broker: coordinator, at: r.at };
        if (r.kind === 'node.crash' && activeControllers.delete(r.node) && activeControllers.size === 0) noController = { from: r.at };
        break;
      }
      case 'node.start': {
        const m = member(r.node);
        if (m === undefined) break;
        wait(r.at, `${m} ${r.at === 0 ? 'started' : 'restarted'} and sent JoinGroup`);
        break;
      }
      case 'consumer.leave':
        if (!inGroup(r.member)) break;
        if (/poll timeout/.test(r.reason)) wait(r.at, `${r.member} had not called poll() for max.poll.interval.ms (its processing took too long), so its heartbeat thread left the group`);
        else wait(r.at, `${r.member} left the group (${r.reason})`);
        break;
      case 'client.op':
        if (r.f === 'poll' && r.type === 'ok' && pending?.pausedOnly === r.process && pending.rejoins.size === 0) pending = undefined;
        if (r.f === 'revoke' && r.type === 'ok' && inGroup(r.process)) {
          pending ??= { since: r.at, waits: [], rejoins: new Map() };
          if (!pending.rejoins.has(r.process)) pending.rejoins.set(r.process, r.at);
        }
        break;
      case 'controller.active':
        if (r.active) activeControllers.add(r.node);
        else activeControllers.delete(r.node);
        if (activeControllers.size === 0 && (noController === undefined || noController.to !== undefined)) noController = { from: r.at };
        if (activeControllers.size > 0 && noController !== undefined) noController.to ??= r.at;
        break;
      case 'group.commit':
        if (r.group === group) coordinator = r.broker;
        break;
      case 'group.generation': {
        if (r.group !== group) break;
        const moved = coordinator !== undefined && r.broker !== coordinator;
        coordinator = r.broker;
        if (moved && r.generation === generation) {
          // A new coordinator loaded the group: a rebalance under way waited for it.
          if (pending !== undefined && coordinatorGone !== undefined) pending.waits.push(coordinatorText(coordinatorGone, r.broker, r.at, noController));
          coordinatorGone = undefined;
          break;
        }
        if (r.generation === generation && r.state !== 'Empty') break;
        generation = r.generation;
        // Emptied (every member gone): what emptied it is part of the wait until members are back.
        if (r.state === 'Empty') {
          lastState = r.state;
          break;
        }
        if (pending !== undefined && r.at - pending.since >= LONG_REBALANCE_MS * 1000) {
          if (lastState === 'Empty') pending.waits.push(`the group was empty, and the coordinator holds an empty group's first rebalance open group.initial.rebalance.delay.ms for more members, longer while they keep coming (KIP-134)`);
          if (coordinatorGone !== undefined) pending.waits.push(coordinatorText(coordinatorGone, undefined, r.at, noController));
          out.set(r.generation, explainWait(pending, r.at));
        }
        pending = undefined;
        lastState = r.state;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function coordinatorText(gone: { readonly broker: number; readonly at: number }, next: number | undefined, at: number, gap: { readonly from: number; readonly to?: number } | undefined): string {
  // A stretch without a controller while the coordinator was gone: no election could move its partition.
  const overlaps = gap !== undefined && gap.from <= at && (gap.to === undefined || gap.to >= gone.at);
  const until = gap?.to === undefined ? '' : ` to ${formatTime(gap.to)}`;
  const controller = overlaps ? `; no controller was active from ${formatTime(gap.from)}${until}, so nobody could elect a new leader for its __consumer_offsets partition` : '';
  const load = next === undefined ? '' : `, until broker-${next} led its __consumer_offsets partition and loaded the group at ${formatTime(at)}`;
  return `its coordinator broker-${gone.broker} went down at ${formatTime(gone.at)}: the group had no coordinator${load} (the controller moves the partition's leadership only once broker.session.timeout.ms passed without the broker's heartbeat)${controller}`;
}

/** "that rebalance took 10.2s (from 12.000s): …". */
function explainWait(p: Pending, end: number): string {
  const waits = [...p.waits];
  const rejoins = [...p.rejoins].sort((a, b) => a[1] - b[1]);
  const first = rejoins[0];
  const last = rejoins.at(-1);
  if (first !== undefined && last !== undefined && last[1] - first[1] >= LONG_REBALANCE_MS * 1000) {
    waits.push(`${last[0]} began to rejoin only at ${formatTime(last[1])}, ${((last[1] - first[1]) / 1e6).toFixed(1)}s after ${first[0]}: a member rejoins from poll(), and the coordinator waits for every member up to the rebalance timeout (the members' max.poll.interval.ms)`);
  }
  if (waits.length === 0) waits.push('the members rejoining (each from its next poll())');
  return `that rebalance took ${((end - p.since) / 1e6).toFixed(1)}s from ${formatTime(p.since)}: ${waits.join('; ')}`;
}
