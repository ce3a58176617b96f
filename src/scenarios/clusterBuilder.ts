import type { Simulation } from '../sim/simulation.js';
import type { Rng } from '../sim/rng.js';
import { Network } from '../network/network.js';
import { NodeHost } from '../network/nodeHost.js';
import { LocalClock } from '../network/localClock.js';
import { MemoryDisk } from '../log/memoryDisk.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../log/log.js';
import { parseDuration } from '../sim/time.js';
import { MetricsRegistry } from '../sim/metrics.js';
import { Controller, type ControllerConfig, type ControllerDurable } from '../nodes/controller/controller.js';
import { Broker, type BrokerConfig, type BrokerDurable } from '../nodes/broker/broker.js';
import { Producer, type ProducerDurable } from '../nodes/producer/producer.js';
import { Consumer, type ConsumerDurable, type ProcessorOutput } from '../nodes/consumer/consumer.js';
import { brokerNode, type KafkaMessage } from '../nodes/protocol.js';
import { ClusterProbe, type BrokerHost, type ConsumerHost, type ControllerHost, type ProducerHost } from '../nodes/clusterProbe.js';
import { OFFSETS_TOPIC } from '../nodes/coordinator/offsetsTopic.js';
import { TRANSACTION_STATE_TOPIC } from '../nodes/coordinator/transactionLog.js';
import type { ConsumerClient, ProcessorClient, ProducerClient, Scenario } from './schema.js';
import { controllerId, controllerNode, memberNode, producerNode } from '../nodes/nodeId.js';
import type { QuorumSettings } from '../nodes/config/quorumSettings.js';
import { raftFeaturesAt } from '../nodes/controller/raft/kafkaRaftClient.js';
import type { QuorumConfig } from '../nodes/controller/raft/kafkaNetworkChannel.js';
import { defaultsOf } from '../nodes/config/setting.js';
import { TOPIC_SETTINGS } from '../nodes/config/topicSettings.js';

/**
 * The cluster a scenario describes, built on a simulated network: the controller, the
 * brokers and the clients, each a host with its durable state (disks, clock, config), as
 * Kafka's KafkaClusterTestKit builds its nodes. Hosts are added in a fixed order
 * (controller, brokers, consumer group members, producers), which the run's fingerprint
 * depends on; none is started here.
 */
export interface Cluster {
  readonly net: Network<KafkaMessage>;
  readonly metrics: MetricsRegistry;
  /** The harness's read-only view of the nodes. */
  readonly probe: ClusterProbe;
  readonly brokerIds: readonly number[];
  /** The controllers' node names, controller-1 … controller-N. */
  readonly controllers: readonly string[];
  /** Each broker's disk, by node id, for disk faults. */
  readonly disks: ReadonlyMap<string, MemoryDisk>;
  /** Each controller's disk, by node id, for disk faults (kept apart: `--keep-logs` writes the brokers' disks). */
  readonly controllerDisks: ReadonlyMap<string, MemoryDisk>;
  readonly producers: readonly ProducerClient[];
  readonly processors: readonly ProcessorClient[];
  /** The consumer clients, processors' consumer sides included. */
  readonly consumers: readonly ConsumerClient[];
  /** True when a processor runs transactions. */
  readonly transactional: boolean;
}

/** Builds the cluster of `scenario` on `sim`: its network, then its hosts, in the order the fingerprint depends on. */
export function buildCluster(sim: Simulation, scenario: Scenario): Cluster {
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
  const logConfig = topicLogConfigs(scenario);

  const metrics = new MetricsRegistry();

  // The controllers: the voters of the metadata quorum.
  const quorum = quorumConfig(scenario);
  // One placement stream for the whole cluster: whichever controller is active places a topic's replicas the same way.
  const placement = sim.rng.fork('placement');
  const controllerDisks = new Map<string, MemoryDisk>();
  const controllerHosts = Array.from({ length: scenario.cluster.controllers }, (_, i): ControllerHost => {
    const disk = new MemoryDisk();
    controllerDisks.set(controllerNode(i + 1), disk);
    const durable: ControllerDurable = {
      disk,
      metrics: metrics.forNode(controllerNode(i + 1)),
      config: controllerConfig(scenario, consumers.length > 0, transactional, controllerId(i + 1), quorum, placement),
    };
    const host = new NodeHost<KafkaMessage, ControllerDurable, Controller>({ id: controllerNode(i + 1), roles: ['controller'], durable, devices: [disk], factory: (ctx, d) => new Controller(ctx, d) });
    net.addHost(host);
    return host;
  });

  // The brokers.
  const brokerIds = Array.from({ length: scenario.cluster.brokers }, (_, i) => i + 1);
  const disks = new Map<string, MemoryDisk>();
  const brokerHosts = brokerIds.map((id): BrokerHost => {
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
      config: brokerConfig(scenario, id, logConfig, consumers.length > 0, quorum),
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
  const consumerHosts: ConsumerHost[] = [];
  const producerHosts: ProducerHost[] = [];
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
      const host = new NodeHost<KafkaMessage, ConsumerDurable, Consumer>({ id: memberNode(c.id, i), roles: ['client', 'consumer'], closesConnectionOnRequestTimeout: true, durable, factory: (ctx, d) => new Consumer(ctx, d) });
      net.addHost(host);
      consumerHosts.push(host);
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
      metrics: metrics.forNode(producerNode(c.id)),
    };
    const host = new NodeHost<KafkaMessage, ProducerDurable, Producer>({ id: producerNode(c.id), roles: ['client'], closesConnectionOnRequestTimeout: true, durable, factory: (ctx, d) => new Producer(ctx, d) });
    net.addHost(host);
    producerHosts.push(host);
  }
  const network = { allHosts: () => net.allHosts(), isBlocked: (from: string, to: string) => net.partitions.isBlocked(from, to), isCutOff: (node: string) => net.isCutOff(node) };
  const probe = new ClusterProbe((node) => net.host(node).state === 'up', controllerHosts, brokerHosts, { producers: producerHosts, consumers: consumerHosts, network });
  return { net, metrics, probe, brokerIds, controllers: controllerHosts.map((h) => h.id), disks, controllerDisks, producers, processors, consumers, transactional };
}

/** Every topic setting at Kafka's default. */
const TOPIC_SETTING_DEFAULTS = defaultsOf(TOPIC_SETTINGS);

/** Each topic's log configuration: the scenario's topic settings over the cluster's, as Kafka's LogConfig merges them. */
function topicLogConfigs(scenario: Scenario): (topic: string) => LogConfig {
  const cfg = scenario.cluster.config;
  const topicConfigs = new Map(scenario.topics.map((t) => [t.name, t]));
  return (topic: string): LogConfig => {
    if (topic === OFFSETS_TOPIC || topic === TRANSACTION_STATE_TOPIC) {
      // offsets.topic.segment.bytes and transaction.state.log.segment.bytes (100 MiB), compacted, as Kafka creates them.
      return { ...DEFAULT_LOG_CONFIG, segmentBytes: 104_857_600, cleanupPolicy: 'compact', flushMessages: cfg['flush.messages'], flushMs: cfg['flush.ms'] };
    }
    // A topic the scenario does not declare gets Kafka's topic defaults.
    const t = topicConfigs.get(topic)?.config ?? TOPIC_SETTING_DEFAULTS;
    return {
      ...DEFAULT_LOG_CONFIG,
      segmentBytes: t['internal.segment.bytes'] ?? t['segment.bytes'] ?? cfg['log.segment.bytes'],
      segmentMs: t['segment.ms'],
      flushMessages: cfg['flush.messages'],
      flushMs: cfg['flush.ms'],
      cleanupPolicy: t['cleanup.policy'],
      retentionMs: t['retention.ms'],
      retentionBytes: t['retention.bytes'],
      minCleanableDirtyRatio: t['min.cleanable.dirty.ratio'],
      minCompactionLagMs: t['min.compaction.lag.ms'],
      deleteRetentionMs: t['delete.retention.ms'],
      timestampType: t['message.timestamp.type'],
      evictProducersBelowLogStart: cfg['sim.producer.state.retention'] === 'log',
      unknownProducerSequence: cfg['sim.unknown.producer.sequence'],
    };
  };
}

/**
 * The quorum every controller and broker is configured with: the controllers as voters,
 * Kafka's controller.quorum.* defaults, and the Raft features of the simulated release:
 * check-quorum from 3.7 (KAFKA-15489), pre-vote from 4.0 (KIP-996, KAFKA-16164).
 */
function quorumConfig(scenario: Scenario): QuorumConfig {
  return {
    voters: Array.from({ length: scenario.cluster.controllers }, (_, i) => controllerId(i + 1)),
    settings: quorumSettingsOf(scenario.cluster.config),
    features: raftFeaturesAt(scenario.cluster.version),
  };
}

/** The controller.quorum.* and metadata log (snapshot, retention) settings among the cluster's. */
function quorumSettingsOf(cfg: Scenario['cluster']['config']): QuorumSettings {
  return {
    'controller.quorum.election.timeout.ms': cfg['controller.quorum.election.timeout.ms'],
    'controller.quorum.fetch.timeout.ms': cfg['controller.quorum.fetch.timeout.ms'],
    'controller.quorum.election.backoff.max.ms': cfg['controller.quorum.election.backoff.max.ms'],
    'controller.quorum.request.timeout.ms': cfg['controller.quorum.request.timeout.ms'],
    'controller.quorum.retry.backoff.ms': cfg['controller.quorum.retry.backoff.ms'],
    'metadata.log.max.record.bytes.between.snapshots': cfg['metadata.log.max.record.bytes.between.snapshots'],
    'metadata.log.max.snapshot.interval.ms': cfg['metadata.log.max.snapshot.interval.ms'],
    'metadata.max.retention.bytes': cfg['metadata.max.retention.bytes'],
    'metadata.max.retention.ms': cfg['metadata.max.retention.ms'],
  };
}

/** A controller's settings and the topics it creates, from the scenario (`groups`: it has consumer groups). */
function controllerConfig(scenario: Scenario, groups: boolean, transactional: boolean, nodeId: number, quorum: QuorumConfig, placement: Rng): ControllerConfig {
  const cfg = scenario.cluster.config;
  return {
    nodeId,
    quorum,
    placement,
    settings: cfg,
    topics: [
      ...scenario.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t['replication.factor'],
        config: Object.fromEntries(Object.entries(t.config).filter(([, v]) => v !== undefined)) as Record<string, number | string | boolean>,
      })),
      // Kafka creates __consumer_offsets on the first FindCoordinator; here, up front when
      // the scenario has consumer groups.
      ...(!groups
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
  };
}

/** Broker `id`'s configuration: the scenario's cluster settings, as parsed (`groups`: it has consumer groups; `quorum`: the controllers it observes). */
function brokerConfig(scenario: Scenario, id: number, logConfig: (topic: string) => LogConfig, groups: boolean, quorum: QuorumConfig): BrokerConfig {
  return {
    quorum,
    brokerId: id,
    rack: scenario.cluster.racks?.[(id - 1) % scenario.cluster.racks.length],
    settings: scenario.cluster.config,
    logConfig,
    groups,
  };
}

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
  return { topic: p.to, mode: p.processing.mode, settings: { 'transaction.timeout.ms': p.config['transaction.timeout.ms'], 'delivery.timeout.ms': p.config['delivery.timeout.ms'] }, valueBytes: p.processing.valueBytes, transactionVersion };
}
