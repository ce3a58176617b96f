import type { MessageId } from './finalState.js';

/**
 * Sets and maps keyed by message id, in shards. V8 holds at most 2^24 entries in one Map or
 * Set, and a soak's hour at 5,000 msg/s acknowledges 18 M messages: one map per checker
 * over all of them would throw after the run (the soak found it, reports/bench.md). Only
 * lookups are offered: iteration order over shards is not insertion order, and a checker's
 * output must not depend on it.
 */
const SHARDS = 64;

function shardIndex(id: MessageId): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return h & (SHARDS - 1);
}

export class MessageIdSet {
  private readonly shards: Set<MessageId>[] = Array.from({ length: SHARDS }, () => new Set<MessageId>());

  add(id: MessageId): void {
    this.shards[shardIndex(id)].add(id);
  }

  has(id: MessageId): boolean {
    return this.shards[shardIndex(id)].has(id);
  }
}

export class MessageIdMap<V> {
  private readonly shards: Map<MessageId, V>[] = Array.from({ length: SHARDS }, () => new Map<MessageId, V>());

  get(id: MessageId): V | undefined {
    return this.shards[shardIndex(id)].get(id);
  }

  set(id: MessageId, value: V): void {
    this.shards[shardIndex(id)].set(id, value);
  }
}

/** A count per message id (absent counts as 0). */
export class MessageIdCounts extends MessageIdMap<number> {
  count(id: MessageId): number {
    return this.get(id) ?? 0;
  }

  /** Adds one to `id`'s count and returns the count it had before. */
  increment(id: MessageId): number {
    const before = this.count(id);
    this.set(id, before + 1);
    return before;
  }
}
