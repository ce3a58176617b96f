/**
 * The controller on the KRaft quorum (issue 23): with three controllers the Raft leader is
 * the active controller, a new one takes over when it dies, brokers follow it as observers
 * of the quorum, and `active-controller` names it when a fault fires.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenarios/loader.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import { watchRun } from '../../../src/scenarios/clusterState.js';
import { time } from '../../../src/sim/time.js';

const quorum = (faults: string, controllers = 3, sessionMs = 9_000): string => `
name: controller-quorum
duration: 28s
drain: 10s
cluster: { brokers: 3, controllers: ${controllers}, config: { min.insync.replicas: 2, broker.session.timeout.ms: ${sessionMs} } }
topics: [{ name: orders, partitions: 2, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 100/s, keys: 10, start: 1s, stop: 26s } }
faults:
${faults}
checks: [lost-write, duplicate, divergence]
`;

interface Active {
  readonly at: number;
  readonly node: string;
  readonly active: boolean;
}

function activations(records: readonly { readonly kind: string }[]): Active[] {
  const out: Active[] = [];
  for (const r of records) if (r.kind === 'controller.active' && 'node' in r && 'active' in r && 'at' in r) out.push({ at: Number(r.at), node: String(r.node), active: r.active === true });
  return out;
}

describe('the controller on the KRaft quorum', () => {
  it('elects another active controller when the active one crashes, which then moves a crashed broker’s leaderships', () => {
    const r = runScenario(
      parseScenario(
        quorum(`  - { at: 5s, action: crash, target: active-controller }
  - { at: 12s, action: crash, target: leader(orders-0) }
  - { at: 18s, action: restart, target: all-brokers }`),
      ),
      { keepTrace: true },
    );
    const records = r.simulation.memory?.records ?? [];
    const claims = activations(records).filter((a) => a.active);
    expect(claims.length).toBeGreaterThanOrEqual(2);
    const first = claims[0];
    const crash = records.find((t) => t.kind === 'node.crash' && t.at === 5_000_000);
    // active-controller resolved, when the fault fired, to the controller active then.
    expect(crash !== undefined && 'node' in crash ? crash.node : undefined).toBe(first.node);
    const successor = claims.find((a) => a.at > 5_000_000);
    expect(successor).toBeDefined();
    expect(successor?.node).not.toBe(first.node);
    // KIP-595: the successor is elected within a few election timeouts (1 s to 2 s each).
    expect((successor?.at ?? Infinity) - 5_000_000).toBeLessThan(6_000_000);
    // The crashed broker's partition got a new leader from the new controller.
    const crashedBroker = records.find((t) => t.kind === 'node.crash' && t.at === 12_000_000);
    const newLeader = records.find((t) => t.kind === 'replica.role' && 'role' in t && t.role === 'leader' && t.at > 12_000_000 && 'partition' in t && t.partition === 'orders-0');
    expect(crashedBroker).toBeDefined();
    expect(newLeader).toBeDefined();
    expect(r.violations).toEqual([]);
    expect(r.stats.acked).toBeGreaterThan(1_500);
  });

  it('without a majority of controllers, no leadership changes until one returns', () => {
    const r = runScenario(
      parseScenario(
        quorum(`  - { at: 5s, action: crash, target: controller-1 }
  - { at: 5s, action: crash, target: controller-2 }
  - { at: 8s, action: crash, target: leader(orders-0) }
  - { at: 16s, action: restart, target: controller-1 }`,
          3,
          3_000,
        ),
      ),
      { keepTrace: true },
    );
    const records = r.simulation.memory?.records ?? [];
    const leaderships = records.filter((t) => t.kind === 'replica.role' && 'role' in t && t.role === 'leader' && 'partition' in t && t.partition === 'orders-0');
    // With a healthy quorum the broker's session would expire about 3 s after its crash; here
    // no controller can act until a majority is back, so no leader until then, and one after.
    expect(leaderships.some((t) => t.at > 8_000_000 && t.at < 16_000_000)).toBe(false);
    expect(leaderships.some((t) => t.at > 16_000_000)).toBe(true);
  });

  it('shows in the cluster state which controller is active, and the hand-over among its recent events', () => {
    const watched = watchRun(parseScenario(quorum('  - { at: 5s, action: crash, target: active-controller }')), { recentEvents: 40 });
    const before = watched.stateAt(time(4_000_000));
    const first = before.controllers.filter((c) => c.active).map((c) => c.node);
    expect(first).toHaveLength(1);
    const after = watched.stateAt(time(12_000_000));
    const second = after.controllers.filter((c) => c.active).map((c) => c.node);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    const texts = after.recent.map((e) => e.text);
    expect(texts).toContain(`${first[0]} crashed (kill -9)`);
    // Its epoch is 2 or more: an election may take more than one round.
    expect(texts.some((t) => new RegExp(`^${second[0]} became the active controller \\(epoch [2-9]\\d*\\)$`).test(t))).toBe(true);
  });

  it('takes the controller.quorum.* settings from the scenario: a longer election timeout delays the first active controller', () => {
    const firstClaim = (electionMs: number): number => {
      const scenario = parseScenario(quorum('  - { at: 20s, action: crash, target: controller-1 }').replace('broker.session.timeout.ms: 9000', `broker.session.timeout.ms: 9000, controller.quorum.election.timeout.ms: ${electionMs}`));
      const r = runScenario(scenario, { keepTrace: true });
      return activations(r.simulation.memory?.records ?? []).find((a) => a.active)?.at ?? Infinity;
    };
    // An election starts after a timeout drawn between the setting and twice it (QuorumState.randomElectionTimeoutMs).
    expect(firstClaim(1_000)).toBeLessThan(2_500_000);
    const late = firstClaim(5_000);
    expect(late).toBeGreaterThanOrEqual(5_000_000);
    expect(late).toBeLessThan(10_500_000);
  });

  it('refuses a quorum of any size but 1, 3 or 5, naming the key', () => {
    expect(() => parseScenario(quorum('  - { at: 5s, action: crash, target: controller-1 }', 2))).toThrow(/cluster\.controllers/);
  });

  it('refuses a controller the scenario does not have', () => {
    expect(() => parseScenario(quorum('  - { at: 5s, action: crash, target: controller-4 }'))).toThrow(/controller-4 is not a node/);
  });
});
