import type { Rng } from '../sim/rng.js';
import { compareNumbers } from '../sim/order.js';
import type { Duration, Time } from '../sim/time.js';
import type { FaultAction, TimedFault } from './faults.js';
import type { CrashMode, NodeId } from './nodeHost.js';

export type NemesisKind = 'crash' | 'shutdown' | 'partition' | 'pause' | 'clock' | 'disk';

export interface NemesisConfig {
  readonly kinds: readonly NemesisKind[];
  /** Time between one fault and the next, drawn uniformly from [min, max]. */
  readonly interval: readonly [Duration, Duration];
  /** How long a fault lasts before its heal, restart or resume; default: the interval. */
  readonly healAfter?: readonly [Duration, Duration];
  /** At most this many targets crashed, paused or cut off at once. */
  readonly maxDown: number;
  /** The nodes faults may hit. */
  readonly targets: readonly NodeId[];
  /** Crash modes to draw from; default process crashes only. */
  readonly crashModes?: readonly CrashMode[];
  /** Largest clock jump, either way; default 5s. */
  readonly maxClockJump?: Duration;
  /** Disk faults to draw from, when 'disk' is a kind; default bit flips. */
  readonly diskFaults?: readonly string[];
  readonly start: Time;
  /** No fault starts at or after this instant, and every one ends by it. */
  readonly stop: Time;
}

interface Ongoing {
  readonly end: number;
  readonly nodes: readonly NodeId[];
}

/**
 * The nemesis: a seeded generator of fault schedules, in Jepsen's sense. It draws from its
 * own stream (pass `rng.fork('nemesis')`), so the same seed gives the same schedule, and it
 * produces plain timed faults with concrete node ids, so a schedule can be printed,
 * replayed and shrunk like one written by hand. It respects `maxDown`: a fault that would
 * take more targets out at once is not drawn.
 */
export function generateNemesis(rng: Rng, config: NemesisConfig): TimedFault[] {
  if (config.kinds.length === 0 || config.targets.length === 0) return [];
  const out: { at: number; seq: number; fault: FaultAction }[] = [];
  let seq = 0;
  const emit = (at: number, fault: FaultAction): void => {
    out.push({ at, seq: seq++, fault });
  };
  const heal = config.healAfter ?? config.interval;
  const crashModes = config.crashModes ?? ['process'];
  const maxJump = config.maxClockJump ?? (5_000_000 as Duration);
  let ongoing: Ongoing[] = [];
  let n = 0;
  for (let t = config.start + drawDuration(rng, config.interval); t < config.stop; t += drawDuration(rng, config.interval)) {
    // A fault ending at t still counts at t: its heal may run after a fault starting at t.
    ongoing = ongoing.filter((o) => o.end >= t);
    const affected = new Set(ongoing.flatMap((o) => o.nodes));
    const free = config.targets.filter((id) => !affected.has(id));
    const budget = config.maxDown - affected.size;
    const end = Math.min(config.stop - 1, t + drawDuration(rng, heal));
    const kind = rng.pick(config.kinds);
    const name = `nemesis-${n++}`;
    switch (kind) {
      case 'crash': {
        if (budget < 1 || free.length === 0) break;
        const node = rng.pick(free);
        emit(t, { action: 'crash', target: node, mode: rng.pick(crashModes) });
        emit(end, { action: 'restart', target: node });
        ongoing.push({ end, nodes: [node] });
        break;
      }
      case 'shutdown': {
        // A rolling restart's step: a graceful stop, then a start.
        if (budget < 1 || free.length === 0) break;
        const node = rng.pick(free);
        emit(t, { action: 'shutdown', target: node });
        emit(end, { action: 'restart', target: node });
        ongoing.push({ end, nodes: [node] });
        break;
      }
      case 'pause': {
        if (budget < 1 || free.length === 0) break;
        const node = rng.pick(free);
        emit(t, { action: 'pause', target: node, for: (end - t) as Duration });
        ongoing.push({ end, nodes: [node] });
        break;
      }
      case 'partition': {
        if (budget < 1 || free.length === 0) break;
        // Either isolate one node, or split the targets into two sides, the smaller of which
        // counts against maxDown.
        if (rng.chance(0.5) || config.targets.length < 3) {
          const node = rng.pick(free);
          emit(t, { action: 'partition', name, isolate: node });
          ongoing.push({ end, nodes: [node] });
        } else {
          const shuffled = rng.shuffle(free);
          const minority = shuffled.slice(0, rng.int(1, Math.max(1, Math.min(budget, Math.floor(config.targets.length / 2)))));
          const majority = config.targets.filter((id) => !minority.includes(id));
          if (majority.length === 0) break;
          emit(t, { action: 'partition', name, groups: [minority, majority] });
          ongoing.push({ end, nodes: minority });
        }
        emit(end, { action: 'heal', name });
        break;
      }
      case 'clock': {
        const node = rng.pick(config.targets);
        const jump = Math.round(rng.float(-maxJump, maxJump)) as Duration;
        emit(t, { action: 'clock', target: node, jump });
        break;
      }
      case 'disk': {
        const node = rng.pick(config.targets);
        emit(t, { action: 'disk', target: node, fault: rng.pick(config.diskFaults ?? ['bitflip']) });
        break;
      }
    }
  }
  out.sort((a, b) => compareNumbers(a.at, b.at) || compareNumbers(a.seq, b.seq));
  return out.map(({ at, fault }) => ({ at: at as Time, fault }));
}

function drawDuration(rng: Rng, [min, max]: readonly [Duration, Duration]): number {
  return rng.int(min, Math.max(min, max));
}
