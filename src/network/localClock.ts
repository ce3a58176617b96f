import type { Duration, Time } from '../sim/time.js';

/**
 * A node's own clock. Real machines disagree about the time: each node reads
 * `local = offset + real × (1 + drift)`, where the scenario sets the starting offset (skew)
 * and the drift in parts per million, and a clock fault jumps the offset.
 *
 * What reads the local clock: record timestamps, retention and any timeout a node sets.
 * Timers run at the local rate (a fast clock fires its timeouts early in real time); a jump
 * moves the wall reading but not timers already set, as a monotonic clock would.
 */
export class LocalClock {
  private offset: number;
  private rate: number;

  constructor(skew: Duration = 0 as Duration, driftPpm = 0) {
    this.offset = skew;
    this.rate = 1 + driftPpm / 1e6;
  }

  /** The local reading at real instant `real`. */
  read(real: Time): Time {
    return Math.round(this.offset + real * this.rate) as Time;
  }

  /** Real time that passes while this clock advances by `local`. */
  realDelay(local: Duration): Duration {
    return (this.rate === 1 ? local : Math.round(local / this.rate)) as Duration;
  }

  jump(by: Duration): void {
    this.offset += by;
  }

  /** Changes the drift from `real` on, keeping the current reading continuous. */
  setDrift(real: Time, driftPpm: number): void {
    const reading = this.offset + real * this.rate;
    this.rate = 1 + driftPpm / 1e6;
    this.offset = reading - real * this.rate;
  }

  get driftPpm(): number {
    return (this.rate - 1) * 1e6;
  }
}
