import type { Message, NodeContext } from '../network/nodeHost.js';
import { micros, millis } from '../sim/time.js';

/**
 * A client's metadata.max.age.ms (Kafka's Metadata.timeToNextUpdate): metadata is refreshed
 * once it is that old, even when no error asked for it, so a client whose requests all
 * succeed still learns of leadership moves and new partitions. Each successful refresh
 * restarts the clock.
 */
export class MetadataMaxAge<M extends Message> {
  private refreshedAt: number;

  constructor(
    private readonly ctx: NodeContext<M>,
    private readonly maxAgeMs: number,
    private readonly refresh: () => void,
  ) {
    this.refreshedAt = ctx.now();
  }

  /** Starts watching the metadata's age (from the client's start). */
  start(): void {
    this.refreshedAt = this.ctx.now();
    this.ctx.after(millis(this.maxAgeMs), () => this.check());
  }

  /** Fresh metadata arrived. */
  refreshed(): void {
    this.refreshedAt = this.ctx.now();
  }

  private check(): void {
    const maxAge = millis(this.maxAgeMs);
    const age = this.ctx.now() - this.refreshedAt;
    if (age >= maxAge) this.refresh();
    this.ctx.after(micros(age >= maxAge ? maxAge : maxAge - age), () => this.check());
  }
}
