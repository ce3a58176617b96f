import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenarios/loader.js';
import { runScenario } from '../../src/scenarios/runner.js';
import { total } from '../../src/sim/metrics.js';
import { JMX } from '../../src/nodes/jmx.js';
import { cli } from '../helpers/cli.js';

const scenario = `
name: metrics
duration: 30s
drain: 20s
cluster: { brokers: 3, controllers: 1, config: { min.insync.replicas: 2, unclean.leader.election.enable: true, replica.lag.time.max.ms: 3000 } }
topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all, retries: 1, retry.backoff.ms: 50, request.timeout.ms: 3000, delivery.timeout.ms: 4000 }, workload: { rate: 300/s, keys: 30, start: 1s, stop: 28s } }
faults:
  - { at: 5s, action: crash, target: broker-1 }
  - { at: 20s, action: crash, target: controller }
  - { at: 22s, action: restart, target: controller }
`;

// broker-2 and broker-3 go, broker-1 is left alone in the ISR and goes too; broker-2 comes
// back after broker-1 was fenced (the partitions were offline meanwhile) and, with unclean
// election on, leads from outside the ISR.
const uncleanScenario = scenario.replace(/faults:[\s\S]*$/, `faults:
  - { at: 4s, action: crash, target: broker-2 }
  - { at: 4s, action: crash, target: broker-3 }
  - { at: 8s, action: crash, target: broker-1 }
  - { at: 20s, action: restart, target: broker-2 }
`);

describe('Kafka metrics in a run', () => {
  const r = runScenario(parseScenario(scenario));
  const windows = r.stats.metrics.aroundFaults;
  const crash = windows.find((w) => w.fault === 'crash broker-1');
  const controllerCrash = windows.find((w) => w.fault === 'crash controller-1');

  it('shows a broker crash as ISR shrinks, leader elections after the session timeout and under-replicated partitions', () => {
    expect(crash).toBeDefined();
    // Leaders drop the silent follower after replica.lag.time.max.ms (3 s here), before the
    // controller fences it, and take it back once it returns (in the drain).
    expect(crash?.deltas[`${JMX.isrShrinks} Count`]).toBeGreaterThan(0);
    expect(windows.at(-1)?.deltas[`${JMX.isrExpands} Count`]).toBeGreaterThan(0);
    expect(crash?.deltas[`${JMX.leaderElections} Count`]).toBeGreaterThan(0);
    // The controller waits broker.session.timeout.ms (9 s) of silence before it elects.
    const mean = r.stats.metrics.final[JMX.leaderElections]['controller-1'].Mean;
    expect(mean).toBeGreaterThanOrEqual(9000);
    expect(mean).toBeLessThan(10_000);
    expect(crash?.gauges[`${JMX.underReplicatedPartitions} Value`]?.peak).toBeGreaterThan(0);
    // Clean elections only: broker-1's partitions had an in-sync replica left.
    expect(total(r.stats.metrics.final, JMX.uncleanLeaderElections, 'Count')).toBe(0);
    // The producer retried records while the leader was gone, and some failed for good: those
    // that waited for the dead leader (it sends nothing to a broker it cannot connect to)
    // longer than delivery.timeout.ms.
    expect(crash?.deltas[`${JMX.producer('p1')} record-retry-total`]).toBeGreaterThan(0);
    expect(r.stats.failed + r.stats.indeterminate).toBeGreaterThan(0);
    expect(r.stats.metrics.final[JMX.producer('p1')]['producer-p1']['record-error-total']).toBe(r.stats.failed + r.stats.indeterminate);
  });

  it('shows the controller going away in ActiveControllerCount', () => {
    expect(controllerCrash?.gauges[`${JMX.activeControllerCount} Value`]).toEqual({ before: 1, peak: 1, after: 0 });
    expect(total(r.stats.metrics.final, JMX.activeControllerCount, 'Value')).toBe(1);
  });

  it('counts unclean elections', () => {
    const unclean = runScenario(parseScenario(uncleanScenario));
    expect(total(unclean.stats.metrics.final, JMX.uncleanLeaderElections, 'Count')).toBeGreaterThan(0);
    // With the ISR down to broker-1 alone, acks=all produces fail with NOT_ENOUGH_REPLICAS.
    expect(total(unclean.stats.metrics.final, JMX.failedProduceRequests, 'Count')).toBeGreaterThan(0);
    expect(total(unclean.stats.metrics.final, JMX.offlinePartitions, 'Value')).toBe(0);
    const offline = unclean.stats.metrics.aroundFaults.flatMap((w) => Object.entries(w.gauges).filter(([k]) => k.startsWith(JMX.offlinePartitions)).map(([, g]) => g.peak));
    expect(Math.max(...offline)).toBeGreaterThan(0);
  });

  it('prints the moves after each fault in the human summary, by JMX name', () => {
    const out = cli('run', 'acks1-leader-failover').stdout;
    expect(out).toContain('metrics after each fault');
    expect(out).toMatch(/crash broker-\d: .*record-retry-total \+\d+/);
    expect(out).toMatch(/UnderReplicatedPartitions \d→/);
  });
});
