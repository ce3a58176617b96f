import type { NodeContext } from '../../network/nodeHost.js';
import type { TimerHandle } from '../../sim/scheduler.js';
import { Log, DEFAULT_LOG_CONFIG } from '../../log/log.js';
import type { Disk } from '../../log/disk.js';
import { decodeRecords, encodeBatch, readBatchHeader, sizeOf } from '../../log/recordBatch.js';
import { millis } from '../../sim/time.js';
import { declareTraceKind } from '../../sim/trace.js';
import { message, type KafkaMessage, type MetadataFetchRequest } from '../protocol.js';
import type { MetadataImage } from './metadataImage.js';
import type { MetadataRecord } from './metadataRecords.js';

/** A broker's metadata fetch held until there is something new to send it. */
interface HeldFetch {
  readonly fetchOffset: number;
  readonly reply: (r: KafkaMessage) => void;
  timer: TimerHandle | undefined;
}

/** What the metadata log needs of its node: timers for held fetches, and the trace. */
export type MetadataLogContext = Pick<NodeContext<KafkaMessage>, 'after' | 'cancel' | 'trace'>;

/**
 * The controller's metadata log (__cluster_metadata-0), as KRaft's KafkaRaftClient keeps it
 * with a single voter: records are appended and fsynced before they take effect on the
 * image, and brokers fetch them from it. A fetch with nothing new waits in its purgatory
 * until the next append or its maxWaitMs.
 */
export class MetadataLog {
  /** Every record, in log order: what the brokers fetch. */
  private readonly records: MetadataRecord[] = [];
  private readonly log: Log;
  /** Brokers' metadata fetches waiting for records, answered by the next append. */
  private readonly heldFetches = new Set<HeldFetch>();

  constructor(
    disk: Disk,
    private readonly ctx: MetadataLogContext,
    private readonly image: MetadataImage,
  ) {
    this.log = Log.open(disk, '__cluster_metadata-0', DEFAULT_LOG_CONFIG, { recoveryPoint: 0 }).log;
  }

  /** Replays the log into the image, on start; `onRecord` sees each record once the image applied it. */
  replay(onRecord: (record: MetadataRecord) => void): void {
    const { records } = this.log.read(this.log.logStartOffset, Number.MAX_SAFE_INTEGER);
    for (let pos = 0; pos < records.length; pos += sizeOf(readBatchHeader(records, pos))) {
      for (const r of decodeRecords(records, pos)) {
        const record = JSON.parse(String(r.value)) as MetadataRecord;
        this.image.apply(record);
        this.records.push(record);
        onRecord(record);
      }
    }
  }

  /**
   * Appends records to the metadata log, fsyncs it, then applies them to the image
   * (`beforeApply` sees each one first, against the image it changes), and answers the
   * held fetches.
   */
  append(records: readonly MetadataRecord[], timestampMs: () => number, beforeApply: (record: MetadataRecord) => void): void {
    // Apply to a scratch check first would be costlier; records built here always apply.
    const batch = encodeBatch(records.map((r) => ({ key: null, value: Buffer.from(JSON.stringify(r)), timestamp: timestampMs() })));
    this.log.appendAsLeader(batch, 0);
    this.log.flush();
    for (const r of records) {
      beforeApply(r);
      this.image.apply(r);
      this.records.push(r);
      this.ctx.trace.emit('metadata.record', { record: r.type, detail: JSON.stringify(r) });
    }
    // The records are durable: the brokers' held fetches get them now.
    for (const held of this.heldFetches) {
      if (held.timer !== undefined) this.ctx.cancel(held.timer);
      held.reply(message('MetadataFetchResponse', { records: this.records.slice(held.fetchOffset) }));
    }
    this.heldFetches.clear();
  }

  /** A broker's MetadataFetch: what it lacks, or, with nothing new, held until the next append or maxWaitMs (KafkaRaftClient's fetch purgatory). */
  fetch(req: MetadataFetchRequest, reply: (r: KafkaMessage) => void): void {
    if (req.fetchOffset < this.records.length) {
      reply(message('MetadataFetchResponse', { records: this.records.slice(req.fetchOffset) }));
      return;
    }
    const held: HeldFetch = { fetchOffset: req.fetchOffset, reply, timer: undefined };
    held.timer = this.ctx.after(millis(req.maxWaitMs), () => {
      // A pause can queue this past the commit that answered it.
      if (!this.heldFetches.delete(held)) return;
      reply(message('MetadataFetchResponse', { records: [] }));
    });
    this.heldFetches.add(held);
  }
}

declare module '../../sim/trace.js' {
  interface TraceRecordMap {
    'metadata.record': { readonly record: MetadataRecord['type']; readonly detail: string };
  }
}

declareTraceKind('metadata.record', ['record', 'detail']);
