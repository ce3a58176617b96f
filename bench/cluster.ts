/**
 * Cluster benchmark: 3 brokers, RF=3, 6 partitions, one producer at 20,000 msg/s with
 * acks=all for 60 simulated seconds, no faults, fingerprint-only trace. The ceiling is one
 * MemoryDisk log appending the same records in the same batches; the cluster appends every
 * record three times, so a ratio near 0.33 is the limit.
 */
import { performance } from 'node:perf_hooks';
import { parseScenario } from '../src/scenarios/loader.js';
import { runScenario } from '../src/scenarios/runner.js';
import { Log, DEFAULT_LOG_CONFIG } from '../src/log/log.js';
import { MemoryDisk } from '../src/log/memoryDisk.js';
import { encodeBatch } from '../src/log/recordBatch.js';
import { fmtRate, parseBenchArgs, printTable, round } from './harness.js';

function scenario(rate: number, seconds: number): string {
  return `
name: cluster-bench
duration: ${seconds}s
drain: 5s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all, linger.ms: 5 }, workload: { rate: ${rate}/s, keys: 1000, valueBytes: 100, start: 1s } }
`;
}

/** The ceiling: the same number of 100-byte records, in batches of the size the producer makes, into one log. */
function ceiling(records: number, perBatch: number): number {
  const { log } = Log.open(new MemoryDisk(), 'c-0', DEFAULT_LOG_CONFIG);
  const batch = Array.from({ length: perBatch }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i), timestamp: i }));
  const t = performance.now();
  for (let n = 0; n < records; n += perBatch) log.appendAsLeader(encodeBatch(batch), 1);
  return records / ((performance.now() - t) / 1000);
}

export function main(argv: readonly string[]): void {
  const args = parseBenchArgs(argv);
  const seconds = Number(args.options.get('seconds') ?? 60);
  const rate = Number(args.options.get('rate') ?? 20_000);
  runScenario(parseScenario(scenario(2_000, 5))); // warm-up
  const rssBefore = process.memoryUsage().rss;
  const t = performance.now();
  const r = runScenario(parseScenario(scenario(rate, seconds)));
  const wall = (performance.now() - t) / 1000;
  const rssAfter = process.memoryUsage().rss;
  const msgPerSec = r.stats.acked / wall;
  const compression = r.stats.simulatedMs / 1000 / wall;
  const eventsPerSec = r.stats.events / wall;
  // Batches of ~5 ms of one partition's traffic: rate / 6 partitions / 200 per second.
  const perBatch = Math.max(1, Math.round(rate / 6 / 200));
  const ceilingPerSec = ceiling(Math.min(r.stats.acked, 2_000_000), perBatch);
  const ratio = msgPerSec / ceilingPerSec;
  const rssBytesPerMsg = Math.max(0, rssAfter - rssBefore) / Math.max(1, r.stats.acked);
  console.log(`cluster: 3 brokers, RF=3, 6 partitions, acks=all, ${rate} msg/s for ${seconds} simulated s (violations: ${r.violations.length})`);
  printTable([
    ['acked', 'msg/s (wall)', 'time compression', 'events/s', 'ceiling msg/s', 'ratio', 'RSS bytes/msg'],
    [r.stats.acked, fmtRate(msgPerSec), `${round(compression, 2)}x`, fmtRate(eventsPerSec), fmtRate(ceilingPerSec), round(ratio, 3), Math.round(rssBytesPerMsg)],
  ]);
  if (args.json) {
    console.log(JSON.stringify({ bench: 'cluster', msgPerSec: Math.round(msgPerSec), timeCompression: round(compression, 3), eventsPerSec: Math.round(eventsPerSec), ratio: round(ratio, 4), rssBytesPerMsg: Math.round(rssBytesPerMsg) }));
  }
}
