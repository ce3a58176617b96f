import { writeFileAtomically, type Disk } from './disk.js';

/**
 * Kafka's text checkpoint files (CheckpointFile): a version line, a count line, then one
 * entry per line, written to a temp file, fsynced and renamed over the old one.
 *   leader-epoch-checkpoint:            "epoch startOffset"
 *   recovery-point-offset-checkpoint:   "topic partition offset" (one per partition of the log dir)
 * Reading is forgiving in one way only: a missing file is empty. A malformed one is an
 * error that names the file and the line, since Kafka refuses to start on one too.
 */
export class CheckpointFormatError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${path}, line ${line}: ${detail}`);
    this.name = 'CheckpointFormatError';
  }
}

const VERSION = 0;

export function writeCheckpoint(disk: Disk, path: string, lines: readonly string[]): void {
  writeFileAtomically(disk, path, Buffer.from(`${VERSION}\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`, 'utf8'));
}

/** Reads the entry lines, each split on whitespace into `fields` parts. */
export function readCheckpoint(disk: Disk, path: string, fields: number): string[][] {
  if (!disk.exists(path)) return [];
  const lines = disk.readAll(path).toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== String(VERSION)) throw new CheckpointFormatError(path, 1, `unknown version "${lines[0] ?? ''}"`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new CheckpointFormatError(path, 2, `bad entry count "${lines[1] ?? ''}"`);
  if (lines.length - 2 !== count) throw new CheckpointFormatError(path, 2, `expected ${count} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((line, i) => {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== fields) throw new CheckpointFormatError(path, i + 3, `expected ${fields} fields, found "${line}"`);
    return parts;
  });
}

export function parseOffset(value: string, path: string, line: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CheckpointFormatError(path, line, `"${value}" is not an offset`);
  return n;
}
