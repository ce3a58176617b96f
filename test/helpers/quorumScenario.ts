import { parseScenario } from '../../src/scenarios/loader.js';
import type { Scenario } from '../../src/scenarios/schema.js';

/** Three brokers under a three-controller quorum, an acks=all producer from 1 s to 18 s of 20 s, and `faults` (YAML). */
export function quorumScenario(name: string, faults = '[]'): Scenario {
  return parseScenario(`
name: ${name}
duration: 20s
drain: 5s
cluster: { brokers: 3, controllers: 3 }
topics: [{ name: orders, partitions: 2, replication.factor: 3 }]
clients:
  - { id: p1, type: producer, topic: orders, config: { acks: all }, workload: { rate: 50/s, keys: 10, start: 1s, stop: 18s } }
faults: ${faults}
`);
}
