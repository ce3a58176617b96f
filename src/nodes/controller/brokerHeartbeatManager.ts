import type { MetadataImage } from './metadataImage.js';

/**
 * What the controller knows of each broker's heartbeats, as KRaft's BrokerHeartbeatManager
 * keeps it: soft state, never in the metadata log (a new controller rebuilds it from the
 * brokers' next heartbeats).
 */
export class BrokerHeartbeatManager {
  /** When each broker last heartbeated (or registered), in ms. */
  private readonly lastHeartbeatMs = new Map<number, number>();
  /** The metadata offset each broker reported in its last heartbeat. */
  private readonly metadataOffsets = new Map<number, number>();
  /**
   * Brokers in controlled shutdown, with the metadata offset every active broker must reach
   * before they may stop.
   */
  private readonly controlledShutdownOffsets = new Map<number, number>();

  /** `brokerId` was heard from at `nowMs` (a registration, or a controller start granting a full session). */
  touch(brokerId: number, nowMs: number): void {
    this.lastHeartbeatMs.set(brokerId, nowMs);
  }

  /** A heartbeat from `brokerId` at `nowMs`, reporting the metadata offset it has applied. */
  heartbeat(brokerId: number, nowMs: number, metadataOffset: number): void {
    this.lastHeartbeatMs.set(brokerId, nowMs);
    this.metadataOffsets.set(brokerId, metadataOffset);
  }

  /** When `brokerId` was last heard from, in ms. */
  lastContactMs(brokerId: number): number | undefined {
    return this.lastHeartbeatMs.get(brokerId);
  }

  /** Whether `brokerId` has not been heard from for longer than the session timeout. */
  sessionExpired(brokerId: number, nowMs: number, sessionTimeoutMs: number): boolean {
    return nowMs - (this.lastHeartbeatMs.get(brokerId) ?? nowMs) > sessionTimeoutMs;
  }

  /** The metadata offset every active broker must reach before `brokerId` may stop; undefined when not in controlled shutdown. */
  controlledShutdownOffset(brokerId: number): number | undefined {
    return this.controlledShutdownOffsets.get(brokerId);
  }

  enterControlledShutdown(brokerId: number, offset: number): void {
    this.controlledShutdownOffsets.set(brokerId, offset);
  }

  /** `brokerId` is fenced or registered again: it is no longer in controlled shutdown. */
  leaveControlledShutdown(brokerId: number): void {
    this.controlledShutdownOffsets.delete(brokerId);
  }

  /** The lowest metadata offset reported by an active broker (unfenced, not shutting down) since this controller started. */
  lowestActiveOffset(image: MetadataImage): number {
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const b of image.brokers()) {
      const offset = this.metadataOffsets.get(b.brokerId);
      if (offset !== undefined && image.isActive(b.brokerId)) lowest = Math.min(lowest, offset);
    }
    return lowest;
  }
}
