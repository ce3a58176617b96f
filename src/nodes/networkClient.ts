import type { HostContext, Message, NodeContext } from '../network/nodeHost.js';
import type { TimerHandle } from '../sim/scheduler.js';
import { micros } from '../sim/time.js';
import type { ClusterConnectionStates } from './clusterConnectionStates.js';

/** A node's context whose requests obey Kafka's reconnect backoff, and what it must be told. */
export interface BackedOffContext<M extends Message> extends HostContext<M> {
  /** A connection broke, or could not be made (Process.onDisconnect): the peer's backoff starts. */
  connectionLost(peer: string): void;
}

/** A request waiting for its node's connection to be made (ConsumerNetworkClient's unsent). */
interface Unsent {
  /** Tries it again: the connection was made. */
  readonly resend: () => void;
  /** Fails it as disconnected: the connection could not be made. */
  readonly fail: () => void;
  readonly timer: TimerHandle;
}

/**
 * `ctx` with the client's connection states (`states`) applied to every request, for clients
 * whose requests go out from many places (a consumer's fetcher, group membership, commits,
 * its transactional producer; a producer's metadata and InitProducerId requests): a request
 * to a node in reconnect backoff is held until the backoff ends, as Kafka's NetworkClient
 * sends nothing to a node that is not ready.
 *
 * A request of the client's own (channel 0) to a node it has no connection to connects
 * first (ClusterConnectionStates: CONNECTING, for at most socket.connection.setup.timeout.ms)
 * and waits, unsent, for the connection, as ConsumerNetworkClient.trySend leaves a request
 * in `unsent` until client.ready(node) (and NetworkClient.maybeUpdate waits for a ready node
 * before it sends a metadata request): once connected they all go; if the connection cannot
 * be made they fail as disconnected (checkDisconnects), and one still unsent after its
 * request.timeout.ms fails as timed out (failExpiredRequests). Requests on other channels (a
 * processor's producer) keep only the backoff.
 */
export function withConnectionStates<M extends Message>(ctx: HostContext<M>, states: ClusterConnectionStates<M>): BackedOffContext<M> {
  const unsent = new Map<string, Unsent[]>();
  const request: NodeContext<M>['request'] = (to, message, options, done) => {
    const until = states.blackedOutUntil(to, ctx.now());
    if (until !== undefined) {
      ctx.after(micros(until - ctx.now()), () => request(to, message, options, done));
      return;
    }
    if ((options.channel ?? 0) === 0 && !states.ready(to, () => settle(to, 'resend'))) {
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
  const settle = (to: string, how: 'resend' | 'fail'): void => {
    const held = unsent.get(to) ?? [];
    unsent.delete(to);
    for (const u of held) {
      ctx.cancel(u.timer);
      u[how]();
    }
  };
  const connectionLost = (peer: string): void => {
    states.onFailure(peer);
    settle(peer, 'fail');
  };
  // requestWith goes the same way as request (the connection states apply to both).
  const requestWith: NodeContext<M>['requestWith'] = (to, message, options, done, arg) => request(to, message, options, (r) => done(arg, r));
  return { ...ctx, request, requestWith, connectionLost };
}

const DISCONNECTED = { ok: false, error: 'disconnected' } as const;
const TIMED_OUT = { ok: false, error: 'timeout' } as const;
