import { isDeleting, type Log } from './log.js';

export interface RetentionResult {
  readonly segmentsDeleted: number;
  readonly reason?: 'retention.ms' | 'retention.bytes';
  readonly logStartOffset: number;
}

/**
 * Applies time and size retention (Kafka's deleteRetentionMsBreachedSegments and
 * deleteRetentionSizeBreachedSegments): whole closed segments go, oldest first, and only
 * segments wholly below the high watermark, so nothing a consumer has not been allowed to
 * read disappears. `nowMs` is the broker's local clock.
 */
export function applyRetention(log: Log, nowMs: number): RetentionResult {
  const config = log.config;
  if (!isDeleting(config)) return { segmentsDeleted: 0, logStartOffset: log.logStartOffset };
  const segments = log.allSegments();
  const closed = segments.slice(0, -1);
  const deletable = (i: number): boolean => closed[i] !== undefined && closed[i].nextOffset <= log.highWatermark;

  let byTime = 0;
  if (config.retentionMs >= 0) {
    while (deletable(byTime) && closed[byTime].largestTimestamp >= 0 && nowMs - closed[byTime].largestTimestamp > config.retentionMs) byTime++;
  }
  let bySize = 0;
  if (config.retentionBytes >= 0) {
    let excess = log.size - config.retentionBytes;
    while (deletable(bySize) && excess >= closed[bySize].size) {
      excess -= closed[bySize].size;
      bySize++;
    }
  }
  const count = Math.max(byTime, bySize);
  if (count === 0) return { segmentsDeleted: 0, logStartOffset: log.logStartOffset };
  const deleted = log.deleteOldestSegments(count);
  return { segmentsDeleted: deleted, reason: byTime >= bySize ? 'retention.ms' : 'retention.bytes', logStartOffset: log.logStartOffset };
}
