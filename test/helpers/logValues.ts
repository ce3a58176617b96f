import type { Log } from '../../src/log/log.js';
import { decodeRecords, readBatchHeader, sizeOf } from '../../src/log/recordBatch.js';

/** Every record value in a log, from its start, as text. */
export function logValues(log: Log): string[] {
  const { records } = log.read(log.logStartOffset, 1 << 20);
  const out: string[] = [];
  for (let pos = 0; pos < records.length; pos += sizeOf(readBatchHeader(records, pos))) out.push(...decodeRecords(records, pos).map((r) => String(r.value)));
  return out;
}
