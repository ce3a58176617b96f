/**
 * kafkasim's library API. Later issues add simulate(), loadScenario() and the arbitraries;
 * the kernel is exported so property tests can build on it today.
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
