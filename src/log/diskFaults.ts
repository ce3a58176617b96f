import type { Rng } from '../sim/rng.js';
import type { MemoryDisk } from './memoryDisk.js';

/** A disk fault as a fault schedule names it (see network/faults.ts, action 'disk'). */
export interface DiskFaultSpec {
  /** bitflip: flip `count` random bits; truncate: cut up to `count` × 64 bytes off the end; wipe: every file gone. */
  readonly fault: string;
  /** A path on the disk; default: a random segment (.log) file. */
  readonly file?: string;
  readonly count?: number;
}

export const DISK_FAULTS = ['bitflip', 'truncate', 'wipe'] as const;

/**
 * Applies a disk fault to a node's MemoryDisk: media corruption that the log's CRCs and
 * recovery must catch. Returns false when it does not apply (an unknown fault, no such
 * file, nothing to corrupt), so the injector can record the fault as skipped.
 */
export function applyDiskFault(disk: MemoryDisk, spec: DiskFaultSpec, rng: Rng): boolean {
  if (spec.fault === 'wipe') return wipe(disk);
  const candidates = spec.file !== undefined ? [spec.file] : disk.allFiles().filter((f) => f.endsWith('.log'));
  const files = candidates.filter((f) => disk.exists(f) && disk.size(f) > 0);
  if (files.length === 0) return false;
  const file = rng.pick(files);
  const count = Math.max(1, spec.count ?? 1);
  if (spec.fault === 'bitflip' || spec.fault === 'truncate') disk.noteMediaFault();
  switch (spec.fault) {
    case 'bitflip':
      disk.flipBits(file, count, Array.from({ length: count }, () => rng.int(0, disk.size(file) * 8 - 1)));
      return true;
    case 'truncate': {
      const size = disk.size(file);
      disk.truncate(file, Math.max(0, size - rng.int(1, Math.min(size, count * 64))));
      return true;
    }
    default:
      return false;
  }
}

/**
 * A failed disk replaced by an empty one (or a volume lost and formatted again): every file
 * is gone, the logs and the quorum-state file with them. The node must be down; it restarts
 * from nothing (KAFKA-14077: a KRaft voter back with a clean slate).
 */
function wipe(disk: MemoryDisk): boolean {
  const files = disk.allFiles();
  if (files.length === 0) return false;
  for (const f of files) disk.delete(f);
  return true;
}

