import { scenarioFromObject } from './loader.js';
import { runScenario } from './runner.js';
import type { ProcessingMode } from '../nodes/consumer/consumer.js';

/**
 * The teaching matrix, computed rather than asserted: delivery configurations (rows) under
 * fault families (columns), each cell the messages lost, duplicated and reordered over a
 * number of seeds, set against what the textbook says may happen. Producer rows count what
 * reached the committed log; consumer rows run an idempotent producer and a consumer group,
 * and count what the group processed: records skipped count as lost, records processed
 * again as duplicated. The exactly-once row runs a transactional processor and counts, as
 * read_committed sees its output, inputs without an output as lost and extra outputs as
 * duplicated.
 */

export type Effect = 'lost' | 'duplicated' | 'reordered';

export interface Row {
  readonly name: string;
  readonly producer: Record<string, unknown>;
  readonly minInsyncReplicas: number;
  /** Consumer rows: a two-member group processing in this mode. */
  readonly consumer?: ProcessingMode;
  /** The exactly-once row: a two-instance transactional processor instead of a plain group. */
  readonly transactional?: boolean;
  /** What the textbook allows this configuration to do under faults. */
  readonly mayUnderFaults: readonly Effect[];
}

export interface Column {
  readonly name: string;
  readonly faults: readonly Record<string, unknown>[];
  /** Faults that only mean something where there are consumers. */
  readonly consumersOnly?: boolean;
}

export const ROWS: readonly Row[] = [
  { name: 'acks=0', producer: { acks: '0', 'enable.idempotence': false }, minInsyncReplicas: 1, mayUnderFaults: ['lost'] },
  { name: 'acks=1', producer: { acks: '1', 'enable.idempotence': false }, minInsyncReplicas: 1, mayUnderFaults: ['lost', 'duplicated', 'reordered'] },
  { name: 'acks=all, min.insync.replicas=1', producer: { acks: 'all', 'enable.idempotence': false }, minInsyncReplicas: 1, mayUnderFaults: ['lost', 'duplicated', 'reordered'] },
  { name: 'acks=all, min.insync.replicas=2', producer: { acks: 'all', 'enable.idempotence': false }, minInsyncReplicas: 2, mayUnderFaults: ['duplicated', 'reordered'] },
  { name: 'idempotence (acks=all, min.insync.replicas=2)', producer: { acks: 'all', 'enable.idempotence': true }, minInsyncReplicas: 2, mayUnderFaults: [] },
  // The same safe producer, and a consumer group deciding when to commit.
  { name: 'commit-before-process', producer: { acks: 'all', 'enable.idempotence': true }, minInsyncReplicas: 2, consumer: 'commit-before-process', mayUnderFaults: ['lost'] },
  { name: 'commit-after-process', producer: { acks: 'all', 'enable.idempotence': true }, minInsyncReplicas: 2, consumer: 'commit-after-process', mayUnderFaults: ['duplicated'] },
  { name: 'auto-commit', producer: { acks: 'all', 'enable.idempotence': true }, minInsyncReplicas: 2, consumer: 'auto-commit', mayUnderFaults: ['lost', 'duplicated'] },
  // Consume-transform-produce in transactions, read as read_committed sees it.
  { name: 'transactions (exactly-once)', producer: { acks: 'all', 'enable.idempotence': true }, minInsyncReplicas: 2, transactional: true, mayUnderFaults: [] },
];

export const COLUMNS: readonly Column[] = [
  { name: 'none', faults: [] },
  {
    name: 'leader crash',
    faults: [
      { at: '4s', action: 'crash', target: 'leader(orders-0)' },
      { at: '8s', action: 'restart', target: 'broker-1' },
      { at: '8s', action: 'restart', target: 'broker-2' },
      { at: '8s', action: 'restart', target: 'broker-3' },
    ],
  },
  // The leader is cut off from everyone, the producer included.
  {
    name: 'leader isolated',
    faults: [
      { at: '4s', action: 'partition', name: 'cut-leader', isolate: 'leader(orders-0)' },
      { at: '10s', action: 'heal', name: 'cut-leader' },
    ],
  },
  // Longer than broker.session.timeout.ms: the controller elects another leader, and the
  // paused one wakes up believing it still leads (a zombie).
  { name: 'zombie pause', faults: [{ at: '4s', action: 'pause', target: 'leader(orders-0)', for: '12s' }] },
  // A planned rolling restart: each broker shut down (SIGTERM: a controlled shutdown, its
  // leaderships moved first) and started again in turn.
  {
    name: 'rolling restart',
    faults: [
      { at: '4s', action: 'shutdown', target: 'broker-1' },
      { at: '6s', action: 'restart', target: 'broker-1' },
      { at: '8s', action: 'shutdown', target: 'broker-2' },
      { at: '10s', action: 'restart', target: 'broker-2' },
      { at: '12s', action: 'shutdown', target: 'broker-3' },
      { at: '14s', action: 'restart', target: 'broker-3' },
    ],
  },
  // Each member of the group crashes in turn, mid-batch, and comes back: whichever owns
  // the partition is hit.
  {
    name: 'consumer crash',
    consumersOnly: true,
    faults: [
      { at: '9s', action: 'crash', target: 'member(c1, 1)' },
      { at: '11s', action: 'restart', target: 'member(c1, 1)' },
      { at: '14s', action: 'crash', target: 'member(c1, 2)' },
      { at: '16s', action: 'restart', target: 'member(c1, 2)' },
    ],
  },
];

export interface Cell {
  readonly row: string;
  readonly column: string;
  readonly seeds: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  /** False for a consumer fault in a row without consumers: not run. */
  readonly applicable: boolean;
  /** Effects seen that the textbook says must not happen here. */
  readonly unexpected: readonly Effect[];
  /** Effects the textbook allows here that no seed showed. */
  readonly notSeen: readonly Effect[];
}

/** The scenario of one cell, as a scenario file would hold it. */
export function cellScenario(row: Row, column: Column): Record<string, unknown> {
  return {
    name: `semantics: ${row.name} / ${column.name}`,
    duration: '20s',
    drain: '30s',
    cluster: { brokers: 3, config: { 'min.insync.replicas': row.minInsyncReplicas, 'unclean.leader.election.enable': false, 'offsets.topic.num.partitions': 5, 'transaction.state.log.num.partitions': 5 }, network: { latency: { dist: 'uniform', min: '1ms', max: '10ms' } } },
    topics: [{ name: 'orders', partitions: 1, 'replication.factor': 3 }, ...(row.transactional === true ? [{ name: 'receipts', partitions: 1, 'replication.factor': 3 }] : [])],
    clients: [
      {
        id: 'p1',
        type: 'producer',
        topic: 'orders',
        config: { ...row.producer, 'linger.ms': 5, 'request.timeout.ms': 3000, 'max.in.flight.requests.per.connection': 5 },
        workload: { rate: '500/s', keys: 20, valueBytes: 50, start: '1s', stop: '18s' },
      },
      ...(row.transactional !== true
        ? []
        : [
            {
              id: 'c1',
              type: 'processor',
              from: 'orders',
              to: 'receipts',
              group: 'g1',
              instances: 2,
              config: { 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'transaction.timeout.ms': 10000 },
              processing: { mode: 'transactional', time: '1ms..3ms', transactionRecords: 50 },
            },
          ]),
      ...(row.consumer === undefined
        ? []
        : [
            {
              id: 'c1',
              type: 'consumer',
              group: 'g1',
              topics: ['orders'],
              instances: 2,
              config: { 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'max.poll.records': 50 },
              processing: { mode: row.consumer, time: '1ms..3ms' },
            },
          ]),
    ],
    faults: column.faults,
    checks: ['lost-write', 'duplicate', 'reorder', ...(row.consumer === undefined ? [] : ['skipped', 'reprocessed']), ...(row.transactional === true ? ['exactly-once'] : [])],
  };
}

/** Runs every cell for seeds 1..seeds. `onCell` hears of each as it completes. */
export function semanticsMatrix(seeds: number, onCell?: (cell: Cell) => void): Cell[] {
  const cells: Cell[] = [];
  for (const row of ROWS) {
    for (const column of COLUMNS) {
      const cell = semanticsCell(row, column, seeds);
      cells.push(cell);
      onCell?.(cell);
    }
  }
  return cells;
}

/** One cell of the matrix, run for seeds 1..seeds. */
export function semanticsCell(row: Row, column: Column, seeds: number): Cell {
  const applicable = row.consumer !== undefined || row.transactional === true || column.consumersOnly !== true;
  // A cell that does not apply is not run, nor built: its faults name members it has not.
  const scenario = applicable ? scenarioFromObject(cellScenario(row, column), `semantics/${row.name}/${column.name}`) : undefined;
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  for (let seed = 1; scenario !== undefined && seed <= seeds; seed++) {
    const r = runScenario(scenario, { seed, onlineChecks: false });
    for (const v of r.violations) {
      if (v.kind === 'lost-write') lost += (v.details.ids as unknown[]).length;
      else if (v.kind === 'skipped') lost += (v.details.offsets as unknown[]).length;
      else if (v.kind === 'duplicate') duplicated += (v.details.duplicates as unknown[]).length;
      else if (v.kind === 'reprocessed') duplicated += (v.details.records as unknown[]).length;
      else if (v.kind === 'reorder') reordered += Number(v.details.count);
      else if (v.kind === 'exactly-once') {
        const c = v.details.counts as { missing: number; duplicated: number; early: number };
        lost += c.missing;
        duplicated += c.duplicated + c.early;
      }
    }
  }
  const allowed = column.faults.length === 0 ? [] : row.mayUnderFaults;
  const seen: Record<Effect, number> = { lost, duplicated, reordered };
  const effects: Effect[] = ['lost', 'duplicated', 'reordered'];
  return {
    row: row.name,
    column: column.name,
    seeds,
    lost,
    duplicated,
    reordered,
    applicable,
    unexpected: effects.filter((e) => seen[e] > 0 && !allowed.includes(e)),
    notSeen: applicable ? effects.filter((e) => seen[e] === 0 && allowed.includes(e)) : [],
  };
}

/** Why a configuration may lose, duplicate or reorder: the textbook line for each effect. */
export const WHY: Readonly<Record<string, Partial<Record<Effect, string>>>> = {
  'acks=0': { lost: 'the producer does not wait for any broker: whatever the leader had not replicated, or never received, is gone' },
  'acks=1': {
    lost: 'the leader acknowledges before followers fetch; a new leader without those records wins',
    duplicated: 'a produce that times out is retried although the leader wrote it',
    reordered: 'with five requests in flight and no idempotence, a retried batch lands behind later ones',
  },
  'acks=all, min.insync.replicas=1': {
    lost: 'the ISR may shrink to the leader alone, and acks=all then means the leader alone',
    duplicated: 'retries without idempotence',
    reordered: 'retries with five requests in flight and no idempotence',
  },
  'acks=all, min.insync.replicas=2': { duplicated: 'retries without idempotence', reordered: 'retries with five requests in flight and no idempotence' },
  'commit-before-process': { lost: 'a member that dies after committing and before processing leaves records behind the committed offset that nobody processed' },
  'commit-after-process': { duplicated: 'a member that dies after processing and before committing hands its partition over from the last commit, and those records are processed again' },
  'auto-commit': {
    lost: "an application that hands records to another thread before the next poll() commits them unprocessed (here processing happens inside the poll loop, so this cannot show)",
    duplicated: 'auto-commit runs every auto.commit.interval.ms, so a crash loses up to that much commit progress and the records are processed again',
  },
};
