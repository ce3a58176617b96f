import { bool, changed, defaultsOf, int, oneOf, type SettingValues } from './setting.js';
import { QUORUM_SETTINGS } from './quorumSettings.js';

/**
 * The broker and controller settings kafkasim models, by Kafka's names and with Kafka's
 * defaults (KafkaConfig, ReplicationConfigs, ServerLogConfigs, GroupCoordinatorConfig,
 * TransactionLogConfig, KRaftConfigs), and the simulator's own `sim.*` switches that bring
 * back an older release's behaviour.
 */
export const BROKER_SETTINGS = {
  'min.insync.replicas': int(1, 'The fewest in-sync replicas that must hold a write before an acks=all produce is acknowledged; fewer, and it fails with NOT_ENOUGH_REPLICAS.', { min: 1, unit: 'replicas' }),
  'unclean.leader.election.enable': changed(bool(false, 'Whether a replica outside the ISR may be elected leader when no ISR member is alive, at the cost of losing what only the ISR held.'), [['0.10', true], ['0.11', false]], 'KIP-106'),
  'eligible.leader.replicas.version': changed(oneOf([0, 1], 1, 'The eligible.leader.replicas.version feature (KIP-966), on by default for new clusters since Kafka 4.1, opt-in in 4.0: with 1, replicas that leave an ISR below min.insync.replicas stay eligible to lead (the ELR), a broker back from a crash leaves every ELR, and the high watermark only moves while the ISR has min.insync.replicas members.'), [['0.10', 0], ['4.1', 1]], 'KIP-966'),
  'replica.lag.time.max.ms': changed(int(30_000, 'A follower that has not caught up with the leader for this long is removed from the ISR.', { min: 1, unit: 'ms' }), [['0.10', 10_000], ['2.5', 30_000]], 'KIP-537'),
  'sim.high.watermark.below.min.isr': changed(oneOf(['hold', 'advance'], 'hold', 'Whether a leader whose ISR is smaller than min(min.insync.replicas, replication factor) holds its high watermark (`hold`, Kafka since 3.7: KAFKA-15583, Partition.maybeIncrementLeaderHW) or advances it with the ISR it has (`advance`, before 3.7; there min.insync.replicas above the replication factor also refuses every acks=all write).'), [['0.10', 'advance'], ['3.7', 'hold']], 'KAFKA-15583'),
  'sim.isr.caught.up': changed(oneOf(['log-end-or-lag-time', 'lag-time'], 'log-end-or-lag-time', "When the leader counts a follower as caught up (Replica.isCaughtUp), for ISR shrink and for the high watermark: at the leader's log end offset or within replica.lag.time.max.ms (`log-end-or-lag-time`, Kafka since 2.1: KAFKA-7152, so an idle partition keeps its ISR), or only within replica.lag.time.max.ms (`lag-time`, before 2.1)."), [['0.10', 'lag-time'], ['2.1', 'log-end-or-lag-time']], 'KAFKA-7152'),
  'sim.isr.eligibility': changed(oneOf(['any', 'unfenced', 'broker-epoch'], 'broker-epoch', "Which followers may join an ISR (Partition.isReplicaIsrEligible, ReplicationControlManager.ineligibleReplicasForIsr). `broker-epoch` (Kafka since 3.5: KIP-903, KAFKA-14139): registered, unfenced and not in controlled shutdown, and fetching by the broker epoch of its current registration; the leader refuses fetches from an earlier incarnation, and the controller refuses an ISR that names a broker by an epoch it no longer has (INELIGIBLE_REPLICA), so a fetch sent before a crash cannot bring the restarted broker back with a log it lost. `unfenced` (3.3 and 3.4: KIP-841, KAFKA-13916): the same without epochs. `any` (KRaft's 3.0 to 3.2): any follower that caught up, even one the controller fenced. Releases before 3.0 ran on ZooKeeper, where a restarted broker is alive as soon as it registers; kafkasim's control plane is KRaft-shaped on every release, and `unfenced` is what stands in for ZooKeeper's liveness there."), [['0.10', 'unfenced'], ['3.0', 'any'], ['3.3', 'unfenced'], ['3.5', 'broker-epoch']], 'KIP-841, KIP-903'),
  'sim.isr.join': changed(oneOf(['epoch-start', 'high-watermark'], 'epoch-start', "How far a follower outside the ISR must fetch before its leader lets it in (Partition.maybeExpandIsr): to the high watermark and to the start of the leader's current epoch (`epoch-start`, Kafka since 2.1 and 2.0.1: KAFKA-7128), or only to the high watermark (`high-watermark`, before), which lets in a follower still missing writes a new leader's high watermark did not yet cover, and loses them if it leads next."), [['0.10', 'high-watermark'], ['2.1', 'epoch-start']], 'KAFKA-7128'),
  'replica.fetch.wait.max.ms': int(500, 'How long a leader holds a follower fetch that has nothing to read.', { min: 0, unit: 'ms' }),
  'replica.fetch.backoff.ms': int(1_000, 'How long a replica fetcher leaves a partition alone after its fetch failed, or after the whole request did.', { min: 0, unit: 'ms' }),
  'replica.fetch.max.bytes': int(1_048_576, 'The most bytes a fetch returns per partition.', { min: 1, unit: 'bytes' }),
  'replica.socket.timeout.ms': int(30_000, "A replica fetcher's request timeout; Kafka requires it to be at least replica.fetch.wait.max.ms.", { min: 1, unit: 'ms' }),
  'request.timeout.ms': int(30_000, "The broker's own request timeout: to the controller (AlterPartition, registration), and to coordinators and leaders (markers, KIP-890 verification).", { min: 1, unit: 'ms' }),
  'replica.high.watermark.checkpoint.interval.ms': int(5_000, 'How often high watermarks are written to disk (and flush.ms checked).', { min: 1, unit: 'ms' }),
  'num.replica.fetchers': int(1, 'Fetchers per source broker, each fetching its share of the partitions.', { min: 1, unit: 'fetchers' }),
  'broker.session.timeout.ms': int(9_000, 'A broker whose heartbeats stop for this long is fenced by the controller.', { min: 1, unit: 'ms' }),
  'broker.heartbeat.interval.ms': int(2_000, 'How often a broker heartbeats to the controller.', { min: 1, unit: 'ms' }),
  'controlled.shutdown.enable': bool(true, "A broker asked to shut down first has the controller move its leaderships away (KRaft's controlled shutdown)."),
  'auto.leader.rebalance.enable': bool(true, 'The controller gives preferred replicas their leadership back every leader.imbalance.check.interval.seconds.'),
  'leader.imbalance.check.interval.seconds': int(300, 'How often the controller looks for partitions not led by their preferred replica.', { min: 1, unit: 's' }),
  'default.replication.factor': int(1, 'The replication factor of a topic that names none.', { min: 1, unit: 'replicas' }),
  'flush.messages': int(Number.MAX_SAFE_INTEGER, 'Messages appended before the log is fsynced; Kafka leaves flushing to the operating system by default.', { min: 1, unit: 'messages' }),
  'flush.ms': int(Number.MAX_SAFE_INTEGER, 'How long a message may stay unflushed before the log is fsynced.', { min: 1, unit: 'ms' }),
  'log.segment.bytes': int(1_073_741_824, "A log segment's size before a new one is rolled.", { min: 1, unit: 'bytes' }),
  'log.retention.check.interval.ms': int(300_000, 'How often retention deletes old segments.', { min: 1, unit: 'ms' }),
  'log.cleaner.backoff.ms': int(15_000, 'How often the cleaner looks for logs to compact.', { min: 1, unit: 'ms' }),
  'producer.id.expiration.ms': changed(int(86_400_000, 'A producer idle this long (by its batches\u2019 timestamps) is forgotten by the partition.', { min: 1, unit: 'ms' }), [['0.10', 604_800_000], ['3.4', 86_400_000]], 'KIP-854'),
  'producer.id.expiration.check.interval.ms': int(600_000, 'How often idle producers are looked for.', { min: 1, unit: 'ms' }),
  'sim.producer.state.retention': changed(oneOf(['expiration', 'log'], 'expiration', "How long a partition keeps an idempotent producer's state. `expiration` is Kafka since 2.4 (KAFKA-7190, part of KIP-360): until producer.id.expiration.ms (before 3.4, transactional.id.expiration.ms). `log` brings back the old rule (0.11-2.3, ProducerStateManager.truncateHead): the state goes with the producer's last batch when retention deletes it, so a late retry of that batch is no longer recognised and is written again."), [['0.10', 'log'], ['2.4', 'expiration']], 'KAFKA-7190 (KIP-360)'),
  'sim.unknown.producer.sequence': changed(oneOf(['accept', 'unknown-producer-id', 'out-of-order'], 'accept', "How a partition leader answers a batch from an idempotent producer it has no state for (expired, or gone with the log) whose first sequence is not 0 (ProducerAppendInfo.checkSequence): `accept` writes it, as Kafka does since 2.5 (KAFKA-8710); `unknown-producer-id` answers UNKNOWN_PRODUCER_ID, as 1.0-2.4 did (KAFKA-5793); `out-of-order` answers OUT_OF_ORDER_SEQUENCE_NUMBER, as 0.11 did."), [['0.10', 'out-of-order'], ['1.0', 'unknown-producer-id'], ['2.5', 'accept']], 'KAFKA-5793, KAFKA-8710 (KIP-360)'),
  'offsets.topic.num.partitions': int(50, 'Partitions of __consumer_offsets.', { min: 1, max: 1000, unit: 'partitions' }),
  'offsets.topic.replication.factor': int(3, 'The replication factor of __consumer_offsets.', { min: 1, unit: 'replicas' }),
  'offsets.commit.timeout.ms': int(5_000, 'How long a write to __consumer_offsets may wait for the ISR.', { min: 1, unit: 'ms' }),
  'group.initial.rebalance.delay.ms': changed(int(3_000, 'How long a new group waits for more members before its first rebalance.', { min: 0, unit: 'ms' }), [['0.10', 0], ['0.11', 3_000]], 'KIP-134'),
  'group.min.session.timeout.ms': int(6_000, 'The shortest session.timeout.ms a member may ask for.', { min: 1, unit: 'ms' }),
  'group.max.session.timeout.ms': changed(int(1_800_000, 'The longest session.timeout.ms a member may ask for.', { min: 1, unit: 'ms' }), [['0.10', 300_000], ['2.3', 1_800_000]], 'KAFKA-8225 (KIP-345)'),
  'sim.group.pending.sync.expiry': changed(bool(true, 'Whether members that joined a generation but sent no SyncGroup within the rebalance timeout are removed and the group rebalances (GroupCoordinator.onExpirePendingSync, KAFKA-12890, Kafka 2.8.1 and 3.0), or hold it in CompletingRebalance until their sessions expire (before).'), [['0.10', false], ['2.8', true]], 'KAFKA-12890'),
  'sim.group.coordinator': changed(oneOf(['runtime', 'classic'], 'runtime', "Which group coordinator serves the groups. `runtime` is Kafka 4.0's (KIP-848's CoordinatorRuntime, the only one since 4.0): it replays `__consumer_offsets` to the log end on election but holds every answer, an OffsetFetch included, until the high watermark reaches what it loaded (CoordinatorRuntime.appendRecords, KAFKA-16973), so nobody reads an offset the partition may still lose. `classic` is GroupMetadataManager (before 4.0): it serves what it loaded at once, uncommitted records included (doLoadGroupsAndOffsets reads with FetchIsolation.LOG_END)."), [['0.10', 'classic'], ['4.0', 'runtime']], 'KIP-848, KAFKA-16973'),
  'sim.group.fencing': bool(true, "Whether the group coordinator checks a commit's member and generation. Off, a stale member's commit lands: the bug generations exist to prevent."),
  'offsets.retention.minutes': changed(int(10_080, "How long committed offsets are kept (KIP-186's default, 7 days).", { min: 1, unit: 'minutes' }), [['0.10', 1_440], ['2.0', 10_080]], 'KIP-186'),
  'offsets.retention.check.interval.ms': int(600_000, 'How often the group coordinator looks for expired offsets.', { min: 1, unit: 'ms' }),
  'sim.offsets.expiration': changed(oneOf(['kip-211', 'commit-timestamp'], 'kip-211', "When committed offsets expire. `kip-211` is Kafka since 2.1: an Empty group's, once it has been empty for the retention, and a live consumer group's only for topics it no longer subscribes to. `commit-timestamp` brings back the old rule: every offset the retention after its last commit, even in a group that is still consuming."), [['0.10', 'commit-timestamp'], ['2.1', 'kip-211']], 'KIP-211'),
  'transaction.state.log.num.partitions': int(50, 'Partitions of __transaction_state.', { min: 1, max: 1000, unit: 'partitions' }),
  'transaction.state.log.replication.factor': int(3, 'The replication factor of __transaction_state.', { min: 1, unit: 'replicas' }),
  'transaction.state.log.min.isr': int(2, 'min.insync.replicas of __transaction_state.', { min: 1, unit: 'replicas' }),
  'transaction.max.timeout.ms': int(900_000, 'The longest transaction.timeout.ms a producer may ask for.', { min: 1, unit: 'ms' }),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': changed(int(10_000, 'How often the transaction coordinator aborts transactions that outlived their timeout.', { min: 1, unit: 'ms' }), [['0.10', 60_000], ['2.5', 10_000]], 'KAFKA-9417'),
  'transaction.partition.verification.enable': changed(bool(true, 'KIP-890 part 1: partition leaders verify transactional writes with the coordinator.'), [['0.10', false], ['3.6', true]], 'KIP-890 part 1'),
  'transaction.version': changed(oneOf([1, 2], 2, "The cluster's finalized transaction.version feature (KIP-1022): 2 is KIP-890 part 2, where the coordinator bumps the producer epoch as it ends every transaction and hands the new one back in the EndTxn response; 1 keeps the epoch across transactions (Kafka 3.x)."), [['0.10', 1], ['4.0', 2]], 'KIP-890 part 2, KIP-1022'),
  'sim.truncation': changed(oneOf(['leader-epoch', 'leader-epoch-kip101', 'high-watermark'], 'leader-epoch', 'How a replica truncates when it becomes a follower. `leader-epoch` is Kafka since KIP-101/KIP-279; `high-watermark` brings back the old rule, to reproduce its bugs.'), [['0.10', 'high-watermark'], ['0.11', 'leader-epoch-kip101'], ['2.0', 'leader-epoch']], 'KIP-101, KIP-279'),
  // The controller quorum's settings, which controllers and brokers alike read (QuorumConfig).
  ...QUORUM_SETTINGS,
} as const;

/** The broker settings' values, by Kafka name. */
export type BrokerSettings = SettingValues<typeof BROKER_SETTINGS>;

/** Every broker setting at Kafka's default. */
export const BROKER_SETTING_DEFAULTS: BrokerSettings = defaultsOf(BROKER_SETTINGS);
