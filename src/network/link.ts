import type { Rng } from '../sim/rng.js';
import { latencySampler, sampleLatency, type LatencyDist, type LatencySampler } from './latency.js';
import type { NodeId } from './nodeHost.js';

/**
 * A directed link between two hosts: its latency, bandwidth and degradations, and its
 * counters. Every connection between the two hosts shares it, in that direction.
 */

export interface LinkConfig {
  readonly latency: LatencyDist;
  /** Bytes per second; undefined for unlimited. Transmission time grows with message size. */
  readonly bandwidth?: number;
}

/** A named degradation of some links: added latency, and packet loss. */
export interface Degradation {
  readonly extraLatency?: LatencyDist;
  /** Probability that a packet is lost. On a stream link a loss costs a retransmission. */
  readonly loss?: number;
}

export interface LinkStats {
  readonly from: NodeId;
  readonly to: NodeId;
  sent: number;
  delivered: number;
  dropped: number;
  bytesSent: number;
  bytesDelivered: number;
  bytesDropped: number;
}

export interface Link {
  readonly from: NodeId;
  readonly to: NodeId;
  config: LinkConfig;
  sampleLatency: LatencySampler;
  readonly degradations: Map<string, Degradation>;
  /** Its own random stream, forked on first use (see linkRng). */
  rng: Rng | undefined;
  busyUntil: number;
  readonly stats: LinkStats;
}

export function newLink(from: NodeId, to: NodeId, config: LinkConfig): Link {
  return {
    from,
    to,
    config,
    sampleLatency: latencySampler(config.latency),
    degradations: new Map(),
    rng: undefined,
    busyUntil: 0,
    stats: { from, to, sent: 0, delivered: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0, bytesDropped: 0 },
  };
}

/** The link's random stream, forked from the network's on first use. */
export function linkRng(link: Link, network: Rng): Rng {
  return (link.rng ??= network.fork(`link/${link.from}>${link.to}`));
}

/** When a message of `bytes` sent at `now` has left the sender: at once, or after those before it when the link's bandwidth is limited. */
export function transmitted(link: Link, now: number, bytes: number): number {
  const bandwidth = link.config.bandwidth;
  if (bandwidth === undefined) return now;
  const start = Math.max(now, link.busyUntil);
  link.busyUntil = start + Math.ceil((bytes * 1_000_000) / bandwidth);
  return link.busyUntil;
}

/** How long a message takes on the link: its latency plus each degradation's extra latency, drawn from `rng` in that order. */
export function flightTime(link: Link, rng: Rng): number {
  let flight: number = link.sampleLatency(rng);
  if (link.degradations.size > 0) {
    for (const d of link.degradations.values()) if (d.extraLatency !== undefined) flight += sampleLatency(d.extraLatency, rng);
  }
  return flight;
}

/** The probability that a packet is lost on the link: what gets through every degradation's loss. */
export function lossRate(link: Link): number {
  let loss = 0;
  if (link.degradations.size > 0) {
    for (const d of link.degradations.values()) if (d.loss !== undefined) loss = 1 - (1 - loss) * (1 - d.loss);
  }
  return loss;
}
