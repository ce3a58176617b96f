/**
 * Cluster benchmark: 3 brokers, RF=3, 6 partitions, one producer at 20,000 msg/s with
 * acks=all for 60 simulated seconds, no faults, fingerprint-only trace. The ceiling is one
 * MemoryDisk log appending the same records in the same batches; the cluster appends every
 * record three times, so a ratio near 0.33 is the limit. The same run again without the
 * online spec checks gives their cost, and with one controller instead of the default quorum of
 * three the quorum's (issue 23: the 3-controller run's msg/s at least 0.8 of the 1-controller
 * run's); the acks=1 lesson at 1,000 msg/s gives the time compression of a teaching-size run.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseScenario } from '../src/scenarios/loader.js';
import { runScenario, type RunResult } from '../src/scenarios/runner.js';
import { Log, DEFAULT_LOG_CONFIG } from '../src/log/log.js';
import { MemoryDisk } from '../src/log/memoryDisk.js';
import { encodeBatch } from '../src/log/recordBatch.js';
import { bestOf, countAllocations, fmtRate, parseBenchArgs, printTable, round, timeIt } from './harness.js';

function scenario(rate: number, seconds: number, controllers = 3): string {
  return `
name: cluster-bench
duration: ${seconds}s
drain: 5s
cluster: { brokers: 3, controllers: ${controllers}, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all, linger.ms: 5 }, workload: { rate: ${rate}/s, keys: 1000, valueBytes: 100, start: 1s } }
`;
}

/** The ceiling: the same number of 100-byte records, in batches of the size the producer makes, into one log; fastest of three. */
function ceiling(records: number, perBatch: number): number {
  const batch = Array.from({ length: perBatch }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i), headers: [{ key: 'id', value: `p1#${i}` }], timestamp: i }));
  const seconds = bestOf(3, () => {
    const { log } = Log.open(new MemoryDisk(), 'c-0', DEFAULT_LOG_CONFIG);
    for (let n = 0; n < records; n += perBatch) log.appendAsLeader(encodeBatch(batch), 1);
  });
  return records / seconds;
}

/**
 * The teaching-size run: the acks=1 lesson (3 brokers, faults, nemesis, online checks) at
 * 1,000 msg/s, fastest of `repeats`; then one more run under the allocation sampler for the
 * objects allocated per message sent.
 */
function teaching(repeats = 3): { compression: number; simulatedS: number; wallS: number; objectsPerMsg: number; bytesPerMsg: number } {
  const lesson = loadScenario(fileURLToPath(new URL('../../src/scenarios/library/acks1-leader-failover.yaml', import.meta.url)));
  const scenario = { ...lesson, clients: lesson.clients.map((c) => (c.type === 'producer' ? { ...c, workload: { ...c.workload, rate: 1_000 } } : c)) };
  let simulatedS = 0;
  const wallS = bestOf(repeats, () => {
    simulatedS = runScenario(scenario).stats.simulatedMs / 1000;
  });
  let sent = 1;
  const { objects, bytes } = countAllocations(() => {
    sent = Math.max(1, runScenario(scenario).stats.produced);
  });
  return { compression: simulatedS / wallS, simulatedS, wallS, objectsPerMsg: objects / sent, bytesPerMsg: bytes / sent };
}

export function main(argv: readonly string[]): void {
  const args = parseBenchArgs(argv);
  const seconds = Number(args.options.get('seconds') ?? 60);
  const rate = Number(args.options.get('rate') ?? 20_000);
  runScenario(parseScenario(scenario(2_000, 5))); // warm-up
  if (args.flags.has('teaching')) {
    // Only the teaching run, many times: quick before/after comparisons while iterating.
    const t = teaching(Number(args.options.get('repeats') ?? 10));
    console.log(`teaching run: ${round(t.compression, 0)}x (${t.simulatedS} s in ${round(t.wallS, 3)} s), ${round(t.objectsPerMsg, 1)} objects/msg, ${Math.round(t.bytesPerMsg)} bytes/msg`);
    return;
  }
  // Batches of ~5 ms of one partition's traffic: rate / 6 partitions / 200 per second.
  const perBatch = Math.max(1, Math.round(rate / 6 / 200));
  const ceilingPerSec = ceiling(Math.min(rate * seconds, 500_000), perBatch);

  const rssBefore = process.memoryUsage().rss;
  const t = performance.now();
  let r: RunResult | undefined = runScenario(parseScenario(scenario(rate, seconds)));
  const wall = (performance.now() - t) / 1000;
  const rssAfter = process.memoryUsage().rss;
  const { acked, simulatedMs, events } = r.stats;
  const violations = r.violations.length;
  r = undefined; // let the next runs start from an empty heap
  const offWall = timeIt(() => runScenario(parseScenario(scenario(rate, seconds)), { onlineChecks: false }));
  let ackedOne = 0;
  const oneWall = timeIt(() => {
    ackedOne = runScenario(parseScenario(scenario(rate, seconds, 1))).stats.acked;
  });
  const lesson = teaching();

  const msgPerSec = acked / wall;
  const compression = simulatedMs / 1000 / wall;
  const eventsPerSec = events / wall;
  const ratio = msgPerSec / ceilingPerSec;
  const rssBytesPerMsg = Math.max(0, rssAfter - rssBefore) / Math.max(1, acked);
  const onlineChecksCost = wall / offWall;
  const quorumShare = msgPerSec / (ackedOne / oneWall);
  console.log(`cluster: 3 brokers, 3 controllers, RF=3, 6 partitions, acks=all, ${rate} msg/s for ${seconds} simulated s, online checks on (violations: ${violations})`);
  printTable([
    ['acked', 'msg/s (wall)', 'time compression', 'events/s', 'ceiling msg/s', 'ratio', 'RSS bytes/msg', 'online checks cost', '3 vs 1 controllers', 'teaching run', 'objects/msg'],
    [
      acked,
      fmtRate(msgPerSec),
      `${round(compression, 2)}x`,
      fmtRate(eventsPerSec),
      fmtRate(ceilingPerSec),
      round(ratio, 3),
      Math.round(rssBytesPerMsg),
      `${round(onlineChecksCost, 2)}x time`,
      `${round(quorumShare, 2)} of msg/s`,
      `${round(lesson.compression, 0)}x (${lesson.simulatedS} s in ${round(lesson.wallS, 2)} s)`,
      round(lesson.objectsPerMsg, 1),
    ],
  ]);
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'cluster',
        msgPerSec: Math.round(msgPerSec),
        timeCompression: round(compression, 3),
        eventsPerSec: Math.round(eventsPerSec),
        ratio: round(ratio, 4),
        rssBytesPerMsg: Math.round(rssBytesPerMsg),
        onlineChecksCost: round(onlineChecksCost, 3),
        quorumShare: round(quorumShare, 3),
        teachingTimeCompression: round(lesson.compression, 1),
        objectsPerMsg: round(lesson.objectsPerMsg, 1),
        bytesPerMsg: Math.round(lesson.bytesPerMsg),
      }),
    );
  }
}
