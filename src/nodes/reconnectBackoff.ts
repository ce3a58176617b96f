import type { Rng } from '../sim/rng.js';
import { millis } from '../sim/time.js';

/**
 * Kafka's client-side reconnect backoff (ClusterConnectionStates with an ExponentialBackoff
 * of base 2 and 20% jitter): after a connection to a node fails (refused, reset, or closed
 * by the node's crash), the client does not try that node again for reconnect.backoff.ms,
 * doubling with each further failure up to reconnect.backoff.max.ms; a node in backoff is
 * not "ready" (NetworkClient.ready), so nothing is sent to it. A connection that works again
 * resets the count. Without it a client hammers a dead leader until metadata moves on.
 */
export class ReconnectBackoff {
  private readonly nodes = new Map<string, { failures: number; until: number; at: number }>();

  constructor(
    private readonly rng: Rng,
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {
    if (!(initialMs >= 0 && maxMs >= 0)) throw new RangeError(`reconnect backoff needs non-negative milliseconds, got ${initialMs} and ${maxMs}`);
  }

  /**
   * The connection to `node` failed or broke at `nowMicros` (Kafka's
   * ClusterConnectionStates.disconnected). One failure seen twice at one instant (the broken
   * connection, and each request that was on it) counts once.
   */
  onFailure(node: string, nowMicros: number): void {
    const state = this.nodes.get(node) ?? { failures: 0, until: 0, at: -1 };
    if (state.at === nowMicros) return;
    state.at = nowMicros;
    state.failures++;
    state.until = nowMicros + millis(this.backoffMs(state.failures - 1));
    this.nodes.set(node, state);
  }

  /** Whether a failure of `node` was already counted at `nowMicros` (the same one, seen again). */
  failedAt(node: string, nowMicros: number): boolean {
    return this.nodes.get(node)?.at === nowMicros;
  }

  /** `node` answered: its connection works. */
  onSuccess(node: string): void {
    this.nodes.delete(node);
  }

  /**
   * True while the last connection to `node` failed and none has worked since: the client
   * is reconnecting, and Kafka sends nothing on a connection before it is established.
   */
  isReconnecting(node: string): boolean {
    return this.nodes.has(node);
  }

  /** Until when (local microseconds) nothing may be sent to `node`; undefined when it may be now. */
  blackedOutUntil(node: string, nowMicros: number): number | undefined {
    const state = this.nodes.get(node);
    return state !== undefined && state.until > nowMicros ? state.until : undefined;
  }

  private backoffMs(attempts: number): number {
    return exponentialBackoffMs(this.rng, this.initialMs, this.maxMs, attempts);
  }
}

/**
 * Kafka's ExponentialBackoff.backoff(attempts) with base 2 and 20% jitter (the clients'
 * reconnect backoff, and since KIP-580 their retry backoff): initial · 2^attempts (capped),
 * times a jitter in [0.8, 1.2], at most the maximum; a maximum at or below the initial
 * interval is a constant backoff without jitter.
 */
export function exponentialBackoffMs(rng: Rng, initialMs: number, maxMs: number, attempts: number): number {
  if (maxMs <= initialMs) return initialMs;
  const expMax = Math.log(maxMs / Math.max(initialMs, 1)) / Math.log(2);
  const term = initialMs * 2 ** Math.min(attempts, expMax);
  const jitter = rng.float(0.8, 1.2);
  return Math.min(maxMs, Math.floor(term * jitter));
}
