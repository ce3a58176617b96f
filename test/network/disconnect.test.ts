import { describe, expect, it } from 'vitest';
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
