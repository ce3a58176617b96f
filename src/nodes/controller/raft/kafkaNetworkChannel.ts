/**
 * The quorum's transport on a Kafka node, after Kafka's org.apache.kafka.raft
 * .KafkaNetworkChannel: a controller's or a broker's KafkaRaftClient sends its requests as
 * Kafka requests on a client of its own (a channel), and hears their answers. Everything
 * else of the node's context (clock, timers, random stream, trace) is the node's.
 */
import type { NodeContext, RpcResult } from '../../../network/nodeHost.js';
import { raftEnvelope, type KafkaMessage } from '../../protocol.js';
import type { QuorumSettings } from '../../config/quorumSettings.js';
import type { RaftFeatures } from './kafkaRaftClient.js';
import type { RaftMessage } from './raftMessages.js';

/** What every member of one quorum is configured with (controller.quorum.voters and the controller.quorum.* settings). */
export interface QuorumConfig {
  /** The voters' node ids (controller.quorum.voters). */
  readonly voters: readonly number[];
  readonly settings: QuorumSettings;
  /** The protocol features of the simulated release (pre-vote, check-quorum). */
  readonly features: RaftFeatures;
}

/** `ctx` as a quorum member sees it: its requests go out wrapped, on `channel`. */
export function raftContext(ctx: NodeContext<KafkaMessage>, channel: number): NodeContext<RaftMessage> {
  return {
    id: ctx.id,
    incarnation: ctx.incarnation,
    rng: ctx.rng,
    trace: ctx.trace,
    now: () => ctx.now(),
    after: (delay, fn) => ctx.after(delay, fn),
    cancel: (handle) => ctx.cancel(handle),
    every: (interval, task) => ctx.every(interval, task),
    request: (to, message, options, done) => ctx.request(to, raftEnvelope(message), { ...options, channel }, (result) => done(unwrap(result))),
    requestWith: (to, message, options, done, arg) => ctx.request(to, raftEnvelope(message), { ...options, channel }, (result) => done(arg, unwrap(result))),
    send: (to, message) => ctx.send(to, raftEnvelope(message)),
    closeConnection: (peer) => ctx.closeConnection(peer),
    exit: () => ctx.exit(),
  };
}

/** A quorum answer; any other answer (a node that serves no quorum requests) counts as a broken connection. */
function unwrap(result: RpcResult<KafkaMessage>): RpcResult<RaftMessage> {
  if (!result.ok) return result;
  return result.response.type === 'Raft' ? { ok: true, response: result.response.body } : { ok: false, error: 'disconnected' };
}
