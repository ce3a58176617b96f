import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetWorld, msg, type TestMessage } from '../helpers/netWorld.js';
import type { NodeContext, RpcResult } from '../../src/network/nodeHost.js';
import { millis, time } from '../../src/sim/time.js';

/** A server that answers after `delayMs` requests whose note is "answer", and notes every request it gets. */
function world(closes: boolean, latencyMs = 2) {
  const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: millis(latencyMs) } }, resetDetection: millis(1) });
  const received: number[] = [];
  w.add('server', (ctx) => ({
    onRequest: (_from, m, reply) => {
      received.push(m.n ?? -1);
      if (m.note === 'answer') ctx.after(millis(3), () => reply(msg('Ok', m.n)));
    },
  }));
  const notices: string[] = [];
  const client = w.add('client', () => ({ onDisconnect: (peer) => notices.push(peer) }), ['client'], undefined, { closesConnectionOnRequestTimeout: closes });
  w.sim.run({ maxEvents: 10 });
  const outcomes: { n: number; at: number; r: RpcResult<TestMessage> }[] = [];
  const ask = (n: number, timeoutMs: number, answer: boolean, channel = 0, ctx: NodeContext<TestMessage> = client.ctx()): void =>
    ctx.request('server', { ...msg('Ask', n), note: answer ? 'answer' : undefined }, { timeout: millis(timeoutMs), channel }, (r) => outcomes.push({ n, at: w.sim.now, r }));
  return { w, client, received, notices, outcomes, ask };
}

describe("a Kafka client's request timeout closes its connection (NetworkClient.handleTimedOutRequests)", () => {
  it('fails every other request in flight on it at once, tells the client, and the next request opens a new connection', () => {
    const { w, notices, outcomes, ask } = world(true);
    const t0 = w.sim.now;
    ask(1, 100, false); // never answered: times out at +100 ms
    ask(2, 1_000, false); // would time out at +1 s
    w.sim.run({ until: time(t0 + 150_000) });
    expect(outcomes.map((o) => [o.n, o.at - t0, o.r])).toEqual([
      [1, 100_000, { ok: false, error: 'timeout' }],
      [2, 100_000, { ok: false, error: 'timeout' }], // "disconnected due to timeout": its fate is as unknown
    ]);
    expect(w.records('net.disconnect').map((r) => r.reason)).toEqual(['request-timeout']);
    expect(notices).toEqual(['server']);
    ask(3, 1_000, true);
    w.sim.run({ until: time(t0 + 300_000) });
    expect(outcomes.at(-1)).toMatchObject({ n: 3, r: { ok: true } });
    expect(new Set(w.records('net.connect').map((r) => r.conn)).size).toBe(2);
  });

  it('closes the connection and tells the client before the callback runs: a request the callback sends goes on a new connection', () => {
    // NetworkClient.handleTimedOutRequests: selector.close, then processTimeoutDisconnection
    // (connectionStates.disconnected, cancelInFlightRequests, handleServerDisconnect); the
    // callbacks run only after, in completeResponses.
    const { w, client, notices, outcomes, ask } = world(true);
    const t0 = w.sim.now;
    const seenAtCallback: number[] = [];
    client.ctx().request('server', msg('Ask', 1), { timeout: millis(100) }, (r) => {
      outcomes.push({ n: 1, at: w.sim.now, r });
      seenAtCallback.push(notices.length);
      ask(2, 1_000, true);
    });
    w.sim.run({ until: time(t0 + 300_000) });
    expect(seenAtCallback).toEqual([1]);
    expect(outcomes.map((o) => [o.n, o.r.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    const connects = w.records('net.connect').map((r) => r.conn);
    expect(new Set(connects).size).toBe(2);
    expect(w.records('net.disconnect').map((r) => r.reason)).toEqual(['request-timeout']);
  });

  it('what it had sent still reaches the server; the answer does not come back', () => {
    // 50 ms each way, a 20 ms timeout: the request is still on the wire when the client gives up.
    const { w, received, outcomes, ask } = world(true, 50);
    const t0 = w.sim.now;
    ask(1, 20, true);
    w.sim.run({ until: time(t0 + 500_000) });
    expect(outcomes.map((o) => o.r)).toEqual([{ ok: false, error: 'timeout' }]);
    expect(received).toEqual([1]);
    expect(w.records('net.drop').map((r) => [r.type, r.reason])).toEqual([['Ok', 'connection-closed']]);
  });

  it('what a partition held on the closed connection is still sent again after the heal, in order', () => {
    const { w, received, outcomes, ask } = world(true);
    const t0 = w.sim.now;
    w.net.partition('cut', { kind: 'groups', groups: [['client'], ['server']] });
    ask(1, 100, false);
    ask(2, 100, false);
    w.sim.run({ until: time(t0 + 200_000) });
    expect(outcomes.map((o) => o.r.ok)).toEqual([false, false]);
    expect(received).toEqual([]);
    w.net.heal('cut');
    w.sim.run({ until: time(t0 + 2_000_000) });
    expect(received).toEqual([1, 2]);
  });

  it('a crash of the server ends a half-closed connection: nothing of it reaches the next incarnation', () => {
    const { w, received, ask } = world(true, 50);
    const t0 = w.sim.now;
    ask(1, 20, false);
    w.sim.run({ until: time(t0 + 30_000) });
    w.net.host('server').crash('process');
    w.net.host('server').start();
    w.sim.run({ until: time(t0 + 500_000) });
    expect(received).toEqual([]);
  });

  it("closes only the timed-out request's channel: a process's other client keeps its connection (a processor's consumer and producer)", () => {
    const { w, notices, outcomes, ask } = world(true);
    const t0 = w.sim.now;
    ask(1, 100, false, 1); // the producer's request, never answered
    ask(2, 1_000, true, 0); // the consumer's, answered after 3 ms
    ask(3, 1_000, false, 0); // the consumer's, still waiting when the producer's times out
    w.sim.run({ until: time(t0 + 150_000) });
    expect(outcomes.map((o) => [o.n, o.r.ok])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(notices).toEqual(['server']);
    expect(new Set(w.records('net.connect').map((r) => r.conn)).size).toBe(2);
    expect(w.records('net.disconnect')).toHaveLength(1);
  });

  it("a broker's timeout fails only that request: its other channels' requests on the shared connection go on", () => {
    const { w, notices, outcomes, ask } = world(false);
    const t0 = w.sim.now;
    ask(1, 100, false);
    ask(2, 1_000, true);
    w.sim.run({ until: time(t0 + 1_500_000) });
    expect(outcomes.map((o) => [o.n, o.r.ok])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(w.records('net.disconnect')).toEqual([]);
    expect(notices).toEqual([]);
  });

  it('after its peer lost power, what it sent since fails with the first timeout: one connection per node, as Kafka has', () => {
    // The sim opens a connection per attempt after a silent break (the peer lost power); Kafka's
    // NetworkClient sent them all on its one dead socket to the node, and the first timeout
    // (handleTimedOutRequests) fails every request in flight to it, oldest first, and marks the
    // node disconnected. Requests timing out one by one let a producer's newer batch reach a new
    // leader before older ones of the same partition were retried (power-loss-all, seed 1).
    const { w, notices, outcomes, ask } = world(true);
    const t0 = w.sim.now;
    ask(1, 100, false);
    w.net.host('server').crash('power');
    w.sim.scheduler.at(time(t0 + 10_000), () => ask(2, 100, false));
    w.sim.scheduler.at(time(t0 + 20_000), () => ask(3, 100, false));
    w.sim.run({ until: time(t0 + 300_000) });
    expect(outcomes.map((o) => [o.n, o.at - t0, o.r])).toEqual([
      [1, 100_000, { ok: false, error: 'timeout' }],
      [2, 100_000, { ok: false, error: 'timeout' }],
      [3, 100_000, { ok: false, error: 'timeout' }],
    ]);
    expect(notices).toEqual(['server']);
  });

  it('each request ends exactly once, whatever mix of timeouts, answers and gaps', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ timeoutMs: fc.integer({ min: 1, max: 40 }), answered: fc.boolean(), gapMs: fc.integer({ min: 0, max: 20 }) }), { minLength: 1, maxLength: 20 }), (requests) => {
        const { w, outcomes, ask, received } = world(true);
        let t: number = w.sim.now;
        requests.forEach((r, i) => {
          t += r.gapMs * 1000;
          w.sim.scheduler.at(time(t), () => ask(i, r.timeoutMs, r.answered));
        });
        w.sim.run({ until: time(t + 1_000_000) });
        expect(outcomes.map((o) => o.n).sort((a, b) => a - b)).toEqual(requests.map((_, i) => i));
        // Nothing answered past its own deadline, and every request reached the server once, in send order.
        for (const o of outcomes) if (o.r.ok) expect(requests[o.n].answered).toBe(true);
        expect(received).toEqual(requests.map((_, i) => i));
      }),
      { numRuns: 60 },
    );
  });
});

describe('what a crashed client lets go of', () => {
  it("its requests on connections it took for open (their peer lost power) go with it: their callbacks held the crashed broker's state", async () => {
    const { w, client } = world(true);
    const t0 = w.sim.now;
    w.net.host('server').crash('power');
    const ref = ((): WeakRef<object> => {
      const state = { logs: new Array<number>(1000).fill(7) };
      client.ctx().request('server', msg('Ask', 1), { timeout: millis(100) }, (r) => void state.logs.push(r.ok ? 1 : 0));
      return new WeakRef(state);
    })();
    w.sim.run({ until: time(t0 + 10_000) });
    w.net.host('client').crash('process');
    w.sim.run({ until: time(t0 + 300_000) });
    const { isCollected } = await import('../helpers/collectable.js');
    expect(await isCollected(ref)).toBe(true);
  });
});
