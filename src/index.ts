/**
 * kafkasim's library API. Later issues add simulate(), loadScenario() and the arbitraries;
 * the kernel, the network and the log engine are exported so property tests can build on
 * them today.
 */
export { Scheduler, type EventFn, type RunOptions, type RunResult, type StopReason, type TimerHandle } from './sim/scheduler.js';
export { Rng } from './sim/rng.js';
export { Trace, MemorySink, type TraceKind, type TraceRecord, type TraceRecordMap, type TraceSink } from './sim/trace.js';
export { JsonlFileSink, toJsonLine } from './sim/jsonlSink.js';
export { Fingerprint, fingerprintOf } from './sim/fingerprint.js';
export { History, type Op, type OpType } from './sim/history.js';
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
export { LogDir, type TopicPartition } from './log/logDir.js';
export { applyRetention } from './log/retention.js';
export { cleanLog } from './log/cleaner.js';
export { dumpLog, type DumpBatch, type DumpResult } from './log/dump.js';

// The network and node runtime.
export { Network, type NetworkConfig, type LinkConfig, type Degradation } from './network/network.js';
export { NodeHost, type Message, type NodeContext, type Process, type RpcResult, type CrashMode } from './network/nodeHost.js';
export { LocalClock } from './network/localClock.js';
export { FaultInjector, type FaultAction, type TimedFault } from './network/faults.js';
export { parseTarget, formatTarget, BasicTargetResolver, type FaultTarget, type TargetResolver } from './network/faultTarget.js';
export { generateNemesis, type NemesisConfig, type NemesisKind } from './network/nemesis.js';
export { type LatencyDist } from './network/latency.js';
