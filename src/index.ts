/**
 * kafkasim's library API: simulate() a scenario (loadScenario/parseScenario, or a plain
 * object), read its violations, history, trace and metrics; the checkers; and the kernel,
 * network and log engine underneath. fast-check arbitraries for scenarios live in
 * 'kafkasim/arbitraries' (fast-check is a peer dependency).
 */
export { Scheduler, type EventFn, type RunOptions, type RunResult, type StopReason, type TimerHandle } from './sim/scheduler.js';
export { Rng } from './sim/rng.js';
export { Trace, MemorySink, type TraceKind, type TraceRecord, type TraceRecordMap, type TraceSink } from './sim/trace.js';
export { JsonlFileSink, toJsonLine } from './sim/jsonlSink.js';
export { Fingerprint, fingerprintOf } from './sim/fingerprint.js';
export { History, type Op, type OpType } from './sim/history.js';
export { SendLog, type SendRef } from './sim/sendLog.js';
export { runCheckers, UnknownCheckError, type Checker, type CheckReport, type Violation } from './sim/checker.js';
export { Simulation, type SimulationOptions, type TraceMode } from './sim/simulation.js';
export * from './sim/time.js';

// The log engine.
export * from './log/recordBatch.js';
export { crc32c, crc32cJs } from './log/crc32c.js';
export { murmur2, partitionForKey, toPositive, StickyPartitioner, RoundRobinPartitioner } from './log/partitioner.js';
export { type Disk, DiskError } from './log/disk.js';
export { MemoryDisk, type MemoryDiskOptions } from './log/memoryDisk.js';
export { FsDisk } from './log/fsDisk.js';
export { Log, LogError, DEFAULT_LOG_CONFIG, type LogConfig, type AppendInfo, type ReadResult, type RecoveryReport } from './log/log.js';
export { LogDir } from './log/logDir.js';
export { partitionName, parsePartitionName, type TopicPartition } from './log/topicPartition.js';
export { applyRetention } from './log/retention.js';
export { cleanLog } from './log/cleaner.js';
export { dumpLog, type DumpBatch, type DumpResult } from './log/dump.js';

// The network and node runtime.
export { Network, type NetworkConfig } from './network/network.js';
export type { LinkConfig, Degradation } from './network/link.js';
export { NodeHost, type Message, type NodeContext, type Process, type RpcResult, type CrashMode } from './network/nodeHost.js';
export { LocalClock } from './network/localClock.js';
export { FaultInjector, type FaultAction, type TimedFault } from './network/faults.js';
export { parseTarget, formatTarget, BasicTargetResolver, type FaultTarget, type TargetResolver } from './network/faultTarget.js';
export { generateNemesis, type NemesisConfig, type NemesisKind } from './network/nemesis.js';
export { type LatencyDist } from './network/latency.js';

// Scenarios: load, validate, simulate.
export { simulate, type SimulateOptions } from './scenarios/simulate.js';
export { loadScenario, parseScenario, scenarioFromObject, ScenarioError, type ScenarioIssue } from './scenarios/loader.js';
export { scenarioJsonSchema, CHECK_KINDS, EXPECTABLE_KINDS, type Scenario, type ScenarioInput, type ScenarioFault, type ScenarioTopic, type ProducerClient, type ConsumerClient, type ProcessorClient, type CheckKind } from './scenarios/schema.js';
export { runScenario, startRun, type RunInProgress, type RunOptions as ScenarioRunOptions, type RunResult as ScenarioRunResult, type RunStats, type ConsumerStats } from './scenarios/runner.js';
export { watchRun, clusterState, type WatchedRun, type ClusterState, type PartitionAtMoment, type ReplicaAtMoment, type NodeAtMoment, type GroupAtMoment } from './scenarios/clusterState.js';
export type { SkippedFault } from './scenarios/skippedFaults.js';
export { libraryEntries, type LibraryEntry } from './scenarios/library.js';
export { explainViolation, formatTimeline, type TimelineLine } from './scenarios/explain.js';
export { shrinkScenario, ddmin, ShrinkError, type ShrinkOptions, type ShrinkResult, type RawScenario } from './scenarios/shrink.js';
export { parseSeeds, shardSeeds, summarize as summarizeSweep, mergeSummaries, type SweepSummary, type SeedResult } from './scenarios/sweep.js';

// Checkers.
export { deliveryCheckers, lostWriteChecker, duplicateChecker, reorderChecker, divergenceChecker, splitBrainChecker, hwRegressionChecker } from './checkers/deliveryCheckers.js';
// Every consumer-group checker (tombstoneLossChecker too), the list of them, and groupLag.
export * from './checkers/groupCheckers.js';
export { txnCheckers, exactlyOnceChecker, abortedReadChecker, zombieWriteChecker, hangingTxnChecker } from './checkers/txnCheckers.js';
export { OnlineSpecChecker, SPEC_KINDS, type SpecKind } from './checkers/onlineSpec.js';
export { sendsOf, countSends, type SendRecord, type SendOutcome } from './checkers/sends.js';
export { LogIds } from './checkers/logIds.js';
export type { ClusterFinalState, PartitionState, ReplicaLog, LoggedRecord, BatchSummary, SendValue, SendCompletion, MessageId, GroupFinalState, AppliedCommit, CommittedOffsetChange, TxnBatch, PipelineState } from './checkers/finalState.js';
export { MetricsRegistry, total as totalMetric, type MetricsSnapshot, type NodeMetrics } from './sim/metrics.js';
export { JMX } from './nodes/jmx.js';
