import type { HostContext, Message, NodeContext } from '../network/nodeHost.js';
import type { TimerHandle } from '../sim/scheduler.js';
import { micros } from '../sim/time.js';
import type { ClusterConnectionStates } from './clusterConnectionStates.js';

/** A node's context whose requests obey Kafka's reconnect backoff, and what it must be told. */
export interface BackedOffContext<M extends Message> extends HostContext<M> {
  /** A connection on `channel` (default 0) broke, or could not be made (Process.onDisconnect): the peer's backoff starts. */
  connectionLost(peer: string, channel?: number): void;
}

/** A request waiting for its node's connection to be made (ConsumerNetworkClient's unsent). */
interface Unsent {
  /** Tries it again: the connection was made. */
  readonly resend: () => void;
  /** Fails it as disconnected: the connection could not be made. */
  readonly fail: () => void;
  readonly timer: TimerHandle;
}

/** One channel's connections: their states, and the requests waiting for a connection. */
interface Channel<M extends Message> {
  readonly states: ClusterConnectionStates<M>;
  readonly unsent: Map<string, Unsent[]>;
}

/**
 * `ctx` with the client's connection states applied to every request, for clients whose
 * requests go out from many places (a consumer's fetcher, group membership, commits; a
 * producer's metadata and InitProducerId requests): a request to a node in reconnect
 * backoff is held until the backoff ends, as Kafka's NetworkClient sends nothing to a node
 * that is not ready.
 *
 * A request to a node it has no connection to connects first (ClusterConnectionStates:
 * CONNECTING, for at most socket.connection.setup.timeout.ms) and waits, unsent, for the
 * connection, as ConsumerNetworkClient.trySend leaves a request in `unsent` until
 * client.ready(node) (and NetworkClient.maybeUpdate waits for a ready node before it sends a
 * metadata request): once connected they all go; if the connection cannot be made they fail
 * as disconnected (checkDisconnects), and one still unsent after its request.timeout.ms
 * fails as timed out (failExpiredRequests).
 *
 * Each of `channels` is a client of its own with its own sockets (a processor's consumer on
 * channel 0 and its producer on channel 1, as a Streams thread's KafkaConsumer and
 * KafkaProducer each have a NetworkClient): states by `ClusterConnectionStates.channel`. A
 * request on a channel without states is sent as it is.
 */
export function withConnectionStates<M extends Message>(ctx: HostContext<M>, ...channels: ClusterConnectionStates<M>[]): BackedOffContext<M> {
  const byChannel: Channel<M>[] = [];
  for (const states of channels) byChannel[states.channel] = { states, unsent: new Map() };
  const request: NodeContext<M>['request'] = (to, message, options, done) => {
    const channel = byChannel[options.channel ?? 0];
    if (channel === undefined) return ctx.request(to, message, options, done);
    const { states, unsent } = channel;
    const until = states.blackedOutUntil(to, ctx.now());
    if (until !== undefined) {
      ctx.after(micros(until - ctx.now()), () => request(to, message, options, done));
      return;
    }
    if (!states.ready(to, () => settle(channel, to, 'resend'))) {
      let held = unsent.get(to);
      if (held === undefined) unsent.set(to, (held = []));
      const entry: Unsent = {
        resend: () => request(to, message, options, done),
        fail: () => done(DISCONNECTED),
        timer: ctx.after(options.timeout, () => {
          const list = unsent.get(to) ?? [];
          list.splice(list.indexOf(entry), 1);
          done(TIMED_OUT);
        }),
      };
      held.push(entry);
      return;
    }
    ctx.request(to, message, options, (r) => {
      if (!r.ok && r.error === 'disconnected') states.onFailure(to);
      done(r);
    });
  };
  /** The connection to `to` was made (resend what waited) or could not be (fail it). */
  const settle = (channel: Channel<M>, to: string, how: 'resend' | 'fail'): void => {
    const held = channel.unsent.get(to) ?? [];
    channel.unsent.delete(to);
    for (const u of held) {
      ctx.cancel(u.timer);
      u[how]();
    }
  };
  const connectionLost = (peer: string, channelNo = 0): void => {
    const channel = byChannel[channelNo];
    if (channel === undefined) return;
    channel.states.onFailure(peer);
    settle(channel, peer, 'fail');
  };
  // requestWith goes the same way as request (the connection states apply to both).
  const requestWith: NodeContext<M>['requestWith'] = (to, message, options, done, arg) => request(to, message, options, (r) => done(arg, r));
  return { ...ctx, request, requestWith, connectionLost };
}

const DISCONNECTED = { ok: false, error: 'disconnected' } as const;
const TIMED_OUT = { ok: false, error: 'timeout' } as const;
