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

export type FaultKind = 'crash' | 'restart' | 'shutdown' | 'pause' | 'isolate' | 'heal';

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
 * graceful shutdowns (SIGTERM: a broker's controlled shutdown) when `kinds` asks for them.
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
      }
    }),
  );
  return fc.array(fault, { maxLength: options.maxFaults ?? 6 }).map((list) =>
    [...list].sort((a, b) => a.ms - b.ms).map(({ ms, fault: f }) => ({ at: `${ms}ms`, ...f }) as RawFault),
  );
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
