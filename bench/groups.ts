/**
 * Consumer-group benchmark.
 *
 * 1. Rebalance: a group of 100 members on 1,000 partitions is stable; one more member joins.
 *    How long until every member holds its part of the new generation, in simulated time
 *    and in the wall time the simulator took to get there.
 * 2. Assignors: assignments per second for 100 members by 1,000 partitions, for each
 *    assignor, each including the encoding of every member's assignment. The peer is
 *    kafkajs's RoundRobinAssigner on the same input, measured in the same run.
 * 3. End to end: the cluster bench's workload with a 3-member group consuming it
 *    (commit-after-process): consumed messages per wall second.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseScenario } from '../src/scenarios/loader.js';
import { runScenario } from '../src/scenarios/runner.js';
import { assign, type AssignorName, type MemberSubscription } from '../src/nodes/consumer/assignors.js';
import { encodeAssignment } from '../src/nodes/consumer/consumerProtocol.js';
import type { TraceRecord, TraceSink } from '../src/sim/trace.js';
import { fmtRate, parseBenchArgs, printTable, round, timeIt } from './harness.js';

const MEMBERS = 100;
const PARTITIONS = 1_000;
const JOIN_AT_S = 20;

function rebalanceScenario(): string {
  return `
name: groups-bench
duration: 40s
drain: 1s
cluster: { brokers: 3, config: { offsets.topic.num.partitions: 10, group.initial.rebalance.delay.ms: 3000 } }
topics: [{ name: orders, partitions: ${PARTITIONS}, replication.factor: 1 }]
clients:
  - { id: c1, type: consumer, group: g1, topics: [orders], instances: ${MEMBERS}, config: { auto.offset.reset: earliest, partition.assignment.strategy: range } }
  - { id: c2, type: consumer, group: g1, topics: [orders], start: ${JOIN_AT_S}s, config: { auto.offset.reset: earliest, partition.assignment.strategy: range } }
`;
}

/** Watches the run for the generation the joining member is in, and when its last member got its assignment. */
class RebalanceWatch implements TraceSink {
  joinWall = 0;
  lastAssignWall = 0;
  lastAssignAt = 0;
  private generation = -1;
  private readonly assigned = new Set<string>();

  write(record: TraceRecord): void {
    if (record.at < JOIN_AT_S * 1_000_000) return;
    if (this.joinWall === 0) this.joinWall = performance.now();
    if (record.kind !== 'client.op' || record.f !== 'assign' || record.type !== 'ok') return;
    const value = record.value as { generation: number };
    if (record.process === 'c2-1' && this.generation < 0) this.generation = value.generation;
    if (value.generation !== this.generation && !(this.generation < 0)) return;
    this.assigned.add(`${record.process}@${value.generation}`);
    this.lastAssignWall = performance.now();
    this.lastAssignAt = record.at;
  }

  /** Members holding the joiner's generation. */
  get members(): number {
    return [...this.assigned].filter((k) => k.endsWith(`@${this.generation}`)).length;
  }
}

function rebalance(): { simulatedMs: number; wallMs: number; members: number } {
  const watch = new RebalanceWatch();
  runScenario(parseScenario(rebalanceScenario()), { sinks: [watch], onlineChecks: false });
  return { simulatedMs: (watch.lastAssignAt - JOIN_AT_S * 1_000_000) / 1000, wallMs: watch.lastAssignWall - watch.joinWall, members: watch.members };
}

const members: MemberSubscription[] = Array.from({ length: MEMBERS }, (_, i) => ({ memberId: `consumer-${String(i).padStart(3, '0')}`, topics: ['orders'] }));

/** Assignments per second of one assignor (with every member's assignment encoded), fastest of three rounds. */
function assignorRate(name: AssignorName): number {
  const rounds = name === 'sticky' || name === 'cooperative-sticky' ? 30 : 200;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    best = Math.min(
      best,
      timeIt(() => {
        for (let i = 0; i < rounds; i++) {
          const a = assign(name, { orders: PARTITIONS }, members);
          for (const m of members) encodeAssignment(a[m.memberId]);
        }
      }),
    );
  }
  return rounds / best;
}

interface KafkajsAssigner {
  assign(group: { members: { memberId: string }[]; topics: string[] }): Promise<unknown>;
}

async function kafkajsRoundRobinRate(): Promise<number> {
  const require = createRequire(import.meta.url);
  const { PartitionAssigners } = require('kafkajs') as { PartitionAssigners: { roundRobin: (o: { cluster: unknown }) => KafkajsAssigner } };
  const metadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId }));
  const assigner = PartitionAssigners.roundRobin({ cluster: { findTopicPartitionMetadata: () => metadata } });
  const group = { members: members.map((m) => ({ memberId: m.memberId })), topics: ['orders'] };
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < 200; i++) await assigner.assign(group);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return 200 / best;
}

function endToEnd(rate: number, seconds: number): { consumedPerSec: number; producedPerSec: number; consumed: number } {
  const text = (withGroup: boolean): string => `
name: groups-e2e-bench
duration: ${seconds}s
drain: 5s
cluster: { brokers: 3, config: { min.insync.replicas: 2, offsets.topic.num.partitions: 10 } }
topics: [{ name: orders, partitions: 6, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all, linger.ms: 5 }, workload: { rate: ${rate}/s, keys: 1000, valueBytes: 100, start: 1s } }
${withGroup ? '  - { id: c1, type: consumer, group: g1, topics: [orders], instances: 3, config: { auto.offset.reset: earliest }, processing: { mode: commit-after-process } }' : ''}
`;
  let consumed = 0;
  const wall = timeIt(() => {
    const r = runScenario(parseScenario(text(true)));
    consumed = r.simulation.history.ops.filter((o) => o.f === 'process' && o.type === 'ok').length;
  });
  let produced = 0;
  const producerWall = timeIt(() => {
    produced = runScenario(parseScenario(text(false))).stats.acked;
  });
  return { consumedPerSec: consumed / wall, producedPerSec: produced / producerWall, consumed };
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const rate = Number(args.options.get('rate') ?? 10_000);
  const seconds = Number(args.options.get('seconds') ?? 20);
  const r = rebalance();
  const assignors: AssignorName[] = ['range', 'roundrobin', 'sticky', 'cooperative-sticky'];
  const rates = Object.fromEntries(assignors.map((a) => [a, assignorRate(a)])) as Record<AssignorName, number>;
  const peer = await kafkajsRoundRobinRate();
  const e2e = endToEnd(rate, seconds);

  console.log(`groups: ${MEMBERS} members on ${PARTITIONS} partitions; one more joins at ${JOIN_AT_S} s`);
  printTable([
    ['rebalance (simulated)', 'rebalance (wall)', 'members in the new generation'],
    [`${round(r.simulatedMs, 1)} ms`, `${round(r.wallMs, 1)} ms`, r.members],
  ]);
  console.log(`\nassignors: ${MEMBERS} members x ${PARTITIONS} partitions, assignments/s (each with every member's assignment encoded)`);
  printTable([
    [...assignors, 'kafkajs roundRobin', 'roundrobin / kafkajs'],
    [...assignors.map((a) => fmtRate(rates[a])), fmtRate(peer), round(rates.roundrobin / peer, 2)],
  ]);
  console.log(`\nend to end: ${rate} msg/s for ${seconds} simulated s, 3 brokers RF=3, 6 partitions, a 3-member group (commit-after-process)`);
  printTable([
    ['consumed', 'consumed msg/s (wall)', 'producer-only msg/s (wall)', 'cost of the group'],
    [e2e.consumed, fmtRate(e2e.consumedPerSec), fmtRate(e2e.producedPerSec), `${round(e2e.producedPerSec / e2e.consumedPerSec, 2)}x time`],
  ]);
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'groups',
        rebalanceSimulatedMs: round(r.simulatedMs, 1),
        rebalanceWallMs: round(r.wallMs, 1),
        assignmentsPerSec: Object.fromEntries(assignors.map((a) => [a, round(rates[a], 1)])),
        kafkajsRoundRobinPerSec: round(peer, 1),
        roundRobinRatio: round(rates.roundrobin / peer, 3),
        consumedPerSec: Math.round(e2e.consumedPerSec),
      }),
    );
  }
}
