import { describe, expect, it } from 'vitest';
import { miniCluster } from '../helpers/miniCluster.js';
import { CONTROLLER_NODE, brokerNode, message, type KafkaMessage } from '../../src/nodes/protocol.js';
import type { RpcResult } from '../../src/network/nodeHost.js';
import type { Duration, Time } from '../../src/sim/time.js';

const s = (n: number): Time => (n * 1_000_000) as Time;

describe('a request a node does not serve', () => {
  it('a controller-only request (BrokerHeartbeat) sent to a broker is answered INVALID_REQUEST at once, not left to time out', () => {
    const c = miniCluster({ brokers: 1, rf: 1, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const answers: { at: number; r: RpcResult<KafkaMessage> }[] = [];
    const heartbeat = message('BrokerHeartbeat', { brokerId: 1, incarnation: 0, metadataOffset: 0 });
    c.sim.scheduler.at(s(5), () => c.client().request(brokerNode(1), heartbeat, { timeout: 30_000_000 as Duration }, (r) => answers.push({ at: c.sim.now, r })));
    c.sim.run({ until: s(5.1) });
    expect(answers).toHaveLength(1);
    const { at, r } = answers[0];
    expect(at).toBeLessThan(s(5.1));
    if (!r.ok) throw new Error(`expected an answer, got ${r.error}`);
    expect(r.response).toMatchObject({ type: 'ErrorResponse', requestType: 'BrokerHeartbeat', error: 'INVALID_REQUEST' });
  });

  it('a broker request (Produce) sent to the controller is answered INVALID_REQUEST at once', () => {
    const c = miniCluster({ brokers: 1, rf: 1, minIsr: 1 });
    c.sim.run({ until: s(5) });
    const answers: RpcResult<KafkaMessage>[] = [];
    const produce = message('Produce', { acks: 'all', timeoutMs: 1_000, topic: 'orders', partitions: [] });
    c.sim.scheduler.at(s(5), () => c.client().request(CONTROLLER_NODE, produce, { timeout: 30_000_000 as Duration }, (r) => answers.push(r)));
    c.sim.run({ until: s(5.1) });
    expect(answers).toHaveLength(1);
    const r = answers[0];
    if (!r.ok) throw new Error(`expected an answer, got ${r.error}`);
    expect(r.response).toMatchObject({ type: 'ErrorResponse', requestType: 'Produce', error: 'INVALID_REQUEST' });
  });
});
