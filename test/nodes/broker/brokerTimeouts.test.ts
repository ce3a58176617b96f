import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import type { TraceRecord } from '../../../src/sim/trace.js';

/** A broker's own timers, by Kafka's names: each must reach the broker that reads it. */
function run(config: string, faults: string, truncation = 'leader-epoch') {
  const text = `
name: broker-timeouts
duration: 30s
drain: 10s
cluster: { brokers: 3, config: { min.insync.replicas: 1, sim.truncation: ${truncation}${config === '' ? '' : `, ${config}`} } }
topics: [{ name: t, partitions: 1, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: t, config: { acks: "1", enable.idempotence: false }, workload: { rate: 200/s, start: 1s, stop: 28s } }
faults:
${faults}
`;
  return runScenario(parseScenario(text), { keepTrace: true });
}

const timeouts = (r: ReturnType<typeof run>, type: string): TraceRecord<'rpc.timeout'>[] =>
  (r.simulation.memory?.records ?? []).filter((x): x is TraceRecord<'rpc.timeout'> => x.kind === 'rpc.timeout' && x.type === type && x.from.startsWith('broker-'));

describe('broker timeouts', () => {
  const pauseLeader = '  - { at: 10s, action: pause, target: "leader(t-0)", for: 15s }';

  it('replica.socket.timeout.ms: a follower gives up on a silent leader\'s fetch after it', () => {
    // By default (30 s) a 15 s pause times out no fetch; at 3 s, the followers' fetches do, 3 s in.
    expect(timeouts(run('', pauseLeader), 'Fetch')).toEqual([]);
    const r = run('replica.socket.timeout.ms: 3000', pauseLeader);
    const short = timeouts(r, 'Fetch');
    expect(short.length).toBeGreaterThan(0);
    // The first to time out is the fetch the leader was holding (up to replica.fetch.wait.max.ms,
    // 500 ms) when it paused: sent in the 500 ms before 10 s, given up on exactly 3 s after it
    // was sent. (Re-pinned for the fast start-up and 3 controllers: that fetch now went out at
    // 9.9987 s, so the old bound "at or after 13 s" fell 1.3 ms short; the claim is now exact.)
    const sent = (r.simulation.memory?.records ?? []).find((x) => x.kind === 'net.send' && x.type === 'Fetch' && x.id === short[0].id && x.from === short[0].from);
    expect(sent?.at).toBeGreaterThanOrEqual(9_500_000);
    expect(sent?.at).toBeLessThan(10_000_000);
    expect(short[0].at - (sent?.at ?? 0)).toBe(3_000_000);
  });

  it('refuses a replica.socket.timeout.ms below replica.fetch.wait.max.ms (KafkaConfig)', () => {
    expect(() => run('replica.socket.timeout.ms: 100', '  - { at: 10s, action: heal }')).toThrow(/replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms/);
  });

  it('request.timeout.ms: a leader gives up on a silent controller\'s answer to its AlterPartition after it', () => {
    // A follower stops; replica.lag.time.max.ms later its leader asks the (paused) controller to shrink the ISR.
    const faults = ['  - { at: 10s, action: pause, target: controller, for: 20s }', '  - { at: 10s, action: crash, target: "follower(t-0)" }'].join('\n');
    expect(timeouts(run('replica.lag.time.max.ms: 4000', faults), 'AlterPartition')).toEqual([]);
    const short = timeouts(run('replica.lag.time.max.ms: 4000, request.timeout.ms: 3000', faults), 'AlterPartition');
    expect(short.length).toBeGreaterThan(0);
    expect(short[0].at).toBeLessThan(25_000_000);
  });

  it('replica.high.watermark.checkpoint.interval.ms: before KIP-101 a restarted follower truncates to the high watermark it last checkpointed', () => {
    const crash = ['  - { at: 10s, action: crash, target: "follower(t-0)" }', '  - { at: 12s, action: restart, target: "follower(t-0)" }'].join('\n');
    const truncatedTo = (config: string): number => {
      const r = run(config, crash, 'high-watermark');
      const t = (r.simulation.memory?.records ?? []).find((x): x is TraceRecord<'replica.truncate'> => x.kind === 'replica.truncate' && x.at >= 12_000_000);
      expect(t).toBeDefined();
      return (t as TraceRecord<'replica.truncate'>).to;
    };
    // Checkpointed every 5 s (the default) it comes back at its HW of 5-10 s ago; never checkpointed in the run, at nothing.
    expect(truncatedTo('replica.high.watermark.checkpoint.interval.ms: 60000')).toBe(0);
    expect(truncatedTo('')).toBeGreaterThan(500);
  });
});
