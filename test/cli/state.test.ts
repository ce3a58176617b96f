import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { stateCommand, type StateCliOptions } from '../../src/cli/commands/state.js';

/** The command run in this process (no process to start), its output without colour. */
function state(opts: StateCliOptions, scenario = 'acks1-leader-failover'): string {
  const lines: string[] = [];
  stateCommand(scenario, opts, (line) => lines.push(line.replace(/\u001b\[[0-9;]*m/g, '')));
  return lines.join('\n');
}

describe('kafkasim state', () => {
  it('prints the cluster at a moment after the leader crash: the new leader, its epoch, the shrunken ISR and each replica', () => {
    // Re-pinned for the 3-controller default and the broker's metadata log on disk: broker-1,
    // restarted at 14 s, replays its own metadata log and is unfenced at 14.07 s; the election
    // (14.014 s) is committed by a quorum and reaches broker-2 with the metadata log's next high
    // watermark, so at 14.1 s it leads orders-0 with the ISR still [2] (it grows at 14.147 s).
    // controller-2 won the vote. Re-pinned again after KIP-601 (clients send nothing on a
    // connection being set up): orders-0 ends at 13,402 instead of 13,415.
    const r = cli('state', 'acks1-leader-failover', '--at', '14.1s');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('acks1-leader-failover (seed 3, Kafka 4.1) at t=14.100s');
    expect(r.stdout).toMatch(/controllers: controller-1 up · controller-2 up, active · controller-3 up/);
    expect(r.stdout).toMatch(/brokers: broker-1 up · broker-2 up · broker-3 up/);
    expect(r.stdout).toMatch(/^ {2}orders-0 +broker-2 +1 +\[2\] +\[\] +.*broker-2 leader 0\/13402\/13402/m);
    expect(r.stdout).toMatch(/producer-p1 up: orders-0 \d+\/\d+/);
    expect(r.stdout).toMatch(/just before:\n(.*\n)*.*t= 14\.014s {2}broker-2 elected leader of orders-0; ISR of orders-0 now \[2\]/);
  });

  it('--json parses and holds the key fields', () => {
    const s = JSON.parse(state({ at: '14.1s', json: true })) as Record<string, unknown>;
    expect(s).toMatchObject({
      scenario: 'acks1-leader-failover',
      seed: 3,
      release: '4.1',
      atMs: 14100,
      phase: 'run',
      controllers: [
        { node: 'controller-1', state: 'up', active: false, cutOffFrom: [] },
        { node: 'controller-2', state: 'up', active: true, cutOffFrom: [] },
        { node: 'controller-3', state: 'up', active: false, cutOffFrom: [] },
      ],
      brokers: [
        { id: 1, state: 'up', fenced: false },
        { id: 2, state: 'up', fenced: false },
        { id: 3, state: 'up', fenced: false },
      ],
      partitions: [
        { name: 'orders-0', leader: 2, leaderEpoch: 1, isr: [2], elr: [], source: 'controller' },
        { name: 'orders-1', leader: 2, leaderEpoch: 0, isr: [2, 3] },
        { name: 'orders-2', leader: 2, leaderEpoch: 2, isr: [2] },
      ],
      groups: [],
      transactions: [],
    });
    const orders0 = (s.partitions as { replicas: unknown[] }[])[0].replicas;
    expect(orders0).toContainEqual({ broker: 2, state: 'up', role: 'leader', logStart: 0, logEnd: 13402, highWatermark: 13402, leaderEpoch: 1 });
  });

  it('gives the same JSON for the same seed, and another for another seed', () => {
    const a = state({ at: '6s', json: true });
    expect(state({ at: '6s', json: true })).toBe(a);
    expect(state({ at: '6s', json: true, seed: '4' })).not.toBe(a);
  });

  it('--every prints one row per step, from one step in to --to', () => {
    const rows = state({ every: '2s', to: '20s' }).split('\n').filter((l) => /^\d+\.\d{3}s /.test(l));
    expect(rows.map((l) => l.split(' ')[0])).toEqual(['2.000s', '4.000s', '6.000s', '8.000s', '10.000s', '12.000s', '14.000s', '16.000s', '18.000s', '20.000s']);
    // The partition of 16 s to 20 s cuts broker-2 off from the other brokers.
    expect(rows[7]).toMatch(/ {2}broker-2 cut off {2}/);
    const json = JSON.parse(state({ every: '5s', from: '10s', to: '20s', json: true })) as { atMs: number }[];
    expect(json.map((s) => s.atMs)).toEqual([10_000, 15_000, 20_000]);
  });

  it.each([
    [{ at: '12' }, /--at invalid duration "12": expected a number and a unit/],
    [{ at: '-2s' }, /--at must not be negative, got "-2s"/],
    [{ at: '61s' }, /--at 61s is after the run's end at 60\.000s \(duration 30s \+ drain 30s\)/],
    [{}, /state needs one of --at <time> .* or --every <step>/],
    [{ at: '1s', every: '1s' }, /state needs one of/],
    [{ at: '1s', to: '2s' }, /--from and --to go with --every/],
    [{ every: '0s' }, /--every must be longer than 0/],
    [{ every: '1s', from: '5s', to: '2s' }, /--to \(2\.000s\) is before --from \(5\.000s\)/],
  ])('refuses %j with a message that says why', (opts, message) => {
    expect(() => state(opts as StateCliOptions)).toThrow(message);
  });

  it('exits 2 on a bad moment, with the message and no stack trace', () => {
    for (const args of [['--at', '-2s'], ['--every', '1s', '--to', '90s']]) {
      const r = cli('state', 'acks1-leader-failover', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --(at must not be negative|to 90s is after the run's end)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
