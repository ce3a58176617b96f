import { History } from './history.js';
import { Rng } from './rng.js';
import { Scheduler, type RunOptions, type RunResult } from './scheduler.js';
import { MemorySink, Trace, type TraceSink } from './trace.js';
import type { Time } from './time.js';

/** How much of the trace a run keeps. The fingerprint is computed in every mode. */
export type TraceMode = 'none' | 'memory';

export interface SimulationOptions {
  readonly seed: number | string;
  /** Default 'none': fingerprint only. */
  readonly trace?: TraceMode;
  /** Further sinks, such as a JSONL file. */
  readonly sinks?: readonly TraceSink[];
}

/**
 * The kernel of one run: the scheduler (and so the clock), the root random stream, the
 * trace and the history. Everything simulated is built on one of these and draws time,
 * randomness and identity from it alone.
 */
export class Simulation {
  readonly seed: number | string;
  readonly scheduler = new Scheduler();
  readonly rng: Rng;
  readonly trace: Trace;
  readonly history: History;
  /** The in-memory records, when the trace mode is 'memory'. */
  readonly memory?: MemorySink;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.rng = Rng.fromSeed(options.seed);
    const sinks: TraceSink[] = [...(options.sinks ?? [])];
    if (options.trace === 'memory') {
      this.memory = new MemorySink();
      sinks.unshift(this.memory);
    }
    const clock = (): Time => this.scheduler.now;
    this.trace = new Trace(clock, sinks);
    this.history = new History(clock, this.trace);
  }

  get now(): Time {
    return this.scheduler.now;
  }

  run(options?: RunOptions): RunResult {
    return this.scheduler.run(options);
  }

  get fingerprint(): string {
    return this.trace.fingerprint;
  }
}
