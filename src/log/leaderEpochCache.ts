import { parseOffset, readCheckpoint, writeCheckpoint } from './checkpointFile.js';
import type { Disk } from './disk.js';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/**
 * The leader epoch cache (Kafka's LeaderEpochFileCache, KIP-101 and KIP-279): for each
 * leader epoch, the first offset written in it. A follower asks its leader for the end of
 * its latest epoch (OffsetsForLeaderEpoch) and truncates there, instead of to its high
 * watermark, which is what lost and diverged data before KIP-101. Persisted in the
 * partition directory as `leader-epoch-checkpoint`.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(
    private readonly disk: Disk,
    readonly path: string,
  ) {}

  load(): void {
    this.entries = readCheckpoint(this.disk, this.path, 2).map(([e, o], i) => ({
      epoch: parseOffset(e, this.path, i + 3),
      startOffset: parseOffset(o, this.path, i + 3),
    }));
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1].epoch;
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign and truncateAndAppend):
   * nothing changes if it is the latest epoch already, at the same or an earlier offset;
   * otherwise every entry for this epoch or a later one, or starting at or after this
   * offset, is dropped first. A follower that led an epoch it never wrote in, and then
   * receives older records at that offset, so ends up with the epochs its records carry.
   */
  assign(epoch: number, startOffset: number): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && epoch === last.epoch && startOffset >= last.startOffset) return;
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    this.flush();
  }

  /**
   * OffsetsForLeaderEpoch semantics (Kafka's endOffsetFor): the largest epoch <= `epoch`
   * that this log has, and the start offset of the next epoch (or the log end offset when
   * it is the latest). Undefined epoch and offset when the log has nothing at or below it.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (epoch === this.latestEpoch && epoch !== UNDEFINED_EPOCH) return { epoch, endOffset: logEndOffset };
    let i = this.entries.length - 1;
    while (i >= 0 && this.entries[i].epoch > epoch) i--;
    if (i < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const next = this.entries[i + 1];
    return { epoch: this.entries[i].epoch, endOffset: next === undefined ? logEndOffset : next.startOffset };
  }

  /**
   * Drops entries starting at or after `offset` (the log was truncated to it). An undefined
   * offset (-1) leaves the cache alone, as LeaderEpochFileCache.truncateFromEnd's
   * `endOffset >= 0` guard does.
   */
  truncateFromEnd(offset: number): void {
    if (offset < 0) return;
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length !== this.entries.length) {
      this.entries = kept;
      this.flush();
    }
  }

  /** Moves the first entries up to a new log start offset (retention or truncateFullyAndStartAt). */
  truncateFromStart(offset: number): void {
    const kept = this.entries.filter((e, i) => {
      const next = this.entries[i + 1];
      return next === undefined || next.startOffset > offset;
    });
    const adjusted = kept.map((e) => (e.startOffset < offset ? { epoch: e.epoch, startOffset: offset } : e));
    if (JSON.stringify(adjusted) !== JSON.stringify(this.entries)) {
      this.entries = adjusted;
      this.flush();
    }
  }

  clear(): void {
    this.entries = [];
    this.flush();
  }

  private flush(): void {
    writeCheckpoint(this.disk, this.path, this.entries.map((e) => `${e.epoch} ${e.startOffset}`));
  }
}
