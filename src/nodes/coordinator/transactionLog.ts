import { WireReader, WireWriter } from '../wire.js';
import { partitionForGroup } from './offsetsTopic.js';
import { splitPartitionName } from '../protocol.js';

/**
 * The `__transaction_state` topic as Kafka writes it (TransactionLog and the generated
 * TransactionLogKey / TransactionLogValue schemas in
 * transaction-coordinator/src/main/resources/common/message): which partition holds a
 * transactional id, and its binary key and value, version 0.
 */

/** transaction.state.log.num.partitions, Kafka's default. */
export const TRANSACTION_STATE_PARTITIONS = 50;
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** The partition of `__transaction_state` whose leader coordinates `transactionalId` (same hashing as groups). */
export function partitionForTransactionalId(transactionalId: string, partitions: number = TRANSACTION_STATE_PARTITIONS): number {
  return partitionForGroup(transactionalId, partitions);
}

/**
 * Kafka's TransactionState, with the byte each is written as: a transaction moves Empty ->
 * Ongoing -> PrepareCommit | PrepareAbort -> CompleteCommit | CompleteAbort -> Ongoing …
 */
export const TRANSACTION_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

export interface TransactionLogValue {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  readonly state: TransactionState;
  /** "topic-partition" names. */
  readonly partitions: readonly string[];
  readonly lastUpdateTimestampMs: number;
  readonly startTimestampMs: number;
}

export function encodeTransactionKey(transactionalId: string): Buffer {
  return new WireWriter().int16(0).string(transactionalId).done();
}

export function decodeTransactionKey(buf: Buffer): string {
  const r = new WireReader(buf);
  r.int16();
  return r.string();
}

export function encodeTransactionValue(v: TransactionLogValue): Buffer {
  const w = new WireWriter().int16(0).int64(v.producerId).int16(v.producerEpoch).int32(v.transactionTimeoutMs);
  const status = Buffer.alloc(1);
  status.writeInt8(TRANSACTION_STATES.indexOf(v.state));
  w.raw(status);
  const topics = new Map<string, number[]>();
  for (const p of v.partitions) {
    const [topic, partition] = splitPartitionName(p);
    topics.set(topic, [...(topics.get(topic) ?? []), partition]);
  }
  w.int32(topics.size);
  for (const [topic, ids] of topics) {
    w.string(topic).int32(ids.length);
    for (const id of ids) w.int32(id);
  }
  return w.int64(v.lastUpdateTimestampMs).int64(v.startTimestampMs).done();
}

export function decodeTransactionValue(buf: Buffer): TransactionLogValue {
  const r = new WireReader(buf);
  r.int16();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const transactionTimeoutMs = r.int32();
  const state = TRANSACTION_STATES[r.int8()] ?? 'Dead';
  const partitions: string[] = [];
  const topics = r.int32();
  for (let i = 0; i < topics; i++) {
    const topic = r.string();
    const n = r.int32();
    for (let j = 0; j < n; j++) partitions.push(`${topic}-${r.int32()}`);
  }
  return { producerId, producerEpoch, transactionTimeoutMs, state, partitions, lastUpdateTimestampMs: r.int64(), startTimestampMs: r.int64() };
}
