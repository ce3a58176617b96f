import { checkBatch, decodeRecords, isControl, isTransactional, lastOffsetOf, parseControlRecord, recordHeaderValues } from '../../log/recordBatch.js';

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
 * The records of a fetch response that a consumer may hand to the application (Kafka's
 * Fetcher / CompletedFetch): control batches never; under read_committed, no batch of a
 * transaction the broker listed as aborted. As Kafka does it, an aborted transaction counts
 * from its first offset, and its producer's batches are skipped until that producer's ABORT
 * marker. Records before `fromOffset` (the start of a batch the position is inside) are
 * dropped too. Each record names `partition`, so poll() hands out these very objects.
 */
export function readFetched(
  buf: Buffer,
  fromOffset: number,
  isolation: 'read_uncommitted' | 'read_committed',
  abortedTransactions: readonly { readonly producerId: number; readonly firstOffset: number }[] = [],
  partition = '',
): ReadFetched {
  const records: FetchedRecord[] = [];
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
    } else if (!(isolation === 'read_committed' && isTransactional(h) && aborting.has(h.producerId))) {
      for (const r of recordHeaderValues(buf, pos, h, 'id')) if (r.offset >= fromOffset) records.push({ partition, offset: r.offset, id: r.value, epoch: h.partitionLeaderEpoch, key: r.key, tombstone: r.tombstone });
    }
    nextOffset = Math.max(nextOffset, last + 1);
    lastEpoch = h.partitionLeaderEpoch;
    pos += check.size;
  }
  return { records, nextOffset, lastEpoch };
}
