import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { MemorySink, Trace } from '../../src/sim/trace.js';
import { time } from '../../src/sim/time.js';
import type { KafkaErrorCode } from '../../src/nodes/errors.js';

/**
 * A coordinator's internal partition for unit tests: a real log, a trace kept in memory, and
 * an `append` whose writes commit only when the test calls `commitWrites` (as the ISR
 * catching up would), or fail with the error it passes.
 */
export function coordinatorLog(name: string) {
  const sink = new MemorySink();
  const trace = new Trace(() => time(0), [sink]);
  const { log } = Log.open(new MemoryDisk(), name, DEFAULT_LOG_CONFIG);
  const pending: ((error: KafkaErrorCode | undefined) => void)[] = [];
  const append = (_partition: number, records: Buffer, done: (error: KafkaErrorCode | undefined) => void): void => {
    log.appendAsLeader(records, 0);
    pending.push(done);
  };
  const commitWrites = (error?: KafkaErrorCode): void => {
    for (const done of pending.splice(0)) done(error);
  };
  return { sink, trace, log, append, commitWrites };
}
