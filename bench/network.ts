/**
 * Network benchmark: request/response round trips per wall second between 10 nodes with
 * random latency, each node keeping 10 requests in flight to random peers. The trace is
 * fingerprint-only, as in sweeps. A round trip costs at least 2 events (request delivery,
 * response delivery), so ratio = 2 × round trips per second / kernel events per second,
 * with the kernel's hold-model rate measured in the same process.
 */
import { Simulation } from '../src/sim/simulation.js';
import { Network } from '../src/network/network.js';
import { NodeHost, type Message, type RpcResult } from '../src/network/nodeHost.js';
import type { Duration, Time } from '../src/sim/time.js';
import { fmtRate, parseBenchArgs, printTable, round, timeIt } from './harness.js';
import { measureKernel } from './kernel.js';

const NODES = 10;
const IN_FLIGHT = 10;

interface Ping extends Message {
  readonly seq: number;
}

export function runNetwork(simulatedSeconds: number): { roundTrips: number; wall: number; events: number } {
  const sim = new Simulation({ seed: 1 });
  const net = new Network<Ping>(sim.scheduler, sim.trace, sim.rng.fork('network'), {
    defaultLink: { latency: { dist: 'uniform', min: 1_000 as Duration, max: 5_000 as Duration } },
  });
  let roundTrips = 0;
  const ids = Array.from({ length: NODES }, (_, i) => `node-${i}`);
  for (const id of ids) {
    net.addHost(
      new NodeHost<Ping, null>({
        id,
        durable: null,
        factory: (ctx) => {
          const peers = ids.filter((p) => p !== id);
          // Messages are immutable, so one of each serves every round trip.
          const pong: Ping = { type: 'Pong', bytes: 64, seq: 0 };
          const ping: Ping = { type: 'Ping', bytes: 64, seq: 0 };
          const options = { timeout: 30_000_000 as Duration };
          const next = (r: RpcResult<Ping>): void => {
            if (r.ok) roundTrips++;
            ctx.request(ctx.rng.pick(peers), ping, options, next);
          };
          const loop = (): void => ctx.request(ctx.rng.pick(peers), ping, options, next);
          return {
            onStart: () => {
              for (let i = 0; i < IN_FLIGHT; i++) loop();
            },
            onRequest: (_from, _req, reply) => reply(pong),
          };
        },
      }),
    );
  }
  for (const h of net.allHosts()) h.start();
  const wall = timeIt(() => {
    sim.run({ until: (simulatedSeconds * 1_000_000) as Time });
  });
  return { roundTrips, wall, events: sim.scheduler.eventsFired };
}

export function main(argv: readonly string[]): void {
  const args = parseBenchArgs(argv);
  const seconds = Number(args.options.get('seconds') ?? 60);
  // Warm up until the JIT has settled: the first seconds of wall time run at half speed.
  for (let i = 0; i < 3; i++) runNetwork(20);
  let best = { roundTrips: 0, wall: Infinity, events: 0 };
  for (let i = 0; i < 4; i++) {
    const r = runNetwork(seconds);
    if (r.wall < best.wall) best = r;
  }
  const kernel = measureKernel(1_000, 3_000_000, 100_000);
  const roundTripsPerSec = best.roundTrips / best.wall;
  const ratio = (2 * roundTripsPerSec) / kernel.eventsPerSec;
  const ratioToCeiling = (2 * roundTripsPerSec) / kernel.ceilingPerSec;
  console.log(`network: ${NODES} nodes, ${IN_FLIGHT} requests in flight each, uniform 1-5ms latency, ${seconds} simulated s (best of 4)`);
  printTable([
    ['round trips', 'round trips/s', 'events/s', 'kernel events/s', 'ratio', 'ceiling events/s', 'ratio to ceiling'],
    [
      best.roundTrips,
      fmtRate(roundTripsPerSec),
      fmtRate(best.events / best.wall),
      fmtRate(kernel.eventsPerSec),
      round(ratio, 3),
      fmtRate(kernel.ceilingPerSec),
      round(ratioToCeiling, 3),
    ],
  ]);
  if (args.json) console.log(JSON.stringify({ bench: 'network', roundTripsPerSec: Math.round(roundTripsPerSec), ratio: round(ratio) }));
}
