import type { Rng } from '../sim/rng.js';
import type { NodeId } from './nodeHost.js';

/**
 * A symbolic fault target, resolved to nodes only when the fault fires, because who leads
 * a partition at 10s is not known when the scenario is written.
 */
export type FaultTarget =
  | { readonly kind: 'node'; readonly id: NodeId }
  | { readonly kind: 'leader'; readonly partition: string }
  | { readonly kind: 'follower'; readonly partition: string }
  | { readonly kind: 'controller' }
  | { readonly kind: 'active-controller' }
  | { readonly kind: 'coordinator'; readonly of: 'group' | 'transaction'; readonly id: string }
  | { readonly kind: 'client'; readonly id: string }
  | { readonly kind: 'member'; readonly client: string; readonly index: number }
  | { readonly kind: 'random-broker' }
  | { readonly kind: 'all-brokers' };

export class TargetSyntaxError extends Error {
  constructor(readonly text: string) {
    super(
      `invalid target "${text}": expected a node id (broker-2, controller-1), leader(topic-N), follower(topic-N), controller, active-controller, ` +
        'coordinator(G), coordinator(group G) or coordinator(transaction T), client(ID), member(ID, N), random-broker or all-brokers',
    );
    this.name = 'TargetSyntaxError';
  }
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseTarget(text: string): FaultTarget {
  const t = text.trim();
  if (t === 'controller') return { kind: 'controller' };
  if (t === 'active-controller') return { kind: 'active-controller' };
  if (t === 'random-broker') return { kind: 'random-broker' };
  if (t === 'all-brokers') return { kind: 'all-brokers' };
  const call = /^([a-z-]+)\(\s*(.*?)\s*\)$/.exec(t);
  if (call !== null) {
    const [, fn, arg] = call;
    switch (fn) {
      case 'leader':
      case 'follower':
        if (/^.+-\d+$/.test(arg)) return { kind: fn, partition: arg };
        break;
      case 'coordinator': {
        const m = /^(group|transaction)\s+(\S+)$/.exec(arg);
        if (m !== null) return { kind: 'coordinator', of: m[1] as 'group' | 'transaction', id: m[2] };
        // coordinator(g1): a group's coordinator, the common case.
        if (NODE_ID.test(arg)) return { kind: 'coordinator', of: 'group', id: arg };
        break;
      }
      case 'client':
        if (NODE_ID.test(arg)) return { kind: 'client', id: arg };
        break;
      case 'member': {
        const m = /^([A-Za-z0-9._-]+)\s*,\s*(\d+)$/.exec(arg);
        if (m !== null) return { kind: 'member', client: m[1], index: Number(m[2]) };
        break;
      }
    }
    throw new TargetSyntaxError(text);
  }
  if (NODE_ID.test(t)) return { kind: 'node', id: t };
  throw new TargetSyntaxError(text);
}

export function formatTarget(target: FaultTarget): string {
  switch (target.kind) {
    case 'node':
      return target.id;
    case 'leader':
    case 'follower':
      return `${target.kind}(${target.partition})`;
    case 'controller':
    case 'active-controller':
    case 'random-broker':
    case 'all-brokers':
      return target.kind;
    case 'coordinator':
      return `coordinator(${target.of} ${target.id})`;
    case 'client':
      return `client(${target.id})`;
    case 'member':
      return `member(${target.client}, ${target.index})`;
  }
}

/** Turns a symbolic target into the nodes it names right now (possibly none). */
export interface TargetResolver {
  resolve(target: FaultTarget, rng: Rng): readonly NodeId[];
}

/** What the network layer alone can see of the nodes: ids, roles and liveness. */
export interface HostDirectory {
  nodeIds(): readonly NodeId[];
  hasRole(id: NodeId, role: string): boolean;
  isUp(id: NodeId): boolean;
}

/**
 * Resolves the targets that need no Kafka knowledge (node ids, random-broker, all-brokers)
 * and hands the rest (leaders, coordinators, clients) to `roles`, which the cluster layer
 * supplies. With no such resolver, a Kafka-level target resolves to nothing and the fault
 * is skipped.
 */
export class BasicTargetResolver implements TargetResolver {
  constructor(
    private readonly hosts: HostDirectory,
    private readonly roles?: TargetResolver,
  ) {}

  resolve(target: FaultTarget, rng: Rng): readonly NodeId[] {
    switch (target.kind) {
      case 'node':
        return this.hosts.nodeIds().includes(target.id) ? [target.id] : [];
      case 'all-brokers':
        return this.brokers();
      case 'random-broker': {
        const brokers = this.brokers();
        return brokers.length === 0 ? [] : [rng.pick(brokers)];
      }
      default:
        return this.roles?.resolve(target, rng) ?? [];
    }
  }

  private brokers(): NodeId[] {
    return this.hosts.nodeIds().filter((id) => this.hosts.hasRole(id, 'broker'));
  }
}
