import type { Simulation } from '../sim/simulation.js';
import { declaredTraceFields, declaredTraceKinds } from '../sim/trace.js';
import { time } from '../sim/time.js';
import { FaultInjector, type FaultAction, type TimedFault } from '../network/faults.js';
import { BasicTargetResolver, type FaultTarget, type TargetResolver } from '../network/faultTarget.js';
import { generateNemesis } from '../network/nemesis.js';
import { applyDiskFault } from '../log/diskFaults.js';
import { brokerNode, type KafkaMessage } from '../nodes/protocol.js';
import { OFFSETS_TOPIC, partitionForGroup } from '../nodes/coordinator/offsetsTopic.js';
import { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from '../nodes/coordinator/transactionLog.js';
import { ScenarioError } from './loader.js';
import type { MetricsRecorder } from './metricsRecorder.js';
import type { Cluster } from './clusterBuilder.js';
import { memberNode, producerNode } from '../nodes/nodeId.js';
import { parsePartitionName } from '../log/topicPartition.js';
import type { Scenario, ScenarioFault } from './schema.js';
import { observeSkippedFaults, type SkippedFault } from './skippedFaults.js';

/** The faults a run injects, scheduled, and the injector that applies them. */
export interface FaultPlan {
  readonly injector: FaultInjector<KafkaMessage>;
  /** Every fault the run scheduled: the scenario's own, then the nemesis's, before target resolution. */
  readonly schedule: readonly TimedFault[];
  /** The faults that fired but did nothing, so far (filled as the run goes). */
  readonly skipped: readonly SkippedFault[];
}

/**
 * Schedules the scenario's faults, then the nemesis's, on an injector that resolves their
 * targets against the live cluster when each fires. Throws a ScenarioError for a trigger that
 * could never fire.
 */
export function planFaults(sim: Simulation, scenario: Scenario, cluster: Cluster, recorder: MetricsRecorder): FaultPlan {
  const { net, disks, controllerDisks } = cluster;
  const injector = new FaultInjector(net, sim.scheduler, sim.trace, sim.rng.fork('faults'), new BasicTargetResolver(net, roleResolver(scenario, cluster)), {
    disk: (node, fault) => {
      const disk = disks.get(node) ?? controllerDisks.get(node);
      // A disk is replaced while its node is down; a running node's wipe does not apply.
      if (fault.fault === 'wipe' && cluster.probe.isUp(node)) return false;
      return disk !== undefined && applyDiskFault(disk, fault, sim.rng.fork(`disk-fault/${node}`));
    },
    beforeFault: () => recorder.beforeFault(sim.now),
  });
  checkTriggers(scenario);
  const timed: TimedFault[] = scenario.faults.map((f) => ({ at: time(f.at), fault: toAction(f), ...(f.when === undefined ? {} : { when: f.when }) }));
  if (scenario.nemesis !== undefined) timed.push(...nemesisFaults(sim, scenario.nemesis, scenario, cluster));
  injector.schedule(timed);
  const skipped = observeSkippedFaults(sim.trace, timed, scenario.faults.length, { knowsLeaders: () => cluster.probe.metadataImage() !== undefined, isUp: (node) => cluster.probe.isUp(node) });
  return { injector, schedule: timed, skipped };
}

/** The nemesis's faults: random faults of its kinds on its targets, from its own random stream. */
function nemesisFaults(sim: Simulation, n: NonNullable<Scenario['nemesis']>, scenario: Scenario, cluster: Cluster): TimedFault[] {
  const { brokerIds, controllers, producers, consumers } = cluster;
  const targets = [
    ...(n.targets.includes('brokers') ? brokerIds.map(brokerNode) : []),
    ...(n.targets.includes('controller') ? controllers : []),
    ...(n.targets.includes('clients') ? [...producers.map((c) => producerNode(c.id)), ...consumers.flatMap((c) => Array.from({ length: c.instances }, (_, i) => memberNode(c.id, i + 1)))] : []),
  ];
  return generateNemesis(sim.rng.fork('nemesis'), {
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
  });
}

/**
 * Resolves the symbolic targets that need the cluster's roles: every controller, the active one, a client's
 * nodes, a group's or transactional id's coordinator, a partition's leader or a follower
 * (from the controller's metadata image, when the fault fires).
 */
function roleResolver(scenario: Scenario, cluster: Cluster): TargetResolver {
  const { net, probe, consumers } = cluster;
  const cfg = scenario.cluster.config;
  return {
    resolve(target: FaultTarget) {
      const image = probe.metadataImage();
      switch (target.kind) {
        case 'controller':
          return cluster.controllers;
        case 'active-controller': {
          const active = probe.activeControllerNode();
          return active === undefined ? [] : [active];
        }
        case 'client': {
          const consumer = consumers.find((c) => c.id === target.id);
          if (consumer !== undefined) return Array.from({ length: consumer.instances }, (_, i) => memberNode(consumer.id, i + 1));
          return net.hasHost(producerNode(target.id)) ? [producerNode(target.id)] : [];
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
          const tp = parsePartitionName(target.partition);
          const p = tp === undefined ? undefined : image?.partition(tp.topic, tp.partition);
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

