/**
 * fast-check arbitraries for kafkasim scenarios, for property tests in your own vitest or
 * jest suite (`import { scenario } from 'kafkasim/arbitraries'`). They build plain scenario
 * objects, as a YAML file would hold them, so a counterexample prints as a scenario you can
 * save and replay with `kafkasim run`. Fault schedules are arrays: when a property fails,
 * fast-check's own shrinking removes faults and moves them earlier, down to a minimal
 * schedule that still breaks it.
 *
 * fast-check is a peer dependency: install it beside kafkasim to use this module.
 */
import fc from 'fast-check';

export type Acks = '0' | '1' | 'all';

/** A fault as a scenario file writes it. */
export type RawFault = Record<string, unknown> & { readonly at: string; readonly action: string };

export interface ClusterOptions {
  /** Number of brokers; default 3..5. */
  readonly brokers?: { readonly min: number; readonly max: number };
  /** min.insync.replicas; default 1..2. */
  readonly minInsyncReplicas?: readonly number[];
  /** unclean.leader.election.enable; default both. */
  readonly uncleanLeaderElection?: readonly boolean[];
}

/** The cluster section: brokers and Kafka's replication settings. */
export function cluster(options: ClusterOptions = {}): fc.Arbitrary<{ brokers: number; config: Record<string, unknown> }> {
  const b = options.brokers ?? { min: 3, max: 5 };
  return fc.record({
    brokers: fc.integer({ min: b.min, max: b.max }),
    config: fc.record({
      'min.insync.replicas': fc.constantFrom(...(options.minInsyncReplicas ?? [1, 2])),
      'unclean.leader.election.enable': fc.constantFrom(...(options.uncleanLeaderElection ?? [false, true])),
    }),
  });
}

export interface ProducerOptions {
  readonly acks?: readonly Acks[];
  readonly idempotence?: readonly boolean[];
  /** Messages per second; default 20..500. */
  readonly rate?: { readonly min: number; readonly max: number };
}

/** One producer client on topic `topic`, its Kafka config and its workload. */
export function producer(topic: string, durationS: number, options: ProducerOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const rate = options.rate ?? { min: 20, max: 500 };
  return fc
    .record({
      acks: fc.constantFrom(...(options.acks ?? (['0', '1', 'all'] as const))),
      idempotence: fc.constantFrom(...(options.idempotence ?? [false, true])),
      lingerMs: fc.integer({ min: 0, max: 20 }),
      rate: fc.integer({ min: rate.min, max: rate.max }),
      keys: fc.integer({ min: 1, max: 100 }),
    })
    .map(({ acks, idempotence, lingerMs, rate: r, keys }) => ({
      id: 'p1',
      type: 'producer',
      topic,
      // Kafka refuses idempotence without acks=all.
      config: { acks, 'enable.idempotence': idempotence && acks === 'all', 'linger.ms': lingerMs },
      workload: { rate: `${r}/s`, keys, valueBytes: 50, start: '1s', stop: `${Math.max(2, durationS - 1)}s` },
    }));
}

/**
 * The kinds a fault schedule draws from. The first five are the default; the others join
 * when asked for: `shutdown` (SIGTERM), `oneWay` (a one-way network partition between two
 * brokers), `degrade` (added latency and loss on a broker's links), `clock` (a broker's clock
 * jumps or drifts) and `disk` (bits rot in, or a tail is cut from, one of a broker's log
 * files). A `heal` ends partitions and degradations alike.
 */
export type FaultKind = 'crash' | 'restart' | 'shutdown' | 'pause' | 'isolate' | 'heal' | 'oneWay' | 'degrade' | 'clock' | 'disk';

export interface FaultOptions {
  readonly brokers: number;
  /** Faults fall within the run: from 1 s to this many seconds. */
  readonly durationS: number;
  readonly maxFaults?: number;
  readonly kinds?: readonly FaultKind[];
  /** Partitions whose leader a fault may target symbolically, such as "orders-0". */
  readonly partitions?: readonly string[];
}

/**
 * A fault schedule: crashes (of a broker or of a partition's current leader, by process or
 * by power), restarts, pauses, isolations and heals, at millisecond instants, in time order;
 * the other {@link FaultKind}s when `kinds` asks for them.
 */
export function faultSchedule(options: FaultOptions): fc.Arbitrary<RawFault[]> {
  const kinds = options.kinds ?? ['crash', 'restart', 'pause', 'isolate', 'heal'];
  const broker = fc.integer({ min: 1, max: options.brokers }).map((n) => `broker-${n}`);
  const target = options.partitions !== undefined && options.partitions.length > 0 ? fc.oneof(broker, fc.constantFrom(...options.partitions).map((p) => `leader(${p})`)) : broker;
  const at = fc.integer({ min: 1_000, max: Math.max(1_001, options.durationS * 1_000 - 1) });
  const fault: fc.Arbitrary<{ ms: number; fault: Record<string, unknown> }> = fc.oneof(
    ...kinds.map((kind) => {
      switch (kind) {
        case 'crash':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('crash'), target, mode: fc.constantFrom('process', 'power') }) });
        case 'restart':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('restart'), target: broker }) });
        case 'shutdown':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('shutdown'), target }) });
        case 'pause':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('pause'), target: broker, for: fc.integer({ min: 100, max: 10_000 }).map((n) => `${n}ms`) }) });
        case 'isolate':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('partition'), isolate: broker }) });
        case 'heal':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('heal') }) });
        case 'oneWay':
          return fc.record({ ms: at, fault: brokerPair(options.brokers).map(([from, to]) => ({ action: 'partition', oneWay: { from, to } })) });
        case 'degrade':
          return fc.record({
            ms: at,
            fault: fc.record({ action: fc.constant('degrade'), target: broker, latency: fc.integer({ min: 10, max: 3_000 }).map((n) => ({ dist: 'fixed', value: `${n}ms` })), loss: fc.constantFrom(0, 0.1, 0.5) }),
          });
        case 'clock':
          return fc.record({
            ms: at,
            fault: fc.oneof(
              fc.record({ action: fc.constant('clock'), target: broker, jump: fc.integer({ min: -10_000, max: 10_000 }).map((n) => `${n}ms`) }),
              fc.record({ action: fc.constant('clock'), target: broker, driftPpm: fc.integer({ min: -20_000, max: 20_000 }) }),
            ),
          });
        case 'disk':
          return fc.record({ ms: at, fault: fc.record({ action: fc.constant('disk'), target, fault: fc.constantFrom('bitflip', 'truncate'), count: fc.integer({ min: 1, max: 5 }) }) });
      }
    }),
  );
  return fc.array(fault, { maxLength: options.maxFaults ?? 6 }).map((list) =>
    [...list].sort((a, b) => a.ms - b.ms).map(({ ms, fault: f }) => ({ at: `${ms}ms`, ...f }) as RawFault),
  );
}

/** Two different brokers, in order. */
function brokerPair(brokers: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(fc.integer({ min: 1, max: brokers }), fc.integer({ min: 1, max: Math.max(1, brokers - 1) }))
    .map(([a, d]) => [`broker-${a}`, `broker-${((a - 1 + d) % brokers) + 1}`]);
}

export interface ScenarioOptions extends ClusterOptions, ProducerOptions {
  /** Simulated seconds; default 12. */
  readonly durationS?: number;
  readonly partitions?: { readonly min: number; readonly max: number };
  readonly maxFaults?: number;
  readonly faultKinds?: readonly FaultKind[];
  /** Checks to run; default all that apply. */
  readonly checks?: readonly string[];
}

/** A whole scenario: a cluster, one topic (RF 3 when there are 3 brokers or more), a producer and a fault schedule. */
export function scenario(options: ScenarioOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const durationS = options.durationS ?? 12;
  const p = options.partitions ?? { min: 1, max: 3 };
  return cluster(options).chain((c) =>
    fc.integer({ min: p.min, max: p.max }).chain((partitions) => {
      const names = Array.from({ length: partitions }, (_, i) => `orders-${i}`);
      return fc.record({ client: producer('orders', durationS, options), faults: faultSchedule({ brokers: c.brokers, durationS, maxFaults: options.maxFaults, kinds: options.faultKinds, partitions: names }) }).map(({ client, faults }) => ({
        name: 'generated',
        duration: `${durationS}s`,
        drain: '20s',
        cluster: c,
        topics: [{ name: 'orders', partitions, 'replication.factor': Math.min(3, c.brokers) }],
        clients: [client],
        faults,
        ...(options.checks === undefined ? {} : { checks: [...options.checks] }),
      }));
    }),
  );
}
