import { isDeleting, type Log } from './log.js';

export interface RetentionResult {
  readonly segmentsDeleted: number;
  readonly reason?: 'retention.ms' | 'retention.bytes' | 'log-start-offset';
  readonly logStartOffset: number;
}

/**
 * Applies time and size retention (Kafka's deleteRetentionMsBreachedSegments and
 * deleteRetentionSizeBreachedSegments over UnifiedLog.deletableSegments): the oldest
 * segments go, and only segments wholly below the high watermark, so nothing a consumer has
 * not been allowed to read disappears. The active segment is no exception once all of it is
 * below the high watermark and past retention: an idle partition's last records expire too.
 * Kafka rolls a new, empty segment first when every segment goes (UnifiedLog.deleteSegments),
 * so the log start offset lands on the log end offset. `nowMs` is the broker's local clock.
 */
export function applyRetention(log: Log, nowMs: number): RetentionResult {
  const config = log.config;
  const deleting = isDeleting(config);
  const segments = log.allSegments();
  const last = segments.length - 1;
  const deletable = (i: number): boolean => {
    if (i > last || (i === last && segments[i].isEmpty)) return false;
    const upperBound = i < last ? segments[i + 1].baseOffset : log.logEndOffset;
    return upperBound <= log.highWatermark;
  };

  let byTime = 0;
  if (deleting && config.retentionMs >= 0) {
    while (deletable(byTime) && segments[byTime].largestTimestamp >= 0 && nowMs - segments[byTime].largestTimestamp > config.retentionMs) byTime++;
  }
  let bySize = 0;
  if (deleting && config.retentionBytes >= 0) {
    let excess = log.size - config.retentionBytes;
    while (deletable(bySize) && excess >= segments[bySize].size) {
      excess -= segments[bySize].size;
      bySize++;
    }
  }
  // deleteLogStartOffsetBreachedSegments: segments wholly below a log start offset that
  // moved on its own (a follower taking its leader's) go, compacted logs' too.
  let byStart = 0;
  while (byStart < last && segments[byStart + 1].baseOffset <= log.logStartOffset) byStart++;
  const count = Math.max(byTime, bySize, byStart);
  if (count === 0) return { segmentsDeleted: 0, logStartOffset: log.logStartOffset };
  if (count === segments.length) log.roll();
  const deleted = log.deleteOldestSegments(count);
  const reason = byStart === count ? 'log-start-offset' : byTime >= bySize ? 'retention.ms' : 'retention.bytes';
  return { segmentsDeleted: deleted, reason, logStartOffset: log.logStartOffset };
}
