import { compareStrings } from '../sim/order.js';
import { parseOffset, readCheckpoint, writeCheckpoint } from './checkpointFile.js';
import { joinPath, writeFileAtomically, type Disk } from './disk.js';
import { DEFAULT_LOG_CONFIG, Log, type LogConfig, type RecoveryReport } from './log.js';
import { nameOf, parsePartitionName, type TopicPartition } from './topicPartition.js';


const RECOVERY_POINTS = 'recovery-point-offset-checkpoint';
const LOG_START_OFFSETS = 'log-start-offset-checkpoint';
const HIGH_WATERMARKS = 'replication-offset-checkpoint';
/** Written by a clean shutdown, deleted on open (Kafka's CleanShutdownFileHandler). */
const CLEAN_SHUTDOWN = '.kafka_cleanshutdown';

/**
 * A broker's log directory (Kafka's LogManager, for one log.dirs entry): a directory per
 * partition, and at the root the broker-wide checkpoint files Kafka keeps there, in its
 * text format ("topic partition offset" lines): recovery points, log start offsets and
 * high watermarks. On open, each partition log is recovered from its recovery point.
 */
export class LogDir {
  private readonly logs = new Map<string, { tp: TopicPartition; log: Log }>();

  private constructor(
    readonly disk: Disk,
    readonly root: string,
  ) {}

  /** Opens every partition directory under `root`, with `configFor` its topic's log config. */
  static open(disk: Disk, root: string, configFor: (topic: string) => LogConfig = () => DEFAULT_LOG_CONFIG, nowMs?: () => number): { dir: LogDir; recovery: Map<string, RecoveryReport>; hadCleanShutdown: boolean } {
    const dir = new LogDir(disk, root);
    disk.mkdir(root);
    // LogManager.loadLogs: the marker says the last shutdown flushed and closed every log;
    // it is deleted at once, so a crash of this incarnation is not taken for a clean stop.
    const marker = joinPath(root, CLEAN_SHUTDOWN);
    const hadCleanShutdown = disk.exists(marker);
    if (hadCleanShutdown) disk.delete(marker);
    const recoveryPoints = dir.readOffsets(RECOVERY_POINTS);
    const startOffsets = dir.readOffsets(LOG_START_OFFSETS);
    const highWatermarks = dir.readOffsets(HIGH_WATERMARKS);
    const recovery = new Map<string, RecoveryReport>();
    for (const name of disk.listDirs(root)) {
      const tp = parsePartitionName(name);
      if (tp === undefined) continue;
      const opened = Log.open(disk, joinPath(root, name), configFor(tp.topic), {
        recoveryPoint: recoveryPoints.get(name),
        logStartOffset: startOffsets.get(name),
        highWatermark: highWatermarks.get(name),
        nowMs,
        hadCleanShutdown,
      });
      dir.logs.set(name, { tp, log: opened.log });
      recovery.set(name, opened.recovery);
    }
    return { dir, recovery, hadCleanShutdown };
  }

  get(tp: TopicPartition): Log | undefined {
    return this.logs.get(nameOf(tp))?.log;
  }

  /** The partition's log, created empty if it does not exist yet. */
  getOrCreate(tp: TopicPartition, config: LogConfig, nowMs?: () => number): Log {
    const name = nameOf(tp);
    const existing = this.logs.get(name);
    if (existing !== undefined) return existing.log;
    const { log } = Log.open(this.disk, joinPath(this.root, name), config, { nowMs });
    this.logs.set(name, { tp, log });
    return log;
  }

  all(): readonly { readonly tp: TopicPartition; readonly log: Log }[] {
    return [...this.logs.keys()].sort(compareStrings).map((k) => this.logs.get(k) as { tp: TopicPartition; log: Log });
  }

  /** Writes the three root checkpoint files from the logs' current offsets. */
  checkpoint(): void {
    const lines = (value: (log: Log) => number): string[] => this.all().map(({ tp, log }) => `${tp.topic} ${tp.partition} ${value(log)}`);
    writeCheckpoint(this.disk, joinPath(this.root, RECOVERY_POINTS), lines((l) => l.recoveryPoint));
    writeCheckpoint(this.disk, joinPath(this.root, LOG_START_OFFSETS), lines((l) => l.logStartOffset));
    writeCheckpoint(this.disk, joinPath(this.root, HIGH_WATERMARKS), lines((l) => l.highWatermark));
  }

  /**
   * A clean shutdown (LogManager.shutdown): every log flushed and closed, the checkpoints
   * written, and the clean-shutdown marker left with the broker epoch (KIP-966).
   */
  shutdown(brokerEpoch: number): void {
    for (const { log } of this.all()) log.close();
    this.checkpoint();
    writeFileAtomically(this.disk, joinPath(this.root, CLEAN_SHUTDOWN), Buffer.from(JSON.stringify({ version: 0, brokerEpoch })));
  }

  private readOffsets(file: string): Map<string, number> {
    const path = joinPath(this.root, file);
    const out = new Map<string, number>();
    readCheckpoint(this.disk, path, 3).forEach(([topic, partition, offset], i) => {
      out.set(`${topic}-${parseOffset(partition, path, i + 3)}`, parseOffset(offset, path, i + 3));
    });
    return out;
  }
}
