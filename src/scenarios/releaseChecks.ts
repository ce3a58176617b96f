import { atLeast, valueAt, type KafkaRelease, type ReleaseHistory } from '../nodes/config/releases.js';
import type { BrokerSettings } from '../nodes/config/brokerSettings.js';
import type { ConsumerSettings, ProducerSettings } from '../nodes/config/clientSettings.js';

type BrokerView = Pick<BrokerSettings, 'eligible.leader.replicas.version' | 'transaction.version' | 'transaction.partition.verification.enable'>;
type ProducerView = Pick<ProducerSettings, 'enable.idempotence' | 'max.in.flight.requests.per.connection'>;
type ConsumerView = Pick<ConsumerSettings, 'isolation.level' | 'partition.assignment.strategy'> & { readonly 'group.instance.id'?: string };

/** A feature a scenario uses that its release does not have: where, and why. */
export interface ReleaseProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface Requirement<C> {
  /** Whether the settings use the feature. */
  readonly uses: (config: C) => boolean;
  /** The field to name. */
  readonly field: string;
  readonly since: KafkaRelease;
  readonly what: string;
}

/** Broker features by the release that brought them. */
export const BROKER_REQUIREMENTS: readonly Requirement<BrokerView>[] = [
  { uses: (c) => c['eligible.leader.replicas.version'] === 1, field: 'eligible.leader.replicas.version', since: '4.0', what: 'eligible leader replicas (KIP-966)' },
  { uses: (c) => c['transaction.version'] === 2, field: 'transaction.version', since: '4.0', what: 'transaction.version 2 (KIP-890 part 2, KIP-1022)' },
  { uses: (c) => c['transaction.partition.verification.enable'], field: 'transaction.partition.verification.enable', since: '3.6', what: 'transaction verification (KIP-890 part 1)' },
];

/** Producer features by the release that brought them. */
export const PRODUCER_REQUIREMENTS: readonly Requirement<ProducerView>[] = [
  { uses: (c) => c['enable.idempotence'] === true, field: 'enable.idempotence', since: '0.11', what: 'the idempotent producer (KIP-98)' },
  // KAFKA-5494: before 1.0 an idempotent producer needed max.in.flight.requests.per.connection=1.
  { uses: (c) => c['enable.idempotence'] === true && c['max.in.flight.requests.per.connection'] > 1, field: 'max.in.flight.requests.per.connection', since: '1.0', what: 'an idempotent producer with more than one request in flight (KAFKA-5494)' },
];

/** Consumer features by the release that brought them. */
export const CONSUMER_REQUIREMENTS: readonly Requirement<ConsumerView>[] = [
  { uses: (c) => c['group.instance.id'] !== undefined, field: 'group.instance.id', since: '2.3', what: 'static membership (KIP-345)' },
  { uses: (c) => c['partition.assignment.strategy'].includes('cooperative-sticky'), field: 'partition.assignment.strategy', since: '2.4', what: 'the cooperative-sticky assignor (KIP-429)' },
  { uses: (c) => c['isolation.level'] === 'read_committed', field: 'isolation.level', since: '0.11', what: 'read_committed consumers (KIP-98)' },
];

function check<C>(requirements: readonly Requirement<C>[], config: C, release: KafkaRelease, at: readonly (string | number)[]): ReleaseProblem[] {
  return requirements
    .filter((r) => !atLeast(release, r.since) && r.uses(config))
    .map((r) => ({ path: [...at, r.field], message: `${r.what} arrived in Kafka ${r.since}; cluster.version is ${release}` }));
}

/** The clients of a scenario, as far as the checks read them. */
type Client = { readonly type: 'producer'; readonly config: ProducerView } | { readonly type: 'consumer' | 'processor'; readonly config: ConsumerView };

/** A limit on a setting's values that changed between releases. */
export interface ReleaseLimit {
  readonly where: 'broker' | 'topic';
  readonly what: string;
  readonly history: ReleaseHistory<number>;
  readonly changedBy: string;
}

/**
 * The smallest segment.bytes and log.segment.bytes a release accepts: 14 bytes
 * (LegacyRecord.RECORD_OVERHEAD_V0) until 1 MiB in Kafka 4.0 (KIP-1030). kafkasim's own
 * minimum (1) stands for the old one.
 */
export const SEGMENT_BYTES_MIN: ReleaseLimit = { where: 'broker', what: 'minimum of `segment.bytes` and `log.segment.bytes`', history: [['0.10', 14], ['4.0', 1_048_576]], changedBy: 'KIP-1030' };

/** Limits by release, for docs/fidelity.md's table. */
export const RELEASE_LIMITS: readonly ReleaseLimit[] = [SEGMENT_BYTES_MIN];

/** segment.bytes or log.segment.bytes below the release's minimum (KIP-1030, Kafka 4.0). */
export function segmentBytesProblems(release: KafkaRelease, brokerSegmentBytes: number, topics: readonly { readonly config: { readonly 'segment.bytes'?: number } }[]): ReleaseProblem[] {
  const min = valueAt(SEGMENT_BYTES_MIN.history, release);
  const problem = (name: string, value: number): string => `${name} ${value} is below Kafka ${release}'s minimum of ${min} (1 MiB, KIP-1030 in 4.0); set internal.segment.bytes on the topic for smaller segments, or name cluster.version 3.9 or older`;
  const problems: ReleaseProblem[] = [];
  if (brokerSegmentBytes < min) problems.push({ path: ['cluster', 'config', 'log.segment.bytes'], message: problem('log.segment.bytes', brokerSegmentBytes) });
  topics.forEach((t, i) => {
    const bytes = t.config['segment.bytes'];
    if (bytes !== undefined && bytes < min) problems.push({ path: ['topics', i, 'config', 'segment.bytes'], message: problem('segment.bytes', bytes) });
  });
  return problems;
}

/** Every feature the scenario uses that the release it names does not have. */
export function releaseProblems(release: KafkaRelease, broker: BrokerView, clients: readonly Client[]): ReleaseProblem[] {
  const problems = check(BROKER_REQUIREMENTS, broker, release, ['cluster', 'config']);
  clients.forEach((c, i) => {
    if (c.type === 'producer') problems.push(...check(PRODUCER_REQUIREMENTS, c.config, release, ['clients', i, 'config']));
    else problems.push(...check(CONSUMER_REQUIREMENTS, c.config, release, ['clients', i, 'config']));
    if (c.type === 'processor' && !atLeast(release, '0.11')) problems.push({ path: ['clients', i, 'type'], message: `transactions (KIP-98) arrived in Kafka 0.11; cluster.version is ${release}` });
  });
  return problems;
}
