import { Simulation } from './simulation.js';
import type { TimerHandle } from './scheduler.js';
import type { Duration } from './time.js';

export interface TimerProgramOptions {
  readonly actors?: number;
  readonly maxEvents?: number;
}

export interface TimerProgramResult {
  readonly fingerprint: string;
  readonly events: number;
  readonly traceRecords: number;
}

/**
 * A seeded random program of timers: actors that, each time they fire, draw from their own
 * random stream, schedule further timers (some at the same instant), and cancel earlier
 * ones. It exercises every scheduler path and is used to prove that a seed fixes the run,
 * in this thread or in another.
 */
export function runTimerProgram(seed: number | string, options: TimerProgramOptions = {}): TimerProgramResult {
  const sim = new Simulation({ seed });
  const actors = options.actors ?? 8;
  const maxEvents = options.maxEvents ?? 20_000;
  const handles: TimerHandle[] = [];

  const fire = (actor: number, rng: ReturnType<typeof sim.rng.fork>): void => {
    const draw = rng.int(0, 999);
    sim.trace.emit('note', { node: `actor-${actor}`, text: `fired ${draw}` });
    const spawn = draw % 3 === 0 ? 2 : 1;
    for (let k = 0; k < spawn; k++) {
      const delay = (rng.chance(0.2) ? 0 : rng.int(1, 5_000)) as Duration;
      handles.push(sim.scheduler.after(delay, () => fire(actor, rng)));
    }
    if (handles.length > 0 && rng.chance(0.25)) {
      const victim = rng.int(0, handles.length - 1);
      sim.scheduler.cancel(handles[victim]);
      handles[victim] = handles[handles.length - 1];
      handles.pop();
    }
    if (handles.length > 4_096) handles.splice(0, 2_048);
  };

  for (let a = 0; a < actors; a++) {
    const rng = sim.rng.fork(`actor-${a}`);
    sim.scheduler.after(rng.int(0, 1_000) as Duration, () => fire(a, rng));
  }
  const result = sim.run({ maxEvents });
  return { fingerprint: sim.fingerprint, events: result.events, traceRecords: sim.trace.size };
}
