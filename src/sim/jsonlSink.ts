import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceRecord, TraceSink } from './trace.js';

const FLUSH_AT_BYTES = 1 << 16;

/**
 * JSON text for a trace record or any other value of a run: byte arrays become
 * `{ "base64": "…" }` instead of Buffer's long list of numbers, and bigints become strings.
 */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
    const original = key === '' ? v : this[key];
    if (original instanceof Uint8Array) return { base64: Buffer.from(original).toString('base64') };
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

/** Streams records to a file, one JSON object per line, buffering writes. */
export class JsonlFileSink implements TraceSink {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(record: TraceRecord): void {
    const line = toJsonLine(record) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_AT_BYTES) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
