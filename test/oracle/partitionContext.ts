import type { PartitionContext } from '../../src/nodes/broker/partition.js';

/**
 * What a Partition reads of its broker in the ported tests: Kafka's MockTime (tests that pass
 * times to fetches move `oracleClock.nowMs` where the leader must read the same time) and a
 * metadata cache in which every replica is eligible (Kafka's tests mock isReplicaIsrEligible
 * true unless they test it).
 */
export const oracleClock = { nowMs: 0 };

export const ORACLE_CONTEXT: PartitionContext = { nowMs: () => oracleClock.nowMs, isReplicaIsrEligible: () => true };
