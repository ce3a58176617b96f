import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetWorld, msg, type TestMessage } from '../helpers/netWorld.js';
import type { Duration, Time } from '../../src/sim/time.js';
import type { RpcResult } from '../../src/network/nodeHost.js';
import { cutsOf, type PartitionSpec } from '../../src/network/partitions.js';

const ms = (n: number): Duration => (n * 1000) as Duration;
const at = (n: number): Time => (n * 1000) as Time;

/** A server that records what it receives and echoes requests. */
function recorder(log: { from: string; n: number | undefined; at: number }[], now: () => number) {
  return () => ({
    onMessage(from: string, m: TestMessage) {
      log.push({ from, n: m.n, at: now() });
    },
    onRequest(from: string, m: TestMessage, reply: (r: TestMessage) => void) {
      log.push({ from, n: m.n, at: now() });
      reply(msg('Echo', m.n));
    },
  });
}

describe('Network: connections', () => {
  it('delivers FIFO per connection under random latency, bandwidth and loss', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 50 }),
        fc.boolean(),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 80 }),
        (seed, maxLatencyMs, limited, loss, gaps) => {
          const w = new NetWorld(seed, {
            defaultLink: { latency: { dist: 'uniform', min: 0 as Duration, max: ms(maxLatencyMs) }, bandwidth: limited ? 1_000_000 : undefined },
          });
          const got: { from: string; n: number | undefined; at: number }[] = [];
          w.add('server', recorder(got, () => w.sim.now));
          const a = w.add('a');
          const b = w.add('b');
          if (loss > 0) w.net.degrade('lossy', [{ from: 'a', to: 'server' }], { loss });
          let t = 0;
          gaps.forEach((gap, i) => {
            t += gap;
            w.sim.scheduler.at(t as Time, () => {
              a.ctx().send('server', msg('M', i, 1 + ((i * 997) % 5000)));
              b.ctx().send('server', msg('M', i));
            });
          });
          w.sim.run();
          for (const sender of ['a', 'b']) {
            const ns = got.filter((g) => g.from === sender).map((g) => g.n);
            expect(ns).toEqual(gaps.map((_, i) => i));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('may reorder and duplicate in datagram mode', () => {
    const w = new NetWorld(3, { mode: 'datagram', duplicateRate: 0.2, defaultLink: { latency: { dist: 'uniform', min: 0 as Duration, max: ms(50) } } });
    const got: { from: string; n: number | undefined; at: number }[] = [];
    w.add('server', recorder(got, () => w.sim.now));
    const a = w.add('a');
    for (let i = 0; i < 200; i++) w.sim.scheduler.at(at(i), () => a.ctx().send('server', msg('M', i)));
    w.sim.run();
    const ns = got.map((g) => g.n as number);
    expect(ns.length).toBeGreaterThan(200);
    expect(ns.some((n, i) => i > 0 && n < ns[i - 1])).toBe(true);
  });

  it('turns loss on a stream link into delay, not missing messages', () => {
    const w = new NetWorld(5, { defaultLink: { latency: { dist: 'fixed', value: ms(1) } } });
    const got: { from: string; n: number | undefined; at: number }[] = [];
    w.add('server', recorder(got, () => w.sim.now));
    const a = w.add('a');
    w.net.degrade('lossy', [{ from: 'a', to: 'server' }], { loss: 0.5 });
    for (let i = 0; i < 100; i++) w.sim.scheduler.at(at(i), () => a.ctx().send('server', msg('M', i)));
    w.sim.run();
    expect(got.map((g) => g.n)).toEqual([...Array(100).keys()]);
    expect(Math.max(...got.map((g, i) => g.at - at(i)))).toBeGreaterThanOrEqual(ms(200));
  });

  it('charges transmission time by size when bandwidth is limited', () => {
    const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: ms(1) }, bandwidth: 1_000_000 } });
    const got: { from: string; n: number | undefined; at: number }[] = [];
    w.add('server', recorder(got, () => w.sim.now));
    const a = w.add('a');
    w.sim.scheduler.at(at(0), () => {
      a.ctx().send('server', msg('Big', 1, 100_000)); // 100ms on a 1 MB/s link
      a.ctx().send('server', msg('Small', 2, 1_000)); // queued behind it: +1ms
    });
    w.sim.run();
    expect(got.map((g) => g.at)).toEqual([ms(101), ms(102)]);
  });
});

describe('Network: RPC', () => {
  it('completes a request with its response', () => {
    const w = new NetWorld();
    const got: { from: string; n: number | undefined; at: number }[] = [];
    w.add('server', recorder(got, () => w.sim.now));
    const c = w.add('client');
    let result: RpcResult<TestMessage> | undefined;
    w.sim.scheduler.at(at(0), () => c.ctx().request('server', msg('Ping', 7), { timeout: ms(100) }, (r) => (result = r)));
    w.sim.run();
    expect(result).toEqual({ ok: true, response: msg('Echo', 7) });
  });

  it('times out a request that the server nevertheless processed', () => {
    const w = new NetWorld(1, { defaultLink: { latency: { dist: 'fixed', value: ms(30) } } });
    let applied = 0;
    w.add('server', () => ({
      onRequest(_from, m, reply) {
        applied++;
        reply(msg('Ack', m.n));
      },
    }));
    const c = w.add('client');
    const results: RpcResult<TestMessage>[] = [];
    w.sim.scheduler.at(at(0), () => c.ctx().request('server', msg('Write', 1), { timeout: ms(50) }, (r) => results.push(r)));
    w.sim.run();
    // The write reached the server at 30ms and was applied; the ack would arrive at 60ms,
    // after the client gave up at 50ms. This is where producer duplicates come from.
    expect(applied).toBe(1);
    expect(results).toEqual([{ ok: false, error: 'timeout' }]);
    expect(w.records('rpc.timeout')).toHaveLength(1);
  });

  it('ends in-flight requests as disconnected when the server process crashes', () => {
    const w = new NetWorld(1, { resetDetection: ms(2), defaultLink: { latency: { dist: 'fixed', value: ms(5) } } });
    w.add('server', () => ({ onRequest() {} })); // never replies
    const c = w.add('client');
    const results: { r: RpcResult<TestMessage>; at: number }[] = [];
    w.sim.scheduler.at(at(0), () => c.ctx().request('server', msg('Req'), { timeout: ms(1_000) }, (r) => results.push({ r, at: w.sim.now })));
    w.sim.scheduler.at(at(10), () => w.net.host('server').crash('process'));
    w.sim.run();
    expect(results).toEqual([{ r: { ok: false, error: 'disconnected' }, at: ms(12) }]);
  });

  it('leaves requests to a machine that lost power to their timeout', () => {
    const w = new NetWorld(1, { resetDetection: ms(2), defaultLink: { latency: { dist: 'fixed', value: ms(5) } } });
    w.add('server', () => ({ onRequest() {} }));
    const c = w.add('client');
    const results: { r: RpcResult<TestMessage>; at: number }[] = [];
    w.sim.scheduler.at(at(0), () => c.ctx().request('server', msg('Req'), { timeout: ms(300) }, (r) => results.push({ r, at: w.sim.now })));
    w.sim.scheduler.at(at(10), () => w.net.host('server').crash('power'));
    w.sim.run();
    expect(results).toEqual([{ r: { ok: false, error: 'timeout' }, at: ms(300) }]);
  });

  it('refuses requests to a crashed process quickly, and serves them after its restart', () => {
    const w = new NetWorld(1, { resetDetection: ms(1), defaultLink: { latency: { dist: 'fixed', value: ms(5) } } });
    w.add('server', () => ({ onRequest: (_f, m, reply) => reply(msg('Echo', m.n)) }));
    const c = w.add('client');
    w.net.host('server').crash('process');
    const results: RpcResult<TestMessage>[] = [];
    w.sim.scheduler.at(at(0), () => c.ctx().request('server', msg('A', 1), { timeout: ms(500) }, (r) => results.push(r)));
    w.sim.scheduler.at(at(10), () => w.net.host('server').restart());
    w.sim.scheduler.at(at(20), () => c.ctx().request('server', msg('B', 2), { timeout: ms(500) }, (r) => results.push(r)));
    w.sim.run();
    expect(results).toEqual([{ ok: false, error: 'disconnected' }, { ok: true, response: msg('Echo', 2) }]);
  });
});

describe('Network: partitions', () => {
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const specArb: fc.Arbitrary<PartitionSpec> = fc.oneof(
    fc.array(fc.subarray(nodes, { minLength: 1 }), { minLength: 2, maxLength: 3 }).map((groups) => ({ kind: 'groups' as const, groups })),
    fc.subarray(nodes, { minLength: 1, maxLength: 2 }).map((ns) => ({ kind: 'isolate' as const, nodes: ns })),
    fc.record({ from: fc.subarray(nodes, { minLength: 1 }), to: fc.subarray(nodes, { minLength: 1 }) }).map((r) => ({ kind: 'oneWay' as const, ...r })),
  );

  /** The independent statement of what each spec blocks. */
  function expectedBlocked(spec: PartitionSpec, a: string, b: string): boolean {
    switch (spec.kind) {
      case 'groups': {
        const inA = spec.groups.some((g) => g.includes(a));
        const inB = spec.groups.some((g) => g.includes(b));
        return inA && inB && !spec.groups.some((g) => g.includes(a) && g.includes(b));
      }
      case 'isolate':
        return spec.nodes.includes(a) !== spec.nodes.includes(b);
      case 'oneWay':
        return spec.from.includes(a) && spec.to.includes(b) && a !== b;
    }
  }

  it('blocks exactly the directed pairs it names, and heals them', () => {
    fc.assert(
      fc.property(fc.integer(), specArb, (seed, spec) => {
        const w = new NetWorld(seed);
        const got: { from: string; to: string }[] = [];
        const ws = nodes.map((id) => w.add(id, () => ({ onMessage: (from) => got.push({ from, to: id }) })));
        w.net.partition('p', spec);
        w.sim.scheduler.at(at(1), () => {
          for (const a of ws) for (const b of nodes) if (a.host.id !== b) a.ctx().send(b, msg('M'));
        });
        w.sim.run({ until: at(500) });
        for (const a of nodes) {
          for (const b of nodes) {
            if (a === b) continue;
            const delivered = got.some((g) => g.from === a && g.to === b);
            expect({ a, b, delivered }).toEqual({ a, b, delivered: !expectedBlocked(spec, a, b) });
          }
        }
        expect(cutsOf(spec, nodes).every((c) => expectedBlocked(spec, c.from, c.to))).toBe(true);
        w.net.heal();
        got.length = 0;
        w.sim.scheduler.at(at(600), () => {
          for (const a of ws) for (const b of nodes) if (a.host.id !== b) a.ctx().send(b, msg('M'));
        });
        w.sim.run();
        // Once healed, TCP retransmits what the cut held back: a blocked pair gets both messages.
        for (const a of nodes) {
          for (const b of nodes) {
            if (a === b) continue;
            const n = got.filter((g) => g.from === a && g.to === b).length;
            expect({ a, b, n }).toEqual({ a, b, n: expectedBlocked(spec, a, b) ? 2 : 1 });
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('heals one named partition without healing another', () => {
    const w = new NetWorld();
    const got: string[] = [];
    w.add('a', () => ({ onMessage: (from) => got.push(`${from}>a`) }));
    const b = w.add('b');
    const c = w.add('c');
    w.net.partition('cut-b', { kind: 'isolate', nodes: ['b'] });
    w.net.partition('cut-c', { kind: 'isolate', nodes: ['c'] });
    expect(w.net.heal('cut-b')).toEqual(['cut-b']);
    w.sim.scheduler.at(at(1), () => {
      b.ctx().send('a', msg('M'));
      c.ctx().send('a', msg('M'));
    });
    w.sim.run();
    expect(got).toEqual(['b>a']);
  });

  it('holds what a partition cuts off on a connection and delivers it after the heal, once, in send order, without reconnecting', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2_000 }), (seed, cutAtMs, healAfterMs) => {
        const w = new NetWorld(seed, { defaultLink: { latency: { dist: 'uniform', min: ms(1), max: ms(30) } } });
        const got: { n: number; at: number }[] = [];
        w.add('server', () => ({ onMessage: (_f, m) => got.push({ n: m.n as number, at: w.sim.now }) }));
        const c = w.add('client');
        const sentAt: number[] = [];
        for (let i = 0; i < 100; i++) {
          w.sim.scheduler.at(at(i * 3), () => {
            sentAt[i] = w.sim.now;
            c.ctx().send('server', msg('M', i));
          });
        }
        const cut = at(cutAtMs);
        const heal = at(cutAtMs + healAfterMs);
        w.sim.scheduler.at(cut, () => w.net.partition('p', { kind: 'isolate', nodes: ['server'] }));
        w.sim.scheduler.at(heal, () => w.net.heal('p'));
        w.sim.run();
        // Every message arrives exactly once, in the order it was sent.
        expect(got.map((g) => g.n)).toEqual([...Array(100).keys()]);
        for (const g of got) {
          // Nothing arrives while the cut stands; what was sent during it arrives after the heal,
          // no sooner than TCP's first retransmission (200 ms after the first loss) allows.
          expect(g.at < cut || g.at >= heal).toBe(true);
          // (A send at the instant of the cut or of the heal comes before it: those events were scheduled first.)
          if (sentAt[g.n] > cut && sentAt[g.n] <= heal) expect(g.at).toBeGreaterThanOrEqual(Math.max(heal, cut + 200_000));
        }
        expect(w.records('net.connect').length).toBe(1);
        expect(w.records('net.disconnect').length).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('drops what a partition cuts off in datagram mode, and breaks nothing open in stream mode', () => {
    const w = new NetWorld(1, { mode: 'datagram' });
    const got: number[] = [];
    w.add('server', () => ({ onMessage: (_f, m) => got.push(m.n as number) }));
    const c = w.add('client');
    w.sim.scheduler.at(at(1), () => w.net.partition('p', { kind: 'isolate', nodes: ['server'] }));
    w.sim.scheduler.at(at(2), () => c.ctx().send('server', msg('M', 1)));
    w.sim.scheduler.at(at(50), () => w.net.heal('p'));
    w.sim.scheduler.at(at(60), () => c.ctx().send('server', msg('M', 2)));
    w.sim.run();
    expect(got).toEqual([2]);
  });
});

describe('Network: stats and determinism', () => {
  function run(seed: number) {
    const w = new NetWorld(seed, {}, 'none');
    w.add('server', () => ({ onRequest: (_f, m, reply) => reply(msg('Echo', m.n)) }));
    const clients = ['c1', 'c2', 'c3'].map((id) => w.add(id));
    for (const c of clients) {
      const loop = (i: number): void => {
        if (i >= 50) return;
        c.ctx().request('server', msg('Ping', i), { timeout: ms(20) }, () => loop(i + 1));
      };
      w.sim.scheduler.at(at(0), () => loop(0));
    }
    w.sim.scheduler.at(at(30), () => w.net.partition('p', { kind: 'isolate', nodes: ['c2'] }));
    w.sim.scheduler.at(at(80), () => w.net.heal());
    w.sim.run();
    return { fingerprint: w.sim.fingerprint, totals: w.net.totals(), links: w.net.linkStats() };
  }

  it('counts messages and bytes per link', () => {
    const r = run(1);
    expect(r.totals.sent).toBe(r.totals.delivered + r.totals.dropped);
    const sum = r.links.reduce((s, l) => s + l.sent, 0);
    expect(sum).toBe(r.totals.sent);
    // The partition isolated c2 for 50 ms: TCP delivered what it held back once it healed.
    const c2 = r.links.find((l) => l.from === 'c2' && l.to === 'server');
    expect(c2?.dropped).toBe(0);
    expect(c2?.delivered).toBe(c2?.sent);
    expect(r.totals.dropped).toBe(0);
    expect(r.totals.bytesSent).toBe(r.totals.sent * 100);
  });

  it('gives the same fingerprint for the same seed and another for another', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(run(seed)).toEqual(run(seed));
        expect(run(seed).fingerprint).not.toBe(run(seed + 1).fingerprint);
      }),
      { numRuns: 10 },
    );
  });
});

describe('Network: reused flights', () => {
  // Each message on the wire is one Flight object, freed as it lands and taken again by the
  // next message sent (often by the reply sent during that very delivery). A flight that kept
  // anything of its last message (its connection, direction, kind, id, message or sequence
  // number) would deliver a reply to the wrong client, as a request, or out of order.
  it('delivers every message and reply to the right place while flights are reused', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 20 }), (seed, maxLatencyMs) => {
        const w = new NetWorld(seed, { defaultLink: { latency: { dist: 'uniform', min: 0 as Duration, max: ms(maxLatencyMs) } } });
        const seen: { from: string; n: number | undefined }[] = [];
        w.add('server', (ctx) => ({
          onRequest(from: string, m: TestMessage, reply: (r: TestMessage) => void) {
            // A one-way message and a reply, both sent while the request's flight is being landed.
            ctx.send('watcher', msg('Saw', m.n, 50));
            reply(msg(`Echo-${from}`, (m.n ?? 0) * 2, 10 + (m.n ?? 0)));
          },
        }));
        w.add('watcher', () => ({ onMessage: (from: string, m: TestMessage) => seen.push({ from, n: m.n }) }));
        const clients = ['a', 'b', 'c'].map((id) => ({ id, node: w.add(id), got: [] as { sent: number; r: RpcResult<TestMessage> }[] }));
        for (let i = 0; i < 60; i++) {
          for (const c of clients) {
            w.sim.scheduler.at(at(i), () => c.node.ctx().request('server', msg('Ask', i), { timeout: ms(10_000) }, (r) => c.got.push({ sent: i, r })));
          }
        }
        // A cut and its heal: held messages go again through the same flights.
        w.sim.scheduler.at(at(20), () => w.net.partition('p', { kind: 'isolate', nodes: ['b'] }));
        w.sim.scheduler.at(at(35), () => w.net.heal());
        w.sim.run();
        for (const c of clients) {
          // FIFO per connection: the replies in request order, each the answer to its own request.
          expect(c.got.map((g) => g.sent)).toEqual(Array.from({ length: 60 }, (_, i) => i));
          for (const g of c.got) expect(g.r).toEqual({ ok: true, response: { type: `Echo-${c.id}`, n: g.sent * 2, bytes: 10 + g.sent } });
        }
        expect(seen.length).toBe(180);
        expect(seen.every((s) => s.from === 'server')).toBe(true);
        expect(seen.map((s) => s.n).sort((x, y) => (x as number) - (y as number))).toEqual(Array.from({ length: 180 }, (_, k) => Math.floor(k / 3)));
        const totals = w.net.totals();
        expect(totals.sent).toBe(540);
        expect(totals.delivered).toBe(540);
        // Flights were reused: far fewer were ever made than messages were sent.
        const made = (w.net as unknown as { freeFlights: unknown[] }).freeFlights.length;
        expect(made).toBeGreaterThan(0);
        expect(made).toBeLessThan(540);
      }),
      { numRuns: 25 },
    );
  });
});

describe('Network: reused replies', () => {
  // A reply the server's handler used before returning is reused for a later request; one it
  // kept (a parked request) is not. A reused reply that kept anything of its last request
  // would answer the wrong client or request, or refuse an answer as a second one.
  it('answers each request once, on its own connection, whether the server answers at once or later', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 10 }), (seed, maxLatencyMs) => {
        const w = new NetWorld(seed, { defaultLink: { latency: { dist: 'uniform', min: 0 as Duration, max: ms(maxLatencyMs) } } });
        const parked: { reply: (r: TestMessage) => void; n: number; from: string }[] = [];
        const secondAnswers: string[] = [];
        w.add('server', (ctx) => ({
          onRequest(from: string, m: TestMessage, reply: (r: TestMessage) => void) {
            const n = m.n ?? 0;
            if (n % 3 !== 0) {
              reply(msg(`Now-${from}`, n));
              return;
            }
            // Every third request waits, and is answered later, newest first.
            parked.push({ reply, n, from });
            if (parked.length === 1) {
              ctx.after(ms(3), () => {
                for (const p of parked.splice(0).reverse()) {
                  p.reply(msg(`Later-${p.from}`, p.n));
                  try {
                    p.reply(msg('Again', p.n));
                  } catch (e) {
                    secondAnswers.push((e as Error).message);
                  }
                }
              });
            }
          },
        }));
        const clients = ['a', 'b'].map((id) => ({ id, node: w.add(id), got: new Map<number, RpcResult<TestMessage>>() }));
        for (let i = 0; i < 45; i++) {
          for (const c of clients) {
            w.sim.scheduler.at(at(i), () => c.node.ctx().request('server', msg('Ask', i), { timeout: ms(10_000) }, (r) => c.got.set(i, r)));
          }
        }
        w.sim.run();
        for (const c of clients) {
          expect(c.got.size).toBe(45);
          for (const [i, r] of c.got) expect(r).toEqual({ ok: true, response: msg(`${i % 3 === 0 ? 'Later' : 'Now'}-${c.id}`, i) });
        }
        // A kept reply still refuses a second answer.
        expect(secondAnswers.length).toBe(30);
        expect(secondAnswers.every((e) => /replied twice/.test(e))).toBe(true);
        expect(w.net.totals().sent).toBe(180);
      }),
      { numRuns: 25 },
    );
  });
});

describe('Network: requestWith', () => {
  // One shared callback for many requests: each outcome must come with its own request's
  // argument, answered, timed out, or held while the client was paused.
  it('calls the shared callback with each request its own argument and outcome', () => {
    const w = new NetWorld(4, { defaultLink: { latency: { dist: 'fixed', value: ms(1) } } });
    w.add('server', () => ({
      onRequest(_from: string, m: TestMessage, reply: (r: TestMessage) => void) {
        if ((m.n ?? 0) % 2 === 0) reply(msg('Ok', m.n));
      },
    }));
    const c = w.add('c');
    const got: { arg: { n: number }; r: RpcResult<TestMessage>; at: number }[] = [];
    const shared = (arg: { n: number }, r: RpcResult<TestMessage>): void => {
      got.push({ arg, r, at: w.sim.now });
    };
    const args = [0, 1, 2, 3].map((n) => ({ n }));
    w.sim.scheduler.at(at(0), () => {
      for (const a of args) c.ctx().requestWith('server', msg('Ask', a.n), { timeout: ms(50) }, shared, a);
    });
    // Paused while the answers arrive: they wait, and come with their arguments at the resume.
    w.sim.scheduler.at(at(1), () => c.host.pause(ms(10)));
    w.sim.run();
    expect(got.map((g) => g.arg)).toEqual([args[0], args[2], args[1], args[3]]);
    expect(got[0].arg).toBe(args[0]);
    expect(got[0].r).toEqual({ ok: true, response: msg('Ok', 0) });
    expect(got[1].r).toEqual({ ok: true, response: msg('Ok', 2) });
    expect(got[0].at).toBe(at(11));
    expect(got[2].r).toEqual({ ok: false, error: 'timeout' });
    expect(got[3].r).toEqual({ ok: false, error: 'timeout' });
    expect(got[2].at).toBe(at(50));
  });
});
