import { Simulation } from '../sim/simulation.js';
import { formatTime, millis, seconds, type Duration } from '../sim/time.js';

export interface PingPongResult {
  readonly fingerprint: string;
  readonly events: number;
  readonly simulatedMs: number;
  readonly traceCounts: ReadonlyMap<string, number>;
  readonly timeline: readonly string[];
}

/**
 * The placeholder demo: two nodes bounce a ball; node B crashes at 1s and restarts at 2s,
 * losing the ball in flight, and A serves again after its timeout. Everything is seeded.
 */
export function runPingPong(seed: number | string): PingPongResult {
  const sim = new Simulation({ seed, trace: 'memory' });
  const latency = sim.rng.fork('latency');
  const timeline: string[] = [];
  const log = (text: string): void => {
    timeline.push(`t=${formatTime(sim.now)}  ${text}`);
    sim.trace.emit('note', { text });
  };
  let bAlive = true;
  let rally = 0;
  let lastReturn = sim.now;

  const serve = (): void => {
    rally++;
    const n = rally;
    sim.scheduler.after(millis(latency.float(1, 5)), () => {
      if (!bAlive) return log(`ball ${n} lost: B is down`);
      sim.scheduler.after(millis(latency.float(1, 5)), () => {
        lastReturn = sim.now;
        if (n % 50 === 0) log(`rally ${n} returned`);
        if (sim.now < seconds(3)) serve();
      });
    });
  };
  const watchdog = (): void => {
    if (sim.now - lastReturn > millis(200) && sim.now < seconds(3)) {
      log('A timed out waiting for the ball and serves again');
      lastReturn = sim.now;
      serve();
    }
    if (sim.now < seconds(3)) sim.scheduler.after(millis(100), watchdog);
  };
  sim.scheduler.after(0 as Duration, () => {
    log('A serves');
    serve();
    watchdog();
  });
  sim.scheduler.after(seconds(1), () => {
    bAlive = false;
    log('B crashed');
  });
  sim.scheduler.after(seconds(2), () => {
    bAlive = true;
    log('B restarted');
  });
  const result = sim.run();
  return {
    fingerprint: sim.fingerprint,
    events: result.events,
    simulatedMs: sim.now / 1000,
    traceCounts: sim.trace.countsByKind(),
    timeline,
  };
}
