import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetWorld, msg } from '../helpers/netWorld.js';
import type { RpcResult } from '../../src/network/nodeHost.js';
import type { TestMessage } from '../helpers/netWorld.js';
import { millis, time } from '../../src/sim/time.js';

describe('connection close and disconnect notices', () => {
  it('a server closing the connection fails the client\'s pending requests as disconnected and tells the client', () => {
    const w = new NetWorld(1, { resetDetection: millis(1) });
    const notices: string[] = [];
    const results: RpcResult<TestMessage>[] = [];
    // The server answers nothing and closes the connection on any one-way message.
    const server = w.add('server', (ctx) => ({ onRequest: () => {}, onMessage: (from) => ctx.closeConnection(from) }));
    const client = w.add('client', () => ({ onDisconnect: (peer) => notices.push(peer) }));
    w.sim.run({ maxEvents: 10 });
    client.ctx().request('server', msg('Ask'), { timeout: millis(5_000) }, (r) => results.push(r));
    client.ctx().send('server', msg('Oops'));
    w.sim.run({ until: time(w.sim.now + 1_000_000) });
    expect(results).toEqual([{ ok: false, error: 'disconnected' }]);
    expect(notices).toEqual(['server']);
    expect(w.records('net.disconnect').map((r) => r.reason)).toEqual(['closed']);
    expect(server.host.state).toBe('up');
  });

  it('a refused connection to a crashed peer is noticed too, and a dead client hears nothing', () => {
    const w = new NetWorld(1, { resetDetection: millis(1) });
    const notices: string[] = [];
    const server = w.add('server');
    const client = w.add('client', () => ({ onDisconnect: (peer) => notices.push(peer) }));
    server.host.crash('process');
    client.ctx().send('server', msg('Hello'));
    w.sim.run({ until: time(w.sim.now + 1_000_000) });
    expect(notices).toEqual(['server']);
    client.ctx().send('server', msg('Again'));
    client.host.crash('process');
    w.sim.run({ until: time(w.sim.now + 1_000_000) });
    expect(notices).toEqual(['server']);
  });
});

describe('request timeouts on one connection', () => {
  it('time out each request at its own deadline, whatever the mix of timeouts and answers', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ timeoutMs: fc.integer({ min: 1, max: 50 }), answered: fc.boolean(), gapMs: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 25 }), (requests) => {
        const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: millis(2) } } });
        // The server answers requests whose note says so, after 3 ms; the others never.
        w.add('server', (ctx) => ({
          onRequest: (_from, m, reply) => {
            if (m.note === 'answer') ctx.after(millis(3), () => reply(msg('Ok')));
          },
        }));
        const client = w.add('client');
        const outcomes: { i: number; at: number; ok: boolean }[] = [];
        let t: number = w.sim.now;
        requests.forEach((r, i) => {
          t += r.gapMs * 1000;
          w.sim.scheduler.at(time(t), () =>
            client.ctx().request('server', { ...msg('Ask'), note: r.answered ? 'answer' : undefined }, { timeout: millis(r.timeoutMs) }, (res) => outcomes.push({ i, at: w.sim.now, ok: res.ok })),
          );
        });
        const sentAt = requests.map((_, i) => w.sim.now + requests.slice(0, i + 1).reduce((s, r) => s + r.gapMs * 1000, 0));
        w.sim.run({ until: time(t + 1_000_000) });
        expect(outcomes.length).toBe(requests.length);
        for (const o of outcomes) {
          const r = requests[o.i];
          // A round trip takes 2 + 3 + 2 ms: an answer comes then, if the timeout allows.
          const answeredInTime = r.answered && r.timeoutMs > 7;
          expect(o.ok).toBe(answeredInTime);
          expect(o.at).toBe(sentAt[o.i] + (answeredInTime ? 7_000 : r.timeoutMs * 1000));
        }
      }),
      { numRuns: Number(process.env.KAFKASIM_DEEP) ? 5_000 : 200, examples: [[[{ timeoutMs: 20, answered: false, gapMs: 0 }, { timeoutMs: 7, answered: true, gapMs: 14 }, { timeoutMs: 1, answered: false, gapMs: 0 }]]] },
    );
  });
});
