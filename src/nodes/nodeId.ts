import type { NodeId } from '../network/nodeHost.js';

/**
 * The names nodes have on the simulated network, built and read here only: `controller-1`,
 * `broker-3`, a producer client's `producer-p1`, member 2 of consumer client `billing`'s
 * `consumer-billing-2`.
 */
export const CONTROLLER_NODE: NodeId = 'controller-1';

const brokerNodes: string[] = [];

/** The node id of broker `id`, "broker-<id>" (one string per broker, not one per call: request paths ask for it per batch). */
export function brokerNode(id: number): NodeId {
  if (id >= 0 && id < 4096 && Number.isInteger(id)) return (brokerNodes[id] ??= `broker-${id}`);
  return `broker-${id}`;
}

/** The broker id of a broker's node id, or undefined for any other node. */
export function brokerIdOf(node: NodeId): number | undefined {
  const m = /^broker-(\d+)$/.exec(node);
  return m === null ? undefined : Number(m[1]);
}

/** The node of producer client `clientId`. */
export function producerNode(clientId: string): NodeId {
  return `producer-${clientId}`;
}

/** The node of member `index` (from 1) of consumer (or processor) client `clientId`. */
export function memberNode(clientId: string, index: number): NodeId {
  return `consumer-${clientId}-${index}`;
}
