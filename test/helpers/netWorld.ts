import { Simulation } from '../../src/sim/simulation.js';
import { Network, type NetworkConfig } from '../../src/network/network.js';
import { NodeHost, type Message, type NodeContext, type NodeId, type Process } from '../../src/network/nodeHost.js';
import type { LocalClock } from '../../src/network/localClock.js';

/** A test message: a type name, a size, and whatever the test needs to carry. */
export interface TestMessage extends Message {
  readonly n?: number;
  readonly note?: string;
}

export function msg(type: string, n?: number, bytes = 100): TestMessage {
  return { type, n, bytes };
}

export interface WorldNode {
  readonly host: NodeHost<TestMessage, { starts: number }>;
  /** The context of the live incarnation. */
  ctx(): NodeContext<TestMessage>;
}

/** A simulation, a network and nodes whose behaviour each test supplies. */
export class NetWorld {
  readonly sim: Simulation;
  readonly net: Network<TestMessage>;
  private readonly contexts = new Map<NodeId, NodeContext<TestMessage>>();

  constructor(seed: number | string = 1, config: NetworkConfig = {}, trace: 'memory' | 'none' = 'memory') {
    this.sim = new Simulation({ seed, trace });
    this.net = new Network<TestMessage>(this.sim.scheduler, this.sim.trace, this.sim.rng.fork('network'), config);
  }

  add(
    id: NodeId,
    behaviour: (ctx: NodeContext<TestMessage>) => Process<TestMessage> = () => ({}),
    roles: string[] = [],
    clock?: LocalClock,
    options: { closesConnectionOnRequestTimeout?: boolean } = {},
  ): WorldNode {
    const host = new NodeHost<TestMessage, { starts: number }>({
      id,
      roles,
      clock,
      closesConnectionOnRequestTimeout: options.closesConnectionOnRequestTimeout,
      durable: { starts: 0 },
      factory: (ctx, durable) => {
        durable.starts++;
        this.contexts.set(id, ctx);
        return behaviour(ctx);
      },
    });
    this.net.addHost(host);
    host.start();
    return {
      host,
      ctx: () => {
        const c = this.contexts.get(id);
        if (c === undefined) throw new Error(`${id} never started`);
        return c;
      },
    };
  }

  /** Every trace record of a kind, for assertions. */
  records<K extends string>(kind: K) {
    return (this.sim.memory?.records ?? []).filter((r) => r.kind === kind) as unknown as (Record<string, unknown> & { kind: K; at: number })[];
  }
}
