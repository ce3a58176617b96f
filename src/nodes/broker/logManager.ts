/**
 * Kafka's LogManager with its periodic log tasks (and UnifiedLog's producer-id expiry): the
 * broker's log dir, old segments deleted by retention, compacted logs cleaned, producers
 * idle too long forgotten, and the checkpoints written with the logs flushed.
 */
import type { Disk } from '../../log/disk.js';
import { LogDir } from '../../log/logDir.js';
import { isCompacted, type Log, type LogConfig } from '../../log/log.js';
import { applyRetention } from '../../log/retention.js';
import { cleanLog, type CleanResult } from '../../log/cleaner.js';
import { declareTraceKind, type Trace } from '../../sim/trace.js';
import type { Partition } from './partition.js';

/** What the log manager needs from the broker. */
export interface LogManagerDeps {
  readonly trace: Trace;
  readonly brokerId: number;
  readonly disk: Disk;
  /** The log settings of each topic. */
  readonly logConfig: (topic: string) => LogConfig;
  /** producer.id.expiration.ms: a producer idle this long (by its batches' timestamps) is forgotten. */
  readonly producerIdExpirationMs: number;
  /** The partitions this broker hosts (ReplicaManager's), in the order it came to host them. */
  readonly partitions: () => Iterable<Partition>;
  readonly nowMs: () => number;
}

export class LogManager {
  private readonly logDir: LogDir;

  constructor(private readonly deps: LogManagerDeps) {
    this.logDir = LogDir.open(deps.disk, 'data', (topic) => deps.logConfig(topic), () => deps.nowMs()).dir;
  }

  /** The log of a partition, opened from disk or created. */
  getOrCreate(tp: { readonly topic: string; readonly partition: number }, config: LogConfig): Log {
    return this.logDir.getOrCreate(tp, config, () => this.deps.nowMs());
  }

  /** Kafka's log retention task: every log.retention.check.interval.ms, old segments go. */
  applyRetention(): void {
    for (const partition of this.deps.partitions()) {
      const before = partition.log.logStartOffset;
      const known = partition.log.producers.size;
      const r = applyRetention(partition.log, this.deps.nowMs());
      if (r.segmentsDeleted > 0) {
        const producersForgotten = known - partition.log.producers.size;
        this.deps.trace.emit('log.retention', { broker: this.deps.brokerId, partition: partition.name, from: before, logStartOffset: r.logStartOffset, producersForgotten });
      }
    }
  }

  /**
   * Kafka's PeriodicProducerExpirationCheck (UnifiedLog.removeExpiredProducers): producers
   * idle for producer.id.expiration.ms, without an open transaction, are forgotten.
   */
  removeExpiredProducers(): void {
    for (const partition of this.deps.partitions()) partition.log.producers.removeExpired(this.deps.nowMs(), this.deps.producerIdExpirationMs);
  }

  /** Kafka's LogCleaner threads, one pass over the compacted logs every log.cleaner.backoff.ms. */
  clean(): void {
    for (const partition of this.deps.partitions()) {
      if (!isCompacted(partition.log.config)) continue;
      const r = cleanLog(partition.log, this.deps.nowMs());
      if (r.recordsRemoved > 0) this.deps.trace.emit('log.clean', { broker: this.deps.brokerId, partition: partition.name, removedOffsets: r.removedOffsets, removedTombstones: r.removedTombstones, removedTombstoneKeys: r.removedTombstoneKeys, firstDirtyOffset: r.firstDirtyOffset });
    }
  }

  checkpoint(): void {
    // replica.high.watermark.checkpoint.interval.ms, and flush.ms on the same tick.
    for (const { log } of this.logDir.all()) log.flushIfDue();
    this.logDir.checkpoint();
  }

  /**
   * The rest of the shutdown: the request handlers, coordinators and fetchers stop with the
   * process; what matters is LogManager.shutdown, which flushes and closes every log,
   * writes the checkpoints and leaves the clean-shutdown marker.
   */
  shutdown(brokerEpoch: number): void {
    this.logDir.shutdown(brokerEpoch);
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    /**
     * Retention deleted a replica's oldest segments: its log now starts later. Before
     * KIP-360, producers whose batches all went were forgotten with them.
     */
    'log.retention': { readonly broker: number; readonly partition: string; readonly from: number; readonly logStartOffset: number; readonly producersForgotten: number };
    /**
     * A cleaner pass compacted a replica's log: the offsets of the records it removed
     * (superseded by a later record of their key, aborted, or tombstones past their delete
     * horizon), and which of them were tombstones.
     */
    'log.clean': { readonly broker: number; readonly partition: string } & Pick<CleanResult, 'removedOffsets' | 'removedTombstones' | 'removedTombstoneKeys' | 'firstDirtyOffset'>;
  }
}

declareTraceKind('log.retention', ['broker', 'partition', 'from', 'logStartOffset', 'producersForgotten']);
declareTraceKind('log.clean', ['broker', 'partition', 'removedOffsets', 'removedTombstones', 'removedTombstoneKeys', 'firstDirtyOffset']);
