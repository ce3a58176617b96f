import { Log, DEFAULT_LOG_CONFIG } from '../../src/log/log.js';
import { MemoryDisk } from '../../src/log/memoryDisk.js';
import { MemorySink, Trace } from '../../src/sim/trace.js';
import { time } from '../../src/sim/time.js';
import type { KafkaErrorCode } from '../../src/nodes/errors.js';

/**
 * A coordinator's internal partition for unit tests: a real log, a trace kept in memory, and
 * an `append` whose writes commit only when the test calls `commitWrites` (as the ISR
 * catching up would: the high watermark moves to the log end), or fail with the error it
 * passes; `awaitHighWatermark` waits are completed by `commitWrites` too.
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
  const hwWaits: { offset: number; done: (reached: boolean) => void }[] = [];
  const awaitHighWatermark = (_partition: number, offset: number, done: (reached: boolean) => void): void => {
    if (log.highWatermark >= offset) done(true);
    else hwWaits.push({ offset, done });
  };
  const commitWrites = (error?: KafkaErrorCode): void => {
    if (error === undefined) log.updateHighWatermark(log.logEndOffset);
    for (const w of hwWaits.splice(0)) if (log.highWatermark >= w.offset) w.done(true);
    else hwWaits.push(w);
    for (const done of pending.splice(0)) done(error);
  };
  return { sink, trace, log, append, awaitHighWatermark, commitWrites };
}
