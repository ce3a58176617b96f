import { checkBatch, decodeRecords, isControl, isTransactional, lastOffsetOf, parseControlRecord, recordHeaderValues, type BatchHeader } from '../../log/recordBatch.js';

/** A record a fetch returned, as the consumer keeps it until poll() hands it out. */
export interface FetchedRecord {
  /** Its topic-partition, as `topic-n`. */
  readonly partition: string;
  readonly offset: number;
  /** The message id in its `id` header. */
  readonly id: string | undefined;
  /** The leader epoch of its batch (the consumer's position remembers it, KIP-320). */
  readonly epoch: number;
  /** Its key, as UTF-8. */
  readonly key: string | null;
  /** A null value: on a compacted topic, the key's deletion. */
  readonly tombstone: boolean;
}

export interface ReadFetched {
  readonly records: FetchedRecord[];
  /** Where the next fetch starts: past every batch read, kept or skipped. */
  readonly nextOffset: number;
  /** The leader epoch of the last batch read, records or not (-1 for none): CompletedFetch's lastEpoch. */
  readonly lastEpoch: number;
}

/**
 * The records of a fetch response that a consumer may hand to the application, decoded a
 * batch at a time as poll() takes them, as Kafka's CompletedFetch does (a fetch may return far
 * more than max.poll.records; the rest waits undecoded). Which batches count is settled when
 * the response arrives: control batches never; under read_committed, no batch of a
 * transaction the broker listed as aborted. As Kafka does it, an aborted transaction counts
 * from its first offset, and its producer's batches are skipped until that producer's ABORT
 * marker. Records before `fromOffset` (the start of a batch the position is inside) are
 * dropped too. Each record names `partition`, so poll() hands out these very objects.
 */
export class CompletedFetch {
  /** Where the next fetch starts: past every batch read, kept or skipped. */
  readonly nextOffset: number;
  /** The leader epoch of the last batch read, records or not (-1 for none): CompletedFetch's lastEpoch. */
  readonly lastEpoch: number;
  /** The batches whose records the application may see, in log order. */
  private readonly batches: { readonly pos: number; readonly header: BatchHeader }[] = [];
  /** The next of `batches` to decode. */
  private batch = 0;
  /** The records of the batch being handed out, and the next of them. */
  private records: FetchedRecord[] = [];
  private next = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly fromOffset: number,
    isolation: 'read_uncommitted' | 'read_committed',
    abortedTransactions: readonly { readonly producerId: number; readonly firstOffset: number }[] = [],
    private readonly partition = '',
  ) {
    const pending = [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const aborting = new Set<number>();
    let nextOffset = fromOffset;
    let lastEpoch = -1;
    let pos = 0;
    while (pos < buf.length) {
      const check = checkBatch(buf, pos, buf.length);
      if (!check.ok) break;
      const h = check.header;
      const last = lastOffsetOf(h);
      if (isolation === 'read_committed') {
        while (pending.length > 0 && pending[0].firstOffset <= last) aborting.add((pending.shift() as { producerId: number }).producerId);
      }
      if (isControl(h)) {
        if (parseControlRecord(decodeRecords(buf, pos, h)[0])?.type === 'ABORT') aborting.delete(h.producerId);
      } else if (!(isolation === 'read_committed' && isTransactional(h) && aborting.has(h.producerId)) && last >= fromOffset) {
        this.batches.push({ pos, header: h });
      }
      nextOffset = Math.max(nextOffset, last + 1);
      lastEpoch = h.partitionLeaderEpoch;
      pos += check.size;
    }
    this.nextOffset = nextOffset;
    this.lastEpoch = lastEpoch;
  }

  /** The next record for the application, or undefined when all have been handed out. */
  nextRecord(): FetchedRecord | undefined {
    return this.fill() ? this.records[this.next++] : undefined;
  }

  /** Every record has been handed out (or there were none). */
  get drained(): boolean {
    return !this.fill();
  }

  /** Decodes batches until one has a record left to hand out; false when none is left. */
  private fill(): boolean {
    while (this.next >= this.records.length) {
      if (this.batch >= this.batches.length) return false;
      const { pos, header } = this.batches[this.batch++];
      const records: FetchedRecord[] = [];
      for (const r of recordHeaderValues(this.buf, pos, header, 'id')) {
        if (r.offset >= this.fromOffset) records.push({ partition: this.partition, offset: r.offset, id: r.value, epoch: header.partitionLeaderEpoch, key: r.key, tombstone: r.tombstone });
      }
      this.records = records;
      this.next = 0;
    }
    return true;
  }
}

/** Every record of a fetch response the application may see, at once (see CompletedFetch). */
export function readFetched(
  buf: Buffer,
  fromOffset: number,
  isolation: 'read_uncommitted' | 'read_committed',
  abortedTransactions: readonly { readonly producerId: number; readonly firstOffset: number }[] = [],
  partition = '',
): ReadFetched {
  const fetch = new CompletedFetch(buf, fromOffset, isolation, abortedTransactions, partition);
  const records: FetchedRecord[] = [];
  for (let r = fetch.nextRecord(); r !== undefined; r = fetch.nextRecord()) records.push(r);
  return { records, nextOffset: fetch.nextOffset, lastEpoch: fetch.lastEpoch };
}
