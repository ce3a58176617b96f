import { Simulation } from '../sim/simulation.js';
import type { Op } from '../sim/history.js';
import { runCheckers, type Violation } from '../sim/checker.js';
import { declaredTraceFields, declaredTraceKinds, type TraceSink } from '../sim/trace.js';
import { ScenarioError } from './loader.js';
import { time } from '../sim/time.js';
import { Network } from '../network/network.js';
import { NodeHost } from '../network/nodeHost.js';
import { LocalClock } from '../network/localClock.js';
import { FaultInjector, type FaultAction, type TimedFault } from '../network/faults.js';
import { BasicTargetResolver, type FaultTarget, type TargetResolver } from '../network/faultTarget.js';
import { generateNemesis } from '../network/nemesis.js';
import { MemoryDisk } from '../log/memoryDisk.js';
import { applyDiskFault } from '../log/diskFaults.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../log/log.js';
import { parseDuration } from '../sim/time.js';
import { Controller, type ControllerDurable } from '../nodes/controller/controller.js';
import { Broker, type BrokerDurable } from '../nodes/broker/broker.js';
import { Producer, type ProducerDurable } from '../nodes/producer/producer.js';
import { CONTROLLER_NODE, brokerNode, type KafkaMessage } from '../nodes/protocol.js';
import { ClusterProbe } from '../nodes/clusterProbe.js';
import { deliveryCheckers } from '../checkers/deliveryCheckers.js';
import { groupCheckers, groupLag } from '../checkers/groupCheckers.js';
import { txnCheckers } from '../checkers/txnCheckers.js';
import type { AppliedCommit, ClusterFinalState, CommittedOffsetChange, ExposedBatch, GroupFinalState, PipelineState } from '../checkers/finalState.js';
import { countSends } from '../checkers/sends.js';
import { OnlineSpecChecker } from '../checkers/onlineSpec.js';
import { MetricsRegistry } from '../sim/metrics.js';
import { MetricsRecorder, type MetricsReport } from './metricsRecorder.js';
import { logSnapshot } from './logSnapshot.js';
import { millis, seconds, type Time } from '../sim/time.js';
import type { ConsumerClient, ProcessorClient, ProducerClient, Scenario, ScenarioFault } from './schema.js';
import { Consumer, type ConsumerDurable, type ProcessorOutput } from '../nodes/consumer/consumer.js';
import { OFFSETS_TOPIC, partitionForGroup } from '../nodes/coordinator/offsetsTopic.js';
import { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from '../nodes/coordinator/transactionLog.js';

export interface RunOptions {
  readonly seed?: number;
  readonly checks?: readonly string[];
  /** Keep the trace in memory (for explain and tests). */
  readonly keepTrace?: boolean;
  readonly sinks?: readonly TraceSink[];
  /** Check the replication invariants of the TLA+ specs after every replication event (default on). */
  readonly onlineChecks?: boolean;
}

export interface RunStats {
  readonly simulatedMs: number;
  readonly events: number;
  readonly produced: number;
  readonly acked: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Kafka's JMX metrics at the end, and how they moved around each fault. */
  readonly metrics: MetricsReport;
  /** With consumer groups: per partition, the committed offset's distance from the high watermark at the end (the largest over groups). */
  readonly lag?: Readonly<Record<string, number>>;
  /** With consumer groups: what their members did. */
  readonly consumers?: ConsumerStats;
}

export interface ConsumerStats {
  /** Records processed to the end (every member, every time). */
  readonly processed: number;
  readonly commits: number;
  /** Commits the coordinator refused or that failed. */
  readonly failedCommits: number;
  /** The highest generation any member was assigned in. */
  readonly generations: number;
}

function consumerStats(history: readonly Op[]): ConsumerStats {
  let processed = 0;
  let commits = 0;
  let failedCommits = 0;
  let generations = 0;
  for (const op of history) {
    if (op.f === 'process' && op.type === 'ok') processed++;
    else if (op.f === 'commit' && op.type !== 'invoke') {
      commits++;
      if (op.type !== 'ok') failedCommits++;
    } else if (op.f === 'assign' && op.type === 'ok') generations = Math.max(generations, (op.value as { generation: number }).generation);
  }
  return { processed, commits, failedCommits, generations };
}

export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly fingerprint: string;
  readonly violations: readonly Violation[];
  readonly expectMet: boolean;
  readonly stats: RunStats;
  readonly simulation: Simulation;
  /** Every fault the run scheduled: the scenario's own, then the nemesis's, before target resolution. */
  readonly schedule: readonly TimedFault[];
  /** What the checkers judged besides the history: the final logs, groups and commits. */
  readonly state: ClusterFinalState;
}

function clientNode(id: string): string {
  return `producer-${id}`;
}

/** The node of member `index` (from 1) of consumer client `id`. */
function memberNode(id: string, index: number): string {
  return `consumer-${id}-${index}`;
}

/** Turns a scenario's fault into the network layer's action. */
function toAction(f: ScenarioFault): FaultAction {
  const { at: _at, when: _when, ...rest } = f;
  // No cast: the parsed fault must already be what the injector takes, field by field (a clock
  // jump once stayed a string here, and a scenario's `jump: 2s` turned a clock into NaN).
  return rest;
}

/**
 * A fault's trigger must name a kind of trace record the simulator emits, and fields that
 * kind has: otherwise it would wait for ever, quietly.
 */
function checkTriggers(scenario: Scenario): void {
  const issues: { path: string; message: string }[] = [];
  scenario.faults.forEach((f, i) => {
    if (f.when === undefined) return;
    const fields = declaredTraceFields(f.when.event);
    if (fields === undefined) issues.push({ path: `faults[${i}].when.event`, message: `no trace records of kind "${f.when.event}"; kinds: ${declaredTraceKinds().join(', ')}` });
    else for (const key of Object.keys(f.when.where)) if (!fields.includes(key)) issues.push({ path: `faults[${i}].when.where.${key}`, message: `${f.when.event} records have no field "${key}"; fields: ${fields.join(', ')}` });
  });
  if (issues.length > 0) throw new ScenarioError(scenario.name, issues);
}

/**
 * Runs one scenario with one seed: builds the cluster on a simulated network, drives the
 * workloads, injects the faults and the nemesis, then drains (faults stop, everything heals
 * and restarts, clients finish) and judges the final logs and the history with the checkers.
 */
export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  const seed = options.seed ?? scenario.seed;
  const sim = new Simulation({ seed, trace: options.keepTrace ? 'memory' : 'none', sinks: options.sinks });
  const cfg = scenario.cluster.config;
  const latency = scenario.cluster.network.latency;
  const net = new Network<KafkaMessage>(sim.scheduler, sim.trace, sim.rng.fork('network'), {
    mode: scenario.cluster.network.mode,
    defaultLink: { latency, bandwidth: scenario.cluster.network.bandwidth },
    resetDetection: scenario.cluster.network.resetDetection,
    silentDetection: scenario.cluster.network.silentDetection,
    duplicateRate: scenario.cluster.network.duplicateRate,
  });

  const producers = scenario.clients.filter((c): c is ProducerClient => c.type === 'producer');
  const processors = scenario.clients.filter((c): c is ProcessorClient => c.type === 'processor');
  // A processor is a group member with an output: the same client, run by the same code.
  const outputs = new Map(processors.map((p) => [p.id, processorOutput(p, scenario.cluster.config['transaction.version'])]));
  const consumers = [...scenario.clients.filter((c): c is ConsumerClient => c.type === 'consumer'), ...processors.map(processorAsConsumer)];
  const transactional = processors.some((p) => p.processing.mode === 'transactional');
  const topicConfigs = new Map(scenario.topics.map((t) => [t.name, t]));
  const logConfig = (topic: string): LogConfig => {
    if (topic === OFFSETS_TOPIC || topic === TRANSACTION_STATE_TOPIC) {
      // offsets.topic.segment.bytes and transaction.state.log.segment.bytes (100 MiB), compacted, as Kafka creates them.
      return { ...DEFAULT_LOG_CONFIG, segmentBytes: 104_857_600, cleanupPolicy: 'compact', flushMessages: cfg['flush.messages'], flushMs: cfg['flush.ms'] };
    }
    const t = topicConfigs.get(topic)?.config;
    return {
      ...DEFAULT_LOG_CONFIG,
      segmentBytes: t?.['segment.bytes'] ?? cfg['log.segment.bytes'],
      segmentMs: t?.['segment.ms'] ?? DEFAULT_LOG_CONFIG.segmentMs,
      flushMessages: cfg['flush.messages'],
      flushMs: cfg['flush.ms'],
      cleanupPolicy: t?.['cleanup.policy'] ?? 'delete',
      retentionMs: t?.['retention.ms'] ?? DEFAULT_LOG_CONFIG.retentionMs,
      retentionBytes: t?.['retention.bytes'] ?? -1,
      minCleanableDirtyRatio: t?.['min.cleanable.dirty.ratio'] ?? DEFAULT_LOG_CONFIG.minCleanableDirtyRatio,
      minCompactionLagMs: t?.['min.compaction.lag.ms'] ?? DEFAULT_LOG_CONFIG.minCompactionLagMs,
      deleteRetentionMs: t?.['delete.retention.ms'] ?? DEFAULT_LOG_CONFIG.deleteRetentionMs,
      timestampType: t?.['message.timestamp.type'] ?? 'CreateTime',
      evictProducersBelowLogStart: cfg['sim.producer.state.retention'] === 'log',
    };
  };

  const metrics = new MetricsRegistry();

  // The controller.
  const controllerDisk = new MemoryDisk();
  const controllerDurable: ControllerDurable = {
    disk: controllerDisk,
    metrics: metrics.forNode(CONTROLLER_NODE),
    config: {
      brokerSessionTimeoutMs: cfg['broker.session.timeout.ms'],
      uncleanLeaderElection: cfg['unclean.leader.election.enable'],
      minInsyncReplicas: cfg['min.insync.replicas'],
      eligibleLeaderReplicas: cfg['eligible.leader.replicas.version'] === 1,
      autoLeaderRebalance: cfg['auto.leader.rebalance.enable'],
      leaderImbalanceCheckIntervalMs: cfg['leader.imbalance.check.interval.seconds'] * 1000,
      topics: [
        ...scenario.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions,
          replicationFactor: t['replication.factor'],
          config: Object.fromEntries(Object.entries(t.config).filter(([, v]) => v !== undefined)) as Record<string, number | string | boolean>,
        })),
        // Kafka creates __consumer_offsets on the first FindCoordinator; here, up front when
        // the scenario has consumer groups.
        ...(consumers.length === 0
          ? []
          : [{ name: OFFSETS_TOPIC, partitions: cfg['offsets.topic.num.partitions'], replicationFactor: cfg['offsets.topic.replication.factor'], config: { 'cleanup.policy': 'compact' } }]),
        // __transaction_state likewise, compacted, with min.insync.replicas = transaction.state.log.min.isr.
        ...(!transactional
          ? []
          : [
              {
                name: TRANSACTION_STATE_TOPIC,
                partitions: cfg['transaction.state.log.num.partitions'],
                replicationFactor: cfg['transaction.state.log.replication.factor'],
                config: { 'cleanup.policy': 'compact', 'min.insync.replicas': Math.min(cfg['transaction.state.log.min.isr'], cfg['transaction.state.log.replication.factor']) },
              },
            ]),
      ],
    },
  };
  const controllerHost = new NodeHost<KafkaMessage, ControllerDurable, Controller>({ id: CONTROLLER_NODE, roles: ['controller'], durable: controllerDurable, devices: [controllerDisk], factory: (ctx, d) => new Controller(ctx, d) });
  net.addHost(controllerHost);

  // The brokers.
  const brokerIds = Array.from({ length: scenario.cluster.brokers }, (_, i) => i + 1);
  const disks = new Map<string, MemoryDisk>();
  const brokerHosts = brokerIds.map((id) => {
    const disk = new MemoryDisk({
      clock: () => sim.now,
      rng: sim.rng.fork(`disk/broker-${id}`),
      writeback: scenario.cluster.disks.writeback,
      tornWrites: scenario.cluster.disks.tornWrites,
    });
    disks.set(brokerNode(id), disk);
    const clock = scenario.cluster.clocks.find((c) => c.broker === id);
    const durable: BrokerDurable = {
      disk,
      metrics: metrics.forNode(brokerNode(id)),
      config: {
        brokerId: id,
        rack: scenario.cluster.racks?.[(id - 1) % scenario.cluster.racks.length],
        heartbeatIntervalMs: cfg['broker.heartbeat.interval.ms'],
        controlledShutdownEnable: cfg['controlled.shutdown.enable'],
        replicaLagTimeMaxMs: cfg['replica.lag.time.max.ms'],
        replicaFetchWaitMaxMs: cfg['replica.fetch.wait.max.ms'],
        replicaSocketTimeoutMs: cfg['replica.socket.timeout.ms'],
        requestTimeoutMs: cfg['request.timeout.ms'],
        highWatermarkCheckpointIntervalMs: cfg['replica.high.watermark.checkpoint.interval.ms'],
        replicaFetchBackoffMs: cfg['replica.fetch.backoff.ms'],
        replicaFetchMaxBytes: cfg['replica.fetch.max.bytes'],
        replicaFetchers: cfg['num.replica.fetchers'],
        minInsyncReplicas: cfg['min.insync.replicas'],
        eligibleLeaderReplicas: cfg['eligible.leader.replicas.version'] === 1,
        truncation: cfg['sim.truncation'],
        logConfig,
        retentionCheckIntervalMs: cfg['log.retention.check.interval.ms'],
        cleanerBackoffMs: cfg['log.cleaner.backoff.ms'],
        producerIdExpirationMs: cfg['producer.id.expiration.ms'],
        producerIdExpirationCheckIntervalMs: cfg['producer.id.expiration.check.interval.ms'],
        offsetsCommitTimeoutMs: cfg['offsets.commit.timeout.ms'],
        offsetsRetentionCheckIntervalMs: cfg['offsets.retention.check.interval.ms'],
        group: {
          offsetsPartitions: cfg['offsets.topic.num.partitions'],
          initialRebalanceDelayMs: cfg['group.initial.rebalance.delay.ms'],
          minSessionTimeoutMs: cfg['group.min.session.timeout.ms'],
          maxSessionTimeoutMs: cfg['group.max.session.timeout.ms'],
          fencing: cfg['sim.group.fencing'],
          offsetsRetentionMs: cfg['offsets.retention.minutes'] * 60_000,
          offsetExpiration: cfg['sim.offsets.expiration'],
        },
        transactions: {
          partitions: cfg['transaction.state.log.num.partitions'],
          maxTimeoutMs: cfg['transaction.max.timeout.ms'],
          abortTimedOutIntervalMs: cfg['transaction.abort.timed.out.transaction.cleanup.interval.ms'],
          verification: cfg['transaction.partition.verification.enable'],
          version: cfg['transaction.version'],
        },
      },
    };
    const host = new NodeHost<KafkaMessage, BrokerDurable, Broker>({
      id: brokerNode(id),
      roles: ['broker'],
      closesConnectionOnRequestTimeout: true,
      durable,
      devices: [disk],
      clock: new LocalClock(clock?.skew === undefined ? undefined : parseDuration(clock.skew), clock?.driftPpm ?? 0),
      factory: (ctx, d) => new Broker(ctx, d),
    });
    net.addHost(host);
    return host;
  });

  // The clients.
  for (const c of consumers) {
    for (let i = 1; i <= c.instances; i++) {
      const durable: ConsumerDurable = {
        clientId: c.id,
        index: i,
        group: c.group,
        topics: c.topics,
        brokers: brokerIds,
        config: { ...c.config, 'enable.auto.commit': c.config['enable.auto.commit'] ?? c.processing.mode === 'auto-commit' },
        processing: c.processing,
        start: c.start,
        actions: c.actions,
        output: outputs.get(c.id),
        history: sim.history,
      };
      net.addHost(new NodeHost<KafkaMessage, ConsumerDurable>({ id: memberNode(c.id, i), roles: ['client', 'consumer'], closesConnectionOnRequestTimeout: true, durable, factory: (ctx, d) => new Consumer(ctx, d) }));
    }
  }
  for (const c of producers) {
    const durable: ProducerDurable = {
      clientId: c.id,
      topic: c.topic,
      brokers: brokerIds,
      config: c.config,
      workload: {
        rate: c.workload.rate,
        keys: c.workload.keys,
        keyDistribution: c.workload.keyDistribution,
        tombstones: c.workload.tombstones,
        valueBytes: c.workload.valueBytes,
        start: c.workload.start,
        stop: Math.min(c.workload.stop ?? scenario.duration, scenario.duration),
      },
      history: sim.history,
      sequence: { next: 0 },
      metrics: metrics.forNode(clientNode(c.id)),
    };
    net.addHost(new NodeHost<KafkaMessage, ProducerDurable>({ id: clientNode(c.id), roles: ['client'], closesConnectionOnRequestTimeout: true, durable, factory: (ctx, d) => new Producer(ctx, d) }));
  }
  const probe = new ClusterProbe((node) => net.host(node).state === 'up', controllerHost, brokerHosts);
  // The ghost observer: who appends as leader, in which epoch. Keyed by partition, then
  // epoch, with a list that keeps the order claims were first made in.
  type Claim = { partition: string; leaderEpoch: number; brokers: number[]; at?: number };
  const claims: Claim[] = [];
  const claimsByPartition = new Map<string, Map<number, Claim>>();
  sim.trace.observe('replica.append', (r) => {
    if (r.role !== 'leader') return;
    let byEpoch = claimsByPartition.get(r.partition);
    if (byEpoch === undefined) claimsByPartition.set(r.partition, (byEpoch = new Map()));
    let claim = byEpoch.get(r.leaderEpoch);
    if (claim === undefined) {
      claim = { partition: r.partition, leaderEpoch: r.leaderEpoch, brokers: [] };
      byEpoch.set(r.leaderEpoch, claim);
      claims.push(claim);
    }
    if (!claim.brokers.includes(r.broker)) {
      claim.brokers.push(r.broker);
      if (claim.brokers.length === 2) claim.at = r.at;
    }
  });
  // ... and which batches each leader's high watermark exposes to consumers.
  const exposed = new Map<string, ExposedBatch[]>();
  const exposedUpTo = new Map<string, number>();
  sim.trace.observe('replica.hw', (r) => {
    const from = exposedUpTo.get(r.partition) ?? 0;
    const hw = r.highWatermark;
    if (hw <= from) return;
    const partition = probe.partition(r.broker, r.partition);
    if (partition === undefined) return;
    let list = exposed.get(r.partition);
    if (list === undefined) exposed.set(r.partition, (list = []));
    const into = list;
    const at = r.at;
    partition.log.forEachBatchSummary(from, hw, (baseOffset, lastOffset, epoch, crc) => {
      into.push({ baseOffset, lastOffset, epoch, crc, exposedUpTo: Math.min(hw, lastOffset + 1), at });
    });
    exposedUpTo.set(r.partition, hw);
  });
  // ... when each node's current incarnation started ...
  const nodeStarts = new Map<string, number>();
  sim.trace.observe('node.start', (r) => nodeStarts.set(r.node, r.at));
  // ... and what the group coordinators did with commits.
  const commits: AppliedCommit[] = [];
  const offsetChanges: CommittedOffsetChange[] = [];
  sim.trace.observe('group.commit', (r) => commits.push({ at: r.at, broker: r.broker, group: r.group, member: r.member, generation: r.generation, currentGeneration: r.currentGeneration, stale: r.stale, partition: r.partition, offset: r.offset }));
  sim.trace.observe('group.offset', (r) => offsetChanges.push({ at: r.at, broker: r.broker, group: r.group, partition: r.partition, offset: r.offset, source: r.source }));
  // ... and which records cleaners compacted away, by partition.
  const compactedAway = new Map<string, Set<number>>();
  sim.trace.observe('log.clean', (r) => {
    let set = compactedAway.get(r.partition);
    if (set === undefined) compactedAway.set(r.partition, (set = new Set()));
    for (const o of r.removedOffsets) set.add(o);
  });
  const online = options.onlineChecks === false ? undefined : new OnlineSpecChecker((broker, name) => probe.replicaLog(broker, name));
  online?.attach(sim.trace);
  const recorder = new MetricsRecorder(metrics, (node) => probe.isUp(node), sim.now);
  sim.trace.observe('fault.apply', (r) => recorder.onFault(r.at, `${r.action} ${r.targets.join(', ')}`.trim()));
  const sampleMetrics = (): void => {
    recorder.sample();
    sim.scheduler.after(METRICS_SAMPLE_INTERVAL, sampleMetrics);
  };
  sim.scheduler.after(METRICS_SAMPLE_INTERVAL, sampleMetrics);
  for (const h of net.allHosts()) h.start();

  // Faults: the scenario's own, then the nemesis's, resolved against the live cluster.
  const roles: TargetResolver = {
    resolve(target: FaultTarget) {
      const image = probe.metadataImage();
      switch (target.kind) {
        case 'controller':
          return [CONTROLLER_NODE];
        case 'client': {
          const consumer = consumers.find((c) => c.id === target.id);
          if (consumer !== undefined) return Array.from({ length: consumer.instances }, (_, i) => memberNode(consumer.id, i + 1));
          return net.hasHost(clientNode(target.id)) ? [clientNode(target.id)] : [];
        }
        case 'member':
          return net.hasHost(memberNode(target.client, target.index)) ? [memberNode(target.client, target.index)] : [];
        case 'coordinator': {
          const p =
            target.of === 'group'
              ? image?.partition(OFFSETS_TOPIC, partitionForGroup(target.id, cfg['offsets.topic.num.partitions']))
              : image?.partition(TRANSACTION_STATE_TOPIC, partitionForTransactionalId(target.id, cfg['transaction.state.log.num.partitions']));
          return p === undefined || p.leader < 0 ? [] : [brokerNode(p.leader)];
        }
        case 'leader':
        case 'follower': {
          const m = /^(.+)-(\d+)$/.exec(target.partition);
          const p = m === null ? undefined : image?.partition(m[1], Number(m[2]));
          if (p === undefined || p.leader < 0) return [];
          if (target.kind === 'leader') return [brokerNode(p.leader)];
          const follower = p.isr.find((r) => r !== p.leader) ?? p.replicas.find((r) => r !== p.leader);
          return follower === undefined ? [] : [brokerNode(follower)];
        }
        default:
          return [];
      }
    },
  };
  const injector = new FaultInjector(net, sim.scheduler, sim.trace, sim.rng.fork('faults'), new BasicTargetResolver(net, roles), {
    disk: (node, fault) => {
      const disk = disks.get(node);
      return disk !== undefined && applyDiskFault(disk, fault, sim.rng.fork(`disk-fault/${node}`));
    },
    beforeFault: () => recorder.beforeFault(sim.now),
  });
  checkTriggers(scenario);
  const timed: TimedFault[] = scenario.faults.map((f) => ({ at: time(f.at), fault: toAction(f), ...(f.when === undefined ? {} : { when: f.when }) }));
  if (scenario.nemesis !== undefined) {
    const n = scenario.nemesis;
    const targets = [
      ...(n.targets.includes('brokers') ? brokerIds.map(brokerNode) : []),
      ...(n.targets.includes('controller') ? [CONTROLLER_NODE] : []),
      ...(n.targets.includes('clients') ? [...producers.map((c) => clientNode(c.id)), ...consumers.flatMap((c) => Array.from({ length: c.instances }, (_, i) => memberNode(c.id, i + 1)))] : []),
    ];
    timed.push(
      ...generateNemesis(sim.rng.fork('nemesis'), {
        kinds: n.kinds,
        interval: n.interval,
        healAfter: n.healAfter,
        maxDown: n.maxDown,
        targets,
        crashModes: n.crashModes,
        diskFaults: n.diskFaults,
        maxClockJump: n.maxClockJump,
        start: time(n.start ?? 0),
        stop: time(n.stop ?? scenario.duration),
      }),
    );
  }
  injector.schedule(timed);

  sim.run({ until: time(scenario.duration) });

  // Drain: no more faults, everything heals and comes back, and the cluster settles.
  injector.cancelPending();
  net.heal();
  // A node still shutting down starts again as soon as it has stopped.
  for (const h of net.allHosts()) if (h.state === 'down' || h.stopping) h.restart();
  sim.run({ until: time(scenario.duration + scenario.drain) });
  if (transactional) {
    // Quiesce: the clients stop, and the coordinators finish the commits and aborts they have
    // decided (their markers), so a transaction caught between PrepareCommit and its last
    // marker is judged as what it is, committed.
    for (const h of net.allHosts()) if (h.hasRole('client') && h.state === 'up') h.pause(QUIESCE);
    sim.run({ until: time(scenario.duration + scenario.drain + QUIESCE) });
  }

  const metricsReport = withClientRates(recorder.finish(sim.now), sim.now);
  const groups = groupsFinalState(scenario, consumers, probe, nodeStarts);
  const pipelines: PipelineState[] = processors.map((p) => ({ client: p.id, group: p.group, from: p.from, to: p.to, transactional: p.processing.mode === 'transactional', transactionTimeoutMs: p.config['transaction.timeout.ms'] }));
  const state: ClusterFinalState = { ...logSnapshot(scenario, probe, compactedAway), leaderClaims: claims, exposed, groups, commits, offsetChanges, pipelines, endMs: Math.floor(sim.now / 1000) };
  const report = runCheckers(ALL_CHECKERS, sim.history, state, options.checks ?? scenario.checks);
  const lag = groups.length === 0 ? undefined : groupLag(state);
  const violations = [...report.violations, ...(online?.violations ?? [])];
  const sends = countSends(sim.history);
  // Spec kinds in `expect` are judged only when the online checks ran.
  const expected = online === undefined && Array.isArray(scenario.expect?.violations) ? scenario.expect.violations.filter((k) => !k.startsWith('spec:')) : scenario.expect?.violations;
  const kinds = new Set(violations.map((v) => v.kind));
  const expectMet = expected === undefined || expected === 'none' ? violations.length === 0 : expected.every((k) => kinds.has(k));
  return {
    scenario: scenario.name,
    seed,
    fingerprint: sim.fingerprint,
    violations,
    expectMet,
    stats: {
      simulatedMs: sim.now / 1000,
      events: sim.scheduler.eventsFired,
      produced: sends.produced,
      acked: sends.ok,
      failed: sends.fail,
      indeterminate: sends.produced - sends.ok - sends.fail,
      metrics: metricsReport,
      ...(lag === undefined ? {} : { lag, consumers: consumerStats(sim.history.others) }),
    },
    simulation: sim,
    schedule: timed,
    state,
  };
}

const ALL_CHECKERS = [...deliveryCheckers, ...groupCheckers, ...txnCheckers];

/**
 * A processor's consumer side: it reads `from` in its group, one transaction's worth per poll,
 * read_committed when transactional (an EOS application reads only committed input), and
 * never auto-commits.
 */
function processorAsConsumer(p: ProcessorClient): ConsumerClient {
  const { 'transaction.timeout.ms': _timeout, 'delivery.timeout.ms': _delivery, ...config } = p.config;
  return {
    id: p.id,
    type: 'consumer',
    group: p.group,
    topics: [p.from],
    instances: p.instances,
    config: {
      ...config,
      'enable.auto.commit': false,
      'max.poll.records': p.processing.transactionRecords,
      'isolation.level': p.processing.mode === 'transactional' ? 'read_committed' : config['isolation.level'],
    },
    processing: { mode: 'commit-after-process', time: p.processing.time },
    start: p.start,
    actions: [],
  };
}

function processorOutput(p: ProcessorClient, transactionVersion: 1 | 2): ProcessorOutput {
  return { topic: p.to, mode: p.processing.mode, transactionTimeoutMs: p.config['transaction.timeout.ms'], deliveryTimeoutMs: p.config['delivery.timeout.ms'], valueBytes: p.processing.valueBytes, transactionVersion };
}

/** Each consumer group's final committed offsets, from the broker that leads its `__consumer_offsets` partition. */
function groupsFinalState(
  scenario: Scenario,
  consumers: readonly ConsumerClient[],
  probe: ClusterProbe,
  started: ReadonlyMap<string, number>,
): GroupFinalState[] {
  const byGroup = new Map<string, { members: string[]; topics: Set<string> }>();
  for (const c of consumers) {
    const g = byGroup.get(c.group) ?? { members: [], topics: new Set<string>() };
    for (let i = 1; i <= c.instances; i++) g.members.push(`${c.id}-${i}`);
    for (const t of c.topics) g.topics.add(t);
    byGroup.set(c.group, g);
  }
  const n = scenario.cluster.config['offsets.topic.num.partitions'];
  return [...byGroup].map(([group, g]) => {
    const leader = probe.metadataImage()?.partition(OFFSETS_TOPIC, partitionForGroup(group, n))?.leader ?? -1;
    const offsets = leader < 0 ? undefined : probe.groupOffsets(leader, group);
    const partitions = scenario.topics.filter((t) => g.topics.has(t.name)).flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}-${p}`));
    const alive = new Map<string, number>();
    for (const m of g.members) {
      const since = started.get(`consumer-${m}`);
      if (since !== undefined && probe.isUp(`consumer-${m}`)) alive.set(m, since);
    }
    return { group, members: g.members, partitions, committed: new Map([...(offsets ?? new Map())].map(([tp, o]) => [tp, o.offset])), alive };
  });
}

/** How long a run with transactions lets its coordinators finish after the drain, clients paused. */
const QUIESCE = seconds(5);

/** How often gauges are sampled for their peaks between faults. */
const METRICS_SAMPLE_INTERVAL = millis(500);

/**
 * The Java client's *-rate attributes from its *-total ones, over the whole run (Kafka's
 * are windowed over metrics.sample.window.ms; a run-long average is what a report needs).
 */
function withClientRates(report: MetricsReport, now: Time): MetricsReport {
  const seconds = Math.max(1e-9, now / 1_000_000);
  const final: Record<string, Record<string, Record<string, number>>> = {};
  for (const [mbean, byNode] of Object.entries(report.final)) {
    final[mbean] = {};
    for (const [node, values] of Object.entries(byNode)) {
      const rates = mbean.startsWith('kafka.producer:')
        ? Object.fromEntries(Object.entries(values).filter(([k]) => k.endsWith('-total')).map(([k, v]) => [k.replace(/-total$/, '-rate'), v / seconds]))
        : {};
      final[mbean][node] = { ...values, ...rates };
    }
  }
  return { ...report, final };
}

