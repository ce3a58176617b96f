import { forEachHeaderValue, isControl, isTransactional, recordHeaderValues } from '../log/recordBatch.js';
import type { ClusterProbe, PartitionView, ReplicaLogView } from '../nodes/clusterProbe.js';
import { brokerNode } from '../nodes/protocol.js';
import type { BatchSummary, ClusterFinalState, KeyedRecord, LoggedRecord, PartitionState, ReplicaLog, TxnBatch } from '../checkers/finalState.js';
import { LogIds } from '../checkers/logIds.js';
import type { Scenario } from './schema.js';

/**
 * Reads every replica's log, as the ghost observer may: the checkers' view after the drain.
 * The final leader's log is decoded once, into columns (LogIds); its committed part is a
 * selection of those, and records as objects are built only for a checker that reads them.
 * `compactedAway` names, per partition, the offsets cleaners removed during the run.
 */
export function logSnapshot(
  scenario: Scenario,
  probe: ClusterProbe,
  compactedAway: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
): Pick<ClusterFinalState, 'partitions'> {
  const partitions: PartitionState[] = [];
  // Each log is decoded at most once per snapshot, whichever view asks first.
  const decoded = new Map<ReplicaLogView, LogIds>();
  const logIdsOf = (log: ReplicaLogView): LogIds => {
    let ids = decoded.get(log);
    if (ids === undefined) decoded.set(log, (ids = decodeIds(log)));
    return ids;
  };
  const image = probe.metadataImage();
  for (const t of scenario.topics) {
    for (let p = 0; p < t.partitions; p++) {
      const name = `${t.name}-${p}`;
      const held = probe.brokerIds().flatMap((broker) => {
        const partition = probe.partition(broker, name);
        return partition === undefined ? [] : [{ node: brokerNode(broker), partition }];
      });
      const replicas = held.map(({ node, partition }) => replicaLog(node, partition, logIdsOf));
      const leaderId = brokerNode(image?.partition(t.name, p)?.leader ?? -1);
      const leaderIndex = held.findIndex((h) => h.node === leaderId);
      const leader = leaderIndex < 0 ? undefined : replicas[leaderIndex];
      const leaderLog = leaderIndex < 0 ? undefined : held[leaderIndex].partition.log;
      // Committed data, as read_committed sees it: below the high watermark, no markers, nothing aborted or still open.
      const committedIds = leader === undefined || leaderLog === undefined ? new LogIds() : logIdsOf(leaderLog).select((offset, txn) => offset < leader.highWatermark && txn === undefined);
      partitions.push({
        partition: name,
        get committed(): readonly LoggedRecord[] {
          return committedIds.records;
        },
        committedIds,
        committedBatches: leader === undefined ? [] : (leader.batches ?? []).filter((b) => b.baseOffset < leader.highWatermark),
        highWatermark: leader?.highWatermark,
        replicas,
        logStartOffset: leaderLog?.logStartOffset,
        lastStableOffset: leaderLog?.lastStableOffset,
        txnBatches: leaderLog === undefined ? undefined : txnBatchesOf(leaderLog),
        compactedAway: compactedAway.get(name),
        keyTable: leaderLog === undefined || leader === undefined || (t.config?.['cleanup.policy'] ?? 'delete') === 'delete' ? undefined : keyTableOf(leaderLog, leader.highWatermark),
      });
    }
  }
  return { partitions };
}

/** A replica's log for the checkers: batch headers now, records decoded only when asked for. */
function replicaLog(broker: string, partition: PartitionView, logIdsOf: (log: ReplicaLogView) => LogIds): ReplicaLog {
  let records: readonly LoggedRecord[] | undefined;
  return {
    broker,
    highWatermark: partition.highWatermark,
    logEndOffset: partition.log.logEndOffset,
    logStartOffset: partition.log.logStartOffset,
    batches: batchesOf(partition.log, partition.log.logStartOffset, partition.log.logEndOffset),
    get records(): readonly LoggedRecord[] {
      return (records ??= logIdsOf(partition.log).records);
    },
  };
}

/** Each key's latest committed record in a compacted log (below `highWatermark`, no markers). */
function keyTableOf(log: ReplicaLogView, highWatermark: number): Map<string, KeyedRecord> {
  const table = new Map<string, KeyedRecord>();
  let txns: ReturnType<typeof txnOutcomes> | undefined;
  log.forEachBatch(log.logStartOffset, highWatermark, (records, pos, h) => {
    if (isControl(h)) return;
    if (isTransactional(h) && (txns ??= txnOutcomes(log)).outcomeOf(h.producerId, h.baseOffset) !== 'committed') return;
    for (const r of recordHeaderValues(records, pos, h, 'id')) {
      if (r.key !== null && r.offset < highWatermark) table.set(r.key, { offset: r.offset, id: r.value, tombstone: r.tombstone });
    }
  });
  return table;
}

/** The headers of the batches of `log` that hold offsets in [from, to). */
export function batchesOf(log: ReplicaLogView, from: number, to: number): BatchSummary[] {
  const out: BatchSummary[] = [];
  log.forEachBatchSummary(from, to, (baseOffset, lastOffset, epoch, crc) => out.push({ baseOffset, lastOffset, epoch, crc }));
  return out;
}

const ID_HEADER = Buffer.from('id');

/** Every record of `log` with its message id header, epoch and transaction status, in columns. */
function decodeIds(log: ReplicaLogView): LogIds {
  const ids = new LogIds();
  const txns = txnOutcomes(log);
  log.forEachBatch(log.logStartOffset, log.logEndOffset, (records, pos, h) => {
    const outcome = isControl(h) ? 'control' : isTransactional(h) ? txns.outcomeOf(h.producerId, h.baseOffset) : undefined;
    const txn = outcome === 'committed' ? undefined : outcome;
    const epoch = h.partitionLeaderEpoch;
    forEachHeaderValue(records, pos, h, ID_HEADER, (offset, bytes, start, length) => ids.addBytes(offset, epoch, txn, bytes, start, length));
  });
  return ids;
}

/**
 * How each transactional batch of a log ended: aborted if the aborted-transaction index
 * covers it, open if no marker has closed its transaction yet, else committed.
 */
function txnOutcomes(log: ReplicaLogView): { outcomeOf(producerId: number, offset: number): 'committed' | 'aborted' | 'open' } {
  const aborted = log.abortedTransactions(log.logStartOffset, log.logEndOffset);
  const open = new Map<number, number>();
  for (const e of log.producers.allEntries()) if (e.currentTxnFirstOffset !== undefined) open.set(e.producerId, e.currentTxnFirstOffset);
  return {
    outcomeOf(producerId, offset) {
      if (aborted.some((t) => t.producerId === producerId && offset >= t.firstOffset && offset <= t.lastOffset)) return 'aborted';
      const since = open.get(producerId);
      return since !== undefined && offset >= since ? 'open' : 'committed';
    },
  };
}

/** The transactional batches of a log, for the transaction checkers; undefined when it has none. */
function txnBatchesOf(log: ReplicaLogView): TxnBatch[] | undefined {
  const out: TxnBatch[] = [];
  let txns: ReturnType<typeof txnOutcomes> | undefined;
  log.forEachBatch(log.logStartOffset, log.logEndOffset, (_records, _pos, h) => {
    if (!isTransactional(h)) return;
    txns ??= txnOutcomes(log);
    const control = isControl(h);
    out.push({ baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, producerId: h.producerId, producerEpoch: h.producerEpoch, control, outcome: control ? 'marker' : txns.outcomeOf(h.producerId, h.baseOffset), timestampMs: h.maxTimestamp });
  });
  return out.length === 0 ? undefined : out;
}
