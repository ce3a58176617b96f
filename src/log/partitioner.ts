import type { Rng } from '../sim/rng.js';

/**
 * Kafka's default partitioning of keyed records: `toPositive(murmur2(keyBytes)) %
 * numPartitions`, bit for bit as the Java client's `Utils.murmur2` computes it, so a key
 * lands on the partition it would land on in a real cluster.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not Math.abs, which fails on MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition of a keyed record under Kafka's default partitioner. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/**
 * The sticky partitioner for records without a key (KIP-480): keep sending to one
 * partition until its batch is sent, then switch to another, chosen at random among the
 * others, so small batches coalesce instead of spraying every partition.
 */
export class StickyPartitioner {
  private readonly current = new Map<string, number>();

  constructor(private readonly rng: Rng) {}

  partition(topic: string, numPartitions: number): number {
    let p = this.current.get(topic);
    if (p === undefined || p >= numPartitions) {
      p = this.rng.int(0, numPartitions - 1);
      this.current.set(topic, p);
    }
    return p;
  }

  /** Called when the batch for `previous` was completed: move to a different partition. */
  onNewBatch(topic: string, previous: number, numPartitions: number): number {
    if (this.current.get(topic) !== previous) return this.partition(topic, numPartitions);
    const next = numPartitions <= 1 ? 0 : (previous + 1 + this.rng.int(0, numPartitions - 2)) % numPartitions;
    this.current.set(topic, next);
    return next;
  }
}

/** Round-robin over partitions, per topic (Kafka's RoundRobinPartitioner). */
export class RoundRobinPartitioner {
  private readonly counters = new Map<string, number>();

  partition(topic: string, numPartitions: number): number {
    const n = this.counters.get(topic) ?? 0;
    this.counters.set(topic, n + 1);
    return n % numPartitions;
  }
}
