import { Simulation } from '../sim/simulation.js';
import { formatTime, millis, seconds, time } from '../sim/time.js';
import { Network } from '../network/network.js';
import { NodeHost, type Message, type NodeContext } from '../network/nodeHost.js';

export interface PingPongResult {
  readonly fingerprint: string;
  readonly events: number;
  readonly simulatedMs: number;
  readonly traceCounts: ReadonlyMap<string, number>;
  readonly timeline: readonly string[];
}

interface Ball extends Message {
  readonly rally: number;
}

/**
 * The placeholder demo, until the Kafka demo replaces it: two nodes on the simulated
 * network bounce a ball by request and response. Node B crashes at 1s and restarts at 2s;
 * A's requests in flight end as 'disconnected' (a crashed process resets its connections),
 * the ones it sends while B is down are refused, and A keeps serving until B answers again.
 */
export function runPingPong(seed: number | string): PingPongResult {
  const sim = new Simulation({ seed, trace: 'memory' });
  const net = new Network<Ball>(sim.scheduler, sim.trace, sim.rng.fork('network'));
  const timeline: string[] = [];
  const say = (text: string): void => {
    timeline.push(`t=${formatTime(sim.now)}  ${text}`);
    sim.trace.emit('note', { text });
  };

  const server = (): { onRequest: (from: string, ball: Ball, reply: (b: Ball) => void) => void } => ({
    onRequest: (_from, ball, reply) => reply({ type: 'Pong', bytes: 32, rally: ball.rally }),
  });
  const client = (ctx: NodeContext<Ball>) => {
    let rally = 0;
    let failures = 0;
    const serve = (): void => {
      if (sim.now >= seconds(3)) return;
      rally++;
      ctx.request('B', { type: 'Ping', bytes: 32, rally }, { timeout: millis(100) }, (result) => {
        if (result.ok) {
          if (failures > 0) say(`B answered again after ${failures} failed serves`);
          failures = 0;
          if (rally % 100 === 0) say(`rally ${rally} returned`);
          serve();
        } else {
          if (failures === 0) say(`ball ${rally} not returned: ${result.error}`);
          failures++;
          ctx.after(millis(50), serve); // retry.backoff
        }
      });
    };
    return { onStart: serve };
  };

  net.addHost(new NodeHost<Ball, null>({ id: 'A', durable: null, factory: client }));
  net.addHost(new NodeHost<Ball, null>({ id: 'B', durable: null, factory: server }));
  for (const host of net.allHosts()) host.start();
  sim.scheduler.at(time(seconds(1)), () => {
    say('B crashed (kill -9)');
    net.host('B').crash('process');
  });
  sim.scheduler.at(time(seconds(2)), () => {
    say('B restarted');
    net.host('B').restart();
  });
  const result = sim.run();
  return {
    fingerprint: sim.fingerprint,
    events: result.events,
    simulatedMs: sim.now / 1000,
    traceCounts: sim.trace.countsByKind(),
    timeline,
  };
}
