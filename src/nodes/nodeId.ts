import type { NodeId } from '../network/nodeHost.js';

/**
 * The names nodes have on the simulated network, built and read here only: `controller-1`,
 * `broker-3`, a producer client's `producer-p1`, member 2 of consumer client `billing`'s
 * `consumer-billing-2`.
 */
export const CONTROLLER_NODE: NodeId = 'controller-1';

/**
 * Controllers' node.id values start here, as KafkaClusterTestKit numbers them
 * (TestKitNodes.CONTROLLER_ID_OFFSET): controller-1 is 3000, controller-2 3001, so a
 * controller's id in the quorum never equals a broker's (brokers are observers of it).
 */
export const CONTROLLER_ID_OFFSET = 3000;

/** The node name of controller `index` (1-based): "controller-<index>". */
export function controllerNode(index: number): NodeId {
  return `controller-${index}`;
}

/** The quorum node.id of controller `index` (1-based). */
export function controllerId(index: number): number {
  return CONTROLLER_ID_OFFSET + index - 1;
}

/** The node name of quorum member `id`: a controller (3000 and up) or a broker observing the quorum. */
export function quorumNodeOf(id: number): NodeId {
  return id >= CONTROLLER_ID_OFFSET ? controllerNode(id - CONTROLLER_ID_OFFSET + 1) : brokerNode(id);
}

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
