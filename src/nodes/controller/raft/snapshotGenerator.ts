/**
 * When a quorum member writes a snapshot, after Kafka's SnapshotGenerator
 * (metadata/src/main/java/org/apache/kafka/image/publisher/SnapshotGenerator.java), which
 * KafkaRaftClient's listener side runs on controllers and brokers alike (SharedServer): every
 * batch of committed records the state machine applies adds its bytes (publishLogDelta); once
 * metadata.log.max.record.bytes.between.snapshots have been applied since the last snapshot,
 * or metadata.log.max.snapshot.interval.ms has passed (when it is not 0), a snapshot is due.
 * Loading a snapshot (publishSnapshot) and writing one reset both counters.
 */
export class SnapshotGenerator {
  private bytesSinceLastSnapshot = 0;
  private lastSnapshotTimeMs: number;

  constructor(
    private readonly maxBytesSinceLastSnapshot: number,
    private readonly maxTimeSinceLastSnapshotMs: number,
    nowMs: number,
  ) {
    this.lastSnapshotTimeMs = nowMs;
  }

  /** SnapshotGenerator.publishLogDelta: `bytes` of committed records were applied; whether a snapshot is due. */
  publishLogDelta(bytes: number, nowMs: number): boolean {
    this.bytesSinceLastSnapshot += bytes;
    if (this.bytesSinceLastSnapshot >= this.maxBytesSinceLastSnapshot) return true;
    return this.maxTimeSinceLastSnapshotMs !== 0 && nowMs - this.lastSnapshotTimeMs >= this.maxTimeSinceLastSnapshotMs;
  }

  /** SnapshotGenerator.resetSnapshotCounters: a snapshot was written or loaded. */
  reset(nowMs: number): void {
    this.bytesSinceLastSnapshot = 0;
    this.lastSnapshotTimeMs = nowMs;
  }
}
