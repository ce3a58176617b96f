import type { MBeanName } from '../sim/metrics.js';

/**
 * Kafka's MBean names for the metrics kafkasim keeps: the broker's ReplicaManager and
 * BrokerTopicMetrics, the controller's KafkaController and ControllerStats, and the Java
 * producer's producer-metrics group.
 */
export const JMX = {
  underReplicatedPartitions: 'kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions',
  isrShrinks: 'kafka.server:type=ReplicaManager,name=IsrShrinksPerSec',
  isrExpands: 'kafka.server:type=ReplicaManager,name=IsrExpandsPerSec',
  failedProduceRequests: 'kafka.server:type=BrokerTopicMetrics,name=FailedProduceRequestsPerSec',
  offlinePartitions: 'kafka.controller:type=KafkaController,name=OfflinePartitionsCount',
  activeControllerCount: 'kafka.controller:type=KafkaController,name=ActiveControllerCount',
  leaderElections: 'kafka.controller:type=ControllerStats,name=LeaderElectionRateAndTimeMs',
  uncleanLeaderElections: 'kafka.controller:type=ControllerStats,name=UncleanLeaderElectionsPerSec',
  producer: (clientId: string): MBeanName => `kafka.producer:type=producer-metrics,client-id=${clientId}`,
} as const;
