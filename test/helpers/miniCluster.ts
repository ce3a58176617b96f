import { Simulation } from '../../src/sim/simulation.js';
import { Network } from '../../src/network/network.js';
import { NodeHost, type NodeContext, type Process } from '../../src/network/nodeHost.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { Controller, type ControllerDurable } from '../../src/nodes/controller/controller.js';
import { Broker, type BrokerDurable } from '../../src/nodes/broker/broker.js';
import { BROKER_SETTING_DEFAULTS, type BrokerSettings } from '../../src/nodes/config/brokerSettings.js';
import { CONTROLLER_NODE, brokerNode, type KafkaMessage } from '../../src/nodes/protocol.js';
import type { Duration } from '../../src/sim/time.js';
import { controllerId } from '../../src/nodes/nodeId.js';
import { QUORUM_SETTING_DEFAULTS } from '../../src/nodes/config/quorumSettings.js';
import { LATEST_RAFT_FEATURES } from '../../src/nodes/controller/raft/kafkaRaftClient.js';

/** A controller, n brokers and a client node on one simulated network. */
export function miniCluster(options: { seed?: number; brokers?: number; rf?: number; partitions?: number; minIsr?: number; unclean?: boolean; truncation?: BrokerSettings['sim.truncation'] } = {}) {
  const sim = new Simulation({ seed: options.seed ?? 1, trace: 'memory' });
  const net = new Network<KafkaMessage>(sim.scheduler, sim.trace, sim.rng.fork('network'), {
    defaultLink: { latency: { dist: 'uniform', min: 1_000 as Duration, max: 3_000 as Duration } },
  });
  const n = options.brokers ?? 3;
  const controllerDisk = new MemoryDisk();
  const quorum = { voters: [controllerId(1)], settings: QUORUM_SETTING_DEFAULTS, features: LATEST_RAFT_FEATURES };
  const controllerDurable: ControllerDurable = {
    disk: controllerDisk,
    config: {
      settings: { ...BROKER_SETTING_DEFAULTS, 'unclean.leader.election.enable': options.unclean ?? false },
      topics: [{ name: 'orders', partitions: options.partitions ?? 1, replicationFactor: options.rf ?? 3, config: {} }],
      nodeId: controllerId(1),
      quorum,
      placement: sim.rng.fork('placement'),
    },
  };
  const controllerHost = new NodeHost<KafkaMessage, ControllerDurable, Controller>({ id: CONTROLLER_NODE, roles: ['controller'], durable: controllerDurable, devices: [controllerDisk], factory: (ctx, d) => new Controller(ctx, d) });
  net.addHost(controllerHost);
  const brokers: NodeHost<KafkaMessage, BrokerDurable, Broker>[] = [];
  for (let id = 1; id <= n; id++) {
    const disk = new MemoryDisk();
    const durable: BrokerDurable = {
      disk,
      config: {
        brokerId: id,
        rack: undefined,
        settings: { ...BROKER_SETTING_DEFAULTS, 'min.insync.replicas': options.minIsr ?? 2, 'sim.truncation': options.truncation ?? 'leader-epoch' },
        logConfig: () => DEFAULT_LOG_CONFIG,
        quorum,
      },
    };
    const host = new NodeHost<KafkaMessage, BrokerDurable, Broker>({ id: brokerNode(id), roles: ['broker'], durable, devices: [disk], factory: (ctx, d) => new Broker(ctx, d) });
    net.addHost(host);
    brokers.push(host);
  }
  let clientCtx: NodeContext<KafkaMessage> | undefined;
  net.addHost(
    new NodeHost<KafkaMessage, null>({
      id: 'client',
      roles: ['client'],
      durable: null,
      factory: (ctx): Process<KafkaMessage> => {
        clientCtx = ctx;
        return {};
      },
    }),
  );
  for (const h of net.allHosts()) h.start();
  const broker = (id: number): Broker => live(brokers[id - 1]);
  const controller = (): Controller => live(controllerHost);
  const client = (): NodeContext<KafkaMessage> => {
    if (clientCtx === undefined) throw new Error('client not started');
    return clientCtx;
  };
  return { sim, net, brokers, broker, controller, client };
}

/** The live incarnation of `host`; a test reads it only while the node is up. */
function live<P extends Process<KafkaMessage>>(host: NodeHost<KafkaMessage, unknown, P>): P {
  const process = host.process;
  if (process === undefined) throw new Error(`${host.id} is down`);
  return process;
}
