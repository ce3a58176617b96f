import { z } from 'zod';
import { SPEC_KINDS } from '../checkers/onlineSpec.js';
import { DurationSyntaxError, formatDuration, micros, parseDuration, type Duration } from '../sim/time.js';
import { TargetSyntaxError, parseTarget } from '../network/faultTarget.js';
import { didYouMean } from './issueHints.js';
import { BROKER_SETTINGS } from '../nodes/config/brokerSettings.js';
import { TOPIC_SETTINGS } from '../nodes/config/topicSettings.js';
import { CONSUMER_SETTINGS, PROCESSOR_SETTINGS, PRODUCER_SETTINGS } from '../nodes/config/clientSettings.js';
import { KAFKA_RELEASES, NEWEST_RELEASE } from '../nodes/config/releases.js';
import { releaseProblems, segmentBytesProblems } from './releaseChecks.js';
import { describeSetting, settingsShape } from './settingsSchema.js';
import { topicPartitionOf } from '../log/topicPartition.js';
import { brokerNode, controllerNode, memberNode, producerNode } from '../nodes/nodeId.js';

/**
 * The scenario file: a cluster, its topics, its clients and their workloads, the faults
 * to inject, the checks to run and what to expect. Keys are Kafka's own config names
 * wherever Kafka has one; every object is strict, so a misspelt key is an error that names
 * it rather than a setting silently ignored.
 */

// ------------------------------------------------------------------ primitives

/** What a duration looks like, for editors (parseDuration is the judge). */
const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*(us|µs|ms|s|m|h)\\s*$';
const DURATION_TEXT = '(\\d+(\\.\\d+)?|\\.\\d+)\\s*(us|µs|ms|s|m|h)';
const DURATION_HELP = 'A duration with its unit: 250us, 5ms, 1.5s, 2m, 1h.';

/** The message for a value that is not a string where a duration is: a bare number gets a unit suggested. */
function durationTypeError(issue: { readonly input?: unknown }): string {
  if (typeof issue.input === 'number') return `${issue.input} has no unit: a duration is written with one, such as "${issue.input}s" or "${issue.input}ms"`;
  return `expected a duration with its unit, such as "30s" or "250ms", not ${issue.input === undefined ? 'nothing' : JSON.stringify(issue.input)}`;
}

/** A simulated duration: "250us", "5ms", "1.5s", "2m". */
export const durationSchema = z.string({ error: durationTypeError }).transform((text, ctx): Duration => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof DurationSyntaxError ? err.message : String(err) });
    return z.NEVER;
  }
});

/** A duration field, described: the JSON Schema gets its meaning and the pattern durations follow. */
function duration(description: string): typeof durationSchema {
  return durationSchema.meta({ description: `${description} ${DURATION_HELP}`, pattern: DURATION_PATTERN });
}

/** A duration that may be negative, for clock jumps: "-5s". */
export const signedDurationSchema = z
  .string({ error: durationTypeError })
  .transform((text, ctx): Duration => {
    const negative = text.trim().startsWith('-');
    try {
      const d = parseDuration(negative ? text.trim().slice(1) : text);
      return micros(negative ? -d : d);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof DurationSyntaxError ? err.message : String(err) });
      return z.NEVER;
    }
  })
  .meta({ description: `How far the clock jumps, forwards or (with a minus sign) backwards. ${DURATION_HELP}`, pattern: `^\\s*-?${DURATION_TEXT}\\s*$` });

/** A fault target: "broker-2", "leader(orders-0)", "controller" … checked when the file loads. */
export const targetSchema = z.string().superRefine((text, ctx) => {
  try {
    parseTarget(text);
  } catch (err) {
    // YAML ends an unquoted scalar at a comma inside { … } or [ … ]: member(billing, 2) arrives as "member(billing".
    const cut = /^\s*[a-z-]+\([^)]*$/.test(text) ? `invalid target "${text}": it looks cut at a comma, as YAML cuts an unquoted member(ID, N) inside { … } or [ … ]; write the target in quotes, as "member(ID, N)"` : undefined;
    ctx.addIssue({ code: 'custom', message: cut ?? (err instanceof TargetSyntaxError ? err.message : String(err)) });
  }
});

const TARGET_HELP =
  'A node (broker-2, controller-1, producer-p1, consumer-billing-2) or what resolves to nodes when the fault fires: leader(orders-0), follower(orders-0), controller (every controller), active-controller (the quorum\'s leader when the fault fires), coordinator(GROUP), coordinator(transaction ID), client(ID), "member(ID, N)" (quoted: YAML reads the comma in a flow list as a separator), random-broker, all-brokers.';

/** What a target looks like, for editors (parseTarget is the judge). */
const TARGET_PATTERN =
  '^\\s*(controller|active-controller|random-broker|all-brokers|(leader|follower)\\(\\s*\\S+-\\d+\\s*\\)|coordinator\\(\\s*((group|transaction)\\s+)?\\S+\\s*\\)|client\\(\\s*[A-Za-z0-9][A-Za-z0-9._-]*\\s*\\)|member\\(\\s*[A-Za-z0-9._-]+\\s*,\\s*\\d+\\s*\\)|[A-Za-z0-9][A-Za-z0-9._-]*)\\s*$';

/** A target field, described. */
function target(description: string): typeof targetSchema {
  return targetSchema.meta({ description: `${description} ${TARGET_HELP}`, pattern: TARGET_PATTERN });
}

/** A field naming a topic of the scenario's. */
function topicRef(description: string): z.ZodString {
  return z.string().meta({ description, pattern: '^[A-Za-z0-9._-]+$' });
}

/** Messages per second: 1000, or "1000/s". */
export const rateSchema = z
  .union(
    [
      z.number().positive(),
      z
        .string()
        .regex(/^\d+(\.\d+)?\/s$/)
        .transform((s) => Number(s.slice(0, -2)))
        .meta({ pattern: '^\\d+(\\.\\d+)?/s$' }),
    ],
    { error: 'expected a rate in messages per second, such as 1000 or "1000/s"' },
  )
  .describe('Messages per second, over all partitions: a number such as 500, or "500/s".');

/** A range of durations: "3s..8s". */
export const durationRangeSchema = z
  .string({ error: (issue) => (typeof issue.input === 'number' ? `${issue.input} is not a range: write one with units, such as "3s..8s"` : undefined) })
  .regex(/^\s*\S+\s*\.\.\s*\S+\s*$/, 'expected a range such as "3s..8s"')
  .transform((text, ctx): [Duration, Duration] => {
    const [lo, hi] = text.split('..').map((p) => p.trim());
    try {
      const range: [Duration, Duration] = [parseDuration(lo), parseDuration(hi)];
      if (range[1] < range[0]) ctx.addIssue({ code: 'custom', message: `range ${text} ends before it starts` });
      return range;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** A described range field. */
function durationRange(description: string): typeof durationRangeSchema {
  return durationRangeSchema.meta({ description: `${description} Two durations with units, "LOW..HIGH", such as "3s..8s".`, pattern: `^\\s*${DURATION_TEXT}\\s*\\.\\.\\s*${DURATION_TEXT}\\s*$` });
}

/**
 * Cross-field checks run only on fields that passed their own checks: a field that failed
 * has been reported already, and its value (`brokers: 1e12`, say) may be anything. The
 * issues cross-field checks raise are tagged, so that they do not hold each other back.
 */
const CROSS_FIELD = { crossField: true } as const;
const FIELDS_VALID = {
  when: (payload: z.core.ParsePayload): boolean => payload.issues.every((i) => i.code === 'custom' && i.params?.crossField === true),
};

// ------------------------------------------------------------------ network

const floor = duration('The least latency a draw may give (draws below it are raised to it).').optional();

const latencySchema = z
  .discriminatedUnion('dist', [
    z.strictObject({ dist: z.literal('fixed').describe('Every message takes the same time.'), value: duration('The latency of every message.') }),
    z.strictObject({ dist: z.literal('uniform').describe('Latencies drawn uniformly between min and max.'), min: duration('The shortest latency.'), max: duration('The longest latency.') }),
    z.strictObject({ dist: z.literal('normal').describe('Latencies drawn from a normal distribution.'), mean: duration('The mean latency.'), stddev: duration('The standard deviation.'), floor }),
    z.strictObject({ dist: z.literal('lognormal').describe('Latencies drawn from a lognormal distribution: a long tail.'), median: duration('The median latency.'), sigma: z.number().nonnegative().describe('The standard deviation of the latency\'s logarithm: 0 is fixed, 1 a long tail. A number, at least 0.'), floor }),
    z.strictObject({ dist: z.literal('exponential').describe('Latencies drawn from an exponential distribution.'), mean: duration('The mean latency.'), floor }),
  ])
  .describe('One-way latency of every link, per message: { dist: fixed | uniform | normal | lognormal | exponential, … }.');

const networkSchema = z.strictObject({
  mode: z.enum(['stream', 'datagram']).default('stream').describe("stream models Kafka's TCP connections (FIFO per connection, no duplicates, loss turned into retransmission delay); datagram is a harsher network: no ordering, loss drops, duplicates. Default: stream."),
  latency: latencySchema.prefault({ dist: 'uniform', min: '1ms', max: '5ms' }),
  /** Bytes per second per link. */
  bandwidth: z.number().positive().optional().describe('Bytes per second per link; unset, unlimited. Unit: bytes/s.'),
  resetDetection: duration('How soon a peer notices that a crashed process reset its connection (the RST of its operating system). Default: 1ms.').prefault('1ms'),
  silentDetection: duration("How soon a peer notices a connection gone silent because its peer lost power; unset, never: requests end by their own timeouts, as Kafka's clients' do.").optional(),
  duplicateRate: z.number().min(0).max(1).default(0).describe('datagram mode only: the probability that a message is delivered twice. A number from 0 to 1. Default: 0.'),
}).describe('The simulated network between every pair of nodes.');

// ------------------------------------------------------------------ cluster

/** Broker-level settings, with Kafka's names and defaults, and the simulator's own (sim.*): declared in src/nodes/config. */
const brokerConfigSchema = z.strictObject(settingsShape(BROKER_SETTINGS)).describe("Broker and controller settings, by Kafka's names (server.properties), and kafkasim's own sim.* switches; every broker gets them. Topic-level overrides go under a topic's config.");

const topicConfigSchema = z.strictObject(settingsShape(TOPIC_SETTINGS)).describe("This topic's settings, by Kafka's names (TopicConfig): overrides of the brokers' defaults.");

/**
 * The Kafka release the scenario simulates, as a release line: every default and behaviour
 * that changed between releases follows it (src/nodes/config/releases.ts).
 */
const releaseSchema = z.enum(KAFKA_RELEASES, {
  error: (issue) =>
    typeof issue.input === 'number'
      ? `${String(issue.input)} is a number: write the release in quotes, as "2.0" (YAML reads 2.0 as 2 and 0.10 as 0.1); known releases: ${KAFKA_RELEASES.join(', ')}`
      : `unknown Kafka release ${JSON.stringify(issue.input)}; known releases: ${KAFKA_RELEASES.join(', ')}`,
});

const clusterSchema = z.strictObject({
  brokers: z.number().int().min(1).max(100).describe('How many brokers: broker-1 … broker-N, beside the KRaft controllers. An integer from 1 to 100.'),
  controllers: z
    .union([z.literal(1), z.literal(3), z.literal(5)])
    .default(3)
    .describe('How many KRaft controllers: controller-1 … controller-N, the voters of the metadata quorum (controller.quorum.voters, node ids 3000 and up); the Raft leader is the active controller. 1, 3 or 5. Default: 3, as Kafka recommends for production (a quorum that survives one controller).'),
  version: releaseSchema.default(NEWEST_RELEASE).describe(`The Kafka release simulated, as a release line in quotes ("3.6"): defaults and behaviours that changed between releases follow it. One of: ${KAFKA_RELEASES.join(', ')}. Default: "${NEWEST_RELEASE}".`),
  /** broker.rack per broker, in broker order; racks repeat when the list is shorter. */
  racks: z.array(z.string().min(1)).optional().describe("Each broker's broker.rack, in broker order; the list repeats when it is shorter than the brokers. Replicas are spread across racks as Kafka's rack-aware assignment does."),
  config: brokerConfigSchema.prefault({}),
  network: networkSchema.prefault({}),
  /** Per-broker clock skew and drift. */
  clocks: z
    .array(
      z.strictObject({
        broker: z.number().int().positive().describe('Which broker (1 is broker-1).'),
        skew: z.string().optional().meta({ description: `How far this broker's clock is off, either way ("-2s"). ${DURATION_HELP}`, pattern: `^\\s*-?${DURATION_TEXT}\\s*$` }),
        driftPpm: z.number().default(0).describe('How fast its clock runs, in parts per million (100 gains 0.1 ms a second). Default: 0.'),
      }),
    )
    .default([])
    .describe("Per-broker clock skew and drift: what a broker's wall clock reads (timestamps, LogAppendTime, retention)."),
  /** Background writeback of dirty pages (Linux's 30 s expiry), and torn writes on power loss. */
  disks: z
    .strictObject({
      writeback: z.boolean().default(false).describe("Whether the page cache writes dirty pages back in the background (Linux's 30 s expiry), so power loss loses less. Default: false."),
      tornWrites: z.boolean().default(false).describe('Whether power loss may tear the last write of a file (a partial page). Default: false.'),
    })
    .prefault({})
    .describe('How the disks behave under power loss.'),
}).describe('The brokers and controller, their settings, the network and the disks.');

const topicSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'topic names use letters, digits, ".", "_" and "-"').describe('The topic\'s name: letters, digits, ".", "_" and "-". Its partitions are NAME-0 … NAME-(N-1).'),
  partitions: z.number().int().min(1).max(1000).describe('How many partitions. An integer from 1 to 1000.'),
  /** Default: the cluster's default.replication.factor, as Kafka creates a topic that names none. */
  'replication.factor': z.number().int().min(1).optional().describe("How many replicas each partition has, at most the brokers. Unit: replicas. Default: the cluster's default.replication.factor (1), as Kafka creates a topic that names none."),
  config: topicConfigSchema.prefault({}),
}).describe('A topic, created before the run starts.');

// ------------------------------------------------------------------ clients

const acksSchema = z
  .union([z.enum(['0', '1', 'all', '-1']), z.literal(0), z.literal(1), z.literal(-1)])
  .transform((a) => (String(a) === '-1' ? 'all' : (String(a) as '0' | '1' | 'all')))
  .describe(describeSetting('acks', PRODUCER_SETTINGS.acks));

const producerConfigFields = z.strictObject({
  ...settingsShape(PRODUCER_SETTINGS),
  acks: acksSchema.prefault('all'),
  'compression.type': z
    .enum(['none', 'gzip'], { error: () => 'kafkasim compresses with none or gzip (snappy, lz4 and zstd are not implemented)' })
    .default(PRODUCER_SETTINGS['compression.type'].default)
    .describe(describeSetting('compression.type', PRODUCER_SETTINGS['compression.type'])),
}).describe("The producer's settings, by Kafka's names (ProducerConfig).");

/**
 * Producer settings as KafkaProducer resolves them (ProducerConfig.postProcessAndValidateIdempotenceConfigs
 * and KafkaProducer.configureDeliveryTimeout): idempotence, on by default, is quietly turned
 * off by acks other than all or by retries=0 when the application did not ask for it, and
 * is a ConfigException with them when it did; an idempotent producer allows at most five
 * requests in flight; a delivery.timeout.ms set below linger.ms + request.timeout.ms is a
 * ConfigException, and left unset it grows to that sum.
 */
const producerConfigSchema = producerConfigFields
  .superRefine((c, ctx) => {
    const explicit = c['enable.idempotence'] === true;
    if (explicit && c.acks !== 'all') ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['acks'], message: 'Must set acks to all in order to use the idempotent producer (enable.idempotence=true); set enable.idempotence: false, or leave it out, to use acks 0 or 1' });
    if (explicit && c.retries === 0) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['retries'], message: 'Must set retries to non-zero when using the idempotent producer (enable.idempotence=true)' });
    if (idempotenceOf(c) && c['max.in.flight.requests.per.connection'] > 5) {
      ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['max.in.flight.requests.per.connection'], message: 'To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5 (set enable.idempotence: false to allow more)' });
    }
    const floor = c['linger.ms'] + c['request.timeout.ms'];
    if (c['delivery.timeout.ms'] !== undefined && c['delivery.timeout.ms'] < floor) {
      ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['delivery.timeout.ms'], message: `delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms (${floor})` });
    }
  }, FIELDS_VALID)
  .transform((c) => ({ ...c, 'enable.idempotence': idempotenceOf(c), 'delivery.timeout.ms': c['delivery.timeout.ms'] ?? Math.max(120_000, c['linger.ms'] + c['request.timeout.ms']) }));

/** Whether a producer is idempotent: as set, or by default unless acks or retries rule it out. */
function idempotenceOf(c: { readonly 'enable.idempotence'?: boolean; readonly acks: string; readonly retries: number }): boolean {
  return c['enable.idempotence'] ?? (c.acks === 'all' && c.retries > 0);
}

const workloadSchema = z.strictObject({
  rate: rateSchema,
  keys: z.number().int().nonnegative().default(100).describe("How many distinct keys the records use; 0 sends keyless records, spread by the producer's partitioner. An integer, at least 0. Default: 100."),
  keyDistribution: z.enum(['uniform', 'zipf']).default('uniform').describe('How keys are drawn: uniform, or zipf (a few hot keys). Default: uniform.'),
  valueBytes: z.number().int().nonnegative().default(100).describe("Each record's value size. Unit: bytes. Default: 100."),
  /** The share of sends that delete their key: a null value, a tombstone on a compacted topic. */
  tombstones: z.number().min(0).max(1).default(0).describe('The share of sends that delete their key: a null value, a tombstone on a compacted topic. A number from 0 to 1. Default: 0.'),
  start: duration('When the producer starts sending. Default: 0s.').prefault('0s'),
  stop: duration("When it stops sending; unset, at the scenario's duration.").optional(),
}).describe('What the producer sends: how fast, which keys, how large, from when to when.').superRefine((w, ctx) => {
  if (w.tombstones > 0 && w.keys === 0) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['tombstones'], message: 'a tombstone deletes a key: tombstones need keys > 0' });
}, FIELDS_VALID);

const CLIENT_ID = z.string().regex(/^[A-Za-z0-9._-]+$/, 'client ids use letters, digits, ".", "_" and "-"');
const GROUP_ID = z.string().regex(/^[A-Za-z0-9._-]+$/, 'group ids use letters, digits, ".", "_" and "-"');

const producerSchema = z.strictObject({
  id: CLIENT_ID.describe("The producer's client id: letters, digits, \".\", \"_\" and \"-\". Its node is producer-ID, its messages ID#1, ID#2 …"),
  type: z.literal('producer').describe('A KafkaProducer sending a workload to one topic.'),
  topic: topicRef('The topic it writes to, one of those under topics.'),
  config: producerConfigSchema.prefault({}),
  workload: workloadSchema,
}).describe('A producer.');

const assignorSchema = z.enum(['range', 'roundrobin', 'sticky', 'cooperative-sticky']);

const assignorListSchema = z.array(assignorSchema).min(1);

/** Consumer settings with Kafka's names and defaults (ConsumerConfig): declared in src/nodes/config. One assignor may be written without a list. */
const consumerConfigSchema = z.strictObject({
  ...settingsShape(CONSUMER_SETTINGS),
  'partition.assignment.strategy': z
    .union([assignorSchema.transform((a) => [a]), assignorListSchema])
    .default([...CONSUMER_SETTINGS['partition.assignment.strategy'].default])
    .describe(`${describeSetting('partition.assignment.strategy', CONSUMER_SETTINGS['partition.assignment.strategy'])} One assignor may be written without a list.`),
}).describe("The consumer's settings, by Kafka's names (ConsumerConfig).");

const PROCESSING_TIME_HELP = 'How long the application takes per record: a duration ("2ms"), or a range "1ms..5ms" drawn uniformly per record. Default: 0ms.';

/** A processing time per record: "2ms", or a range "1ms..5ms" drawn uniformly. */
const processingTimeSchema = z.string({ error: durationTypeError }).transform((text, ctx): [Duration, Duration] => {
  try {
    if (!text.includes('..')) {
      const d = parseDuration(text);
      return [d, d];
    }
    const [lo, hi] = text.split('..').map((p) => parseDuration(p.trim()));
    if (hi < lo) ctx.addIssue({ code: 'custom', message: `range ${text} ends before it starts` });
    return [lo, hi];
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof DurationSyntaxError ? err.message : String(err) });
    return z.NEVER;
  }
}).meta({ description: PROCESSING_TIME_HELP, pattern: `^\\s*${DURATION_TEXT}\\s*(\\.\\.\\s*${DURATION_TEXT}\\s*)?$` });

const INSTANCES = z.number().int().min(1).max(1000).default(1).describe('How many members of the group this client runs: ID-1 … ID-N, each its own node (consumer-ID-N). An integer from 1 to 1000. Default: 1.');

const consumerSchema = z.strictObject({
  id: CLIENT_ID.describe('The client\'s id: letters, digits, ".", "_" and "-". Its members are "member(ID, 1)" … "member(ID, N)".'),
  type: z.literal('consumer').describe('A KafkaConsumer group: instances members subscribed to topics, polling and processing.'),
  group: GROUP_ID.describe("The group.id the members join: letters, digits, \".\", \"_\" and \"-\"."),
  topics: z.array(topicRef('A topic under topics.')).min(1).describe('The topics the members subscribe to, each one of those under topics.'),
  /** How many members of the group this client runs. */
  instances: INSTANCES,
  config: consumerConfigSchema.prefault({}),
  processing: z
    .strictObject({
      mode: z
        .enum(['commit-before-process', 'commit-after-process', 'auto-commit'])
        .default('auto-commit')
        .describe('When the application commits: auto-commit (enable.auto.commit every auto.commit.interval.ms, the positions of the previous poll), commit-after-process (commitSync after each batch is processed: at least once), commit-before-process (commitSync before processing: at most once). Default: auto-commit.'),
      time: processingTimeSchema.prefault('0ms'),
    })
    .prefault({})
    .describe('What the application does with each poll.'),
  start: duration('When the members start (and join the group). Default: 0s.').prefault('0s'),
  /** Calls the application makes on its consumer (KafkaConsumer's seek, pause, commitSync …). */
  actions: z
    .array(
      z
        .strictObject({
          at: duration('When the call is made.'),
          do: z.enum(['seek', 'seekToBeginning', 'seekToEnd', 'pause', 'resume', 'commitSync', 'commitAsync']).describe("The KafkaConsumer method called: seek, seekToBeginning, seekToEnd, pause, resume, commitSync or commitAsync."),
          partition: z.string().regex(/^.+-\d+$/, 'a partition such as orders-0').optional().describe('The partition it is called for (orders-0); unset, every partition the member owns.'),
          offset: z.number().int().nonnegative().optional().describe('seek only: the offset to seek to. An integer, at least 0.'),
          member: z.number().int().positive().optional().describe('Which member makes the call (1 … instances); unset, every member.'),
        })
        .refine((a) => (a.do === 'seek') === (a.offset !== undefined), 'seek takes an offset, and only seek does')
        .describe('One call the application makes on its consumer.'),
    )
    .default([])
    .describe("Calls the application makes on its consumer at given times (KafkaConsumer's seek, pause, commitSync …). Default: none."),
}).describe('A consumer group.');

/**
 * A consume-transform-produce processor: a consumer group reading `from`, each record
 * turned into one record of `to` that carries the input's message id.
 */
const processorSchema = z.strictObject({
  id: CLIENT_ID.describe('The client\'s id: letters, digits, ".", "_" and "-". Its members are "member(ID, 1)" … "member(ID, N)".'),
  type: z.literal('processor').describe('A consume-transform-produce group: reads from, writes one record to `to` per input record.'),
  from: topicRef('The topic it reads, one of those under topics.'),
  to: topicRef('The topic it writes, another of those under topics.'),
  group: GROUP_ID.describe("The group.id its consumers join: letters, digits, \".\", \"_\" and \"-\"."),
  instances: INSTANCES,
  config: consumerConfigSchema
    .extend(settingsShape(PROCESSOR_SETTINGS))
    .prefault({})
    .describe("Its consumer's settings (ConsumerConfig), and its producer's transaction.timeout.ms and delivery.timeout.ms."),
  processing: z
    .strictObject({
      mode: z.enum(['transactional', 'commit-after-process']).default('transactional').describe('transactional: each batch of input is processed in one transaction with its offsets (sendOffsetsToTransaction: exactly once); commit-after-process: writes, then commits the input offsets (at least once). Default: transactional.'),
      time: processingTimeSchema.prefault('0ms'),
      /** Input records per transaction (and per poll). */
      transactionRecords: z.number().int().positive().default(100).describe('Input records per transaction (and per poll). An integer, at least 1. Default: 100.'),
      valueBytes: z.number().int().nonnegative().default(100).describe("Each output record's value size. Unit: bytes. Default: 100."),
    })
    .prefault({})
    .describe('How the processor handles each poll.'),
  start: duration('When the members start. Default: 0s.').prefault('0s'),
}).describe('A transactional processor.');

const clientSchema = z.discriminatedUnion('type', [producerSchema, consumerSchema, processorSchema]).describe('A client: type producer, consumer or processor.');

// ------------------------------------------------------------------ faults

/**
 * When a fault fires: at `at`, or, with `when`, at the first trace record of that kind from
 * `at` on whose fields equal `where` (a list field matches when it holds the value).
 */
const faultTiming = {
  at: duration('When the fault strikes, from the start of the run (with `when`: from when on the event is awaited).'),
  when: z
    .strictObject({
      event: z.string().regex(/^[a-z][a-z0-9.-]*$/, 'a trace record kind, such as txn.state or replica.truncate').describe('A trace record kind, such as txn.state or replica.truncate (kafkasim run --trace lists them).'),
      where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe("Fields the record must have, by value (a list field matches when it holds the value). Default: any record of the kind."),
      /** How long after the event the fault fires (default: right after it). */
      delay: duration('How long after the event the fault fires; unset, right after it.').optional(),
    })
    .optional()
    .describe('Strike at the first trace record of this kind, from `at` on, instead of at `at`.'),
};

const FAULT_NAME = z.string().optional().describe('A name for the fault, so that a heal can end it alone. Default: fault-N.');

const oneWaySchema = (what: string) => z.strictObject({ from: target('The sending side.'), to: target('The receiving side.') }).optional().describe(what);

const faultSchema = z
  .discriminatedUnion('action', [
    z.strictObject({ ...faultTiming, action: z.literal('crash').describe('Kill the target (kill -9, or a power loss with mode: power).'), target: target('What to crash.'), mode: z.enum(['process', 'power']).default('process').describe('process: kill -9, the page cache survives; power: unflushed writes are lost too. Default: process.') }),
    z.strictObject({ ...faultTiming, action: z.literal('restart').describe('Start a crashed or shut-down target again, from what its disk holds.'), target: target('What to restart.') }),
    z.strictObject({ ...faultTiming, action: z.literal('shutdown').describe("Stop the target cleanly (SIGTERM): a broker's controlled shutdown, a consumer's LeaveGroup."), target: target('What to shut down.') }),
    z.strictObject({ ...faultTiming, action: z.literal('pause').describe('Freeze the target (a long GC pause, SIGSTOP): work queues up and resumes after.'), target: target('What to pause.'), for: duration('How long the pause lasts.') }),
    z
      .strictObject({
        ...faultTiming,
        action: z.literal('partition').describe('Cut network links until a heal: groups, isolate or oneWay.'),
        name: FAULT_NAME,
        groups: z.array(z.array(target('A member of this side.')).min(1)).min(2).optional().describe('Sides that cannot reach each other: [[broker-1], [broker-2, broker-3]]; nodes named on no side stay connected to all.'),
        isolate: target('Cut this target off from every other node.').optional(),
        oneWay: oneWaySchema('Cut messages from one side to the other only.'),
      })
      .refine((f) => [f.groups, f.isolate, f.oneWay].filter((x) => x !== undefined).length === 1, 'a partition takes exactly one of groups, isolate or oneWay'),
    z.strictObject({ ...faultTiming, action: z.literal('heal').describe('End network partitions and degradations: the one named, or all.'), name: z.string().optional().describe('The partition or degrade to end; unset, every active one.') }),
    z
      .strictObject({
        ...faultTiming,
        action: z.literal('degrade').describe('Make links slower or lossy until a heal.'),
        name: FAULT_NAME,
        target: target("Every link to and from this target.").optional(),
        between: z.tuple([target('One end.'), target('The other end.')]).optional().describe('The links between two targets, both ways.'),
        oneWay: oneWaySchema('The links from one target to another.'),
        latency: latencySchema.optional(),
        loss: z.number().min(0).max(1).optional().describe('The share of messages lost (on stream links, retransmitted after a timeout). A number from 0 to 1.'),
      })
      .refine((f) => [f.target, f.between, f.oneWay].filter((x) => x !== undefined).length === 1, 'a degrade takes exactly one of target, between or oneWay')
      .refine((f) => f.latency !== undefined || f.loss !== undefined, 'a degrade adds latency, loss or both'),
    z
      .strictObject({ ...faultTiming, action: z.literal('clock').describe("Change a node's wall clock: a jump, a drift, or both."), target: target('Whose clock.'), jump: signedDurationSchema.optional(), driftPpm: z.number().optional().describe('The new drift, in parts per million.') })
      .refine((f) => f.jump !== undefined || f.driftPpm !== undefined, 'a clock fault jumps the clock, changes its drift, or both'),
    z.strictObject({
      ...faultTiming,
      action: z.literal('disk').describe("Corrupt a file on the target's disk (media faults that CRCs and recovery must catch)."),
      target: target('Whose disk.'),
      fault: z.enum(['bitflip', 'truncate', 'wipe']).describe('bitflip: flip count random bits; truncate: cut up to count × 64 bytes off the end; wipe: every file gone, as a failed disk replaced by an empty one (the target must be down: it restarts from nothing).'),
      file: z.string().optional().describe('A path on the disk; unset, a random segment (.log) file.'),
      count: z.number().int().positive().optional().describe('How many bits, or 64-byte blocks. An integer, at least 1. Default: 1.'),
    }),
  ])
  .describe('A fault: what happens (action), when (at), and to what (target).');

const nemesisSchema = z.strictObject({
  kinds: z.array(z.enum(['crash', 'shutdown', 'partition', 'pause', 'clock', 'disk'])).min(1).describe('The kinds of fault it draws from: crash, shutdown, partition, pause, clock, disk.'),
  interval: durationRange('The time between two faults, drawn from this range.'),
  healAfter: durationRange('How long each fault lasts before its restart or heal; unset, until the next fault.').optional(),
  maxDown: z.number().int().nonnegative().default(1).describe('The most nodes down or cut off at once. An integer, at least 0. Default: 1.'),
  targets: z.array(z.enum(['brokers', 'controller', 'clients'])).default(['brokers']).describe('What it may strike: brokers, controller (every controller of the quorum), clients. Default: [brokers].'),
  crashModes: z.array(z.enum(['process', 'power'])).default(['process']).describe('How crashes kill: process (kill -9), power (unflushed writes lost). Default: [process].'),
  /** With the `disk` kind: which media faults to draw from. */
  diskFaults: z.array(z.enum(['bitflip', 'truncate'])).default(['bitflip']).describe('With the disk kind: which media faults to draw from. Default: [bitflip].'),
  /** With the `clock` kind: the largest jump, either way. */
  maxClockJump: duration('With the clock kind: the largest jump, either way. Default: 5s.').prefault('5s'),
  start: duration('When it starts; unset, at once.').optional(),
  stop: duration("When it stops; unset, at the scenario's duration.").optional(),
}).describe('Random faults drawn from the seed, besides the faults written out.');

// ------------------------------------------------------------------ checks

/** Violation kinds a scenario can ask for or expect, by the names the checkers use. */
export const CHECK_KINDS = [
  'lost-write',
  'duplicate',
  'reorder',
  'divergence',
  'split-brain',
  'hw-regression',
  // Consumer groups.
  'skipped',
  'reprocessed',
  'stale-commit',
  'offset-regression',
  'retention-loss',
  'ownership',
  // Compacted topics.
  'tombstone-loss',
  // Transactions.
  'aborted-read',
  'zombie-write',
  'exactly-once',
  'hanging-txn',
  // Jepsen's names for consumer-side anomalies.
  'inconsistent-offsets',
  'poll-skip',
  'nonmonotonic-poll',
  'unseen',
  // The controller quorum (checkers/quorumCheckers.ts).
  'disruptive-election',
  'stale-controller',
  'frozen-leadership',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

const checkSchema = z.enum(CHECK_KINDS).describe(`A checker: ${CHECK_KINDS.join(', ')}.`);

/** Everything `expect` may name: the checkers' kinds and the online spec invariants. */
export const EXPECTABLE_KINDS: readonly string[] = [...CHECK_KINDS, ...SPEC_KINDS];

// ------------------------------------------------------------------ scenario

const scenarioFields = z
  .strictObject({
    name: z.string().min(1).describe("The scenario's name, printed with its results."),
    description: z.string().default('').describe('What the scenario shows, in a sentence or two. Default: empty.'),
    seed: z.number().int().default(1).describe('The seed of every random draw: the same file and seed give the same run. An integer. Default: 1.'),
    duration: duration('How long the workload runs and faults may strike.'),
    /** After the duration: how long faults are healed and clients finish before checking. */
    drain: duration('After the duration: how long faults are healed and clients finish before the checkers judge. Default: 30s.').prefault('30s'),
    cluster: clusterSchema,
    topics: z.array(topicSchema).default([]).describe('The topics, created before the run.'),
    clients: z.array(clientSchema).default([]).describe('Producers, consumer groups and processors.'),
    faults: z.array(faultSchema).default([]).describe('The faults, each at its time.'),
    nemesis: nemesisSchema.optional(),
    checks: z.array(checkSchema).optional().describe(`The checkers to run; unset, all of them. Each one of: ${CHECK_KINDS.join(', ')}.`),
    expect: z
      .strictObject(
        {
        violations: z
          .union([z.literal('none'), z.array(z.string().meta({ description: 'A violation kind.', enum: [...EXPECTABLE_KINDS] })).min(1)])
          .describe(`none, or the violation kinds the run must find (checkers' kinds and the online invariants: ${EXPECTABLE_KINDS.join(', ')}).`),
        },
        { error: (issue) => (issue.code === 'invalid_type' && (typeof issue.input === 'string' || Array.isArray(issue.input)) ? `expect takes an object: write expect: { violations: ${Array.isArray(issue.input) ? `[${issue.input.map(String).join(', ')}]` : String(issue.input)} }` : undefined) },
      )
      .optional()
      .describe('What the run should find; `run` exits 1 when it does not. Unset: no violations. Written { violations: none } or { violations: [lost-write] }.'),
  })
  .describe('A kafkasim scenario: a cluster, its topics, clients and faults, and what the checkers should find (docs/scenarios.md).');

/** A scenario's fields, each checked on its own. */
type ScenarioFields = z.output<typeof scenarioFields>;

export const scenarioSchema = scenarioFields
  // Every pass: each check runs when the fields it reads are valid, however many others failed.
  .superRefine((s, ctx) => checkAcrossFields(s, ctx), { when: () => true })
  // A topic that names no replication factor gets the cluster's default.replication.factor.
  .transform((s) => ({ ...s, topics: s.topics.map((t) => ({ ...t, 'replication.factor': t['replication.factor'] ?? s.cluster.config['default.replication.factor'] })) }));

// ------------------------------------------------------------------ checks across fields

type IssuePath = readonly PropertyKey[];

function isPrefix(prefix: IssuePath, path: IssuePath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

function isCrossField(issue: z.core.$ZodRawIssue): boolean {
  return issue.code === 'custom' && issue.params?.crossField === true;
}

/**
 * Which fields passed their own checks. A cross-field check reads only fields that did, so
 * that it runs however many other fields failed (a file's problems are reported in one pass)
 * and never over a value that failed (`brokers: 1e12`, say, may be anything). A field is
 * valid when no check failed at it, inside it, or at what holds it; an unknown key fails only
 * itself.
 */
class FieldValidity {
  constructor(private readonly issues: readonly z.core.$ZodRawIssue[]) {}

  /** Every field at these paths, and all inside them, passed. */
  ok(...paths: readonly IssuePath[]): boolean {
    return paths.every((path) => this.issues.every((i) => isCrossField(i) || !this.touches(i, path)));
  }

  /** What holds the field at `path` (a list, an object of its kind) passed, whatever the fields inside it. */
  holds(path: IssuePath): boolean {
    return this.issues.every((i) => isCrossField(i) || i.code === 'unrecognized_keys' || !isPrefix(i.path ?? [], path));
  }

  private touches(issue: z.core.$ZodRawIssue, path: IssuePath): boolean {
    const at = issue.path ?? [];
    if (issue.code === 'unrecognized_keys') return issue.keys.some((k) => isPrefix([...at, k], path) || isPrefix(path, [...at, k]));
    return isPrefix(at, path) || isPrefix(path, at);
  }
}

type AddIssue = (path: PropertyKey[], message: string) => void;

function checkAcrossFields(s: ScenarioFields, ctx: z.core.$RefinementCtx<ScenarioFields>): void {
  const v = new FieldValidity(ctx.issues);
  const add: AddIssue = (path, message) => ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path, message });
  checkCluster(s, v, add);
  const topics = checkTopics(s, v, add);
  checkClients(s, v, add, topics);
  checkFaults(s, v, add, topics);
  if (v.holds(['expect', 'violations']) && s.expect !== undefined && s.expect.violations !== 'none') {
    s.expect.violations.forEach((kind, i) => {
      if (!v.ok(['expect', 'violations', i]) || EXPECTABLE_KINDS.includes(kind)) return;
      const hint = didYouMean(kind, EXPECTABLE_KINDS);
      add(['expect', 'violations', i], `unknown violation kind "${kind}"${hint === '' ? '; known' : `${hint} Known`}: ${EXPECTABLE_KINDS.join(', ')}`);
    });
  }
}

const brokerSetting = (key: string): IssuePath => ['cluster', 'config', key];

function checkCluster(s: ScenarioFields, v: FieldValidity, add: AddIssue): void {
  // KafkaConfig.validateValues.
  if (v.ok(brokerSetting('replica.socket.timeout.ms'), brokerSetting('replica.fetch.wait.max.ms')) && s.cluster.config['replica.socket.timeout.ms'] < s.cluster.config['replica.fetch.wait.max.ms']) {
    add(['cluster', 'config', 'replica.socket.timeout.ms'], 'replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts');
  }
  if (v.ok(['cluster', 'version'], ['cluster', 'config'], ['clients'])) for (const p of releaseProblems(s.cluster.version, s.cluster.config, s.clients)) add([...p.path], p.message);
  if (v.ok(['cluster', 'version'], brokerSetting('log.segment.bytes'), ['topics'])) for (const p of segmentBytesProblems(s.cluster.version, s.cluster.config['log.segment.bytes'], s.topics)) add([...p.path], p.message);
}

/** The topics' names when every topic's name and partitions passed (else undefined: whether a name is defined cannot be told). */
function checkTopics(s: ScenarioFields, v: FieldValidity, add: AddIssue): Set<string> | undefined {
  if (!v.holds(['topics'])) return undefined;
  const names = new Set<string>();
  s.topics.forEach((t, i) => {
    if (v.ok(['topics', i, 'name'])) {
      if (names.has(t.name)) add(['topics', i, 'name'], `topic ${t.name} is defined twice`);
      names.add(t.name);
    }
    if (!v.ok(['topics', i, 'replication.factor'], ['cluster', 'brokers'], brokerSetting('default.replication.factor'))) return;
    const rf = t['replication.factor'] ?? s.cluster.config['default.replication.factor'];
    if (rf > s.cluster.brokers) {
      const [path, what] = t['replication.factor'] === undefined ? [['cluster', 'config', 'default.replication.factor'], `default.replication.factor ${rf} (topic ${t.name} names none)`] : [['topics', i, 'replication.factor'], `replication.factor ${rf}`];
      add(path, `${what} is larger than the ${s.cluster.brokers} brokers`);
    }
  });
  return s.topics.every((_, i) => v.ok(['topics', i, 'name'], ['topics', i, 'partitions'])) ? names : undefined;
}

function checkClients(s: ScenarioFields, v: FieldValidity, add: AddIssue, topics: Set<string> | undefined): void {
  if (!v.holds(['clients'])) return;
  const ids = new Set<string>();
  const topicDefined = (path: PropertyKey[], name: string): void => {
    if (topics !== undefined && v.ok(path) && !topics.has(name)) add(path, `topic ${name} is not defined under topics${didYouMean(name, [...topics])}`);
  };
  s.clients.forEach((c, i) => {
    // A client whose type failed was not parsed further: none of its fields can be read.
    if (!v.ok(['clients', i, 'type'])) return;
    if (v.ok(['clients', i, 'id'])) {
      if (ids.has(c.id)) add(['clients', i, 'id'], `client id ${c.id} is used twice`);
      ids.add(c.id);
    }
    if (c.type !== 'producer') checkGroupMember(s, v, add, i, c);
    if (c.type === 'processor') {
      topicDefined(['clients', i, 'from'], c.from);
      topicDefined(['clients', i, 'to'], c.to);
      if (v.ok(['clients', i, 'from'], ['clients', i, 'to']) && c.from === c.to) add(['clients', i, 'to'], 'a processor writes to another topic than it reads');
      for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor'] as const) {
        if (v.ok(brokerSetting(key), ['cluster', 'brokers']) && s.cluster.config[key] > s.cluster.brokers) add(['cluster', 'config', key], `${key} ${s.cluster.config[key]} is larger than the ${s.cluster.brokers} brokers`);
      }
      if (v.ok(['clients', i, 'config', 'transaction.timeout.ms'], brokerSetting('transaction.max.timeout.ms')) && c.config['transaction.timeout.ms'] > s.cluster.config['transaction.max.timeout.ms']) {
        add(['clients', i, 'config', 'transaction.timeout.ms'], `transaction.timeout.ms ${c.config['transaction.timeout.ms']} is above the brokers' transaction.max.timeout.ms: InitProducerId would fail with INVALID_TRANSACTION_TIMEOUT`);
      }
      return;
    }
    if (c.type === 'consumer') {
      if (v.holds(['clients', i, 'topics'])) c.topics.forEach((t, j) => topicDefined(['clients', i, 'topics', j], t));
      checkActions(s, v, add, i, c, topics);
      if (v.ok(brokerSetting('offsets.topic.replication.factor'), ['cluster', 'brokers']) && s.cluster.config['offsets.topic.replication.factor'] > s.cluster.brokers) {
        add(['cluster', 'config', 'offsets.topic.replication.factor'], `offsets.topic.replication.factor ${s.cluster.config['offsets.topic.replication.factor']} is larger than the ${s.cluster.brokers} brokers, so __consumer_offsets cannot be created`);
      }
      return;
    }
    topicDefined(['clients', i, 'topic'], c.topic);
  });
}

/** Every group member: the consumer's own check (Heartbeat's constructor), and the coordinator's bounds. */
function checkGroupMember(s: ScenarioFields, v: FieldValidity, add: AddIssue, i: number, c: ConsumerClient | ProcessorClient): void {
  const own = (key: string): IssuePath => ['clients', i, 'config', key];
  if (v.ok(own('heartbeat.interval.ms'), own('session.timeout.ms')) && c.config['heartbeat.interval.ms'] >= c.config['session.timeout.ms']) {
    add(['clients', i, 'config', 'heartbeat.interval.ms'], `Heartbeat must be set lower than the session timeout: heartbeat.interval.ms ${c.config['heartbeat.interval.ms']} >= session.timeout.ms ${c.config['session.timeout.ms']}`);
  }
  if (!v.ok(own('session.timeout.ms'), brokerSetting('group.min.session.timeout.ms'), brokerSetting('group.max.session.timeout.ms'))) return;
  const [min, max] = [s.cluster.config['group.min.session.timeout.ms'], s.cluster.config['group.max.session.timeout.ms']];
  if (c.config['session.timeout.ms'] < min || c.config['session.timeout.ms'] > max) {
    add(['clients', i, 'config', 'session.timeout.ms'], `session.timeout.ms ${c.config['session.timeout.ms']} is outside the brokers' group.min.session.timeout.ms..group.max.session.timeout.ms (${min}..${max}): the coordinator would refuse it with INVALID_SESSION_TIMEOUT`);
  }
}

function checkActions(s: ScenarioFields, v: FieldValidity, add: AddIssue, i: number, c: ConsumerClient, topics: Set<string> | undefined): void {
  if (!v.holds(['clients', i, 'actions'])) return;
  c.actions.forEach((a, j) => {
    const at = (key: string): PropertyKey[] => ['clients', i, 'actions', j, key];
    if (v.ok(at('member'), ['clients', i, 'instances']) && a.member !== undefined && a.member > c.instances) add(at('member'), `member ${a.member} does not exist: ${c.id} runs ${c.instances} instance${c.instances === 1 ? '' : 's'}`);
    if (topics === undefined || !v.ok(at('partition'), ['clients', i, 'topics']) || a.partition === undefined) return;
    const tp = topicPartitionOf(a.partition);
    const topic = s.topics.find((t) => t.name === tp.topic);
    if (!c.topics.includes(tp.topic) || topic === undefined || tp.partition >= topic.partitions) add(at('partition'), `${a.partition} is not a partition of the topics ${c.id} subscribes to`);
  });
}

function checkFaults(s: ScenarioFields, v: FieldValidity, add: AddIssue, topics: Set<string> | undefined): void {
  if (!v.holds(['faults'])) return;
  // The nodes, clients and partitions targets may name, when what defines them passed.
  const clientsKnown = v.holds(['clients']) && s.clients.every((_, i) => v.ok(['clients', i, 'type'], ['clients', i, 'id'], ['clients', i, 'instances']));
  const unknownTarget = topics !== undefined && clientsKnown && v.ok(['cluster', 'brokers'], ['cluster', 'controllers']) ? targetChecker(s) : undefined;
  s.faults.forEach((f, i) => {
    // A fault whose action failed was not parsed further.
    if (!v.ok(['faults', i, 'action'])) return;
    if (v.ok(['faults', i, 'at'], ['duration']) && f.at > s.duration) add(['faults', i, 'at'], `fault at ${formatDuration(f.at)} is after the scenario's duration (${formatDuration(s.duration)})`);
    if (unknownTarget === undefined) return;
    for (const [path, text] of faultTargets(f, (path) => v.ok(['faults', i, ...path]))) {
      const problem = unknownTarget(text);
      if (problem !== undefined) add(['faults', i, ...path], problem);
    }
  });
}

/** Every target a fault names, with its path inside the fault, of the fields `ok` says passed their own checks. */
function faultTargets(f: z.output<typeof faultSchema>, ok: (path: PropertyKey[]) => boolean): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  if ('target' in f && f.target !== undefined && ok(['target'])) out.push([['target'], f.target]);
  if ('isolate' in f && f.isolate !== undefined && ok(['isolate'])) out.push([['isolate'], f.isolate]);
  if ('groups' in f && f.groups !== undefined && ok(['groups'])) f.groups.forEach((g, j) => g.forEach((t, k) => out.push([['groups', j, k], t])));
  if ('between' in f && f.between !== undefined && ok(['between'])) f.between.forEach((t, j) => out.push([['between', j], t]));
  if ('oneWay' in f && f.oneWay !== undefined && ok(['oneWay'])) out.push([['oneWay', 'from'], f.oneWay.from], [['oneWay', 'to'], f.oneWay.to]);
  return out;
}

/**
 * What is wrong with a fault target that parses but names nothing in this scenario (a node,
 * client, member or partition it does not have), or undefined: a typo must not quietly
 * become a fault that cuts nothing.
 */
function targetChecker(s: { readonly cluster: { readonly brokers: number; readonly controllers: number }; readonly topics: readonly z.output<typeof topicSchema>[]; readonly clients: readonly z.output<typeof clientSchema>[] }): (text: string) => string | undefined {
  const nodes = new Set<string>(['controller']);
  for (let c = 1; c <= s.cluster.controllers; c++) nodes.add(controllerNode(c));
  for (let b = 1; b <= s.cluster.brokers; b++) nodes.add(brokerNode(b));
  for (const c of s.clients) {
    if (c.type === 'producer') nodes.add(producerNode(c.id));
    else for (let n = 1; n <= c.instances; n++) nodes.add(memberNode(c.id, n));
  }
  const partitions = new Map(s.topics.map((t) => [t.name, t.partitions]));
  return (text) => {
    let t: ReturnType<typeof parseTarget>;
    try {
      t = parseTarget(text);
    } catch {
      return undefined; // the target's own schema reports its syntax
    }
    switch (t.kind) {
      case 'node':
        return nodes.has(t.id) ? undefined : `${t.id} is not a node of this scenario (its nodes: ${[...nodes].join(', ')})`;
      case 'leader':
      case 'follower': {
        const tp = topicPartitionOf(t.partition);
        // Internal topics (__consumer_offsets, __transaction_state) exist without being listed.
        if (tp.topic.startsWith('__')) return undefined;
        const count = partitions.get(tp.topic);
        return count !== undefined && tp.partition < count ? undefined : `${t.partition} is not a partition of the topics defined under topics`;
      }
      case 'client':
        return s.clients.some((c) => c.id === t.id) ? undefined : `${t.id} is not a client of this scenario`;
      case 'member': {
        const c = s.clients.find((x) => x.id === t.client);
        if (c === undefined || c.type === 'producer') return `${t.client} is not a consumer or processor of this scenario`;
        return t.index >= 1 && t.index <= c.instances ? undefined : `member ${t.index} does not exist: ${c.id} runs ${c.instances} instance${c.instances === 1 ? '' : 's'}`;
      }
      default:
        return undefined;
    }
  };
}

/** A scenario as written. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario, with every default filled in and every duration in microseconds. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ProducerClient = z.output<typeof producerSchema>;
export type ConsumerClient = z.output<typeof consumerSchema>;
export type ProcessorClient = z.output<typeof processorSchema>;
export type ScenarioFault = z.output<typeof faultSchema>;
export type ScenarioTopic = z.output<typeof topicSchema>;

/** The scenario format as JSON Schema, for editors and `kafkasim schema`. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
