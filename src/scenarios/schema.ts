import { z } from 'zod';
import { SPEC_KINDS } from '../checkers/onlineSpec.js';
import { DurationSyntaxError, formatDuration, micros, parseDuration, type Duration } from '../sim/time.js';
import { TargetSyntaxError, parseTarget } from '../network/faultTarget.js';
import { BROKER_SETTINGS } from '../nodes/config/brokerSettings.js';
import { TOPIC_SETTINGS } from '../nodes/config/topicSettings.js';
import { CONSUMER_SETTINGS, PROCESSOR_SETTINGS, PRODUCER_SETTINGS } from '../nodes/config/clientSettings.js';
import { KAFKA_RELEASES, NEWEST_RELEASE } from '../nodes/config/releases.js';
import { releaseProblems } from './releaseChecks.js';
import { settingsShape } from './settingsSchema.js';
import { topicPartitionOf } from '../log/topicPartition.js';
import { brokerNode, memberNode, producerNode } from '../nodes/nodeId.js';

/**
 * The scenario file: a cluster, its topics, its clients and their workloads, the faults
 * to inject, the checks to run and what to expect. Keys are Kafka's own config names
 * wherever Kafka has one; every object is strict, so a misspelt key is an error that names
 * it rather than a setting silently ignored.
 */

// ------------------------------------------------------------------ primitives

/** A simulated duration: "250us", "5ms", "1.5s", "2m". */
export const durationSchema = z.string().transform((text, ctx): Duration => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof DurationSyntaxError ? err.message : String(err) });
    return z.NEVER;
  }
});

/** A duration that may be negative, for clock jumps: "-5s". */
export const signedDurationSchema = z.string().transform((text, ctx): Duration => {
  const negative = text.trim().startsWith('-');
  try {
    const d = parseDuration(negative ? text.trim().slice(1) : text);
    return micros(negative ? -d : d);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof DurationSyntaxError ? err.message : String(err) });
    return z.NEVER;
  }
});

/** A fault target: "broker-2", "leader(orders-0)", "controller" … checked when the file loads. */
export const targetSchema = z.string().superRefine((text, ctx) => {
  try {
    parseTarget(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof TargetSyntaxError ? err.message : String(err) });
  }
});

/** Messages per second: 1000, or "1000/s". */
export const rateSchema = z.union(
  [
    z.number().positive(),
    z
      .string()
      .regex(/^\d+(\.\d+)?\/s$/)
      .transform((s) => Number(s.slice(0, -2))),
  ],
  { error: 'expected a rate in messages per second, such as 1000 or "1000/s"' },
);

/** A range of durations: "3s..8s". */
export const durationRangeSchema = z
  .string()
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

const latencySchema = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('fixed'), value: durationSchema }),
  z.strictObject({ dist: z.literal('uniform'), min: durationSchema, max: durationSchema }),
  z.strictObject({ dist: z.literal('normal'), mean: durationSchema, stddev: durationSchema, floor: durationSchema.optional() }),
  z.strictObject({ dist: z.literal('lognormal'), median: durationSchema, sigma: z.number().nonnegative(), floor: durationSchema.optional() }),
  z.strictObject({ dist: z.literal('exponential'), mean: durationSchema, floor: durationSchema.optional() }),
]);

const networkSchema = z.strictObject({
  mode: z.enum(['stream', 'datagram']).default('stream'),
  latency: latencySchema.prefault({ dist: 'uniform', min: '1ms', max: '5ms' }),
  /** Bytes per second per link. */
  bandwidth: z.number().positive().optional(),
  resetDetection: durationSchema.prefault('1ms'),
  silentDetection: durationSchema.optional(),
  duplicateRate: z.number().min(0).max(1).default(0),
});

// ------------------------------------------------------------------ cluster

/** Broker-level settings, with Kafka's names and defaults, and the simulator's own (sim.*): declared in src/nodes/config. */
const brokerConfigSchema = z.strictObject(settingsShape(BROKER_SETTINGS));

const topicConfigSchema = z.strictObject(settingsShape(TOPIC_SETTINGS));

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
  brokers: z.number().int().min(1).max(100),
  version: releaseSchema.default(NEWEST_RELEASE),
  /** broker.rack per broker, in broker order; racks repeat when the list is shorter. */
  racks: z.array(z.string().min(1)).optional(),
  config: brokerConfigSchema.prefault({}),
  network: networkSchema.prefault({}),
  /** Per-broker clock skew and drift. */
  clocks: z
    .array(z.strictObject({ broker: z.number().int().positive(), skew: z.string().optional(), driftPpm: z.number().default(0) }))
    .default([]),
  /** Background writeback of dirty pages (Linux's 30 s expiry), and torn writes on power loss. */
  disks: z.strictObject({ writeback: z.boolean().default(false), tornWrites: z.boolean().default(false) }).prefault({}),
});

const topicSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'topic names use letters, digits, ".", "_" and "-"'),
  partitions: z.number().int().min(1).max(1000),
  /** Default: the cluster's default.replication.factor, as Kafka creates a topic that names none. */
  'replication.factor': z.number().int().min(1).optional(),
  config: topicConfigSchema.prefault({}),
});

// ------------------------------------------------------------------ clients

const acksSchema = z.union([z.enum(['0', '1', 'all', '-1']), z.literal(0), z.literal(1), z.literal(-1)]).transform((a) => (String(a) === '-1' ? 'all' : (String(a) as '0' | '1' | 'all')));

const producerConfigFields = z.strictObject({
  ...settingsShape(PRODUCER_SETTINGS),
  acks: acksSchema.prefault('all'),
  'compression.type': z.enum(['none', 'gzip'], { error: () => 'kafkasim compresses with none or gzip (snappy, lz4 and zstd are not implemented)' }).default(PRODUCER_SETTINGS['compression.type'].default),
});

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
  keys: z.number().int().nonnegative().default(100),
  keyDistribution: z.enum(['uniform', 'zipf']).default('uniform'),
  valueBytes: z.number().int().nonnegative().default(100),
  /** The share of sends that delete their key: a null value, a tombstone on a compacted topic. */
  tombstones: z.number().min(0).max(1).default(0),
  start: durationSchema.prefault('0s'),
  stop: durationSchema.optional(),
}).superRefine((w, ctx) => {
  if (w.tombstones > 0 && w.keys === 0) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['tombstones'], message: 'a tombstone deletes a key: tombstones need keys > 0' });
}, FIELDS_VALID);

const producerSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'client ids use letters, digits, ".", "_" and "-"'),
  type: z.literal('producer'),
  topic: z.string(),
  config: producerConfigSchema.prefault({}),
  workload: workloadSchema,
});

const assignorSchema = z.enum(['range', 'roundrobin', 'sticky', 'cooperative-sticky']);

const assignorListSchema = z.array(assignorSchema).min(1);

/** Consumer settings with Kafka's names and defaults (ConsumerConfig): declared in src/nodes/config. One assignor may be written without a list. */
const consumerConfigSchema = z.strictObject({
  ...settingsShape(CONSUMER_SETTINGS),
  'partition.assignment.strategy': z.union([assignorSchema.transform((a) => [a]), assignorListSchema]).default([...CONSUMER_SETTINGS['partition.assignment.strategy'].default]),
});

/** A processing time per record: "2ms", or a range "1ms..5ms" drawn uniformly. */
const processingTimeSchema = z.string().transform((text, ctx): [Duration, Duration] => {
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
});

const consumerSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'client ids use letters, digits, ".", "_" and "-"'),
  type: z.literal('consumer'),
  group: z.string().regex(/^[A-Za-z0-9._-]+$/, 'group ids use letters, digits, ".", "_" and "-"'),
  topics: z.array(z.string()).min(1),
  /** How many members of the group this client runs. */
  instances: z.number().int().min(1).max(1000).default(1),
  config: consumerConfigSchema.prefault({}),
  processing: z
    .strictObject({
      mode: z.enum(['commit-before-process', 'commit-after-process', 'auto-commit']).default('auto-commit'),
      time: processingTimeSchema.prefault('0ms'),
    })
    .prefault({}),
  start: durationSchema.prefault('0s'),
  /** Calls the application makes on its consumer (KafkaConsumer's seek, pause, commitSync …). */
  actions: z
    .array(
      z
        .strictObject({
          at: durationSchema,
          do: z.enum(['seek', 'seekToBeginning', 'seekToEnd', 'pause', 'resume', 'commitSync', 'commitAsync']),
          partition: z.string().regex(/^.+-\d+$/, 'a partition such as orders-0').optional(),
          offset: z.number().int().nonnegative().optional(),
          member: z.number().int().positive().optional(),
        })
        .refine((a) => (a.do === 'seek') === (a.offset !== undefined), 'seek takes an offset, and only seek does'),
    )
    .default([]),
});

/**
 * A consume-transform-produce processor: a consumer group reading `from`, each record
 * turned into one record of `to` that carries the input's message id.
 */
const processorSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'client ids use letters, digits, ".", "_" and "-"'),
  type: z.literal('processor'),
  from: z.string(),
  to: z.string(),
  group: z.string().regex(/^[A-Za-z0-9._-]+$/, 'group ids use letters, digits, ".", "_" and "-"'),
  instances: z.number().int().min(1).max(1000).default(1),
  config: consumerConfigSchema
    .extend(settingsShape(PROCESSOR_SETTINGS))
    .prefault({}),
  processing: z
    .strictObject({
      mode: z.enum(['transactional', 'commit-after-process']).default('transactional'),
      time: processingTimeSchema.prefault('0ms'),
      /** Input records per transaction (and per poll). */
      transactionRecords: z.number().int().positive().default(100),
      valueBytes: z.number().int().nonnegative().default(100),
    })
    .prefault({}),
  start: durationSchema.prefault('0s'),
});

const clientSchema = z.discriminatedUnion('type', [producerSchema, consumerSchema, processorSchema]);

// ------------------------------------------------------------------ faults

/**
 * When a fault fires: at `at`, or, with `when`, at the first trace record of that kind from
 * `at` on whose fields equal `where` (a list field matches when it holds the value).
 */
const faultTiming = {
  at: durationSchema,
  when: z
    .strictObject({
      event: z.string().regex(/^[a-z][a-z0-9.-]*$/, 'a trace record kind, such as txn.state or replica.truncate'),
      where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      /** How long after the event the fault fires (default: right after it). */
      delay: durationSchema.optional(),
    })
    .optional(),
};

const faultSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...faultTiming, action: z.literal('crash'), target: targetSchema, mode: z.enum(['process', 'power']).default('process') }),
  z.strictObject({ ...faultTiming, action: z.literal('restart'), target: targetSchema }),
  z.strictObject({ ...faultTiming, action: z.literal('shutdown'), target: targetSchema }),
  z.strictObject({ ...faultTiming, action: z.literal('pause'), target: targetSchema, for: durationSchema }),
  z
    .strictObject({
      ...faultTiming,
      action: z.literal('partition'),
      name: z.string().optional(),
      groups: z.array(z.array(targetSchema).min(1)).min(2).optional(),
      isolate: targetSchema.optional(),
      oneWay: z.strictObject({ from: targetSchema, to: targetSchema }).optional(),
    })
    .refine((f) => [f.groups, f.isolate, f.oneWay].filter((x) => x !== undefined).length === 1, 'a partition takes exactly one of groups, isolate or oneWay'),
  z.strictObject({ ...faultTiming, action: z.literal('heal'), name: z.string().optional() }),
  z
    .strictObject({
      ...faultTiming,
      action: z.literal('degrade'),
      name: z.string().optional(),
      target: targetSchema.optional(),
      between: z.tuple([targetSchema, targetSchema]).optional(),
      oneWay: z.strictObject({ from: targetSchema, to: targetSchema }).optional(),
      latency: latencySchema.optional(),
      loss: z.number().min(0).max(1).optional(),
    })
    .refine((f) => [f.target, f.between, f.oneWay].filter((x) => x !== undefined).length === 1, 'a degrade takes exactly one of target, between or oneWay')
    .refine((f) => f.latency !== undefined || f.loss !== undefined, 'a degrade adds latency, loss or both'),
  z
    .strictObject({ ...faultTiming, action: z.literal('clock'), target: targetSchema, jump: signedDurationSchema.optional(), driftPpm: z.number().optional() })
    .refine((f) => f.jump !== undefined || f.driftPpm !== undefined, 'a clock fault jumps the clock, changes its drift, or both'),
  z.strictObject({ ...faultTiming, action: z.literal('disk'), target: targetSchema, fault: z.enum(['bitflip', 'truncate']), file: z.string().optional(), count: z.number().int().positive().optional() }),
]);

const nemesisSchema = z.strictObject({
  kinds: z.array(z.enum(['crash', 'shutdown', 'partition', 'pause', 'clock', 'disk'])).min(1),
  interval: durationRangeSchema,
  healAfter: durationRangeSchema.optional(),
  maxDown: z.number().int().nonnegative().default(1),
  targets: z.array(z.enum(['brokers', 'controller', 'clients'])).default(['brokers']),
  crashModes: z.array(z.enum(['process', 'power'])).default(['process']),
  /** With the `disk` kind: which media faults to draw from. */
  diskFaults: z.array(z.enum(['bitflip', 'truncate'])).default(['bitflip']),
  /** With the `clock` kind: the largest jump, either way. */
  maxClockJump: durationSchema.prefault('5s'),
  start: durationSchema.optional(),
  stop: durationSchema.optional(),
});

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
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

const checkSchema = z.enum(CHECK_KINDS);

/** Everything `expect` may name: the checkers' kinds and the online spec invariants. */
export const EXPECTABLE_KINDS: readonly string[] = [...CHECK_KINDS, ...SPEC_KINDS];

// ------------------------------------------------------------------ scenario

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().default(1),
    duration: durationSchema,
    /** After the duration: how long faults are healed and clients finish before checking. */
    drain: durationSchema.prefault('30s'),
    cluster: clusterSchema,
    topics: z.array(topicSchema).default([]),
    clients: z.array(clientSchema).default([]),
    faults: z.array(faultSchema).default([]),
    nemesis: nemesisSchema.optional(),
    checks: z.array(checkSchema).optional(),
    expect: z.strictObject({ violations: z.union([z.literal('none'), z.array(z.string()).min(1)]) }).optional(),
  })
  .superRefine((s, ctx) => {
    // KafkaConfig.validateValues.
    if (s.cluster.config['replica.socket.timeout.ms'] < s.cluster.config['replica.fetch.wait.max.ms']) {
      ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['cluster', 'config', 'replica.socket.timeout.ms'], message: 'replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts' });
    }
    for (const p of releaseProblems(s.cluster.version, s.cluster.config, s.clients)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: [...p.path], message: p.message });
    const topics = new Set<string>();
    s.topics.forEach((t, i) => {
      if (topics.has(t.name)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['topics', i, 'name'], message: `topic ${t.name} is defined twice` });
      topics.add(t.name);
      const rf = t['replication.factor'] ?? s.cluster.config['default.replication.factor'];
      if (rf > s.cluster.brokers) {
        const [path, what] = t['replication.factor'] === undefined ? [['cluster', 'config', 'default.replication.factor'], `default.replication.factor ${rf} (topic ${t.name} names none)`] : [['topics', i, 'replication.factor'], `replication.factor ${rf}`];
        ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path, message: `${what} is larger than the ${s.cluster.brokers} brokers` });
      }
    });
    const ids = new Set<string>();
    s.clients.forEach((c, i) => {
      if (ids.has(c.id)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'id'], message: `client id ${c.id} is used twice` });
      ids.add(c.id);
      if (c.type !== 'producer') {
        // Every group member: the consumer's own check (Heartbeat's constructor), and the coordinator's bounds.
        if (c.config['heartbeat.interval.ms'] >= c.config['session.timeout.ms']) {
          ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'config', 'heartbeat.interval.ms'], message: `Heartbeat must be set lower than the session timeout: heartbeat.interval.ms ${c.config['heartbeat.interval.ms']} >= session.timeout.ms ${c.config['session.timeout.ms']}` });
        }
        if (c.config['session.timeout.ms'] < s.cluster.config['group.min.session.timeout.ms'] || c.config['session.timeout.ms'] > s.cluster.config['group.max.session.timeout.ms']) {
          ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'config', 'session.timeout.ms'], message: `session.timeout.ms ${c.config['session.timeout.ms']} is outside the brokers' group.min.session.timeout.ms..group.max.session.timeout.ms (${s.cluster.config['group.min.session.timeout.ms']}..${s.cluster.config['group.max.session.timeout.ms']}): the coordinator would refuse it with INVALID_SESSION_TIMEOUT` });
        }
      }
      if (c.type === 'processor') {
        for (const [field, t] of [['from', c.from], ['to', c.to]] as const) {
          if (!topics.has(t)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, field], message: `topic ${t} is not defined under topics` });
        }
        if (c.from === c.to) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'to'], message: 'a processor writes to another topic than it reads' });
        for (const [key, rf] of [['offsets.topic.replication.factor', s.cluster.config['offsets.topic.replication.factor']], ['transaction.state.log.replication.factor', s.cluster.config['transaction.state.log.replication.factor']]] as const) {
          if (rf > s.cluster.brokers) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['cluster', 'config', key], message: `${key} ${rf} is larger than the ${s.cluster.brokers} brokers` });
        }
        if (c.config['transaction.timeout.ms'] > s.cluster.config['transaction.max.timeout.ms']) {
          ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'config', 'transaction.timeout.ms'], message: `transaction.timeout.ms ${c.config['transaction.timeout.ms']} is above the brokers' transaction.max.timeout.ms: InitProducerId would fail with INVALID_TRANSACTION_TIMEOUT` });
        }
        return;
      }
      if (c.type === 'consumer') {
        c.topics.forEach((t, j) => {
          if (!topics.has(t)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'topics', j], message: `topic ${t} is not defined under topics` });
        });
        c.actions.forEach((a, j) => {
          if (a.member !== undefined && a.member > c.instances) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'actions', j, 'member'], message: `member ${a.member} does not exist: ${c.id} runs ${c.instances} instance${c.instances === 1 ? '' : 's'}` });
          if (a.partition === undefined) return;
          const tp = topicPartitionOf(a.partition);
          const topic = s.topics.find((t) => t.name === tp.topic);
          if (!c.topics.includes(tp.topic) || topic === undefined || tp.partition >= topic.partitions) {
            ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'actions', j, 'partition'], message: `${a.partition} is not a partition of the topics ${c.id} subscribes to` });
          }
        });
        if (s.cluster.config['offsets.topic.replication.factor'] > s.cluster.brokers) {
          ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['cluster', 'config', 'offsets.topic.replication.factor'], message: `offsets.topic.replication.factor ${s.cluster.config['offsets.topic.replication.factor']} is larger than the ${s.cluster.brokers} brokers, so __consumer_offsets cannot be created` });
        }
        return;
      }
      if (!topics.has(c.topic)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['clients', i, 'topic'], message: `topic ${c.topic} is not defined under topics` });
    });
    const unknownTarget = targetChecker(s);
    s.faults.forEach((f, i) => {
      if (f.at > s.duration) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['faults', i, 'at'], message: `fault at ${formatDuration(f.at)} is after the scenario's duration (${formatDuration(s.duration)})` });
      for (const [path, text] of faultTargets(f)) {
        const problem = unknownTarget(text);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['faults', i, ...path], message: problem });
      }
    });
    if (s.expect !== undefined && s.expect.violations !== 'none') {
      s.expect.violations.forEach((v, i) => {
        if (!EXPECTABLE_KINDS.includes(v)) ctx.addIssue({ code: 'custom', params: CROSS_FIELD, path: ['expect', 'violations', i], message: `unknown violation kind "${v}"; known: ${EXPECTABLE_KINDS.join(', ')}` });
      });
    }
  }, FIELDS_VALID)
  // A topic that names no replication factor gets the cluster's default.replication.factor.
  .transform((s) => ({ ...s, topics: s.topics.map((t) => ({ ...t, 'replication.factor': t['replication.factor'] ?? s.cluster.config['default.replication.factor'] })) }));

/** Every target a fault names, with its path inside the fault. */
function faultTargets(f: z.output<typeof faultSchema>): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  if ('target' in f && f.target !== undefined) out.push([['target'], f.target]);
  if ('isolate' in f && f.isolate !== undefined) out.push([['isolate'], f.isolate]);
  if ('groups' in f && f.groups !== undefined) f.groups.forEach((g, j) => g.forEach((t, k) => out.push([['groups', j, k], t])));
  if ('between' in f && f.between !== undefined) f.between.forEach((t, j) => out.push([['between', j], t]));
  if ('oneWay' in f && f.oneWay !== undefined) out.push([['oneWay', 'from'], f.oneWay.from], [['oneWay', 'to'], f.oneWay.to]);
  return out;
}

/**
 * What is wrong with a fault target that parses but names nothing in this scenario (a node,
 * client, member or partition it does not have), or undefined: a typo must not quietly
 * become a fault that cuts nothing.
 */
function targetChecker(s: { readonly cluster: { readonly brokers: number }; readonly topics: readonly z.output<typeof topicSchema>[]; readonly clients: readonly z.output<typeof clientSchema>[] }): (text: string) => string | undefined {
  const nodes = new Set<string>(['controller']);
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
