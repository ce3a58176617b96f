import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../../sim/order.js';
import { dumpLog, type DumpBatch, type DumpBytes } from '../../log/dump.js';
import { UsageError } from '../usageError.js';

function show(b: DumpBytes | null): string {
  if (b === null) return 'null';
  return b.encoding === 'utf8' ? b.text : `base64:${b.text}`;
}

function textLines(batch: DumpBatch): string[] {
  const lines = [
    `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.count} baseSequence: ${batch.baseSequence} ` +
      `producerId: ${batch.producerId} producerEpoch: ${batch.producerEpoch} partitionLeaderEpoch: ${batch.partitionLeaderEpoch} ` +
      `isTransactional: ${batch.isTransactional} isControl: ${batch.isControl} position: ${batch.position} ` +
      `${batch.timestampType}: ${batch.maxTimestamp} size: ${batch.size} magic: 2 compresscodec: ${batch.compression} crc: ${batch.crc} isvalid: ${batch.crcValid}`,
  ];
  for (const r of batch.records) {
    const headers = r.headers.map((h) => `${h.key}=${show(h.value)}`).join(',');
    const marker = r.marker !== undefined ? ` endTxnMarker: ${r.marker}` : '';
    lines.push(`| offset: ${r.offset} ${batch.timestampType}: ${r.timestamp} key: ${show(r.key)} payload: ${show(r.value)} headers: [${headers}]${marker}`);
  }
  if (batch.recordError !== undefined) lines.push(`| records unreadable: ${batch.recordError}`);
  return lines;
}

/** The .log files a path names: the file itself, or every segment in a directory. */
function segmentFiles(path: string): string[] {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    const logs = readdirSync(path)
      .filter((n) => n.endsWith('.log'))
      .sort(compareStrings)
      .map((n) => join(path, n));
    if (logs.length === 0) throw new UsageError(`${path}: no .log segment files in this directory`);
    return logs;
  }
  return [path];
}

/** `kafkasim log dump <dir|file.log> [--json]`, like kafka-dump-log.sh --print-data-log. */
export function logDump(path: string, options: { json?: boolean }, out: (line: string) => void): void {
  for (const file of segmentFiles(path)) {
    const result = dumpLog(readFileSync(file));
    if (!options.json) out(`Dumping ${file}`);
    for (const batch of result.batches) {
      if (options.json) out(JSON.stringify({ file, ...batch }));
      else for (const line of textLines(batch)) out(line);
    }
    const tail = result.corruptTail;
    if (tail !== undefined) {
      if (options.json) out(JSON.stringify({ file, corruptTail: tail }));
      else out(`Corrupt tail at position ${tail.position}: ${tail.bytes} bytes (${tail.reason})`);
    }
  }
}
