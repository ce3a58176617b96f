/**
 * Exactly-once benchmark: a transactional processor pipeline (3 brokers, RF=3, 6 input and 6
 * output partitions, 3 processor instances, 100 records a transaction) fed at 10,000 msg/s
 * for 60 simulated seconds. It prints committed transactions and end-to-end records per wall
 * second, and the ratio to the same pipeline with processing.mode commit-after-process (no
 * transactions), run in the same process.
 */
import { parseScenario } from '../src/scenarios/loader.js';
import { runScenario } from '../src/scenarios/runner.js';
import { fmtRate, parseBenchArgs, printTable, round, timeIt } from './harness.js';

function scenario(mode: 'transactional' | 'commit-after-process', rate: number, seconds: number): string {
  return `
name: eos-bench
duration: ${seconds}s
drain: 10s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 10, transaction.state.log.num.partitions: 10 } }
topics:
  - { name: orders, partitions: 6, replication.factor: 3 }
  - { name: receipts, partitions: 6, replication.factor: 3 }
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all, linger.ms: 5 }, workload: { rate: ${rate}/s, keys: 1000, valueBytes: 100, start: 1s } }
  - { id: t1, type: processor, from: orders, to: receipts, group: g1, instances: 3, config: { auto.offset.reset: earliest }, processing: { mode: ${mode}, transactionRecords: 100 } }
checks: [exactly-once]
`;
}

interface PipelineRun {
  readonly wallS: number;
  readonly produced: number;
  readonly records: number;
  readonly transactions: number;
  readonly violations: number;
}

function pipeline(mode: 'transactional' | 'commit-after-process', rate: number, seconds: number): PipelineRun {
  let records = 0;
  let transactions = 0;
  let violations = 0;
  let produced = 0;
  const wallS = timeIt(() => {
    const r = runScenario(parseScenario(scenario(mode, rate, seconds)), { onlineChecks: false });
    for (const op of r.simulation.history.ops) {
      if (op.type !== 'ok') continue;
      if (op.f === 'process') records++;
      else if (op.f === 'txn') transactions++;
    }
    violations = r.violations.length;
    produced = r.stats.acked;
  });
  return { wallS, produced, records, transactions, violations };
}

export function main(argv: readonly string[]): void {
  const args = parseBenchArgs(argv);
  const rate = Number(args.options.get('rate') ?? 10_000);
  const seconds = Number(args.options.get('seconds') ?? 60);
  pipeline('transactional', 1_000, 5); // warm-up
  const eos = pipeline('transactional', rate, seconds);
  const plain = pipeline('commit-after-process', rate, seconds);
  const eosRecordsPerSec = eos.records / eos.wallS;
  const plainRecordsPerSec = plain.records / plain.wallS;
  const ratio = eosRecordsPerSec / plainRecordsPerSec;
  console.log(`eos: ${rate} msg/s for ${seconds} simulated s through 3 transactional processor instances (100 records a transaction), 3 brokers, RF=3, 6 partitions`);
  printTable([
    ['', 'transactions/s (wall)', 'records/s (wall)', 'processed / produced', 'violations', 'wall s'],
    ['transactional', fmtRate(eos.transactions / eos.wallS), fmtRate(eosRecordsPerSec), `${eos.records} / ${eos.produced}`, eos.violations, round(eos.wallS, 2)],
    ['commit-after-process', '—', fmtRate(plainRecordsPerSec), `${plain.records} / ${plain.produced}`, plain.violations, round(plain.wallS, 2)],
    ['ratio', '', round(ratio, 3), '', '', ''],
  ]);
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'eos',
        transactionsPerSec: round(eos.transactions / eos.wallS, 1),
        recordsPerSec: Math.round(eosRecordsPerSec),
        plainRecordsPerSec: Math.round(plainRecordsPerSec),
        ratio: round(ratio, 3),
      }),
    );
  }
}
